"""The `oneness` command line: run, work, demo, db upgrade."""

from __future__ import annotations

import argparse
import gc
import logging
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy.exc import OperationalError

from bot.platform.config import (
    ConfigError,
    Settings,
    load_environment,
    load_settings,
    read_log_level,
)
from bot.platform.logs import setup_logging

if TYPE_CHECKING:
    from slack_bolt import App

    from bot.platform.deps import Deps

log = logging.getLogger("oneness")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="oneness", description="Oneness: weekly team discord check-ins for Slack."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser(
        "run", help="serve Slack (Socket Mode if SLACK_APP_TOKEN is set, else HTTP)"
    )
    run.add_argument("--port", type=int, help="HTTP port (default: $PORT or 3000)")
    run.add_argument("--workers", type=int, default=8, help="threads serving requests (HTTP mode)")
    run.add_argument("--no-scheduler", action="store_true", help="serve requests only")
    run.add_argument(
        "--work-processes",
        type=int,
        default=0,
        metavar="N",
        help="run stored work in N child processes (`oneness work`) instead of this one, so "
        "acknowledgements never wait behind it (default 0: this process runs it)",
    )
    run.add_argument(
        "--processes",
        type=int,
        default=1,
        metavar="N",
        help="HTTP mode: gunicorn runs N worker processes serving requests on the port, each "
        "with --workers threads (default 1)",
    )
    work = sub.add_parser(
        "work", help="run work stored by `oneness run` replicas (no HTTP, no scheduler)"
    )
    work.add_argument("--threads", type=int, default=4, help="jobs run at once")
    work.add_argument("--nice", type=int, default=0, help=argparse.SUPPRESS)
    work.add_argument("--parent-pid", type=int, default=0, help=argparse.SUPPRESS)
    demo = sub.add_parser("demo", help="a whole team's weeks against the built-in local Slack")
    demo.add_argument("--out", help="folder for the transcript and charts (default: a temp folder)")
    db = sub.add_parser("db", help="database maintenance")
    db_sub = db.add_subparsers(dest="db_command", required=True)
    db_sub.add_parser("upgrade", help="apply migrations up to the newest")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `oneness` console script."""
    args = _parser().parse_args(argv)
    try:
        if args.command == "demo":
            try:
                from localslack.demo import run_demo
            except ImportError:
                print(
                    "oneness: the demo runs on the local Slack, which is installed apart: "
                    "pip install -e ./localslack (from a checkout of the repository)",
                    file=sys.stderr,
                )
                return 2
            level = read_log_level(load_environment(), default="WARNING")
            setup_logging(level)
            return run_demo(out=args.out, log_level=level)
        env = load_environment()
        if args.command == "db":
            settings = load_settings(env, need_slack=False)
            setup_logging(settings.log_level)
            return _db_upgrade(settings)
        settings = load_settings(env)
        if getattr(args, "port", None):
            settings = _with_port(settings, args.port)
        setup_logging(settings.log_level)
        if args.command == "work":
            from bot.platform.workers import run_worker

            return run_worker(
                settings, threads=args.threads, nice=args.nice, parent_pid=args.parent_pid
            )
        if args.processes > 1 and settings.socket_mode:
            raise ConfigError("--processes is for HTTP mode; unset SLACK_APP_TOKEN to use it")
        return _run(
            settings,
            Layout(
                workers=max(2, args.workers),
                scheduler=not args.no_scheduler,
                work_processes=max(0, args.work_processes),
                processes=max(1, args.processes),
            ),
        )
    except ConfigError as error:
        print(f"oneness: {error}", file=sys.stderr)
        return 2


def _with_port(settings: Settings, port: int) -> Settings:
    from dataclasses import replace

    return replace(settings, port=port)


def _db_upgrade(settings: Settings) -> int:
    from storage.db import upgrade

    try:
        upgrade(settings.database_url)
    except OperationalError as error:
        raise ConfigError(
            f"DATABASE_URL: cannot reach the database ({error.orig}); check the URL and that "
            "the server is running"
        ) from None
    print("database is up to date")
    return 0


@dataclass(frozen=True)
class Layout:
    """How `oneness run` spreads itself over threads and processes."""

    workers: int
    scheduler: bool = True
    work_processes: int = 0
    processes: int = 1

    @property
    def queued(self) -> bool:
        """Work is stored for work processes rather than run where it was acknowledged."""
        return self.work_processes > 0


def _run(settings: Settings, layout: Layout) -> int:
    _db_upgrade(settings)
    if settings.socket_mode:
        return _run_socket_mode(settings, layout)
    return _run_http(settings, layout)


def _start(settings: Settings, layout: Layout) -> tuple[Deps, App, Callable[[], None]]:
    """One serving process's dependencies, app, scheduler and work; and how to stop them."""
    from bot.app import build_deps, create_checked_app
    from bot.platform.workers import start_work
    from bot.schedule.runner import start_background

    deps = build_deps(
        settings, workers=layout.workers, work_mode="queue" if layout.queued else "local"
    )
    app = create_checked_app(deps)
    # Every serving process may run the scheduler; the database's leader lock lets exactly
    # one do so at a time (storage.leader), and another takes over if it dies.
    background = start_background(deps, scheduler=layout.scheduler, interval=settings.tick_seconds)
    work = start_work(deps, queued=layout.queued, slots=layout.workers)
    # Everything imported so far lives as long as the process: keep it out of the collector's
    # full passes, which otherwise walk ~150,000 objects during a request (bench/summary.py).
    gc.freeze()

    def stop() -> None:
        background.stop()
        work.stop()
        deps.close()
        log.info("stopped")

    return deps, app, stop


def _run_http(settings: Settings, layout: Layout) -> int:
    """Gunicorn serves; each of its workers builds its own app after the fork."""
    from bot.app import build_deps, create_checked_app
    from bot.platform.server import OnenessWSGI
    from bot.platform.serving import GunicornServer, Served
    from bot.platform.workers import Children, work_argv
    from bot.promise.page import PromisePage

    # Refuse a bad token here, in one line, rather than in every worker as it boots; the
    # throwaway app also imports everything once, for the workers to share after the fork.
    checked = build_deps(settings, workers=1)
    try:
        create_checked_app(checked)
    finally:
        checked.close()

    def build() -> Served:
        deps, app, stop = _start(settings, layout)
        return Served(OnenessWSGI(app, deps.engine, pages=PromisePage(deps)), stop)

    work = Children("work", work_argv(), layout.work_processes)

    def start_work_processes() -> None:
        work.start()  # in gunicorn's arbiter once it listens; none when N is 0

    log.info("serving http://0.0.0.0:%d/slack/events", settings.port)
    # Gunicorn's arbiter serves until SIGTERM or SIGINT and returns once its workers stopped.
    GunicornServer(
        build,
        host="0.0.0.0",
        port=settings.port,
        processes=layout.processes,
        threads=layout.workers,
        log_level=settings.log_level,
        on_ready=start_work_processes,
        on_exit=work.stop,
    ).run()
    return 0


def _run_socket_mode(settings: Settings, layout: Layout) -> int:
    from bot.platform.workers import Children, Stop, stop_on_signals, work_argv

    deps, app, stop = _start(settings, layout)
    work = Children("work", work_argv(), layout.work_processes)
    if layout.work_processes:
        work.start()
    stop_on_signals()
    try:
        _serve_socket_mode(app, deps, settings)
    except Stop:
        pass
    finally:
        work.stop()
        stop()
    return 0


def _serve_socket_mode(app: App, deps: Deps, settings: Settings) -> None:
    import threading

    from slack_bolt.adapter.socket_mode import SocketModeHandler

    from bot.platform.server import HttpServer
    from bot.promise.page import MAX_BODY, PromisePage

    pages: HttpServer | None = None
    if settings.public_url:
        # Slack needs no public address in Socket Mode; the promise pages do, and only they
        # are served here.
        pages = HttpServer(
            PromisePage(deps),
            port=settings.port,
            threads=4,
            max_body=MAX_BODY,
            ident="oneness-pages",
        ).start_in_thread()
        log.info("serving the promise pages on port %d", pages.port)
    handler = SocketModeHandler(app, settings.app_token)
    handler.connect()  # type: ignore[no-untyped-call]
    log.info("connected to Slack in Socket Mode")
    try:
        threading.Event().wait()
    finally:
        handler.close()  # type: ignore[no-untyped-call]
        if pages is not None:
            pages.close()


if __name__ == "__main__":
    sys.exit(main())
