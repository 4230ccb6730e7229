"""Every builder escapes every string a person typed: team names, notes, display names, modal
fields. Hostile text is fed to each builder and nothing in the result that Slack parses (mrkdwn
texts and the `text` fallback that push notifications show) can mention, broadcast, link or
hide a link. plain_text objects are not parsed by Slack and are left out of the check."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.checkin import blocks as checkin
from bot.home import blocks as home
from bot.platform.blocks import Reply, error_reply, text_reply
from bot.promise import blocks as promise
from bot.promise.rules import Record
from bot.rally import blocks as rally
from bot.summary import blocks as summary
from bot.summary.figures import (
    AnswerRow,
    RallyRow,
    RatingRow,
    WeekInput,
    build_summary,
    named_lines,
)
from bot.summary.status import WeekStatus
from bot.teams import blocks as teams
from bot.teams.rules import MembershipResult

HOSTILE = st.sampled_from(
    [
        "<!channel>",
        "<!here|here>",
        "<!everyone>",
        "<@UHOSTILE>",
        "<@UHOSTILE|boss>",
        "<#CHOSTILE|general>",
        "<https://evil.example|your bank>",
        "<mailto:a@evil.example|x>",
        "@channel",
        "@here",
        "@everyone",
        "<!subteam^S1>",
    ]
)
TEXT = st.lists(st.one_of(st.text(max_size=8), HOSTILE), min_size=1, max_size=5).map("".join)
# What must never reach Slack unescaped, whatever a person typed.
LEAKS = re.compile(
    r"<!(channel|here|everyone|subteam)|<@UHOSTILE|<#CHOSTILE|<https://evil|<mailto:a@evil"
    r"|(?<![\w\u2060])@(channel|here|everyone)\b",
    re.IGNORECASE,
)
NOW = datetime(2026, 11, 27, 15, 0, tzinfo=UTC)


def parsed_texts(value: Any, *, key: str | None = None) -> Iterator[str]:
    """Every string Slack parses as mrkdwn: mrkdwn text objects and top-level `text`."""
    if isinstance(value, Reply):
        yield value.text
        yield from parsed_texts(value.blocks)
    elif isinstance(value, dict):
        if value.get("type") == "plain_text":
            return
        for k, v in value.items():
            if isinstance(v, str) and (k == "text" and value.get("type") == "mrkdwn"):
                yield v
            else:
                yield from parsed_texts(v, key=k)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from parsed_texts(item, key=key)
    elif isinstance(value, str) and key is None:
        yield value


def checkin_row(note: str) -> Any:
    return SimpleNamespace(
        id=1,
        score=3,
        deliverables=4,
        customers=None,
        note=note,
        help="tools",
        visibility="team",
        kind="weekly",
        created_at=NOW,
        source="text",
    )


def card(name: str, note: str, visibility: str, status: str = "open") -> rally.RallyCard:
    return rally.RallyCard(
        rally_id=7,
        team_name=name,
        member_id="UANN",
        visibility=visibility,
        score=3,
        note=note,
        help="specialist",
        offers=1,
        owner_id="UBOB",
        status=status,
        checkin_id=3,
        from_text=True,
    )


def a_summary(name: str, note: str) -> tuple[Any, Any]:
    answers = tuple(
        AnswerRow(f"U{i}", "2026-W48", 3 + i, None, None, "tools", "team", note) for i in range(6)
    )
    weeks = [WeekInput("2026-W48", tuple(a.user_id for a in answers), answers)]
    rallies = [RallyRow("U1", "team", "U2", "tools"), RallyRow("U3", "anonymous", None, "none")]
    built = build_summary(name, weeks, [RatingRow("U1", 4, "2026-W48")], rallies)
    return built, named_lines(weeks, {f"U{i}": name for i in range(6)})


def builders(name: str, note: str) -> dict[str, Callable[[], Any]]:
    """Each builder, called with the hostile team name / note / display name."""
    s, named = a_summary(name, note)
    status = WeekStatus(name, "2026-W48", ["UANN"], ["UBOB"], [], 5.0)
    return {
        "prompt": lambda: checkin.prompt_message(team_name=name, cycle_id=1, week="2026-W48"),
        "reminder": lambda: checkin.reminder_message(team_name=name, cycle_id=1),
        "recorded": lambda: checkin.recorded_message(
            team_name=name, week="2026-W48", cycle_id=1, answer=checkin_row(note), open_=True
        ),
        "modal": lambda: checkin.checkin_modal(
            checkin.CheckinContext(1, 1), team_name=name, default_visibility="anonymous"
        ),
        "me": lambda: checkin.me_reply([checkin_row(note)], "Europe/London"),
        "trend": lambda: checkin.trend_reply(
            "UANN",
            name,
            [checkin_row(note)],
            [SimpleNamespace(created_at=NOW, score=4, note=note)],
            None,
        ),
        "pick_team": lambda: checkin.pick_team_message(
            6,
            [
                checkin.PickTeam(1, name, 1, "D1", "1.2"),
                checkin.PickTeam(2, name, None, "D1", "1.2"),
            ],
            weekly=True,
        ),
        "text_recorded": lambda: checkin.text_recorded_message(
            team_name=name, checkin_id=1, score=6, weekly=False, visibility="anonymous"
        ),
        **{
            f"rally_{kind}_{visibility}": (
                lambda kind=kind, visibility=visibility: kind(card(name, note, visibility))
            )
            for kind in (
                rally.nudge_message,
                rally.leads_only_message,
                rally.owner_message,
                rally.owner_to_member,
                rally.followup_message,
                rally.escalation_message,
            )
            for visibility in ("team", "anonymous", "leads")
        },
        "offer": lambda: rally.offer_to_member(card(name, note, "team"), "UBOB", 1),
        "offer_anonymous": lambda: rally.offer_to_member(card(name, note, "anonymous"), "UBOB", 1),
        "accepted": lambda: list(rally.accepted_messages(card(name, note, "anonymous"), "UBOB")),
        "still": lambda: rally.still_need_message(card(name, note, "team"), to_owner=False),
        "helping": lambda: rally.helping_blocks([card(name, note, "team")], "UBOB"),
        "shared": lambda: [
            rally.shared_with_team_message(card(name, note, v), "CTEAM")
            for v in ("team", "anonymous", "leads")
        ],
        "withdrawn_by_member": lambda: rally.nudge_message(
            rally.RallyCard(**{**card(name, note, "team").__dict__, "status": "withdrawn"})
        ),
        "summary": lambda: [summary.summary_text(s), summary.summary_blocks(s)],
        "progress": lambda: summary.progress_blocks(s),
        "leads_summary": lambda: [
            summary.leads_summary_text(s),
            summary.leads_summary_blocks(s, named),
        ],
        "status_lead": lambda: summary.status_reply(status, as_lead=True),
        "status_member": lambda: summary.status_reply(status, as_lead=False),
        "home": lambda: home.home_view(
            rows=[checkin_row(note)],
            tz=None,
            pending=[(name, 1)],
            led=[status],
            teams=[(1, name), (2, name)],
        ),
        "dashboard": lambda: home.dashboard_blocks(name, summary.summary_blocks(s), "F1"),
        "membership": lambda: teams.membership_reply(
            "added", name, MembershipResult(done=[SimpleNamespace(id="UANN", name=note)])
        ),
        "created": lambda: teams.team_created_reply(name, "CTEAM", False, "every Friday"),
        "welcome": lambda: teams.welcome_message(
            teams.Welcome(1, name, "CTEAM", "ULEAD", note, "every Friday", ("ULEAD",), "anonymous")
        ),
        "left": lambda: teams.left_reply(name, True),
        **promise_builders(name, note),
        "text_reply": lambda: text_reply("ok"),
        "error": lambda: error_reply("Refused."),
    }


def promise_builders(name: str, note: str) -> dict[str, Callable[[], Any]]:
    """The promise's builders, each fed the hostile team name and text."""
    view = promise.PromiseView(name, note, note, note, 24, "ULEAD", NOW)
    record = Record(weeks=(), on_time=1, decided=2)

    def card(status: str, source: str = "team") -> promise.BreakCard:
        return promise.BreakCard(
            break_id=3,
            team_name=name,
            source=source,
            reported_by="UANN" if source == "team" else None,
            what=note,
            remedy=note,
            remedy_hours=24,
            due_at=NOW,
            owner_id="UBOB",
            status=status,
            closed_at=NOW,
            contact=note,
        )

    return {
        "promise_modal": lambda: promise.promise_modal(1, name, view),
        "promise_posted": lambda: promise.promise_posted(view, changed=True),
        "promise_reply": lambda: promise.promise_reply(
            view, team_name=name, record=record, earlier=[(note, NOW)], link="https://x.example/p/t"
        ),
        "promise_none": lambda: promise.promise_reply(
            None, team_name=name, record=None, earlier=[], link=None
        ),
        "promise_ask": lambda: promise.ask_blocks(promise.PromiseAsk(1, note)),
        "broken_modal": lambda: promise.broken_modal(1, name),
        "report_modal": lambda: promise.report_modal(note, [(1, name), (2, name)], None),
        **{
            f"break_{kind.__name__}_{status}_{source}": (
                lambda kind=kind, status=status, source=source: kind(card(status, source))
            )
            for kind in (
                promise.break_message,
                promise.owner_message,
                promise.reminder_message,
                promise.due_message,
                promise.escalation_message,
                promise.leads_report_message,
            )
            for status in ("open", "delivered", "missed")
            for source in ("team", "customer")
        },
        "page_reply": lambda: promise.page_reply(name, "https://x.example/p/t", enabled=True),
        "promise_home": lambda: promise.home_blocks([view], [card("open")]),
    }


NAMES = sorted(builders("x", "y"))


@pytest.mark.parametrize("builder", NAMES)
@settings(max_examples=25, deadline=None)
@given(name=TEXT, note=TEXT)
def test_hostile_text_reaches_no_builder_unescaped(builder: str, name: str, note: str) -> None:
    built = builders(name, note)[builder]()
    for text in parsed_texts(built):
        assert not LEAKS.search(text), (builder, text)


def test_the_check_can_fail() -> None:
    """The oracle itself: raw hostile text in a mrkdwn block is caught."""
    raw = Reply("<!channel>", [{"type": "section", "text": {"type": "mrkdwn", "text": "x"}}])
    assert any(LEAKS.search(t) for t in parsed_texts(raw))
