"""`oneness run` in HTTP mode: gunicorn serves the WSGI app in `--processes` worker processes
of `--workers` threads each (gthread workers); the process that runs it is gunicorn's arbiter.

Gunicorn does what a hand-written prefork would: it binds the port once, forks the workers,
replaces one that dies or hangs, and on SIGTERM lets each finish the requests in hand before
exiting (`graceful_timeout`). Each worker builds its own dependencies after the fork (database
engine, Slack client, the scheduler's thread), because none of them survive a fork; the arbiter
imported the code before forking, so the workers share its memory pages.

Beside the workers, `--work-processes N` starts N `oneness work` processes from gunicorn's
`when_ready` hook and stops them from `on_exit` (bot.platform.workers.Children); under systemd
or Kubernetes run `oneness work` as a service of its own instead (docs/OPERATIONS.md).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from gunicorn.app.base import BaseApplication

log = logging.getLogger("oneness.server")

WSGIApp = Callable[[dict[str, Any], Any], Iterable[bytes]]
# Slack retries a request it got no answer to within 3 s; a worker silent for 30 s is stuck.
WORKER_TIMEOUT_SECONDS = 30
# SIGTERM: requests in hand and the work after them get this long before the worker is killed.
GRACEFUL_SECONDS = 15
# Slack keeps connections open between requests; so do load balancers (commonly 60 s).
KEEPALIVE_SECONDS = 75
LISTEN_BACKLOG = 1024


@dataclass
class Served:
    """What one worker serves, and how it stops (its scheduler, its work, its database)."""

    wsgi: WSGIApp
    stop: Callable[[], None] = lambda: None


class GunicornServer(BaseApplication):  # type: ignore[misc]  # gunicorn ships no types
    """Gunicorn run from Python (its documented custom-application form), with a factory
    that builds each worker's app after the fork."""

    def __init__(
        self,
        build: Callable[[], Served],
        *,
        host: str,
        port: int,
        processes: int,
        threads: int,
        log_level: str = "info",
        on_ready: Callable[[], None] | None = None,
        on_exit: Callable[[], None] | None = None,
    ) -> None:
        self._build = build
        self._served: Served | None = None
        self._on_ready = on_ready
        self._on_exit = on_exit
        self._options: dict[str, Any] = {
            "bind": f"{host}:{port}",
            "workers": max(1, processes),
            "worker_class": "gthread",
            "threads": max(1, threads),
            "timeout": WORKER_TIMEOUT_SECONDS,
            "graceful_timeout": GRACEFUL_SECONDS,
            "keepalive": KEEPALIVE_SECONDS,
            "backlog": LISTEN_BACKLOG,
            "loglevel": log_level.lower(),
            "proc_name": "oneness",
            "preload_app": False,
        }
        super().__init__()

    def load_config(self) -> None:
        """Gunicorn's settings, from ours (no gunicorn.conf.py, no GUNICORN_CMD_ARGS)."""
        for key, value in self._options.items():
            self.cfg.set(key, value)
        self.cfg.set("when_ready", self._when_ready)
        self.cfg.set("on_exit", self._exit)
        self.cfg.set("worker_exit", self._worker_exit)

    def load(self) -> WSGIApp:
        """In each worker, after the fork: build its app."""
        self._served = self._build()
        return self._served.wsgi

    def _when_ready(self, _server: Any) -> None:
        if self._on_ready is not None:
            self._on_ready()

    def _exit(self, _server: Any) -> None:
        if self._on_exit is not None:
            self._on_exit()

    def _worker_exit(self, _server: Any, _worker: Any) -> None:
        if self._served is not None:
            try:
                self._served.stop()
            except Exception:
                log.exception("worker did not stop cleanly")
