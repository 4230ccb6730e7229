"""The job table's claims: oldest first, each job to one claimer, crashed work given up on,
one person's jobs one at a time in arrival order."""

from __future__ import annotations

import threading
from collections import defaultdict
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, update

from storage import jobs
from storage.db import make_engine
from storage.models import Job

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
LEASE = timedelta(minutes=5)


def test_claims_are_oldest_first_and_leased(db_url: str) -> None:
    engine = make_engine(db_url)
    ids = [jobs.add(engine, "w", f"{i}", user_id=f"U{i}", now=NOW) for i in range(5)]
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


def claimed_ids(engine: Engine, *, now: datetime = NOW, user_id: str | None = None) -> list[int]:
    """Ids of the jobs a claim of up to 10 takes."""
    claimed = jobs.claim(engine, now=now, lease=LEASE, limit=10, user_id=user_id)
    return [j.id for j in claimed]


def test_one_persons_jobs_are_claimed_one_at_a_time_in_arrival_order(db_url: str) -> None:
    engine = make_engine(db_url)
    ann1, ann2, bob1, ann3, anyone = (
        jobs.add(engine, "w", "{}", user_id=user, now=NOW)
        for user in ("UANN", "UANN", "UBOB", "UANN", None)
    )
    # Ann's first, Bob's first and the job without a person; Ann's later ones wait.
    assert claimed_ids(engine) == [ann1, bob1, anyone]
    assert claimed_ids(engine) == [] and claimed_ids(engine, user_id="UANN") == []
    jobs.finish(engine, ann1)
    assert claimed_ids(engine, user_id="UBOB") == []  # Bob's next is not Ann's
    assert claimed_ids(engine, user_id="UANN") == [ann2]
    assert claimed_ids(engine) == []  # ann3 waits while ann2 runs
    jobs.finish(engine, ann2)
    assert claimed_ids(engine) == [ann3]
    engine.dispose()


def test_an_earlier_job_waits_while_a_later_one_of_that_person_runs(db_url: str) -> None:
    """Two serving processes may commit one person's jobs out of id order, so the later one can
    be claimed first; the earlier one then waits for it rather than running beside it."""
    engine = make_engine(db_url)
    first, second = (jobs.add(engine, "w", "{}", user_id="UANN", now=NOW) for _ in range(2))
    with engine.begin() as conn:
        conn.execute(
            update(Job).where(Job.id == second).values(claimed_until=NOW + LEASE, attempts=1)
        )
    assert claimed_ids(engine) == []
    jobs.finish(engine, second)
    assert claimed_ids(engine) == [first]
    engine.dispose()


def test_a_dead_job_holds_its_person_back_only_while_it_runs(db_url: str) -> None:
    engine = make_engine(db_url)
    stuck = jobs.add(engine, "w", "{}", user_id="UANN", now=NOW)
    after = jobs.add(engine, "w", "{}", user_id="UANN", now=NOW)
    when = NOW
    for _attempt in range(jobs.MAX_ATTEMPTS):
        # Claimed, then its process dies each time; Ann's next job waits all along.
        assert claimed_ids(engine, now=when) == [stuck]
        assert claimed_ids(engine, now=when + LEASE / 2) == []
        when += 2 * LEASE
    assert claimed_ids(engine, now=when) == [after]  # given up on: Ann's work goes on
    assert jobs.backlog(engine, now=when) == jobs.Backlog(waiting=0, running=1, dead=1)
    engine.dispose()


def test_concurrent_claimers_run_each_persons_jobs_one_at_a_time_in_order(db_url: str) -> None:
    engine = make_engine(db_url)
    people = [f"U{p}" for p in range(4)]
    added: dict[str, list[int]] = defaultdict(list)
    for _ in range(30):
        for person in people:
            added[person].append(jobs.add(engine, "w", "{}", user_id=person, now=NOW))
    running: set[str] = set()
    ran: dict[str, list[int]] = defaultdict(list)
    overlaps: list[str] = []
    lock = threading.Lock()

    def claimer() -> None:
        while batch := jobs.claim(engine, now=NOW, lease=LEASE, limit=3):
            with lock:
                for job in batch:
                    assert job.user_id is not None
                    if job.user_id in running:
                        overlaps.append(job.user_id)
                    running.add(job.user_id)
                    ran[job.user_id].append(job.id)
            for job in batch:
                # The person is left before the job is finished: their next is claimable after.
                with lock:
                    running.discard(str(job.user_id))
                jobs.finish(engine, job.id)

    threads = [threading.Thread(target=claimer) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert overlaps == []
    assert ran == added
    engine.dispose()
