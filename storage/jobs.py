"""The job table: add, claim under a lease, finish.

Each call is its own short transaction on a pooled connection, because `add` runs inside the
request that acknowledges Slack and must cost as little as possible there.

One person's work runs in the order it arrived, one job at a time, whichever processes claim
it: the database decides. A job with a `user_id` is claimable only while no other job of that
person is running and no earlier one is waiting (`_waits_for_its_person`). Jobs without a person
run as soon as a worker is free. A job given up on (dead) holds nobody back. A job deferred
after a 429 (`defer`) is claimable again from its `not_before` time.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    Table,
    and_,
    delete,
    exists,
    func,
    insert,
    or_,
    select,
    update,
)

from storage.models import Job

# A job that was claimed this many times without finishing crashed its process each time; it is
# left in the table (and counted as dead) rather than tried forever.
MAX_ATTEMPTS = 3
# PostgreSQL: claims take this transaction-level advisory lock, so one claim commits before the
# next one looks. Otherwise two claimers could each start a different job of one person when
# that person's jobs were committed out of id order by two serving processes.
_CLAIM_LOCK = 0x6F6E656E  # "onen"


@dataclass(frozen=True)
class ClaimedJob:
    """A job this process holds the lease on."""

    id: int
    name: str
    body: str
    attempts: int
    user_id: str | None


_TABLE = cast(Table, Job.__table__)
# Built once: the ORM insert construct costs twice the CPU of the insert itself (bench/ack.py).
_INSERT = insert(_TABLE).returning(_TABLE.c.id, sort_by_parameter_order=True)


def job_values(
    name: str, body: str, *, user_id: str | None, now: datetime, lease: timedelta | None = None
) -> dict[str, Any]:
    """A job row; with `lease`, already claimed by the caller (who runs it at once)."""
    return {
        "name": name,
        "body": body,
        "user_id": user_id,
        "created_at": now,
        "attempts": 1 if lease else 0,
        "claimed_until": now + lease if lease else None,
    }


def add(
    engine: Engine,
    name: str,
    body: str,
    *,
    user_id: str | None,
    now: datetime,
    lease: timedelta | None = None,
) -> int:
    """Store one job in its own transaction; its id."""
    with engine.connect() as conn:
        return _insert(conn, [job_values(name, body, user_id=user_id, now=now, lease=lease)])[0]


def _insert(conn: Connection, rows: list[dict[str, Any]]) -> list[int]:
    """Store jobs in one transaction (one commit); their ids, in order."""
    with conn.begin():
        return [int(i) for i in conn.execute(_INSERT, rows).scalars()]


class _Pending:
    __slots__ = ("done", "error", "id", "values")

    def __init__(self, values: dict[str, Any]) -> None:
        self.values = values
        self.id = 0
        self.error: BaseException | None = None
        self.done = False


class GroupWriter:
    """Stores jobs from many threads with one commit per group (group commit).

    Each caller still returns only once its own job is committed, so nothing is acknowledged
    that is not stored. While one caller writes, the others queue; the next of them writes
    everything queued meanwhile in one transaction. Under load a commit (an fsync on SQLite, a
    round trip and WAL flush on PostgreSQL) is shared by several acknowledgements.
    """

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._ready = threading.Condition()
        self._queued: list[_Pending] = []
        self._writing = False
        # Only the writer of the moment uses it: no pool checkout (and ping) per group.
        self._conn: Connection | None = None

    def add(self, values: dict[str, Any]) -> int:
        """Store the job; its id once committed. Raises what the database raised."""
        mine = _Pending(values)
        with self._ready:
            self._queued.append(mine)
            while not mine.done and self._writing:
                self._ready.wait()
            if mine.done:
                return self._result(mine)
            self._writing = True
            group, self._queued = self._queued, []
        try:
            ids = self._insert([p.values for p in group])
            for pending, job_id in zip(group, ids, strict=True):
                pending.id = job_id
        except BaseException as error:
            for pending in group:
                pending.error = error
        with self._ready:
            for pending in group:
                pending.done = True
            self._writing = False
            self._ready.notify_all()
        return self._result(mine)

    def _insert(self, rows: list[dict[str, Any]]) -> list[int]:
        if self._conn is None:
            self._conn = self._engine.connect()
        try:
            return _insert(self._conn, rows)
        except BaseException:
            # The connection may be what failed (a restarted server); the next group opens
            # a new one from the pool, which pings it first.
            self._conn.invalidate()
            self._conn.close()
            self._conn = None
            raise

    def close(self) -> None:
        """Return the writer's connection (at shutdown)."""
        with self._ready:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    @staticmethod
    def _result(pending: _Pending) -> int:
        if pending.error is not None:
            raise pending.error
        return pending.id


def _waits_for_its_person(now: datetime) -> ColumnElement[bool]:
    """True for a job whose person has another job running (under a live lease), or an earlier
    one that is not dead. NULL persons never match: their jobs wait for nobody."""
    other = _TABLE.alias("other")
    return exists().where(
        other.c.user_id == _TABLE.c.user_id,
        other.c.id != _TABLE.c.id,
        or_(
            other.c.claimed_until >= now,
            and_(other.c.id < _TABLE.c.id, other.c.attempts < MAX_ATTEMPTS),
        ),
    )


def claim(
    engine: Engine,
    *,
    now: datetime,
    lease: timedelta,
    limit: int,
    user_id: str | None = None,
) -> list[ClaimedJob]:
    """Take up to `limit` jobs nobody holds (oldest first) under a lease until now + lease; at
    most one per person, and only that person's oldest. With `user_id`, only that person's.

    On PostgreSQL, rows another replica is claiming at the same moment are skipped, not waited
    for, and claims are serialized by an advisory lock (see `_CLAIM_LOCK`); SQLite serializes
    writers, so the UPDATE is atomic there as it stands.
    """
    ready = select(Job.id).where(
        or_(Job.claimed_until.is_(None), Job.claimed_until < now),
        or_(Job.not_before.is_(None), Job.not_before <= now),
        Job.attempts < MAX_ATTEMPTS,
        ~_waits_for_its_person(now),
    )
    if user_id is not None:
        ready = ready.where(Job.user_id == user_id)
    ready = ready.order_by(Job.id).limit(limit).with_for_update(skip_locked=True)
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(select(func.pg_advisory_xact_lock(_CLAIM_LOCK)))
        rows = conn.execute(
            update(Job)
            .where(Job.id.in_(ready.scalar_subquery()))
            .values(claimed_until=now + lease, attempts=Job.attempts + 1)
            .returning(Job.id, Job.name, Job.body, Job.attempts, Job.user_id)
        ).all()
    return sorted((ClaimedJob(*row) for row in rows), key=lambda job: job.id)


def defer(engine: Engine, job_id: int, *, not_before: datetime) -> None:
    """The job met Slack's rate limit: release it, claimable again from `not_before`. The
    claim is not counted as an attempt (the job did not crash its process). It keeps its
    place: that person's later jobs still wait for it."""
    with engine.begin() as conn:
        conn.execute(
            update(Job)
            .where(Job.id == job_id)
            .values(claimed_until=None, not_before=not_before, attempts=Job.attempts - 1)
        )


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
