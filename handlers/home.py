"""App Home and account changes."""

from __future__ import annotations

from typing import Any

from slack_bolt import App

from bot.home.service import publish_home
from bot.platform.deps import Deps
from bot.teams.accounts import account_changed
from handlers.checkin import ack_only
from handlers.guard import guarded


def _log_only(_kwargs: dict[str, Any]) -> Any:
    return lambda _reply: None


def register(app: App, deps: Deps) -> None:
    """Publish the home tab when opened; stop prompting deactivated people."""

    @guarded(_log_only)
    def home_opened(event: dict[str, Any]) -> None:
        if event.get("tab", "home") == "home":
            publish_home(deps, event["user"])

    @guarded(_log_only)
    def user_changed(event: dict[str, Any]) -> None:
        user = event.get("user") or {}
        if user.get("id"):
            account_changed(deps, user["id"], deleted=bool(user.get("deleted")))

    app.event("app_home_opened")(ack=ack_only, lazy=[home_opened])
    app.event("user_change")(ack=ack_only, lazy=[user_changed])
