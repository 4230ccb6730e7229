"""Channel access: the bot's own `member_joined_channel` posts what waited for it."""

from __future__ import annotations

from typing import Any

from slack_bolt import App, BoltContext

from bot.access.service import bot_joined
from bot.platform.deps import Deps
from handlers.checkin import ack_only
from handlers.guard import guarded


def _log_only(_kwargs: dict[str, Any]) -> Any:
    return lambda _reply: None


def the_bot_joined(event: dict[str, Any], context: BoltContext) -> bool:
    """Only the bot's own joins matter: Slack also sends this event for everyone who joins a
    channel the bot is in."""
    return bool(event.get("user")) and event.get("user") == context.bot_user_id


def register(app: App, deps: Deps) -> None:
    """Listen for the bot being invited to a channel."""

    @guarded(_log_only)
    def bot_joined_channel(event: dict[str, Any]) -> None:
        channel = event.get("channel")
        if isinstance(channel, str) and channel:
            bot_joined(deps, channel)

    # Only the bot's own join is stored as work; every other join is acknowledged all the same
    # (an unhandled event would be a 404 that Slack retries). Bolt runs the first listener
    # whose matchers pass.
    app.event("member_joined_channel", matchers=[the_bot_joined])(
        ack=ack_only, lazy=[bot_joined_channel]
    )
    app.event("member_joined_channel")(ack_only)
