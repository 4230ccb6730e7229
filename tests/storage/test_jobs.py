"""The job table's claims: oldest first, each job to one claimer, crashed work given up on."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from sqlalchemy import update

from storage import jobs
from storage.db import make_engine
from storage.models import Job

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
LEASE = timedelta(minutes=5)


def test_claims_are_oldest_first_and_leased(db_url: str) -> None:
    engine = make_engine(db_url)
    ids = [jobs.add(engine, "w", f"{i}", user_id="U1", now=NOW) for i in range(5)]
    first = jobs.claim(engine, now=NOW, lease=LEASE, limit=3)
    assert [j.id for j in first] == ids[:3] and {j.attempts for j in first} == {1}
    assert [j.id for j in jobs.claim(engine, now=NOW, lease=LEASE, limit=10)] == ids[3:]
    assert jobs.claim(engine, now=NOW + LEASE / 2, lease=LEASE, limit=10) == []
    assert jobs.backlog(engine, now=NOW) == jobs.Backlog(waiting=0, running=5, dead=0)
    jobs.finish(engine, ids[0])
    lapsed = jobs.claim(engine, now=NOW + 2 * LEASE, lease=LEASE, limit=10)
    assert [(j.id, j.attempts) for j in lapsed] == [(i, 2) for i in ids[1:]]
    engine.dispose()


def test_a_job_that_never_finishes_is_given_up_after_three_attempts(db_url: str) -> None:
    engine = make_engine(db_url)
    jobs.add(engine, "w", "{}", user_id=None, now=NOW)
    when = NOW
    for attempt in range(1, jobs.MAX_ATTEMPTS + 1):
        assert [j.attempts for j in jobs.claim(engine, now=when, lease=LEASE, limit=1)] == [attempt]
        when += 2 * LEASE
    assert jobs.claim(engine, now=when, lease=LEASE, limit=1) == []
    assert jobs.backlog(engine, now=when) == jobs.Backlog(waiting=0, running=0, dead=1)
    engine.dispose()


def test_concurrent_claimers_never_share_a_job(db_url: str) -> None:
    engine = make_engine(db_url)
    total = 300
    for i in range(total):
        jobs.add(engine, "w", str(i), user_id=None, now=NOW)
    taken: list[int] = []
    lock = threading.Lock()

    def claimer() -> None:
        while batch := jobs.claim(engine, now=NOW, lease=LEASE, limit=7):
            with lock:
                taken.extend(j.id for j in batch)

    threads = [threading.Thread(target=claimer) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert len(taken) == total and len(set(taken)) == total
    with engine.begin() as conn:
        assert conn.execute(update(Job).values(attempts=Job.attempts)).rowcount == total
    engine.dispose()
