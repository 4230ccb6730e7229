"""What the leads are told when the bot cannot post in their team's channel."""

from __future__ import annotations

from bot.platform.blocks import Reply, context, section
from bot.platform.escape import escape

INVITE = "/invite @Oneness"

# What a waiting delivery is, in words that name nobody (the leads' DM shows no member).
_WHAT = {
    "nudge": "a teammate's request for help",
    "summary": "the weekly summary",
    "file": "the summary's chart",
    "break": "a report of a broken promise",
    "promise": "the team's promise",
}


def describe(kind: str) -> str:
    """A delivery kind in words."""
    return _WHAT.get(kind, "a message")


def access_lost_message(team_name: str, channel_id: str, kind: str, *, gone: bool = False) -> Reply:
    """The one DM a lead gets when a post in the team's channel is refused for access (or the
    channel is out of reach altogether: archived, deleted, or private and the bot removed)."""
    name = escape(team_name)
    what = describe(kind)
    if gone:
        return Reply(
            text=f"I couldn't post {what} for {name}: I can't reach its channel.",
            blocks=[
                section(
                    f":warning: I couldn't post {what} for *{name}* in <#{channel_id}>: Slack "
                    "says the channel is archived or that I can't see it (deleted, or private "
                    f"and I was removed).\n:point_right: If it still exists, type `{INVITE}` "
                    "there: what I post from then on goes out. This post is not retried."
                ),
                context("You get this message once until I can post there again."),
            ],
        )
    return Reply(
        text=f"I couldn't post {what} for {name}: I'm not in its channel. Type {INVITE} there.",
        blocks=[
            section(
                f":warning: I couldn't post {what} for *{name}* in <#{channel_id}>: I'm not a "
                f"member of that channel.\n:point_right: Type `{INVITE}` in <#{channel_id}>. "
                "As soon as I'm in, I'll post everything that is waiting there (summary, chart, "
                "nudges), each once."
            ),
            context(
                "Until then, nothing else is lost: answers are stored and the week closes as "
                "usual. You get this message once however many posts wait."
            ),
        ],
    )


def access_line(channel_id: str, present: bool | None, waiting: int) -> str:
    """The App Home health line about the team's channel."""
    if present is False or waiting:
        held = f" {waiting} post{'s' if waiting != 1 else ''} waiting." if waiting else ""
        return f":warning: I'm not in <#{channel_id}>: type `{INVITE}` there.{held}"
    if present is None:
        return f"Channel <#{channel_id}>: not checked yet (I check when I first post there)."
    return f":white_check_mark: I'm in <#{channel_id}>."
