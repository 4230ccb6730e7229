"""The stored vocabulary: every status and kind a column holds, as a StrEnum.

Members compare equal to their strings, so rows read back as plain `str` still match. This
module imports nothing (no SQLAlchemy, no Slack), so pure rules may use it.
"""

from __future__ import annotations

from enum import StrEnum


class Visibility(StrEnum):
    """Who may see a check-in beyond the member: named to the team, anonymous, leads only."""

    TEAM = "team"
    ANONYMOUS = "anonymous"
    LEADS = "leads"


class HelpKind(StrEnum):
    """The help a member asks for."""

    NONE = "none"
    TOOLS = "tools"
    SPECIALIST = "specialist"
    MENTORSHIP = "mentorship"
    OTHER = "other"


class CheckinKind(StrEnum):
    """A week's answer or a check-in outside the weekly prompt."""

    WEEKLY = "weekly"
    PULSE = "pulse"


class CheckinSource(StrEnum):
    """Where an answer came from."""

    BUTTON = "button"
    MODAL = "modal"
    TEXT = "text"


class RallyStatus(StrEnum):
    """A rally is open until the help lands (resolved) or the member withdraws it."""

    OPEN = "open"
    RESOLVED = "resolved"
    WITHDRAWN = "withdrawn"


class DeliveryStatus(StrEnum):
    """What became of an outgoing message."""

    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"
    SKIPPED = "skipped"
    # Refused because the bot is not in the team's channel; posted when the bot is invited.
    WAITING_ACCESS = "waiting_access"


class BreakSource(StrEnum):
    """Who reported a break."""

    TEAM = "team"
    CUSTOMER = "customer"


class BreakOrigin(StrEnum):
    """Where a break was reported."""

    COMMAND = "command"
    SHORTCUT = "shortcut"
    PAGE = "page"


class BreakStatus(StrEnum):
    """Where a break's remedy stands."""

    OPEN = "open"
    DELIVERED = "delivered"
    MISSED = "missed"


class RatingSource(StrEnum):
    """Who gave a customer rating: a lead with `/oneness csat`, or a customer on the page."""

    LEAD = "lead"
    CUSTOMER = "customer"
