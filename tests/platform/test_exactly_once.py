"""Exactly once when Slack acts and then fails: no blind retries of posts or file shares.

The local Slack's "processed, then failed" faults store the message (or share the file) and
then answer HTTP 500 `fatal_error` or drop the connection. A client that retried the call
would post twice; the bot leaves it to the next attempt, which looks for what was posted.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.request import HttpRequest
from sqlalchemy import select

from bot.platform.slack import api_method, make_client, may_repeat
from localslack import Faults
from localslack.ratelimit import AFTER_KINDS
from storage.db import transaction
from storage.models import CheckIn, Cycle, Delivery
from tests.checkin.test_weekly import FRIDAY_3PM_LONDON, make_team
from tests.harness import Oneness
from tests.summary.test_summary_and_export import MONDAY_9AM


def key_of(message: object) -> str:
    metadata = getattr(message, "metadata", None) or {}
    return str((metadata.get("event_payload") or {}).get("key", ""))


def stored(o: Oneness) -> list[CheckIn]:
    with transaction(o.deps.sessions) as session:
        return list(session.scalars(select(CheckIn)))


def request(url: str) -> HttpRequest:
    return HttpRequest(method="POST", url=url, headers={})


def test_posts_and_shares_are_not_repeated_but_reads_and_edits_are() -> None:
    assert api_method("https://slack.com/api/chat.postMessage") == "chat.postMessage"
    assert api_method("http://127.0.0.1:9/api/files.completeUploadExternal?x=1") == (
        "files.completeUploadExternal"
    )
    for method in ("chat.postMessage", "chat.postEphemeral", "files.completeUploadExternal"):
        assert not may_repeat(request(f"https://slack.com/api/{method}"))
    for method in ("chat.update", "conversations.history", "views.publish", "users.info"):
        assert may_repeat(request(f"https://slack.com/api/{method}"))


def test_the_client_sends_a_post_once_but_retries_an_update(oneness: Oneness) -> None:
    """Against the local Slack: a 500 after posting is the caller's to handle; an update that
    failed the same way is simply sent again (editing twice is harmless)."""
    o = oneness
    client = make_client(o.slack.bot_token, o.slack.api_url)
    o.slack.faults = Faults(ratio=1.0, kinds=("processed_500",), methods={"chat.postMessage"})
    with pytest.raises(SlackApiError):
        client.chat_postMessage(channel="CTEAM", text="once")
    o.slack.faults = None
    assert [m.text for m in o.slack.messages("CTEAM")].count("once") == 1
    assert len(o.slack.calls_to("chat.postMessage")) == 1
    posted = client.chat_postMessage(channel="CTEAM", text="to edit")
    o.slack.faults = Faults(ratio=0.5, kinds=("500",), methods={"chat.update"}, seed=3)
    for n in range(4):
        client.chat_update(channel="CTEAM", ts=posted["ts"], text=f"edited {n}")
    o.slack.faults = None
    assert any(not c.ok for c in o.slack.calls_to("chat.update")), "no fault fired"


@pytest.mark.parametrize("kind", AFTER_KINDS)
def test_a_nudge_in_the_channel_is_posted_once(oneness: Oneness, kind: str) -> None:
    o = oneness
    make_team(o, "UANN", "UBOB")
    o.advance_to(FRIDAY_3PM_LONDON)
    o.slack.faults = Faults(ratio=1.0, kinds=(kind,), methods={"chat.postMessage"})
    o.driver.dm("UANN", "2 everything is on fire")
    o.settle()
    o.slack.faults = None
    o.tick()  # the next tick finds the nudge already in the channel and records it
    o.tick()
    nudges = [m for m in o.slack.messages("CTEAM") if key_of(m).startswith("rally:")]
    assert len(nudges) == 1
    with transaction(o.deps.sessions) as session:
        row = session.scalar(select(Delivery).where(Delivery.key.startswith("rally:")))
        assert row is not None and row.status == "sent" and row.message_ts == nudges[0].ts
    told = [m for m in o.dms("UANN") if key_of(m).startswith("rally:") and ":told:" in key_of(m)]
    assert len(told) == 1
    # The answer was stored: nobody is asked to send it again.
    assert not [m for m in o.dms("UANN") if "try again" in m.all_text()]
    assert [(c.user_id, c.score) for c in stored(o)] == [("UANN", 2)]


@pytest.mark.parametrize("kind", AFTER_KINDS)
def test_the_chart_is_shared_once(oneness: Oneness, kind: str) -> None:
    o = oneness
    make_team(o, "UANN", "UBOB", "UCAT")
    o.advance_to(FRIDAY_3PM_LONDON)
    for user, text in {"UANN": "6", "UBOB": "7", "UCAT": "8"}.items():
        o.driver.dm(user, text)
    o.settle()
    o.slack.faults = Faults(ratio=1.0, kinds=(kind,), methods={"files.completeUploadExternal"})
    o.advance_to(MONDAY_9AM)  # the summary is posted; sharing the chart fails
    o.slack.faults = None
    o.advance_to(MONDAY_9AM + timedelta(minutes=1))
    [chart] = o.slack.files
    assert chart.channels == ["CTEAM"]
    with transaction(o.deps.sessions) as session:
        cycle = session.scalar(select(Cycle))
        assert cycle is not None and cycle.closed_at is not None
        assert cycle.chart_file_id == chart.id
    summaries = [m for m in o.slack.messages("CTEAM") if "Weekly summary" in m.all_text()]
    assert len(summaries) == 1
