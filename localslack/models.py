"""The records the local Slack keeps: people, channels, messages and what was called."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any


@dataclass
class User:
    """A workspace member."""

    id: str
    name: str
    real_name: str = ""
    tz: str = "Europe/London"
    deleted: bool = False
    is_bot: bool = False
    is_admin: bool = False


@dataclass
class Channel:
    """A public or private channel (DMs are implicit, one per user)."""

    id: str
    name: str
    is_private: bool = False
    members: list[str] = field(default_factory=list)
    is_archived: bool = False


@dataclass
class MessageVersion:
    """What a message said before a `chat.update` changed it."""

    text: str
    blocks: list[dict[str, Any]]
    metadata: dict[str, Any] | None


@dataclass
class Message:
    """A message visible to everyone in a conversation."""

    channel: str
    ts: str
    user: str
    text: str = ""
    blocks: list[dict[str, Any]] = field(default_factory=list)
    metadata: dict[str, Any] | None = None
    thread_ts: str | None = None
    edited: bool = False
    history: list[MessageVersion] = field(default_factory=list)
    files: list[dict[str, Any]] = field(default_factory=list)
    bot_id: str | None = None
    subtype: str | None = None
    client_msg_id: str | None = None

    def all_text(self) -> str:
        """The text and every text inside the blocks, one piece per line."""
        return all_text(self.text, self.blocks)

    def to_api(self, *, include_metadata: bool = True) -> dict[str, Any]:
        """The message as Slack's Web API and interaction payloads show it."""
        out: dict[str, Any] = {"type": "message", "ts": self.ts, "text": self.text}
        out["user"] = self.user
        if self.subtype:
            out["subtype"] = self.subtype
        if self.client_msg_id:
            out["client_msg_id"] = self.client_msg_id
        if self.bot_id:
            out["bot_id"] = self.bot_id
        if self.blocks:
            out["blocks"] = self.blocks
        if self.metadata is not None and include_metadata:
            out["metadata"] = self.metadata
        if self.thread_ts:
            out["thread_ts"] = self.thread_ts
        if self.edited:
            out["edited"] = {"user": self.user, "ts": self.ts}
        if self.files:
            out["files"] = self.files
        return out


@dataclass
class Ephemeral:
    """A message only `user` saw: postEphemeral, a response_url post or a slash-command ack."""

    channel: str
    user: str
    ts: str
    text: str = ""
    blocks: list[dict[str, Any]] = field(default_factory=list)
    source: str = "chat.postEphemeral"
    deleted: bool = False
    metadata: dict[str, Any] | None = None

    def all_text(self) -> str:
        """The text and every text inside the blocks, one piece per line."""
        return all_text(self.text, self.blocks)

    def to_api(self) -> dict[str, Any]:
        """The ephemeral message as an interaction payload would show it."""
        return {"type": "message", "ts": self.ts, "text": self.text, "blocks": self.blocks}


@dataclass
class UploadedFile:
    """A file shared through the three-step external upload."""

    id: str
    filename: str
    title: str
    content: bytes
    channels: list[str] = field(default_factory=list)
    initial_comment: str | None = None
    user: str = ""
    url_private: str = ""
    # When processing ends (time.monotonic()); a slack_file block may show it from then on.
    ready_at: float = 0.0


@dataclass
class ResponsePost:
    """A body posted to a response_url."""

    token: str
    body: dict[str, Any]
    # When it arrived (time.time(), like ApiCall.at): when the person saw the reply.
    at: float = field(default_factory=time.time)


@dataclass
class ApiCall:
    """One Web API call, answered or refused."""

    method: str
    params: dict[str, Any]
    ok: bool
    error: str | None
    status: int
    at: float


@dataclass
class Delivery:
    """One request the driver sent to the bot and how the bot answered."""

    kind: str
    payload: dict[str, Any]
    status: int
    body: Any
    elapsed: float
    mode: str


def all_text(text: str | None, blocks: Any) -> str:
    """`text` plus every text a person would read in `blocks`, joined by newlines."""
    parts: list[str] = [text] if text else []
    _collect_text(blocks, parts)
    return "\n".join(parts)


_TEXT_KEYS = ("text", "title", "label", "placeholder", "hint", "description")
# Options of a select menu stay hidden until it is opened; these show them inline.
_VISIBLE_OPTIONS = ("radio_buttons", "checkboxes")
_CHILD_KEYS = (*_TEXT_KEYS, "fields", "elements", "element", "accessory")


def _collect_text(node: Any, parts: list[str]) -> None:
    """Walk a Block Kit tree depth first, appending visible text in order."""
    if isinstance(node, list):
        for item in node:
            _collect_text(item, parts)
        return
    if not isinstance(node, dict):
        return
    if node.get("type") in ("plain_text", "mrkdwn") and isinstance(node.get("text"), str):
        parts.append(node["text"])
        return
    if node.get("type") in ("text", "link") and isinstance(node.get("text"), str):
        parts.append(node["text"])  # rich_text leaf elements
        return
    for key, value in node.items():
        visible_options = key == "options" and node.get("type") in _VISIBLE_OPTIONS
        if key in _CHILD_KEYS or visible_options:
            _collect_text(value, parts)
