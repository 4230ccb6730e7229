"""A 429 inside stored work defers that job (not-before = Retry-After) instead of holding a
worker thread: other people's work runs meanwhile, and the deferred job runs after it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select

from bot.platform.work import Drainer
from localslack import RateLimit
from storage.db import transaction
from storage.models import Job
from tests.checkin.test_weekly import make_team
from tests.harness import Oneness, running_oneness

WAIT = 15.0


@pytest.fixture
def queued(db_url: str) -> Iterator[Oneness]:
    """The app storing its work; the test runs it with a drainer of its own."""
    with running_oneness(db_url, work_mode="queue") as running:
        yield running


def run_waiting(o: Oneness) -> None:
    while o.deps.work.run_claimed(10):
        o.settle()


def publishes(o: Oneness, user: str) -> list[tuple[int, float]]:
    """(HTTP status, time) of every views.publish for `user`, in order."""
    return [
        (c.status, c.at)
        for c in o.slack.calls_to("views.publish")
        if c.params.get("user_id") == user
    ]


def deferred_jobs(o: Oneness) -> list[tuple[str, str | None, bool]]:
    with transaction(o.deps.sessions) as session:
        rows = session.scalars(select(Job).order_by(Job.id))
        return [(j.name, j.user_id, j.not_before is not None) for j in rows]


def test_a_rate_limited_job_waits_in_the_table_while_another_persons_work_runs(
    queued: Oneness,
) -> None:
    o = queued
    make_team(o, "UANN", "UBOB")
    run_waiting(o)
    # views.publish: one call every 2 s. The lead's Home takes the only token.
    o.slack.set_rate_limit("views.publish", RateLimit(per_second=0.5, burst=1))
    o.driver.app_home_opened("ULEAD")
    run_waiting(o)
    assert [status for status, _ in publishes(o, "ULEAD")] == [200]

    # One worker thread: had it slept out the 429, Bob's command would wait behind it.
    drainer = Drainer(o.deps.work, o.deps.executor, slots=1).start(interval=0.05)
    try:
        o.driver.app_home_opened("UANN")
        o.slack.wait_for(lambda: [s for s, _ in publishes(o, "UANN")] == [429], timeout=WAIT)
        o.slack.wait_for(lambda: deferred_jobs(o) == [("home_opened", "UANN", True)], timeout=WAIT)

        before = len(o.slack.ephemerals("UBOB"))
        assert o.driver.slash("UBOB", "me", channel="CTEAM").status == 200
        o.slack.wait_for(lambda: len(o.slack.ephemerals("UBOB")) > before, timeout=WAIT)
        # Bob was answered while Ann's Home still waited for Slack's Retry-After (his job's row
        # goes a moment after his answer).
        o.slack.wait_for(lambda: deferred_jobs(o) == [("home_opened", "UANN", True)], timeout=WAIT)
        assert [s for s, _ in publishes(o, "UANN")] == [429]

        o.slack.wait_for(lambda: len(publishes(o, "UANN")) == 2, timeout=WAIT)
        o.slack.wait_for(lambda: deferred_jobs(o) == [], timeout=WAIT)
    finally:
        drainer.stop()
    o.settle()
    (refused, refused_at), (published, published_at) = publishes(o, "UANN")
    assert (refused, published) == (429, 200)
    assert published_at - refused_at >= 1.0  # Retry-After is at least a second


def test_in_one_process_the_deferred_job_runs_again_by_itself(oneness: Oneness) -> None:
    """Without work processes (`oneness run`), the process wakes for the job at its time."""
    o = oneness
    make_team(o, "UANN")
    o.slack.set_rate_limit("views.publish", RateLimit(per_second=0.5, burst=1))
    o.driver.app_home_opened("ULEAD")
    o.slack.wait_for(lambda: [s for s, _ in publishes(o, "ULEAD")] == [200], timeout=WAIT)
    o.driver.app_home_opened("UANN")
    o.slack.wait_for(lambda: [s for s, _ in publishes(o, "UANN")] == [429, 200], timeout=WAIT)
    o.slack.wait_for(lambda: deferred_jobs(o) == [], timeout=WAIT)
