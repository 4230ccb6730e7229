"""The `oneness` command line: run, demo, db upgrade."""

from __future__ import annotations

import argparse
import gc
import logging
import signal
import sys
from collections.abc import Sequence
from types import FrameType

from slack_bolt.error import BoltError
from sqlalchemy.exc import OperationalError

from bot.config import ConfigError, Settings, load_environment, load_settings

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
    demo = sub.add_parser("demo", help="a whole team's weeks against the built-in local Slack")
    demo.add_argument("--out", help="folder for the transcript and charts (default: a temp folder)")
    db = sub.add_parser("db", help="database maintenance")
    db_sub = db.add_subparsers(dest="db_command", required=True)
    db_sub.add_parser("upgrade", help="apply migrations up to the newest")
    return parser


def setup_logging(level: str) -> None:
    """One-line logs; slack_sdk request dumps stay quiet even at DEBUG (they carry tokens)."""
    logging.basicConfig(
        level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr
    )
    for noisy in ("slack_sdk", "urllib3", "websocket", "waitress.queue"):
        logging.getLogger(noisy).setLevel(max(logging.INFO, logging.getLevelName(level)))


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `oneness` console script."""
    args = _parser().parse_args(argv)
    try:
        if args.command == "demo":
            from bot.demo import run_demo

            return run_demo(out=args.out)
        env = load_environment()
        if args.command == "db":
            settings = load_settings(env, need_slack=False)
            setup_logging(settings.log_level)
            return _db_upgrade(settings)
        settings = load_settings(env)
        if args.port:
            settings = _with_port(settings, args.port)
        setup_logging(settings.log_level)
        return _run(settings, workers=args.workers, scheduler=not args.no_scheduler)
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


class _Stop(Exception):
    """Raised by the signal handler to leave the serving loop."""


def _run(settings: Settings, *, workers: int, scheduler: bool) -> int:
    from bot.app import build_deps, create_app
    from bot.runtime import start_background

    _db_upgrade(settings)
    deps = build_deps(settings, workers=max(2, workers))
    try:
        app = create_app(deps)
    except BoltError as error:
        raise ConfigError(
            f"SLACK_BOT_TOKEN was refused by Slack at {settings.api_url} ({error}); "
            "copy a fresh bot token from OAuth & Permissions"
        ) from None
    background = start_background(deps, scheduler=scheduler, interval=settings.tick_seconds)
    # Everything imported so far lives as long as the process: keep it out of the collector's
    # full passes, which otherwise walk ~150,000 objects during a request (bench/summary.py).
    gc.freeze()

    def stop(signum: int, _frame: FrameType | None) -> None:
        log.info("received %s, shutting down", signal.Signals(signum).name)
        raise _Stop

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        if settings.socket_mode:
            _serve_socket_mode(app, settings)
        else:
            _serve_http(app, deps, settings, workers)
    except _Stop:
        pass
    finally:
        background.stop()
        deps.executor.shutdown(wait=True, cancel_futures=False)
        deps.engine.dispose()
        log.info("stopped")
    return 0


def _serve_http(app: object, deps: object, settings: Settings, workers: int) -> None:
    from bot.server import HttpServer, OnenessWSGI

    server = HttpServer(
        OnenessWSGI(app, deps.engine),  # type: ignore[arg-type, attr-defined]
        port=settings.port,
        threads=workers,
    )
    log.info("listening on http://0.0.0.0:%d/slack/events", server.port)
    try:
        server.serve_forever()
    finally:
        server.close()


def _serve_socket_mode(app: object, settings: Settings) -> None:
    import threading

    from slack_bolt.adapter.socket_mode import SocketModeHandler

    handler = SocketModeHandler(app, settings.app_token)  # type: ignore[arg-type]
    handler.connect()
    log.info("connected to Slack in Socket Mode")
    try:
        threading.Event().wait()
    finally:
        handler.close()


if __name__ == "__main__":
    sys.exit(main())
