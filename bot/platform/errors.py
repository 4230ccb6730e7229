"""Domain exceptions: each carries the message the user sees; nothing was changed."""

from __future__ import annotations


class OnenessError(Exception):
    """A user-facing refusal. `str(error)` is shown ephemerally, as is."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class UsageError(OnenessError):
    """The command text could not be understood."""


class NotFound(OnenessError):
    """A team, person or channel named in the command does not exist."""


class NotAllowed(OnenessError):
    """The caller may not do this (not a lead, not the owner)."""


class Conflict(OnenessError):
    """The request contradicts the current state (already a member, cycle closed)."""
