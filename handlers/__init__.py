"""Bolt listeners, one module per feature; `register_listeners` wires them all to an App."""

from __future__ import annotations

from slack_bolt import App

from bot.deps import Deps
from handlers import checkin, commands, home, privacy, rally, setup


def register_listeners(app: App, deps: Deps) -> None:
    """Register every feature's listeners."""
    for feature in (commands, setup, checkin, home, rally, privacy):
        feature.register(app, deps)
