"""The rally: what happens after a check-in is stored (the drop rule runs here)."""

from __future__ import annotations

from collections.abc import Sequence

from bot.deps import Deps
from storage.models import CheckIn


def after_checkin(deps: Deps, checkins: Sequence[CheckIn]) -> None:
    """Run the drop rule for freshly stored check-ins."""
    return None
