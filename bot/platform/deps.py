"""The one bundle of dependencies built at start and passed to handlers, jobs and the server."""

from __future__ import annotations

import threading
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from slack_sdk import WebClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot.platform.clock import Clock
from bot.platform.config import Settings

if TYPE_CHECKING:
    from bot.platform.work import WorkQueue


class TrackingExecutor(ThreadPoolExecutor):
    """A thread pool that can tell when all submitted work has finished (tests, shutdown)."""

    def __init__(self, max_workers: int = 8, thread_name_prefix: str = "oneness-work") -> None:
        super().__init__(max_workers=max_workers, thread_name_prefix=thread_name_prefix)
        self._pending = 0
        self._idle = threading.Condition()

    def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> Future[Any]:
        """Submit work, counting it until it finishes."""
        with self._idle:
            self._pending += 1
        future = super().submit(fn, *args, **kwargs)
        future.add_done_callback(self._done)
        return future

    def _done(self, _future: Future[Any]) -> None:
        with self._idle:
            self._pending -= 1
            self._idle.notify_all()

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Block until no work is pending; False on timeout."""
        return self.wait_below(1, timeout=timeout)

    def wait_below(self, count: int, timeout: float) -> bool:
        """Block until fewer than `count` tasks are pending; False on timeout."""
        with self._idle:
            return self._idle.wait_for(lambda: self._pending < count, timeout=timeout)

    @property
    def pending(self) -> int:
        """Tasks submitted and not yet finished (queued or running)."""
        with self._idle:
            return self._pending


class Coalescer:
    """Runs a per-key job once for a burst of requests: calls that arrive while it runs for
    the same key only mark it to run once more afterwards, so the last state always wins."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._running: set[str] = set()
        self._again: set[str] = set()

    def run(self, key: str, job: Any) -> None:
        """Run `job()` for `key` now, or have the running one repeat it once when it ends."""
        with self._lock:
            if key in self._running:
                self._again.add(key)
                return
            self._running.add(key)
        try:
            while True:
                job()
                with self._lock:
                    if key not in self._again:
                        self._running.discard(key)
                        return
                    self._again.discard(key)
        except BaseException:
            with self._lock:
                self._running.discard(key)
                self._again.discard(key)
            raise


@dataclass(frozen=True)
class Deps:
    """Settings, database, Slack client, clock, the worker pool and the job queue, built once
    per process."""

    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    client: WebClient
    clock: Clock
    executor: TrackingExecutor
    work: WorkQueue
    homes: Coalescer = field(default_factory=Coalescer)

    def close(self) -> None:
        """Finish the work in hand, then release the database (at shutdown)."""
        self.executor.shutdown(wait=True, cancel_futures=False)
        self.work.close()
        self.engine.dispose()
