"""The `oneness` command line: run, work, demo, db upgrade."""

from __future__ import annotations

import argparse
import gc
import logging
import sys
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.exc import OperationalError

from bot.platform.config import (
    ConfigError,
    Settings,
    load_environment,
    load_settings,
    read_log_level,
)
from bot.platform.logs import setup_logging

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
        help="HTTP mode: N processes serve requests on the port, each with --workers threads "
        "(default 1)",
    )
    run.add_argument("--shared-port", action="store_true", help=argparse.SUPPRESS)
    run.add_argument("--store-only", action="store_true", help=argparse.SUPPRESS)
    run.add_argument("--parent-pid", type=int, default=0, help=argparse.SUPPRESS)
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
                shared_port=args.shared_port,
                store_only=args.store_only,
                parent_pid=args.parent_pid,
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
    shared_port: bool = False
    store_only: bool = False  # a serving child whose work runs in work processes
    parent_pid: int = 0  # a child of `oneness run --processes`

    @property
    def queued(self) -> bool:
        """Work is stored for work processes rather than run here."""
        return self.work_processes > 0 or self.store_only


def _run(settings: Settings, layout: Layout) -> int:
    from bot.app import build_deps, create_checked_app
    from bot.platform.workers import Stop, start_work, stop_on_signals
    from bot.schedule.runner import start_background

    if not layout.parent_pid:
        _db_upgrade(settings)
    deps = build_deps(
        settings, workers=layout.workers, work_mode="queue" if layout.queued else "local"
    )
    app = create_checked_app(deps)
    background = start_background(deps, scheduler=layout.scheduler, interval=settings.tick_seconds)
    work = start_work(deps, processes=layout.work_processes, slots=layout.workers)
    # Everything imported so far lives as long as the process: keep it out of the collector's
    # full passes, which otherwise walk ~150,000 objects during a request (bench/summary.py).
    gc.freeze()

    stop_on_signals(parent_pid=layout.parent_pid)
    try:
        if settings.socket_mode:
            _serve_socket_mode(app, deps, settings)
        else:
            _serve_http(app, deps, settings, layout)
    except Stop:
        pass
    finally:
        background.stop()
        work.stop()
        deps.close()
        log.info("stopped")
    return 0


def _serve_http(app: object, deps: object, settings: Settings, layout: Layout) -> None:
    from bot.platform.server import HttpServer, OnenessWSGI
    from bot.platform.workers import Children, serving_argv
    from bot.promise.page import PromisePage

    server = HttpServer(
        OnenessWSGI(app, deps.engine, pages=PromisePage(deps)),  # type: ignore[arg-type, attr-defined]
        port=settings.port,
        threads=layout.workers,
        shared_port=layout.shared_port or layout.processes > 1,
    )
    others: Children | None = None
    if layout.processes > 1:
        argv = serving_argv(port=server.port, threads=layout.workers, store_only=layout.queued)
        others = Children("serving", argv, layout.processes - 1).start()
    log.info("listening on http://0.0.0.0:%d/slack/events", server.port)
    try:
        server.serve_forever()
    finally:
        if others is not None:
            others.stop()
        server.close()


def _serve_socket_mode(app: object, deps: object, settings: Settings) -> None:
    import threading

    from slack_bolt.adapter.socket_mode import SocketModeHandler

    from bot.platform.server import HttpServer
    from bot.promise.page import MAX_BODY, PromisePage

    pages: HttpServer | None = None
    if settings.public_url:
        # Slack needs no public address in Socket Mode; the promise pages do, and only they
        # are served here.
        pages = HttpServer(
            PromisePage(deps),  # type: ignore[arg-type]
            port=settings.port,
            threads=4,
            max_body=MAX_BODY,
            ident="oneness-pages",
        ).start_in_thread()
        log.info("serving the promise pages on port %d", pages.port)
    handler = SocketModeHandler(app, settings.app_token)  # type: ignore[arg-type]
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
