"""Parsing people and channels out of command text, escaped by Slack or typed plainly."""

from __future__ import annotations

import re
from dataclasses import dataclass

_USER = re.compile(r"^<@([UW][A-Z0-9]+)(?:\|([^>]*))?>$")
_CHANNEL = re.compile(r"^<#([CGD][A-Z0-9]+)(?:\|([^>]*))?>$")
_PLAIN_NAME = re.compile(r"^[\w.\-']{1,80}$")


@dataclass(frozen=True)
class UserRef:
    """A person as typed: a Slack id when Slack escaped the mention, else a plain name."""

    user_id: str | None = None
    name: str | None = None

    def __str__(self) -> str:
        return f"<@{self.user_id}>" if self.user_id else f"@{self.name}"


@dataclass(frozen=True)
class ChannelRef:
    """A channel as typed: an id when Slack escaped it, else a plain name."""

    channel_id: str | None = None
    name: str | None = None

    def __str__(self) -> str:
        return f"<#{self.channel_id}>" if self.channel_id else f"#{self.name}"


def parse_user(token: str) -> UserRef | None:
    """`<@U123|ann>`, `<@U123>` or `@ann` as a UserRef; None if the token is not a person."""
    match = _USER.match(token)
    if match:
        return UserRef(user_id=match.group(1), name=match.group(2) or None)
    if token.startswith("@") and _PLAIN_NAME.match(token[1:]):
        return UserRef(name=token[1:].lower())
    return None


def parse_channel(token: str) -> ChannelRef | None:
    """`<#C123|team>`, `<#C123>` or `#team` as a ChannelRef; None if not a channel."""
    match = _CHANNEL.match(token)
    if match:
        return ChannelRef(channel_id=match.group(1), name=match.group(2) or None)
    if token.startswith("#") and _PLAIN_NAME.match(token[1:]):
        return ChannelRef(name=token[1:].lower())
    return None
