"""The processes beside the serving ones: `oneness work` processes that run stored work
(`oneness run --work-processes N` starts them as children), and the sweeper for work a crashed
process left behind. Serving processes are gunicorn's (bot.platform.serving)."""

from __future__ import annotations

import gc
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from types import FrameType

from bot.platform.config import Settings
from bot.platform.deps import Deps
from bot.platform.work import POLL_SECONDS, SWEEP_SECONDS, Drainer

log = logging.getLogger("oneness.work")

# Work processes started by `oneness run --work-processes` yield the CPU to the process that
# acknowledges Slack: on a shared machine, acks first, and the work catches up in the gaps.
WORK_NICENESS = 10
# The work is CPU-bound in one interpreter: 2 threads drain as fast as 4 (bench/ack.py), and
# keep fewer of its queries competing with the acks for PostgreSQL.
WORK_THREADS = 2
RESTART_AFTER_SECONDS = 5.0


@dataclass
class Children:
    """`oneness work` children of `oneness run --work-processes N`: restarted if they die,
    stopped with it. Gunicorn supervises only its WSGI workers, so this small loop does the
    same for these; where systemd or Kubernetes run the bot, run `oneness work` as a service of
    its own instead (docs/OPERATIONS.md)."""

    label: str
    argv: list[str]
    count: int
    children: list[subprocess.Popen[bytes]] = field(default_factory=list)
    _stopping: threading.Event = field(default_factory=threading.Event)

    def start(self) -> Children:
        """Start the children and a thread that replaces any that exits."""
        if self.count <= 0:
            return self
        self.children = [subprocess.Popen(self.argv) for _ in range(self.count)]
        threading.Thread(target=self._watch, name=f"oneness-{self.label}", daemon=True).start()
        log.info("started %d %s processes", self.count, self.label)
        return self

    def _watch(self) -> None:
        while not self._stopping.wait(RESTART_AFTER_SECONDS):
            for i, child in enumerate(self.children):
                if child.poll() is not None and not self._stopping.is_set():
                    log.warning(
                        "%s process %d exited with %s; starting another",
                        self.label,
                        child.pid,
                        child.returncode,
                    )
                    self.children[i] = subprocess.Popen(self.argv)

    def stop(self) -> None:
        """Ask every child to finish what it has in hand and exit; kill what lingers."""
        self._stopping.set()
        live = [c for c in self.children if c.poll() is None]
        for child in live:
            child.terminate()
        deadline = time.monotonic() + 15
        for child in live:
            try:
                child.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()


def work_argv(threads: int = WORK_THREADS) -> list[str]:
    """`oneness work` as a child of this process."""
    argv = [sys.executable, "-m", "bot.cli", "work", "--threads", str(threads)]
    return [*argv, "--nice", str(WORK_NICENESS), "--parent-pid", str(os.getpid())]


@dataclass
class Work:
    """The sweeper a serving process runs when it runs its own work."""

    drainer: Drainer | None = None

    def stop(self) -> None:
        """Stop the sweeper."""
        if self.drainer is not None:
            self.drainer.stop()


def start_work(deps: Deps, *, queued: bool, slots: int) -> Work:
    """`queued`: work processes run the work, this process only stores it. Otherwise this
    process runs what it stores at once, and sweeps now and then for jobs that a crashed
    process left behind (or whose deferral after a 429 is over)."""
    if queued:
        return Work()
    drainer = Drainer(deps.work, deps.executor, slots=slots)
    return Work(drainer=drainer.start(interval=SWEEP_SECONDS))


class Stop(SystemExit):
    """Raised in the main thread by SIGTERM or SIGINT to leave the waiting loop (`oneness work`,
    Socket Mode). A SystemExit, so that no handler on the way swallows it."""


def stop_on_signals(*, parent_pid: int = 0) -> None:
    """SIGTERM and SIGINT raise `Stop`; with `parent_pid`, so does that process's death
    (checked every second), for the work processes of `oneness run`."""

    def stop(signum: int, _frame: FrameType | None) -> None:
        logging.getLogger("oneness").info("received %s, shutting down", signal.Signals(signum).name)
        raise Stop

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    if not parent_pid:
        return

    def watch() -> None:
        while os.getppid() == parent_pid:
            time.sleep(1.0)
        log.warning("the process that started this one is gone; stopping")
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, name="oneness-orphan-watch", daemon=True).start()


def run_worker(settings: Settings, *, threads: int, nice: int = 0, parent_pid: int = 0) -> int:
    """`oneness work`: claim and run stored jobs until SIGTERM (or until the parent is gone)."""
    from bot.app import build_deps, create_checked_app

    if nice:
        os.nice(nice)
    threads = max(1, threads)
    deps = build_deps(settings, workers=threads, work_mode="queue", durable_commits=False)
    create_checked_app(deps)  # registers every listener's work under its name
    gc.freeze()
    drainer = Drainer(deps.work, deps.executor, slots=threads).start(interval=POLL_SECONDS)
    log.info("running stored work with %d threads", threads)

    stop_on_signals(parent_pid=parent_pid)
    try:
        threading.Event().wait()
    except Stop:
        pass
    finally:
        drainer.stop()
        deps.close()
        log.info("stopped")
    return 0
