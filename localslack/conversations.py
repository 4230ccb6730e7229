"""conversations.* methods."""

from __future__ import annotations

import hashlib
from decimal import Decimal
from typing import Any

from localslack.errors import ApiError
from localslack.methods import Handler, Methods, paginate, ts_arg
from localslack.models import Channel
from localslack.params import bool_arg, list_arg, text_arg


class ConversationMethods(Methods):
    """Channels, DMs and their history."""

    def handlers(self) -> dict[str, Handler]:
        """conversations.* handlers."""
        return {
            "conversations.open": self.conversations_open,
            "conversations.history": self.conversations_history,
            "conversations.replies": self.conversations_replies,
            "conversations.info": self.conversations_info,
            "conversations.members": self.conversations_members,
            "conversations.list": self.conversations_list,
            "conversations.join": self.conversations_join,
        }

    def _conversation_info(self, conversation: str) -> dict[str, Any]:
        """conversations.info's channel object."""
        user_id = self.ws.dm_user(conversation)
        if user_id is not None:
            return {
                "id": conversation,
                "created": 0,
                "is_im": True,
                "is_org_shared": False,
                "user": user_id,
                "is_user_deleted": self.ws.users[user_id].deleted,
                "is_private": True,
                "is_member": True,
                "is_archived": False,
            }
        ch = self.ws.channels[conversation]
        mpim = ch.name.startswith("mpdm-")
        bot_in = self.ws.identity.bot_user_id in ch.members
        return {
            "id": ch.id,
            "name": ch.name,
            "created": 0,
            "is_channel": not ch.is_private,
            "is_group": ch.is_private and not mpim,
            "is_im": False,
            "is_mpim": mpim,
            "is_private": ch.is_private,
            "is_archived": ch.is_archived,
            "is_general": False,
            "is_member": bot_in,
            "num_members": len(ch.members),
        }

    def conversations_open(self, params: dict[str, Any]) -> dict[str, Any]:
        """The DM with one user, or a group DM with several."""
        if text_arg(params, "channel"):
            channel = self.conversation(params)
            self.ws.grants.require_for("conversations.open", [self.ws.conversation_kind(channel)])
            return {"channel": {"id": channel}, "no_op": True, "already_open": True}
        ids = list_arg(params, "users")
        if not ids:
            raise ApiError("users_list_not_supplied")
        self.ws.grants.require_for("conversations.open", ["im" if len(ids) == 1 else "mpim"])
        for user_id in ids:
            user = self.ws.require_user(user_id)
            if user.deleted:
                raise ApiError("user_disabled")
            if user.is_bot and len(ids) == 1:
                raise ApiError("cannot_dm_bot")
        if len(ids) == 1:
            channel = self.ws.dm_id(ids[0])
        else:
            members = [*sorted(set(ids)), self.ws.identity.bot_user_id]
            digest = hashlib.sha1(",".join(members).encode()).hexdigest()[:10]
            channel = "G" + digest.upper()
            if channel not in self.ws.channels:
                name = "mpdm-" + "--".join(self.ws.users[m].name for m in sorted(set(ids))) + "-1"
                self.ws.channels[channel] = Channel(channel, name, is_private=True, members=members)
        body: dict[str, Any] = {"channel": {"id": channel}}
        if bool_arg(params, "return_im"):
            body["channel"] = self._conversation_info(channel)
        return body

    def _readable(self, params: dict[str, Any], method: str, *, member: bool) -> str:
        """A conversation the bot may read with `method`: its scope, and membership if needed.

        Reading history needs membership (conversations.history: "not_in_channel: ... Only
        user tokens can access public channels they are not in"); a private channel the bot
        is not in does not exist for it (`channel_not_found`), public ones it may look up.
        """
        channel = self.conversation(params)
        self.ws.grants.require_for(method, [self.ws.conversation_kind(channel)])
        info = self.ws.channels.get(channel)
        outside = info is not None and self.ws.identity.bot_user_id not in info.members
        if info is not None and outside and (member or info.is_private):
            self.ws.require_member(channel)
        return channel

    def conversations_history(self, params: dict[str, Any]) -> dict[str, Any]:
        """Top-level messages, newest first, paginated."""
        channel = self._readable(params, "conversations.history", member=True)
        oldest = ts_arg(params, "oldest", Decimal(0))
        latest = ts_arg(params, "latest", Decimal("1e12"))
        inclusive = bool_arg(params, "inclusive")
        with_metadata = bool_arg(params, "include_all_metadata")

        def within(ts: Decimal) -> bool:
            if inclusive:
                return oldest <= ts <= latest
            return oldest < ts < latest

        found = [
            m
            for m in self.ws.messages.get(channel, [])
            if (not m.thread_ts or m.thread_ts == m.ts) and within(Decimal(m.ts))
        ]
        found.sort(key=lambda m: Decimal(m.ts), reverse=True)
        page, more, cursor = paginate(found, params, default_limit=100, max_limit=999)
        return {
            "messages": [m.to_api(include_metadata=with_metadata) for m in page],
            "has_more": more,
            "pin_count": 0,
            "response_metadata": {"next_cursor": cursor},
        }

    def conversations_replies(self, params: dict[str, Any]) -> dict[str, Any]:
        """A thread: the parent and its replies, oldest first."""
        channel = self._readable(params, "conversations.replies", member=True)
        ts = text_arg(params, "ts") or ""
        if self.ws.find_message(channel, ts) is None:
            raise ApiError("thread_not_found")
        found = [m for m in self.ws.messages.get(channel, []) if m.ts == ts or m.thread_ts == ts]
        page, more, cursor = paginate(found, params, default_limit=100, max_limit=999)
        with_metadata = bool_arg(params, "include_all_metadata")
        return {
            "messages": [m.to_api(include_metadata=with_metadata) for m in page],
            "has_more": more,
            "response_metadata": {"next_cursor": cursor},
        }

    def conversations_info(self, params: dict[str, Any]) -> dict[str, Any]:
        """One conversation (`is_member` says whether the bot is in it)."""
        channel = self._readable(params, "conversations.info", member=False)
        return {"channel": self._conversation_info(channel)}

    def conversations_members(self, params: dict[str, Any]) -> dict[str, Any]:
        """Who is in a conversation."""
        channel = self._readable(params, "conversations.members", member=False)
        members = self.ws.conversation_members(channel)
        page, _, cursor = paginate(members, params, default_limit=100, max_limit=1000)
        return {"members": page, "response_metadata": {"next_cursor": cursor}}

    def conversations_list(self, params: dict[str, Any]) -> dict[str, Any]:
        """Channels (and DMs with messages) of the requested types."""
        types = set(list_arg(params, "types") or ["public_channel"])
        self.ws.grants.require_for("conversations.list", sorted(types))
        found: list[dict[str, Any]] = []
        for channel in self.ws.channels.values():
            if channel.is_private and self.ws.identity.bot_user_id not in channel.members:
                continue  # a private channel is invisible to a bot that is not in it
            info = self._conversation_info(channel.id)
            kind = (
                "mpim"
                if info["is_mpim"]
                else "private_channel"
                if channel.is_private
                else "public_channel"
            )
            if kind in types:
                found.append(info)
        if "im" in types:
            found += [
                self._conversation_info(c)
                for c in self.ws.messages
                if self.ws.dm_user(c) is not None
            ]
        page, _, cursor = paginate(found, params, default_limit=100, max_limit=1000)
        return {"channels": page, "response_metadata": {"next_cursor": cursor}}

    def conversations_join(self, params: dict[str, Any]) -> dict[str, Any]:
        """The bot joins a public channel."""
        channel_id = self.conversation(params)
        channel = self.ws.channels.get(channel_id)
        if channel is None or channel.is_private:
            raise ApiError("method_not_supported_for_channel_type")
        if self.ws.identity.bot_user_id not in channel.members:
            channel.members.append(self.ws.identity.bot_user_id)
        return {"channel": self._conversation_info(channel_id)}
