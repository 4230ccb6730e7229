"""The `/oneness` grammar: every command parses, and every parsed command has a handler."""

from __future__ import annotations

import pytest

from bot.commands import grammar as c
from bot.commands.dispatch import _HANDLERS
from bot.platform.errors import UsageError


def all_command_types() -> set[type]:
    found: set[type] = set()
    todo = [c.Command]
    while todo:
        for sub in todo.pop().__subclasses__():
            found.add(sub)
            todo.append(sub)
    return found


def test_every_command_has_a_handler() -> None:
    assert all_command_types() == set(_HANDLERS)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", c.Help()),
        ("setup <#C1|team> Rocket Team", c.SetupInline(c.ChannelRef("C1", "team"), "Rocket Team")),
        ("add <@U1|ann> @bob", c.AddMembers((c.UserRef("U1", "ann"), c.UserRef(name="bob")))),
        ("schedule Friday 9:30 local", c.SetSchedule("fri", "09:30", "local")),
        ("rule floor 3 drop 2 team:Rocket", c.SetRule(3, 2, team="Rocket")),
        ("remind 90m", c.SetRemind(90)),
        ("remind off", c.SetRemind(None)),
        ("csat team 5 great", c.LogCsat(None, 5, "great")),
        ("forget me", c.ForgetMe()),
    ],
)
def test_parses(text: str, expected: c.Command) -> None:
    assert c.parse(text) == expected


@pytest.mark.parametrize(
    ("text", "hint"),
    [
        ("schedule fri 25:00", "24-hour HH:MM"),
        ("schedule fri 15:00 Mars/Base", "IANA"),
        ("rule floor 11 drop 2", "from 1 to 10"),
        ("csat @ann 6", "from 1 to 5"),
        ("pause @ann until tomorrow", "YYYY-MM-DD"),
        ("remind 5m", "30m to 6d"),
        ("export 2026-02-01..2026-01-01", "ends before it starts"),
        ("forget everything", "forget me"),
        ("status now", "takes nothing after it"),
    ],
)
def test_bad_arguments_say_what_to_type(text: str, hint: str) -> None:
    with pytest.raises(UsageError, match=hint):
        c.parse(text)
