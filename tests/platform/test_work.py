"""Work after the ack is stored as a job: it survives until a worker runs it, and modals are
never queued behind it."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator

import pytest
from sqlalchemy import select

from bot.checkin import ids as checkin_ids
from bot.platform.work import LEASE, wall_clock
from storage import jobs
from storage.db import transaction
from storage.models import Job
from tests.checkin.test_weekly import FRIDAY_3PM_LONDON, checkins, make_team
from tests.harness import Oneness, running_oneness


@pytest.fixture
def queued(db_url: str) -> Iterator[Oneness]:
    """The app storing its work without running it, as beside `oneness work` processes."""
    with running_oneness(db_url, work_mode="queue") as running:
        yield running


def waiting(o: Oneness) -> list[tuple[str, str | None]]:
    with transaction(o.deps.sessions) as session:
        return [(j.name, j.user_id) for j in session.scalars(select(Job).order_by(Job.id))]


def health(o: Oneness) -> dict[str, object]:
    """GET /healthz over HTTP."""
    url = f"http://127.0.0.1:{o.server.port}/healthz"
    with urllib.request.urlopen(url, timeout=5) as reply:
        assert reply.status == 200
        answer: dict[str, object] = json.loads(reply.read())
        return answer


def run_waiting(o: Oneness) -> int:
    """What a work process does: claim and run every waiting job; how many ran."""
    ran = 0
    while started := o.deps.work.run_claimed(10):
        ran += started
        o.settle()
    return ran


def bot_texts(o: Oneness, user: str) -> list[str]:
    return [m.all_text() for m in o.dms(user)]


def prompted_team(o: Oneness) -> None:
    """A team with UANN, set up one command (and one job) at a time; this week's prompt out."""
    for command in ("setup <#CTEAM|team> Rocket", "add <@UANN>", "schedule fri 15:00 UTC"):
        o.driver.slash("ULEAD", command, channel="CTEAM")
        assert run_waiting(o) == 1
    o.advance_to(FRIDAY_3PM_LONDON)


def test_an_answer_waits_as_a_job_until_a_worker_runs_it(queued: Oneness) -> None:
    o = queued
    prompted_team(o)
    assert o.driver.dm("UANN", "7 steady week").status == 200
    o.settle()
    assert checkins(o) == [] and not any("Recorded" in t for t in bot_texts(o, "UANN"))
    assert waiting(o) == [("dm_received", "UANN")]
    assert health(o) == {"ok": True, "jobs": {"waiting": 1, "running": 0, "dead": 0}}

    assert run_waiting(o) == 1
    assert [(c.user_id, c.score, c.note) for c in checkins(o)] == [("UANN", 7, "steady week")]
    assert any("Recorded 7/10" in t for t in bot_texts(o, "UANN"))
    assert waiting(o) == []
    assert health(o)["jobs"] == {"waiting": 0, "running": 0, "dead": 0}


def test_modals_open_at_once_while_other_work_waits(queued: Oneness) -> None:
    o = queued
    prompted_team(o)
    o.driver.dm("UANN", "5")
    o.settle()
    assert waiting(o) == [("dm_received", "UANN")]

    o.driver.click("UANN", o.prompt("UANN"), checkin_ids.CHECKIN_DETAILS)
    o.driver.slash("UANN", "checkin", channel="CTEAM")
    o.settle()
    opened = [c for c in o.slack.calls_to("views.open") if c.ok]
    assert len(opened) == 2  # both trigger ids used at once
    assert waiting(o) == [("dm_received", "UANN")]  # neither was queued


def dm_event(o: Oneness, user: str, text: str, event_id: str) -> dict[str, object]:
    """The body Slack sends for a DM to the bot."""
    return {
        "type": "event_callback",
        "event_id": event_id,
        "event": {
            "type": "message",
            "channel_type": "im",
            "user": user,
            "channel": o.prompt(user).channel,
            "text": text,
            "ts": "1764000000.000100",
        },
    }


def test_a_job_a_crashed_process_held_runs_once_its_lease_lapses(oneness: Oneness) -> None:
    o = oneness
    make_team(o, "UANN", "UBOB")
    o.advance_to(FRIDAY_3PM_LONDON)
    now = wall_clock()
    # Claimed by a process that died 10 minutes ago, and by one still running it.
    for user, score, claimed_at in (("UANN", 4, now - 2 * LEASE), ("UBOB", 9, now)):
        body = json.dumps(dm_event(o, user, str(score), f"Ev{user}"))
        jobs.add(o.deps.engine, "dm_received", body, user_id=user, now=claimed_at, lease=LEASE)

    assert o.deps.work.run_claimed(10) == 1
    o.settle()
    assert [(c.user_id, c.score) for c in checkins(o)] == [("UANN", 4)]
    assert any("Recorded 4/10" in t for t in bot_texts(o, "UANN"))
    assert waiting(o) == [("dm_received", "UBOB")]  # its lease is live: left to its holder
    assert o.deps.work.run_claimed(10) == 0
