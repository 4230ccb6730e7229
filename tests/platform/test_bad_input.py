"""Bad input of every kind: no 5xx, a clear message where someone can be told, nothing stored."""

from __future__ import annotations

import json
import time
from typing import Any
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.checkin import ids as checkin_ids
from bot.rally import ids as rally_ids
from bot.teams import ids as teams_ids
from storage.db import transaction
from storage.models import Base
from tests.harness import Oneness

FUZZ = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
ODD = st.one_of(
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=60),
    # Slack sends UTF-8: lone surrogates cannot be encoded, so they never arrive.
    st.text(alphabet=st.characters(min_codepoint=0x80, blacklist_categories=("Cs",)), max_size=40),
    st.sampled_from(
        [
            "<!channel>",
            "'; DROP TABLE checkins; --",
            "\u202e\u0000",
            "A" * 10_000,
            "<@U123|x> <#C1|y>",
            "%s%s%s",
            "{{7*7}}",
            "..",
            "\n\n",
            "team:",
        ]
    ),
)
JSONISH = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=20)),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=8,
)
IGNORED_TABLES = {"processed_requests"}


def stored(o: Oneness) -> list[tuple[str, tuple[object, ...]]]:
    with transaction(o.deps.sessions) as session:
        return [
            (t.name, tuple(r))
            for t in Base.metadata.sorted_tables
            if t.name not in IGNORED_TABLES
            for r in session.execute(t.select())
        ]


@pytest.fixture
def team(oneness: Oneness) -> Oneness:
    oneness.slash("ULEAD", "setup <#CTEAM|team> Rocket")
    oneness.slash("ULEAD", "add <@UANN>", channel="CTEAM")
    return oneness


def post(o: Oneness, body: bytes, content_type: str) -> int:
    headers = o.driver.sign(body)
    headers["Content-Type"] = content_type
    return o.driver.raw(body, headers).status


def interactive(o: Oneness, payload: Any) -> int:
    body = urlencode({"payload": json.dumps(payload)}).encode()
    return post(o, body, "application/x-www-form-urlencoded")


@FUZZ
@given(text=ODD)
def test_slash_command_text(team: Oneness, text: str) -> None:
    if text.strip().lower().startswith(("setup", "forget")):
        return
    before = stored(team)
    reply = team.driver.slash("UANN", text, channel="CTEAM")
    assert reply.status == 200
    team.settle()
    assert stored(team) == before


@FUZZ
@given(text=ODD)
def test_dm_text_that_is_not_a_score(team: Oneness, text: str) -> None:
    if text.lstrip()[:1].isdigit():
        return
    before = stored(team)
    sent = len(team.slack.dms("UANN"))
    assert team.driver.dm("UANN", text).status == 200
    team.settle()
    assert stored(team) == before
    replies = [m for m in team.slack.dms("UANN")[sent:] if m.user != "UANN"]
    assert replies and "reply with a number from 1 to 10" in replies[-1].all_text()


@FUZZ
@given(
    value=JSONISH,
    action_id=st.sampled_from(
        [
            f"{checkin_ids.SCORE_PREFIX}7",
            checkin_ids.CHECKIN_DETAILS,
            checkin_ids.CHECKIN_EDIT,
            rally_ids.RALLY_OFFER,
            rally_ids.RALLY_OWN,
            rally_ids.RALLY_RESOLVE,
            rally_ids.RALLY_ACCEPT,
            rally_ids.RALLY_STILL,
            "forget_confirm",
        ]
    ),
    drop=st.sampled_from(["", "user", "actions", "container", "trigger_id"]),
)
def test_block_actions_with_missing_or_wrong_fields(
    team: Oneness, value: Any, action_id: str, drop: str
) -> None:
    payload: dict[str, Any] = {
        "type": "block_actions",
        "user": {"id": "UANN"},
        "team": {"id": "T0LOCAL"},
        "api_app_id": "A1",
        "trigger_id": "1.2",
        "container": {"type": "message"},
        "actions": [
            {
                "action_id": action_id,
                "block_id": "b",
                "type": "button",
                "value": value,
                "action_ts": str(time.time()),
            }
        ],
    }
    if action_id == "forget_confirm":
        payload["user"] = {"id": "UBOB"}  # a stranger forgetting themselves changes nothing here
    payload.pop(drop, None)
    before = stored(team)
    assert interactive(team, payload) < 500
    team.settle()
    assert stored(team) == before


@FUZZ
@given(
    state=JSONISH,
    metadata=st.one_of(st.text(max_size=30), st.just('{"team": 1}')),
    callback=st.sampled_from([checkin_ids.CHECKIN_VIEW, teams_ids.SETUP_VIEW, "unknown"]),
)
def test_view_submissions_with_wrong_shapes(
    team: Oneness, state: Any, metadata: str, callback: str
) -> None:
    payload = {
        "type": "view_submission",
        "user": {"id": "UANN"},
        "team": {"id": "T0LOCAL"},
        "api_app_id": "A1",
        "trigger_id": "1.2",
        "view": {
            "id": "V1",
            "callback_id": callback,
            "private_metadata": metadata,
            "state": {"values": state},
            "hash": "h",
        },
    }
    before = stored(team)
    status = interactive(team, payload)
    assert status < 500
    team.settle()
    assert stored(team) == before


@FUZZ
@given(event=JSONISH)
def test_events_with_wrong_shapes(team: Oneness, event: Any) -> None:
    body = json.dumps(
        {
            "type": "event_callback",
            "event_id": f"Ev{time.time_ns()}",
            "team_id": "T0LOCAL",
            "api_app_id": "A1",
            "event": event,
        }
    ).encode()
    before = stored(team)
    assert post(team, body, "application/json") < 500
    team.settle()
    assert stored(team) == before


def test_garbage_bodies_are_refused_without_5xx(team: Oneness) -> None:
    for body, kind in [
        (b"{not json", "application/json"),
        (b"payload=%7Bbroken", "application/x-www-form-urlencoded"),
    ]:
        assert post(team, body, kind) < 500
    not_utf8 = team.driver.raw(b"\xff\xfe\x00", {"Content-Type": "text/plain"})
    assert 400 <= not_utf8.status < 500
