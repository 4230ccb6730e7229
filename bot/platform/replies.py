"""What commands answer: help, confirmations and refusals."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.commands.grammar import help_lines
from bot.platform.blocks import Block, context, header, section
from bot.teams.service import MembershipResult


@dataclass(frozen=True)
class Reply:
    """An ephemeral answer: fallback text and optional blocks."""

    text: str
    blocks: list[Block] = field(default_factory=list)


def text_reply(text: str) -> Reply:
    """A reply that is just text (shown as one section)."""
    return Reply(text=text, blocks=[section(text)])


def error_reply(message: str) -> Reply:
    """A refusal; the message says what was wrong and what to type instead."""
    return Reply(text=message, blocks=[section(f":warning: {message}")])


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


def _people(ids: list[str]) -> str:
    return ", ".join(f"<@{i}>" for i in ids)


def membership_reply(verb: str, team_name: str, result: MembershipResult) -> Reply:
    """What add/remove/lead did, naming each person."""
    lines: list[str] = []
    if result.done:
        lines.append(f"{verb.capitalize()} {_people([p.id for p in result.done])} in {team_name}.")
    if result.unchanged:
        already = {
            "added": "already members",
            "removed": "not members",
            "made lead": "already leads",
        }
        lines.append(
            f"{_people([p.id for p in result.unchanged])}: {already.get(verb, 'unchanged')}."
        )
    for person, reason in result.refused:
        lines.append(f":no_entry: <@{person.id}> {reason}, so I can't add them.")
    return text_reply("\n".join(lines) or "Nothing changed.")


def team_created_reply(team_name: str, channel_id: str, bot_in_channel: bool, when: str) -> Reply:
    """Confirmation of setup, with what to do next."""
    lines = [
        f":white_check_mark: Team *{team_name}* is set up in <#{channel_id}> with you as lead.",
        f"Check-ins go out {when}.",
        "Next: `/oneness add @ann @bob` to add members (leads are not prompted unless added).",
    ]
    if not bot_in_channel:
        lines.append(
            f":point_right: Invite me to <#{channel_id}> with `/invite @Oneness` "
            "so nudges and summaries can be posted there."
        )
    return text_reply("\n".join(lines))
