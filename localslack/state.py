"""The local workspace: who exists, what was said, what was called; guarded by one lock."""

from __future__ import annotations

import copy
import itertools
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from localslack.blockkit import err, slack_files
from localslack.errors import ApiError
from localslack.models import (
    ApiCall,
    Channel,
    Delivery,
    Ephemeral,
    Message,
    ResponsePost,
    UploadedFile,
    User,
)
from localslack.scopes import Grants

# Uploads finish processing a moment after files.completeUploadExternal answers: Slack
# completes them asynchronously ("It takes a few moments for all file properties to become
# available", slackapi/slack-github-action#413; a slack_file block sent at once fails,
# python-slack-sdk#1521: "If I wait for about 1 sec between these two operations then it
# works").
FILE_PROCESSING_SECONDS = 1.0
TRIGGER_LIFETIME = 3.0
RESPONSE_URL_LIFETIME = 30 * 60.0
RESPONSE_URL_USES = 5


@dataclass
class Trigger:
    """A trigger_id the driver handed to the bot; single use, short lived."""

    user: str
    issued: float
    used: bool = False


@dataclass
class ResponseTarget:
    """Where posts to one response_url land."""

    user: str
    channel: str
    message_ts: str | None = None
    ephemeral: bool = False
    created: float = field(default_factory=time.monotonic)
    uses: int = 0


@dataclass
class StoredView:
    """A published home tab or an open modal."""

    user: str
    view: dict[str, Any]


@dataclass
class PendingUpload:
    """A file between files.getUploadURLExternal and files.completeUploadExternal."""

    filename: str
    length: int
    content: bytes | None = None


@dataclass
class Identity:
    """Who the app is in the workspace and which tokens it holds."""

    bot_token: str
    app_token: str
    team_id: str
    bot_user_id: str
    bot_id: str
    app_id: str = "A0LOCAL"
    team_name: str = "Local Slack"
    team_domain: str = "localslack"


class Workspace:
    """All state of the local Slack. Every read and write holds `lock`."""

    def __init__(self, identity: Identity, grants: Grants | None = None) -> None:
        self.identity = identity
        self.grants = grants or Grants.everything()
        self.file_processing_seconds = FILE_PROCESSING_SECONDS
        self.lock = threading.RLock()
        self.base_url = ""
        self.users: dict[str, User] = {}
        self.channels: dict[str, Channel] = {}
        self.messages: dict[str, list[Message]] = {}
        self.ephemerals: list[Ephemeral] = []
        self.calls: list[ApiCall] = []
        self.files: list[UploadedFile] = []
        self.uploads: dict[str, PendingUpload] = {}
        self.response_posts: list[ResponsePost] = []
        self.response_urls: dict[str, ResponseTarget] = {}
        self.triggers: dict[str, Trigger] = {}
        self.views: dict[str, StoredView] = {}
        self.modal_stacks: dict[str, list[str]] = {}
        self.home_views: dict[str, str] = {}
        self.deliveries: list[Delivery] = []
        self._counter = itertools.count(1)
        self._last_ts_us = 0

    # ids and timestamps

    def new_id(self, prefix: str) -> str:
        """A fresh id such as "V000123" (unique within this workspace)."""
        with self.lock:
            return f"{prefix}{next(self._counter):06d}"

    def next_ts(self) -> str:
        """A message ts: wall-clock microseconds, strictly increasing."""
        with self.lock:
            us = max(int(time.time() * 1_000_000), self._last_ts_us + 1)
            self._last_ts_us = us
            return f"{us // 1_000_000}.{us % 1_000_000:06d}"

    def with_block_ids(self, blocks: list[Any]) -> list[Any]:
        """A copy of `blocks` where each block lacking a block_id gets one, as Slack does."""
        out = copy.deepcopy(blocks)
        for block in out:
            if isinstance(block, dict) and not block.get("block_id"):
                block["block_id"] = self.new_id("b")
        return out

    # people and conversations

    def dm_id(self, user_id: str) -> str:
        """The id of the DM between the bot and `user_id`."""
        return "D" + user_id

    def dm_user(self, conversation: str) -> str | None:
        """The user whose DM with the bot `conversation` is, else None."""
        if conversation.startswith("D") and conversation[1:] in self.users:
            return conversation[1:]
        return None

    def conversation_id(self, ref: str) -> str:
        """A channel, DM or user id (meaning the DM) as a conversation id; as-is if unknown."""
        with self.lock:
            if ref not in self.channels and ref in self.users:
                return self.dm_id(ref)
            return ref

    def require_user(self, user_id: str) -> User:
        """The user, or ApiError user_not_found."""
        user = self.users.get(user_id)
        if user is None:
            raise ApiError("user_not_found")
        return user

    def postable_conversation(self, ref: str) -> str:
        """Where chat.postMessage to `ref` lands, or the ApiError Slack would answer."""
        if not ref:
            raise ApiError("channel_not_found")
        if ref in self.channels:
            return ref
        by_name = [c.id for c in self.channels.values() if c.name == ref.removeprefix("#")]
        if by_name:
            return by_name[0]
        user_id = self.dm_user(ref) or (ref if ref[:1] in ("U", "W") else None)
        if user_id is None:
            raise ApiError("channel_not_found")
        user = self.require_user(user_id)
        if user.deleted:
            raise ApiError("account_inactive")
        if user.is_bot:
            raise ApiError("cannot_dm_bot")
        return self.dm_id(user_id)

    def conversation_kind(self, conversation: str) -> str:
        """The kind of a conversation, named as conversations.list's `types` name them."""
        if self.dm_user(conversation) is not None:
            return "im"
        channel = self.channels.get(conversation)
        if channel is None:
            raise ApiError("channel_not_found")
        if channel.name.startswith("mpdm-"):
            return "mpim"
        return "private_channel" if channel.is_private else "public_channel"

    def require_open(self, conversation: str) -> None:
        """Nothing can be posted or shared in an archived channel (chat.postMessage errors:
        "is_archived: Channel has been archived")."""
        channel = self.channels.get(conversation)
        if channel is not None and channel.is_archived:
            raise ApiError("is_archived")

    def require_member(self, conversation: str, *, public_without_joining: bool = False) -> None:
        """The bot must be in a channel to use it; DMs with a person always work.

        Slack answers `not_in_channel` for a public channel the bot has not joined and
        `channel_not_found` for a private one, which the bot cannot even see
        (https://docs.slack.dev/reference/methods/chat.postMessage, errors).
        `public_without_joining` is chat:write.public's exception for public channels.
        """
        channel = self.channels.get(conversation)
        if channel is None or self.identity.bot_user_id in channel.members:
            return
        if channel.is_private:
            raise ApiError("channel_not_found")
        if not public_without_joining:
            raise ApiError("not_in_channel")

    def conversation_members(self, conversation: str) -> list[str]:
        """Members of a channel, or the user and the bot for a DM."""
        user_id = self.dm_user(conversation)
        if user_id is not None:
            return [user_id, self.identity.bot_user_id]
        channel = self.channels.get(conversation)
        if channel is None:
            raise ApiError("channel_not_found")
        return list(channel.members)

    # files

    def find_file(self, file_id: str) -> UploadedFile | None:
        """A completed upload by id."""
        with self.lock:
            return next((f for f in self.files if f.id == file_id), None)

    def slack_file_errors(self, blocks: Any, now: float) -> list[str]:
        """Errors for `slack_file` objects that name no shared, processed file.

        Slack refuses the whole call with `invalid_blocks`, "invalid slack file
        [json-pointer:/blocks/0/slack_file]" (python-slack-sdk#1658), for a file it cannot
        show: unknown, private (never shared to a conversation), or still processing.
        """
        errors: list[str] = []
        for ref, pointer in slack_files(blocks):
            file_id = ref.get("id")
            url = ref.get("url")
            found = next(
                (f for f in self.files if f.id == file_id or (url and f.url_private == url)),
                None,
            )
            if found is None or not found.channels or now < found.ready_at:
                errors.append(err("invalid slack file", pointer))
        return errors

    # messages

    def add_message(self, message: Message) -> Message:
        """Store a message in its conversation (ts order)."""
        with self.lock:
            self.messages.setdefault(message.channel, []).append(message)
            return message

    def find_message(self, channel: str, ts: str) -> Message | None:
        """The message at (channel, ts), if any."""
        with self.lock:
            for message in self.messages.get(channel, []):
                if message.ts == ts:
                    return message
            return None

    def remove_message(self, channel: str, ts: str) -> bool:
        """Delete a message; False if it was not there."""
        with self.lock:
            kept = [m for m in self.messages.get(channel, []) if m.ts != ts]
            found = len(kept) != len(self.messages.get(channel, []))
            self.messages[channel] = kept
            return found

    def find_ephemeral(self, channel: str, ts: str) -> Ephemeral | None:
        """The ephemeral message at (channel, ts), if any."""
        with self.lock:
            for ephemeral in self.ephemerals:
                if ephemeral.channel == channel and ephemeral.ts == ts and not ephemeral.deleted:
                    return ephemeral
            return None

    # interactions

    def issue_trigger(self, user: str) -> str:
        """A fresh trigger_id for an interaction by `user`."""
        with self.lock:
            trigger_id = f"{next(self._counter)}.{int(time.time())}.localtrigger"
            self.triggers[trigger_id] = Trigger(user=user, issued=time.monotonic())
            return trigger_id

    def use_trigger(self, trigger_id: str) -> Trigger:
        """Exchange a trigger_id, or the ApiError views.open would answer."""
        with self.lock:
            trigger = self.triggers.get(trigger_id)
            if trigger is None:
                raise ApiError("invalid_trigger_id")
            if trigger.used:
                raise ApiError("exchanged_trigger_id")
            if time.monotonic() - trigger.issued > TRIGGER_LIFETIME:
                raise ApiError("expired_trigger_id")
            trigger.used = True
            return trigger

    def issue_response_url(self, target: ResponseTarget) -> str:
        """A response_url whose posts land at `target`."""
        with self.lock:
            token = self.new_id("R")
            self.response_urls[token] = target
            return f"{self.base_url}/response/{token}"
