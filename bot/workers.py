"""Where stored work runs: this process's pool, or `oneness work` processes beside it."""

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

from bot.config import Settings
from bot.deps import Deps
from bot.work import POLL_SECONDS, SWEEP_SECONDS, Drainer

log = logging.getLogger("oneness.work")

# Work processes started by `oneness run --work-processes` yield the CPU to the process that
# acknowledges Slack: on a shared machine, acks first, and the work catches up in the gaps.
WORK_NICENESS = 10
WORK_THREADS = 4
RESTART_AFTER_SECONDS = 5.0


@dataclass
class WorkProcesses:
    """Child `oneness work` processes, restarted if they die, stopped with the parent."""

    count: int
    threads: int
    children: list[subprocess.Popen[bytes] | None] = field(default_factory=list)
    _stopping: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> WorkProcesses:
        self.children = [self._spawn() for _ in range(self.count)]
        self._thread = threading.Thread(target=self._watch, name="oneness-workers", daemon=True)
        self._thread.start()
        log.info("started %d work processes", self.count)
        return self

    def _spawn(self) -> subprocess.Popen[bytes]:
        argv = [sys.executable, "-m", "bot.cli", "work", "--threads", str(self.threads)]
        argv += ["--nice", str(WORK_NICENESS), "--parent-pid", str(os.getpid())]
        return subprocess.Popen(argv)

    def _watch(self) -> None:
        while not self._stopping.wait(RESTART_AFTER_SECONDS):
            for i, child in enumerate(self.children):
                if child is not None and child.poll() is not None and not self._stopping.is_set():
                    log.warning(
                        "work process %d exited with %s; starting another",
                        child.pid,
                        child.returncode,
                    )
                    self.children[i] = self._spawn()

    def stop(self) -> None:
        """Ask every child to finish its jobs in hand and exit; kill what lingers."""
        self._stopping.set()
        live = [c for c in self.children if c is not None and c.poll() is None]
        for child in live:
            child.terminate()
        deadline = time.monotonic() + 15
        for child in live:
            try:
                child.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()


@dataclass
class Work:
    """What `oneness run` started to run stored work."""

    drainer: Drainer | None = None
    processes: WorkProcesses | None = None

    def stop(self) -> None:
        if self.drainer is not None:
            self.drainer.stop()
        if self.processes is not None:
            self.processes.stop()


def start_work(deps: Deps, *, processes: int, slots: int) -> Work:
    """`processes` > 0: children run the work. Otherwise this process runs what it stores at
    once, and sweeps now and then for jobs that a crashed process left behind."""
    if processes > 0:
        return Work(processes=WorkProcesses(processes, WORK_THREADS).start())
    return Work(
        drainer=Drainer(deps.work, deps.executor, slots=slots).start(interval=SWEEP_SECONDS)
    )


class _Stop(Exception):
    """Raised by the signal handler to leave the waiting loop."""


def run_worker(settings: Settings, *, threads: int, nice: int = 0, parent_pid: int = 0) -> int:
    """`oneness work`: claim and run stored jobs until SIGTERM (or until the parent is gone)."""
    from bot.app import build_deps, create_checked_app

    if nice:
        os.nice(nice)
    threads = max(1, threads)
    deps = build_deps(settings, workers=threads, work_mode="queue")
    create_checked_app(deps)  # registers every listener's work under its name
    gc.freeze()
    drainer = Drainer(deps.work, deps.executor, slots=threads).start(interval=POLL_SECONDS)
    log.info("running stored work with %d threads", threads)

    def stop(signum: int, _frame: FrameType | None) -> None:
        raise _Stop

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        while not parent_pid or os.getppid() == parent_pid:
            time.sleep(1.0)
        log.warning("the process that started this one is gone; stopping")
    except _Stop:
        pass
    finally:
        drainer.stop()
        deps.executor.shutdown(wait=True, cancel_futures=False)
        deps.engine.dispose()
        log.info("stopped")
    return 0
