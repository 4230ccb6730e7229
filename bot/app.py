"""The Bolt app factory and the dependency bundle it runs on."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import App, BoltResponse
from slack_bolt.error import BoltError
from slack_sdk import WebClient

from bot.platform.clock import Clock, SystemClock
from bot.platform.config import ConfigError, Settings
from bot.platform.deps import Deps, TrackingExecutor
from bot.platform.lazy import install as install_durable_runner
from bot.platform.logs import bolt_logger
from bot.platform.ratelimit import watch_writes
from bot.platform.slack import make_client
from bot.platform.work import WorkQueue
from handlers import register_listeners
from storage.db import make_engine, make_session_factory

log = logging.getLogger("oneness")


def build_deps(
    settings: Settings,
    *,
    client: WebClient | None = None,
    clock: Clock | None = None,
    workers: int = 8,
    work_mode: str = "local",
    durable_commits: bool = True,
) -> Deps:
    """Build the process's dependencies once."""
    engine = make_engine(settings.database_url, durable_commits=durable_commits)
    watch_writes(engine)
    executor = TrackingExecutor(max_workers=workers)
    return Deps(
        settings=settings,
        engine=engine,
        sessions=make_session_factory(engine),
        client=client
        or make_client(settings.bot_token, settings.api_url, post_rate=settings.post_rate),
        clock=clock or SystemClock(),
        executor=executor,
        work=WorkQueue(engine, executor, mode=work_mode),
    )


def create_app(deps: Deps, *, verify_token: bool = True) -> App:
    """A Bolt App with every listener registered.

    Listeners acknowledge in the request (`process_before_response`); their lazy functions
    are stored as jobs by the app's lazy-listener runner and run by whichever process claims
    them (bot.platform.lazy), so an answer reaches Slack within milliseconds and survives a
    crash, and Slack calls happen after it.
    """
    socket_mode = deps.settings.socket_mode
    app = App(
        client=deps.client,
        signing_secret=deps.settings.signing_secret or "",
        request_verification_enabled=not socket_mode,
        token_verification_enabled=verify_token,
        process_before_response=True,
        listener_executor=deps.executor,
        logger=bolt_logger(),
    )
    install_durable_runner(app, deps.work, deps.executor)
    register_listeners(app, deps)

    @app.error
    def on_error(error: Exception, body: dict[str, Any]) -> BoltResponse | None:
        # Errors while acknowledging, logged with the traceback. The ack path stores nothing,
        # so nothing is half-done. A payload of the wrong shape is the sender's error: 400.
        kind = body.get("type") or body.get("command") if isinstance(body, dict) else None
        log.exception("listener failed for %s", kind, exc_info=error)
        if isinstance(error, KeyError | TypeError | AttributeError | ValueError):
            return BoltResponse(status=400, body='{"ok": false, "error": "malformed request"}')
        return None

    return app


def create_checked_app(deps: Deps) -> App:
    """`create_app` for a process that starts from the command line: a refused token is a
    configuration error, explained in one line."""
    try:
        return create_app(deps)
    except BoltError as error:
        raise ConfigError(
            f"SLACK_BOT_TOKEN was refused by Slack at {deps.settings.api_url} ({error}); "
            "copy a fresh bot token from OAuth & Permissions"
        ) from None
