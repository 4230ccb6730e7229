"""The refusal every Web API method raises: Slack's `{"ok": false, "error": ...}`."""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """A Web API refusal: `{"ok": false, "error": error, **extra}`."""

    def __init__(self, error: str, **extra: Any) -> None:
        super().__init__(error)
        self.error = error
        self.extra = extra
