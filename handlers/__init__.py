"""Bolt listeners, one module per feature; `register_listeners` wires them all to an App."""

from __future__ import annotations

from slack_bolt import App

from bot.platform.deps import Deps
from handlers import access, checkin, commands, home, privacy, promise, rally, teams


def register_listeners(app: App, deps: Deps) -> None:
    """Register every feature's listeners."""
    # Check-ins first: Bolt tries listeners in registration order, and answers are the bulk.
    for feature in (checkin, commands, teams, home, rally, promise, privacy, access):
        feature.register(app, deps)
