"""What `/oneness help` shows."""

from __future__ import annotations

from bot.commands.grammar import help_lines
from bot.platform.blocks import Reply, context, header, section


def help_reply() -> Reply:
    """The command list."""
    lines = "\n".join(f"`/oneness {usage}`  {meaning}" for usage, meaning in help_lines())
    return Reply(
        text="Oneness commands",
        blocks=[
            header("Oneness: how is your week, really?"),
            section(lines),
            context("Add `team:<name>` to pick a team when you are in several."),
        ],
    )
