"""The job table: add, claim under a lease, finish.

Each call is its own short transaction on a pooled connection, because `add` runs inside the
request that acknowledges Slack and must cost as little as possible there.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine, delete, func, insert, or_, select, update

from storage.models import Job

# A job that was claimed this many times without finishing crashed its process each time; it is
# left in the table (and counted as dead) rather than tried forever.
MAX_ATTEMPTS = 3


@dataclass(frozen=True)
class ClaimedJob:
    """A job this process holds the lease on."""

    id: int
    name: str
    body: str
    attempts: int


def add(
    engine: Engine,
    name: str,
    body: str,
    *,
    user_id: str | None,
    now: datetime,
    lease: timedelta | None = None,
) -> int:
    """Store a job; with `lease`, it is already claimed by the caller (who runs it at once)."""
    values = {
        "name": name,
        "body": body,
        "user_id": user_id,
        "created_at": now,
        "attempts": 1 if lease else 0,
        "claimed_until": now + lease if lease else None,
    }
    with engine.begin() as conn:
        result = conn.execute(insert(Job).values(**values).returning(Job.id))
        return int(result.scalar_one())


def claim(engine: Engine, *, now: datetime, lease: timedelta, limit: int) -> list[ClaimedJob]:
    """Take up to `limit` jobs nobody holds (oldest first) under a lease until now + lease.

    On PostgreSQL, rows another replica is claiming at the same moment are skipped, not waited
    for; SQLite serializes writers, so the UPDATE is atomic there as it stands.
    """
    ready = (
        select(Job.id)
        .where(
            or_(Job.claimed_until.is_(None), Job.claimed_until < now),
            Job.attempts < MAX_ATTEMPTS,
        )
        .order_by(Job.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    with engine.begin() as conn:
        rows = conn.execute(
            update(Job)
            .where(Job.id.in_(ready.scalar_subquery()))
            .values(claimed_until=now + lease, attempts=Job.attempts + 1)
            .returning(Job.id, Job.name, Job.body, Job.attempts)
        ).all()
    return sorted((ClaimedJob(*row) for row in rows), key=lambda job: job.id)


def finish(engine: Engine, job_id: int) -> None:
    """The job ran: remove it."""
    with engine.begin() as conn:
        conn.execute(delete(Job).where(Job.id == job_id))


@dataclass(frozen=True)
class Backlog:
    """How much work is waiting, for logs and the health check."""

    waiting: int
    running: int
    dead: int


def backlog(engine: Engine, *, now: datetime) -> Backlog:
    """Jobs waiting to be claimed, held under a live lease, and given up on."""
    with engine.connect() as conn:
        dead = Job.attempts >= MAX_ATTEMPTS
        running = Job.claimed_until >= now
        counts = conn.execute(
            select(
                func.count().filter(~dead, or_(Job.claimed_until.is_(None), ~running)),
                func.count().filter(~dead, running),
                func.count().filter(dead),
            )
        ).one()
    return Backlog(int(counts[0]), int(counts[1]), int(counts[2]))
