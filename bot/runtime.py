"""What runs beside the listeners: the scheduler that sends what is due."""

from __future__ import annotations

from dataclasses import dataclass

from bot.deps import Deps


@dataclass
class Background:
    """Handles to background machinery, stopped together at shutdown."""

    def stop(self) -> None:
        """Stop everything started."""


def start_background(deps: Deps, *, scheduler: bool) -> Background:
    """Start the scheduler (when asked)."""
    return Background()
