"""The processes beside `oneness run`: `oneness work` processes that run stored work, extra
serving processes (`--processes`), and the sweeper for work a crashed process left behind."""

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
    """Child processes of `oneness run` running `argv`, restarted if they die, stopped with it."""

    label: str
    argv: list[str]
    count: int
    children: list[subprocess.Popen[bytes]] = field(default_factory=list)
    _stopping: threading.Event = field(default_factory=threading.Event)

    def start(self) -> Children:
        """Start the children and a thread that replaces any that exits."""
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


def work_argv(threads: int) -> list[str]:
    """`oneness work` as a child of this process."""
    argv = [sys.executable, "-m", "bot.cli", "work", "--threads", str(threads)]
    return [*argv, "--nice", str(WORK_NICENESS), "--parent-pid", str(os.getpid())]


def serving_argv(*, port: int, threads: int, store_only: bool) -> list[str]:
    """Another `oneness run` serving requests on this process's port, and nothing else."""
    argv = [sys.executable, "-m", "bot.cli", "run", "--port", str(port), "--workers", str(threads)]
    argv += ["--no-scheduler", "--shared-port", "--parent-pid", str(os.getpid())]
    return [*argv, "--store-only"] if store_only else argv


@dataclass
class Work:
    """What `oneness run` started beside its own serving: a sweeper, child processes."""

    drainer: Drainer | None = None
    children: list[Children] = field(default_factory=list)

    def stop(self) -> None:
        """Stop the sweeper and the child processes."""
        if self.drainer is not None:
            self.drainer.stop()
        for group in self.children:
            group.stop()


def start_work(deps: Deps, *, processes: int, slots: int) -> Work:
    """`processes` > 0: children run the work. Otherwise this process runs what it stores at
    once, and sweeps now and then for jobs that a crashed process left behind. A process that
    only stores (`--store-only`) starts neither."""
    if processes > 0:
        return Work(children=[Children("work", work_argv(WORK_THREADS), processes).start()])
    if deps.work.mode == "queue":
        return Work()
    drainer = Drainer(deps.work, deps.executor, slots=slots)
    return Work(drainer=drainer.start(interval=SWEEP_SECONDS))


class Stop(SystemExit):
    """Raised in the main thread by SIGTERM or SIGINT to leave the serving or waiting loop.
    A SystemExit, because waitress's loop swallows ordinary exceptions raised in its handlers
    and re-raises this."""


def stop_on_signals(*, parent_pid: int = 0) -> None:
    """SIGTERM and SIGINT raise `Stop`; with `parent_pid`, so does that process's death
    (checked every second), for the children of `oneness run`."""

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
