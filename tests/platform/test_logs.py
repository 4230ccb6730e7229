"""Logs hold ids, never personal data, at every level: no request body, note, score, name,
token or signing secret, even at DEBUG and when a request is refused; a NUL byte in a note is
stripped before it is stored rather than failing with the statement in the log."""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Iterator

import pytest
from sqlalchemy import select

from bot.checkin import ids as checkin_ids
from bot.platform.logs import headline
from localslack import field_values
from storage.db import transaction
from storage.models import CheckIn, Team
from tests.checkin.test_weekly import FRIDAY_3PM_LONDON
from tests.harness import SECRET, Oneness, running_oneness

LATE_NOTE = "my manager keeps shouting at standup"
NUL_NOTE = "rough\x00week with the migration"
MODAL_NOTE = "waiting on laptop access for weeks"
CHANNEL_TEXT = "lunch plans for the offsite"
SCORE_PHRASE = re.compile(r"\b\d{1,2}/10\b")
NAMES = ("Ann Archer", "Lee Lead", "Bob Baker")


@pytest.fixture
def logged(db_url: str, caplog: pytest.LogCaptureFixture) -> Iterator[Oneness]:
    """The app with every logger at DEBUG, captured from before it starts."""
    caplog.set_level(logging.DEBUG)
    with running_oneness(db_url) as running:
        yield running


def signed_dm(o: Oneness, text: str, *, age_seconds: int = 0) -> tuple[bytes, dict[str, str]]:
    """A DM event from Ann, signed as Slack would `age_seconds` ago."""
    event = {
        "type": "message",
        "channel_type": "im",
        "user": "UANN",
        "channel": o.slack.dm_id("UANN"),
        "text": text,
        "ts": "1764000000.000100",
    }
    body = json.dumps({"type": "event_callback", "event_id": "EvLATE", "event": event}).encode()
    headers = o.driver.sign(body, timestamp=int(time.time()) - age_seconds)
    return body, {"Content-Type": "application/json", **headers}


def test_nothing_personal_reaches_the_log_at_debug(
    logged: Oneness, caplog: pytest.LogCaptureFixture
) -> None:
    o = logged
    o.slash("ULEAD", "setup <#CTEAM|team> Rocket")
    o.slash("ULEAD", "add <@UANN> <@UBOB>", channel="CTEAM")
    o.slash("ULEAD", "schedule fri 15:00 Europe/London", channel="CTEAM")
    o.advance_to(FRIDAY_3PM_LONDON)

    # Signed six minutes ago: Bolt refuses it (and used to log its body, the note, at INFO).
    assert o.driver.raw(*signed_dm(o, f"3 {LATE_NOTE}", age_seconds=6 * 60)).status == 401
    # A note with a NUL byte, which PostgreSQL refuses to store as it is.
    assert o.driver.dm("UANN", f"6 {NUL_NOTE}").status == 200
    o.driver.click("UBOB", o.prompt("UBOB"), checkin_ids.CHECKIN_DETAILS)
    o.settle()
    values = {
        checkin_ids.CI_SCORE: "2",
        checkin_ids.CI_NOTE: MODAL_NOTE,
        checkin_ids.CI_HELP: "tools",
        checkin_ids.CI_VISIBILITY: "team",
    }
    view = o.slack.open_views("UBOB")[-1]
    assert o.driver.submit_view("UBOB", view, field_values(view, **values)).status == 200
    o.driver.event(  # a message in the team channel, which the bot has no listener for
        {"type": "message", "channel": "CTEAM", "user": "UANN", "text": CHANNEL_TEXT, "ts": "1.2"}
    )
    o.settle()
    seen = o.slash("UANN", "me") + o.slash("ULEAD", "status", channel="CTEAM")
    seen += o.slash("ULEAD", "trend <@UANN>", channel="CTEAM")
    o.settle()

    with transaction(o.deps.sessions) as session:
        notes = {c.user_id: (c.score, c.note) for c in session.scalars(select(CheckIn))}
        assert session.scalar(select(Team.name)) == "Rocket"
    assert notes == {"UANN": (6, "roughweek with the migration"), "UBOB": (2, MODAL_NOTE)}
    assert "6/10" in seen  # the commands did show scores: the log must not
    log = caplog.text
    assert "DEBUG" in log and "Invalid request signature detected" in log
    for private in (LATE_NOTE, "roughweek", "rough\x00week", MODAL_NOTE, CHANNEL_TEXT, *NAMES):
        assert private not in log
    assert SCORE_PHRASE.findall(log) == []
    for secret in ("xoxb-", "xapp-", SECRET, o.slack.bot_token):
        assert secret not in log


def test_headlines_keep_the_words_before_the_details() -> None:
    assert headline("Applying middleware RequestVerification") == (
        "Applying middleware RequestVerification"
    )
    assert headline("Invalid request signature detected (signature: v0=1, body: {})") == (
        "Invalid request signature detected [details withheld]"
    )
    assert headline("Sending a request - url: https://x, body_params: {'text': 'hi'}") == (
        "Sending a request [details withheld]"
    )
    assert headline("Row (1, 'UANN', 'a note')") == "Row [details withheld]"
