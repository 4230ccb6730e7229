"""Team rules with no Slack and no database: valid names, how a schedule reads."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.platform.directory import Person

WEEKDAY_NAMES = {
    "mon": "Monday",
    "tue": "Tuesday",
    "wed": "Wednesday",
    "thu": "Thursday",
    "fri": "Friday",
    "sat": "Saturday",
    "sun": "Sunday",
}
NAME_LIMIT = 80
# Letters and digits of any script, spaces and a little punctuation: a team name can never
# carry Slack markup (`<!channel>`, `<@U…>`, links, *bold*), wherever it is shown.
_NAME = re.compile(r"[^\W_][\w .'&+()-]*", re.UNICODE)
NAME_RULE = (
    "A team name is 1 to 80 letters, digits, spaces and - . ' & + ( ), "
    "starting with a letter or digit"
)


def name_problem(name: str) -> str | None:
    """Why `name` cannot be a team name, or None when it can."""
    if not name or len(name) > NAME_LIMIT or not _NAME.fullmatch(name):
        return f"{NAME_RULE}."
    return None


def describe_schedule(weekday: str, time: str, zone: str) -> str:
    """`every Friday at 15:00 (Europe/London)`; zone `local` means each member's own."""
    where = "each member's own time zone" if zone == "local" else zone
    return f"every {WEEKDAY_NAMES[weekday]} at {time} ({where})"


@dataclass
class MembershipResult:
    """What an add/remove/lead did, person by person."""

    done: list[Person] = field(default_factory=list)
    unchanged: list[Person] = field(default_factory=list)
    refused: list[tuple[Person, str]] = field(default_factory=list)
