"""Requests that Slack did not sign are refused with 401 and change nothing."""

from __future__ import annotations

import time
from urllib.parse import urlencode

from sqlalchemy import func, select

from storage.db import transaction
from storage.models import Team
from tests.harness import Oneness


def _setup_body() -> bytes:
    return urlencode(
        {
            "command": "/oneness",
            "text": "setup <#CTEAM|team> Forged",
            "user_id": "ULEAD",
            "channel_id": "CTEAM",
            "team_id": "T0LOCAL",
            "response_url": "http://127.0.0.1:1/x",
            "trigger_id": "1.2.3",
        }
    ).encode()


def _teams(oneness: Oneness) -> int:
    with transaction(oneness.deps.sessions) as session:
        return session.scalar(select(func.count()).select_from(Team)) or 0


def test_forged_signature_is_401(oneness: Oneness) -> None:
    body = _setup_body()
    headers = oneness.driver.sign(body)
    headers["X-Slack-Signature"] = "v0=" + "0" * 64
    headers["Content-Type"] = "application/x-www-form-urlencoded"
    assert oneness.driver.raw(body, headers).status == 401
    oneness.settle()
    assert _teams(oneness) == 0


def test_stale_signature_is_401(oneness: Oneness) -> None:
    body = _setup_body()
    headers = oneness.driver.sign(body, timestamp=int(time.time()) - 6 * 60)
    headers["Content-Type"] = "application/x-www-form-urlencoded"
    assert oneness.driver.raw(body, headers).status == 401
    oneness.settle()
    assert _teams(oneness) == 0


def test_missing_signature_is_401(oneness: Oneness) -> None:
    reply = oneness.driver.raw(_setup_body(), {"Content-Type": "application/x-www-form-urlencoded"})
    assert reply.status == 401


def test_properly_signed_request_works(oneness: Oneness) -> None:
    body = _setup_body()
    headers = oneness.driver.sign(body)
    headers["Content-Type"] = "application/x-www-form-urlencoded"
    assert oneness.driver.raw(body, headers).status == 200
    oneness.settle()
    assert _teams(oneness) == 1


def test_a_request_from_outside_cannot_ask_to_run_only_the_work(oneness: Oneness) -> None:
    """Bolt reads `x-slack-bolt-lazy-only` as "skip the ack, run this lazy function": only the
    job runner may say so. From outside the headers are dropped and the request is answered
    as any other (here `/oneness help`, answered in the ack itself)."""
    body = urlencode(
        {
            "command": "/oneness",
            "text": "help",
            "user_id": "ULEAD",
            "channel_id": "CTEAM",
            "team_id": "T0LOCAL",
            "response_url": "http://127.0.0.1:1/x",
            "trigger_id": "1.2.3",
        }
    ).encode()
    headers = oneness.driver.sign(body)
    headers["Content-Type"] = "application/x-www-form-urlencoded"
    headers["X-Slack-Bolt-Lazy-Only"] = "1"
    headers["X-Slack-Bolt-Lazy-Function-Name"] = "run_oneness"
    reply = oneness.driver.raw(body, headers)
    assert reply.status == 200
    assert "/oneness checkin" in reply.ephemeral_text
