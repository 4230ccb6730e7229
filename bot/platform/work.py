"""Work acknowledged to Slack, kept in the database until it has run.

A listener acknowledges, then hands its payload to `WorkQueue.submit`, which stores it as a job
in the same request. So an answer Slack was told we accepted survives a crash of the process
that was going to store it: another process (or this one, restarted) claims the job once its
lease runs out.

Where the job runs is the process's choice:

- `local` (the default): the acknowledging process stores the job and, on its own worker pool,
  at once claims and runs that person's oldest job; a sweeper picks up jobs that crashed
  processes left behind.
- `queue` (`oneness run --work-processes N`, `oneness work`): the acknowledging process only
  stores the job; separate work processes claim and run it, so the interpreter that answers
  Slack never waits behind the work (bench/ack.py).

One person's work runs in the order it arrived, one job at a time, in every mode and across
processes: the database only lets a process claim a person's oldest job, and only while none
of theirs is running (storage.jobs.claim). Whoever finishes a person's job claims their next
one at once. Work without a person (no user id in the payload) runs as soon as it can.

If the job cannot be stored (the database is down), the work runs in this process anyway: it
will meet the same outage and tell the person "couldn't save that, please try again".

Slack's rate limit never holds a worker thread: a job that meets a 429 raises `Deferred`
(bot.platform.ratelimit), and goes back to the table with a not-before time of now +
Retry-After, keeping its place in its person's order; the thread runs other work meanwhile.

Jobs are run by name: the function registered under it, else the route (bot.platform.lazy:
the request re-dispatched through the Bolt app to its lazy listener of that name).
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from bot.platform.deps import Coalescer, TrackingExecutor
from storage import jobs as store

log = logging.getLogger("oneness.work")

Work = Callable[[dict[str, Any]], None]
Route = Callable[[str, dict[str, Any]], None]
T = TypeVar("T")

# Long enough that no healthy job outlives it (a job makes a few Slack calls, retried on 429),
# short enough that work a crashed process held is picked up within minutes.
LEASE = timedelta(minutes=5)
POLL_SECONDS = 0.2
SWEEP_SECONDS = 30.0
MODES = ("local", "queue")
RETRY_PAUSES = (0.5, 1.0, 2.0, 4.0, 8.0, 16.0)  # seconds; about half a minute in all


class Deferred(Exception):
    """Raised by work that Slack rate-limited: store the job again, to run after `seconds`."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"deferred for {seconds:g} s")
        self.seconds = seconds


class NotHere(Exception):
    """No work of this name in this process (a newer release's job during a rolling upgrade)."""


# A woken job is looked at a moment after its not-before time, never a moment before it.
WAKE_SLACK_SECONDS = 0.05


def wall_clock() -> datetime:
    """Leases run on real time: the bot's injectable clock is the *domain's* time, which tests
    move by weeks; moving it must not expire the lease of a job that is still running."""
    return datetime.now(UTC)


class WorkQueue:
    """Named work functions, the job table, and the threads that run jobs."""

    def __init__(
        self,
        engine: Engine,
        executor: TrackingExecutor,
        *,
        mode: str = "local",
        now: Callable[[], datetime] = wall_clock,
    ) -> None:
        if mode not in MODES:
            raise ValueError(f"work mode must be one of {MODES}, not {mode!r}")
        self.mode = mode
        self._engine = engine
        self._executor = executor
        self._now = now
        self._work: dict[str, Work] = {}
        self._route: Route | None = None
        self._timers: set[threading.Timer] = set()
        self._timers_lock = threading.Lock()
        self._writer = store.GroupWriter(engine)
        # One thread of this process at a time claims a person's next jobs; a request for that
        # person meanwhile makes it look once more before it stops (nothing is left waiting).
        self._people = Coalescer()

    def register(self, name: str, work: Work) -> None:
        """Make `work` runnable by `name` in every process that registers the same listeners."""
        if name in self._work:
            raise ValueError(f"work {name!r} is registered twice")
        self._work[name] = work

    def route(self, route: Route) -> None:
        """Run jobs whose name has no registered work through `route(name, body)`."""
        self._route = route

    def _call(self, name: str, body: dict[str, Any]) -> None:
        work = self._work.get(name)
        if work is not None:
            work(body)
        elif self._route is not None:
            self._route(name, body)
        else:
            raise NotHere(name)

    def submit(
        self,
        name: str,
        body: dict[str, Any],
        *,
        user_id: str | None,
        fallback: Callable[[], None] | None = None,
    ) -> None:
        """Store the job (called while acknowledging), and in `local` mode start it: at once
        when it has no person, else as soon as that person's earlier work has finished.
        When it cannot be stored, `fallback` (by default the work itself) runs here."""
        local = self.mode == "local"
        lease = LEASE if local and user_id is None else None
        row = store.job_values(
            name,
            json.dumps(body, separators=(",", ":")),
            user_id=user_id,
            now=self._now(),
            lease=lease,
        )
        try:
            job_id = self._writer.add(row)
        except SQLAlchemyError as error:
            log.warning("could not store %s work (%s); running it here", name, error)
            self._executor.submit(fallback or (lambda: self._call(name, body)))
            return
        if lease is not None:
            self._executor.submit(self._run, job_id, name, body, None)
        elif local and user_id is not None:
            self._executor.submit(self._run_person, user_id)

    def close(self) -> None:
        """Release the connection jobs are stored on; forget pending wake-ups."""
        with self._timers_lock:
            for timer in self._timers:
                timer.cancel()
            self._timers.clear()
        self._writer.close()

    def run_claimed(self, limit: int) -> int:
        """Claim up to `limit` jobs and start them on the pool; how many were started."""
        claimed = store.claim(self._engine, now=self._now(), lease=LEASE, limit=limit)
        for job in claimed:
            self._executor.submit(self._run_then_next, job)
        return len(claimed)

    def _run_then_next(self, job: store.ClaimedJob) -> None:
        self._run_job(job)
        if job.user_id is not None:
            self._run_person(job.user_id)

    def _run_person(self, user_id: str) -> None:
        """Run the person's jobs that are ready, oldest first, until none is."""
        self._people.run(user_id, lambda: self._drain_person(user_id))

    def _drain_person(self, user_id: str) -> None:
        while True:
            claimed = _retried(
                lambda: store.claim(
                    self._engine, now=self._now(), lease=LEASE, limit=1, user_id=user_id
                ),
                # Stored all the same: a sweeper or a work process claims the jobs later.
                failure="could not claim work; leaving it for later",
            )
            if not claimed:
                return  # nothing waits, or it waits for a job another process runs
            self._run_job(claimed[0])

    def _run_job(self, job: store.ClaimedJob) -> None:
        if job.attempts > 1:
            log.warning("running %s job %d again (attempt %d)", job.name, job.id, job.attempts)
        self._run(job.id, job.name, json.loads(job.body), job.user_id)

    def _run(self, job_id: int, name: str, body: dict[str, Any], user_id: str | None) -> None:
        try:
            self._call(name, body)
        except NotHere:
            # A newer release's job met an older process during a rolling upgrade; the lease
            # lapses and a process that knows the name takes it.
            log.error("no work named %s here; job %d is left for another process", name, job_id)
            return
        except Deferred as deferred:
            self._defer(job_id, name, deferred.seconds, user_id)
            return
        except Exception:
            # Work reports its own failures to the person; this is a bug, logged once. The job
            # is finished all the same, as running it again would fail the same way.
            log.exception("%s job %d failed", name, job_id)
        # Until the job is marked done, its lease holds back the person's next jobs.
        _retried(
            lambda: store.finish(self._engine, job_id),
            failure=f"job {job_id} ran but could not be marked done",
        )

    def _defer(self, job_id: int, name: str, seconds: float, user_id: str | None) -> None:
        """Store the job again to run after `seconds`; in `local` mode, wake for it then (work
        processes find it by polling)."""
        log.info("%s job %d rate-limited by Slack; running it again in %g s", name, job_id, seconds)
        until = self._now() + timedelta(seconds=seconds)
        _retried(
            lambda: store.defer(self._engine, job_id, not_before=until),
            failure=f"job {job_id} could not be deferred; its lease will lapse",
        )
        if self.mode == "local":
            self._wake_after(seconds + WAKE_SLACK_SECONDS, user_id)

    def _wake_after(self, seconds: float, user_id: str | None) -> None:
        def wake() -> None:
            with self._timers_lock:
                self._timers.discard(timer)
            try:
                if user_id is not None:
                    self._executor.submit(self._run_person, user_id)
                else:
                    self._executor.submit(self.run_claimed, 1)
            except RuntimeError:  # the pool was shut down meanwhile: the sweeper's turn
                pass

        timer = threading.Timer(seconds, wake)
        timer.daemon = True
        with self._timers_lock:
            self._timers.add(timer)
        timer.start()


def _retried(call: Callable[[], T], *, failure: str) -> T | None:
    """`call()`, tried again after each pause in RETRY_PAUSES while the database fails (a
    restart lasts seconds); None, logged with `failure`, when it never succeeds."""
    for pause in RETRY_PAUSES:
        try:
            return call()
        except SQLAlchemyError:
            time.sleep(pause)
    try:
        return call()
    except SQLAlchemyError as error:
        log.warning("%s (%s)", failure, error)
        return None


class Drainer:
    """A thread that keeps the pool fed with claimed jobs until stopped."""

    def __init__(self, queue: WorkQueue, executor: TrackingExecutor, *, slots: int) -> None:
        self._queue = queue
        self._executor = executor
        self._slots = slots
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self, *, interval: float) -> Drainer:
        """Start claiming; when the table is empty, look again every `interval` seconds."""
        self._thread = threading.Thread(
            target=self._loop, args=(interval,), name="oneness-drain", daemon=True
        )
        self._thread.start()
        return self

    def _loop(self, interval: float) -> None:
        while not self._stop.is_set():
            free = self._slots - self._executor.pending
            if free <= 0:
                self._executor.wait_below(self._slots, timeout=interval)
                continue
            try:
                started = self._queue.run_claimed(free)
            except SQLAlchemyError as error:
                log.warning("could not claim work (%s); trying again", error)
                started = 0
            if not started:
                self._stop.wait(interval)

    def stop(self) -> None:
        """Stop claiming; jobs already started finish on the pool."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
