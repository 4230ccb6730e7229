"""Weeks end to end through the local Slack: `local` schedules in every zone across daylight
saving, `summary-at` and pauses mid-week, and weeks whose prompts were skipped."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.checkin import ids as checkin_ids
from bot.platform.clock import FakeClock
from localslack import User
from storage.db import transaction
from storage.models import CheckIn, Cycle, Delivery
from tests.checkin.test_weekly import FRIDAY_3PM_LONDON, make_team
from tests.harness import Oneness, running_oneness

MONDAY_9AM_LONDON = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
SYDNEY = User(id="USYD", name="syd", real_name="Syd Ney", tz="Australia/Sydney")
ANGELENO = User(id="ULAX", name="lax", real_name="Lax Angel", tz="America/Los_Angeles")
# Each member and their zone: Ann in London, Bob in New York, Dan in Kolkata (tests/harness).
ZONES = {
    "USYD": "Australia/Sydney",
    "UDAN": "Asia/Kolkata",
    "UANN": "Europe/London",
    "UBOB": "America/New_York",
    "ULAX": "America/Los_Angeles",
}


def channel_posts(o: Oneness) -> list[str]:
    return [m.all_text() for m in o.slack.messages("CTEAM") if m.user == "UBOT"]


def prompts(o: Oneness, user: str) -> int:
    return len([m for m in o.dms(user) if "Weekly check-in" in m.all_text()])


def local_team(o: Oneness, team_zone: str) -> None:
    o.slack.add_user(SYDNEY)
    o.slack.add_user(ANGELENO)
    o.slash("ULEAD", "setup <#CTEAM|team> Rocket")
    o.slash("ULEAD", "add " + " ".join(f"<@{u}>" for u in ZONES), channel="CTEAM")
    o.slash("ULEAD", f"schedule mon 09:00 {team_zone}", channel="CTEAM")
    seen = o.slash("ULEAD", "schedule mon 09:00 local", channel="CTEAM")
    assert "each member's own time zone" in seen


def monday_9am(user: str, monday: date) -> datetime:
    return datetime.combine(monday, time(9), tzinfo=ZoneInfo(ZONES[user])).astimezone(UTC)


@pytest.mark.parametrize(
    ("team_zone", "start", "mondays"),
    [
        # The team in Los Angeles (everyone else is east of it), in the autumn: Sydney
        # starts summer time on 4 Oct 2026, London ends it on 25 Oct, New York and LA on 1 Nov.
        (
            "America/Los_Angeles",
            datetime(2026, 10, 1, tzinfo=UTC),
            [date(2026, 10, 5), date(2026, 10, 26), date(2026, 11, 2)],
        ),
        # A team in London (Sydney and Kolkata east, New York and LA west), in the spring: New
        # York and LA start summer time on 14 Mar 2027, London on 28 Mar, Sydney ends it 4 Apr.
        (
            "Europe/London",
            datetime(2027, 3, 10, tzinfo=UTC),
            [date(2027, 3, 15), date(2027, 3, 29), date(2027, 4, 5)],
        ),
    ],
)
def test_local_schedule_prompts_each_member_at_9_on_their_own_monday(
    db_url: str, team_zone: str, start: datetime, mondays: list[date]
) -> None:
    with running_oneness(db_url, clock=FakeClock(start)) as o:
        local_team(o, team_zone)
        for monday in mondays:
            # In order of the moment: Sydney first (on Sunday, in Los Angeles), LA last.
            for user in sorted(ZONES, key=lambda u: monday_9am(u, monday)):
                due = monday_9am(user, monday)
                before = prompts(o, user)
                assert o.advance_to(due - timedelta(minutes=1)).prompts == 0, (user, due)
                assert o.advance_to(due).prompts == 1, (user, due)
                assert prompts(o, user) == before + 1, (user, due)
        assert {u: prompts(o, u) for u in ZONES} == {u: len(mondays) for u in ZONES}


def test_sydney_answers_its_new_week_by_dm_while_the_old_week_is_open(db_url: str) -> None:
    sydney_monday = datetime(2026, 11, 30, 9, tzinfo=ZoneInfo("Australia/Sydney"))
    with running_oneness(db_url, clock=FakeClock(sydney_monday - timedelta(days=8))) as o:
        local_team(o, "America/Los_Angeles")
        o.advance_to(sydney_monday - timedelta(days=7))  # last week's prompt to Sydney
        o.advance_to(datetime(2026, 11, 23, 9, tzinfo=ZoneInfo("America/Los_Angeles")))
        o.advance_to(sydney_monday)
        assert prompts(o, "USYD") == 2
        o.driver.dm("USYD", "7 fine")
        o.settle()
        with transaction(o.deps.sessions) as session:
            rows = session.execute(
                select(CheckIn.kind, Cycle.week).join(Cycle, Cycle.id == CheckIn.cycle_id)
            ).all()
        assert [tuple(r) for r in rows] == [("weekly", "2026-W49")]
        # The reply is the confirmation; the prompt is left as it was (one post an answer).
        assert "Recorded *7/10* as this week's check-in" in o.dms("USYD")[-1].all_text()


def test_summary_at_changed_mid_week_moves_the_open_week(oneness: Oneness) -> None:
    o = oneness
    make_team(o, "UANN", "UBOB", "UCAT")
    o.advance_to(FRIDAY_3PM_LONDON)
    o.clock.set(FRIDAY_3PM_LONDON + timedelta(hours=20))
    seen = o.slash("ULEAD", "summary-at tue 17:00", channel="CTEAM")
    assert "every Tuesday at 17:00 (Europe/London)" in seen
    assert "This week (2026-W48) now closes Tue 01 Dec at 17:00 (Europe/London)" in seen
    assert o.advance_to(MONDAY_9AM_LONDON).closed == []
    assert not any("Weekly summary" in t for t in channel_posts(o))
    tuesday_5pm = datetime(2026, 12, 1, 17, tzinfo=UTC)
    assert o.advance_to(tuesday_5pm - timedelta(minutes=1)).closed == []
    assert len(o.advance_to(tuesday_5pm).closed) == 1
    assert len([t for t in channel_posts(o) if "Weekly summary" in t]) == 1


def test_summary_at_already_past_closes_the_week_at_the_next_tick(oneness: Oneness) -> None:
    o = oneness
    make_team(o, "UANN", "UBOB", "UCAT")
    o.advance_to(FRIDAY_3PM_LONDON)
    o.clock.set(FRIDAY_3PM_LONDON + timedelta(hours=20))  # Saturday
    seen = o.slash("ULEAD", "summary-at fri 16:00", channel="CTEAM")
    assert "This week (2026-W48) closes now" in seen and "within a minute" in seen
    assert len(o.tick().closed) == 1
    assert len([t for t in channel_posts(o) if "Weekly summary" in t]) == 1
    # Next week runs from Friday's prompt to Friday 16:00.
    assert o.advance_to(FRIDAY_3PM_LONDON + timedelta(days=7)).prompts == 3
    assert len(o.advance_to(datetime(2026, 12, 4, 16, tzinfo=UTC)).closed) == 1


def test_paused_after_the_prompt_is_not_expected(oneness: Oneness) -> None:
    o = oneness
    make_team(o, "UANN", "UBOB", "UCAT")
    o.advance_to(FRIDAY_3PM_LONDON)
    for user, text in {"UANN": "6", "UBOB": "7"}.items():
        o.driver.dm(user, text)
    o.settle()
    o.clock.set(FRIDAY_3PM_LONDON + timedelta(hours=5))
    o.slash("ULEAD", "pause <@UCAT|cat> until 2026-12-24", channel="CTEAM")
    status = o.slash("ULEAD", "status", channel="CTEAM")
    assert "2/2" in status and "Paused: <@UCAT>" in status and "Not yet" not in status
    o.advance_to(MONDAY_9AM_LONDON)
    [summary] = [t for t in channel_posts(o) if "Weekly summary" in t]
    assert "2/2" in summary
    [leads] = [m.all_text() for m in o.dms("ULEAD") if "Leads' summary" in m.all_text()]
    assert "2/2" in leads and "Not answered" not in leads and "<@UCAT>" not in leads


def test_a_pause_does_not_rewrite_earlier_weeks(oneness: Oneness) -> None:
    o = oneness
    make_team(o, "UANN", "UBOB", "UCAT")
    o.advance_to(FRIDAY_3PM_LONDON)
    o.driver.dm("UANN", "6")
    o.settle()
    o.advance_to(MONDAY_9AM_LONDON)  # week 48: 1/3
    o.clock.set(MONDAY_9AM_LONDON + timedelta(hours=1))
    o.slash("ULEAD", "pause <@UCAT|cat> until 2026-12-24", channel="CTEAM")
    seen = o.slash("ULEAD", "summary", channel="CTEAM")
    assert "2026-W48" in seen  # the latest week, posted again after the pause
    summaries = [t for t in channel_posts(o) if "Weekly summary" in t]
    assert len(summaries) == 2 and all("1/3" in t for t in summaries)


def test_a_week_skipped_while_the_bot_was_offline_is_honest_and_recoverable(
    oneness: Oneness,
) -> None:
    o = oneness
    make_team(o, "UANN", "UBOB", "UCAT")
    saturday = FRIDAY_3PM_LONDON + timedelta(days=1, hours=1)  # nothing ran over Friday
    report = o.advance_to(saturday)
    assert report.prompts == 0 and report.skipped == 3
    offline = "No prompts went out this week: the bot was offline at the prompt time."
    lead_status = o.slash("ULEAD", "status", channel="CTEAM")
    assert offline in lead_status and "Not yet" not in lead_status and "0/0" not in lead_status
    assert "`/oneness send` sends the prompts that did not go out" in lead_status
    member_status = o.slash("UBOB", "status")
    assert offline in member_status and "<@U" not in member_status
    o.driver.app_home_opened("ULEAD")
    o.settle()
    home = json.dumps(o.slack.home_view("ULEAD"))
    assert "no prompts went out this week (2026-W48)" in home and "0/0" not in home
    # A DM number from a member who was due answers the week, not a pulse.
    o.driver.dm("UANN", "7")
    o.settle()
    with transaction(o.deps.sessions) as session:
        assert [c.kind for c in session.scalars(select(CheckIn))] == ["weekly"]
    assert any("this week's check-in" in m.all_text() for m in o.dms("UANN"))
    # `send` sends the skipped prompts, except to Ann who answered.
    seen = o.slash("ULEAD", "send", channel="CTEAM")
    assert "Sent 2 prompts (2 of them skipped earlier)" in seen and "1/3 have answered" in seen
    assert prompts(o, "UBOB") == prompts(o, "UCAT") == 1 and prompts(o, "UANN") == 0
    status = o.slash("ULEAD", "status", channel="CTEAM")
    assert "1/3" in status and "No prompts went out" not in status
    assert "Not yet: <@UBOB>, <@UCAT>" in status
    o.driver.click("UBOB", o.prompt("UBOB"), f"{checkin_ids.SCORE_PREFIX}8")
    o.settle()
    with transaction(o.deps.sessions) as session:
        assert len(session.scalars(select(CheckIn)).all()) == 2
    assert o.advance_to(saturday + timedelta(minutes=5)).prompts == 0  # sent once


def test_the_summary_of_a_week_without_prompts_says_why(oneness: Oneness) -> None:
    o = oneness
    make_team(o, "UANN", "UBOB", "UCAT")
    o.advance_to(FRIDAY_3PM_LONDON + timedelta(days=2))  # offline from Friday to Sunday
    o.advance_to(MONDAY_9AM_LONDON)
    [summary] = [t for t in channel_posts(o) if "Weekly summary" in t]
    assert "No prompts went out this week: the bot was offline at the prompt time." in summary
    assert "0/0" not in summary and "Too few answers" not in summary
    [leads] = [m.all_text() for m in o.dms("ULEAD") if "Leads' summary" in m.all_text()]
    assert "No prompts went out this week" in leads and "0/0" not in leads
    assert "Not prompted (3)" in leads and "<@UCAT>" in leads


def test_a_schedule_change_mid_week_is_honest_about_this_week(oneness: Oneness) -> None:
    o = oneness
    make_team(o, "UANN", "UBOB")
    thursday = datetime(2026, 11, 26, 10, tzinfo=UTC)
    o.clock.set(thursday)
    seen = o.slash("ULEAD", "schedule wed 09:00", channel="CTEAM")
    assert "every Wednesday at 09:00" in seen
    assert "2 prompts will not go out by themselves; `/oneness send` sends them now" in seen
    assert o.tick().skipped == 2
    with transaction(o.deps.sessions) as session:
        query = select(Delivery).where(Delivery.kind == "prompt")
        reasons = [d.error for d in session.scalars(query)]
    assert reasons == ["schedule changed", "schedule changed"]
    status = o.slash("ULEAD", "status", channel="CTEAM")
    assert (
        "No prompts went out this week: the schedule changed after this week's prompt time."
        in status
    )
    assert "Sent 2 prompts" in o.slash("ULEAD", "send", channel="CTEAM")
    assert prompts(o, "UANN") == prompts(o, "UBOB") == 1


def test_a_schedule_change_to_a_time_just_past_sends_this_weeks_prompts_now(
    oneness: Oneness,
) -> None:
    o = oneness
    make_team(o, "UANN", "UBOB")
    o.clock.set(datetime(2026, 11, 26, 10, tzinfo=UTC))  # Thursday
    seen = o.slash("ULEAD", "schedule thu 08:00", channel="CTEAM")
    assert "its prompts go out now" in seen
    assert o.tick().prompts == 2
    seen = o.slash("ULEAD", "schedule fri 15:00", channel="CTEAM")
    assert "went out already; the new time applies from next week" in seen
    assert o.advance_to(FRIDAY_3PM_LONDON).prompts == 0
