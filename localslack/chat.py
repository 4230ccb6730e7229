"""chat.* methods and posts to response URLs."""

from __future__ import annotations

import time
from typing import Any

from localslack.errors import ApiError
from localslack.limits import MAX_UPDATE_TEXT
from localslack.methods import Handler, Methods
from localslack.models import Ephemeral, Message, MessageVersion, ResponsePost
from localslack.params import bool_arg, json_arg, text_arg
from localslack.scopes import WRITE_PUBLIC
from localslack.state import RESPONSE_URL_LIFETIME, RESPONSE_URL_USES


class ChatMethods(Methods):
    """Posting, editing and deleting messages."""

    def handlers(self) -> dict[str, Handler]:
        """chat.* handlers."""
        return {
            "chat.postMessage": self.chat_post_message,
            "chat.update": self.chat_update,
            "chat.postEphemeral": self.chat_post_ephemeral,
            "chat.delete": self.chat_delete,
            "chat.getPermalink": self.chat_get_permalink,
        }

    def _metadata(self, params: dict[str, Any]) -> dict[str, Any] | None:
        """Message metadata: event_type plus an event_payload object."""
        metadata = json_arg(params, "metadata", error="invalid_metadata_format")
        if metadata is None:
            return None
        if (
            not isinstance(metadata, dict)
            or not isinstance(metadata.get("event_type"), str)
            or not isinstance(metadata.get("event_payload", {}), dict)
        ):
            raise ApiError("invalid_metadata_format")
        return metadata

    def _own_message(self, params: dict[str, Any], ts_key: str, error: str) -> Message:
        """A message the bot posted, by channel and ts."""
        channel = text_arg(params, "channel") or ""
        if channel not in self.ws.channels and self.ws.dm_user(channel) is None:
            raise ApiError("channel_not_found")
        self.ws.require_member(channel)
        message = self.ws.find_message(channel, text_arg(params, ts_key) or "")
        if message is None:
            raise ApiError("message_not_found")
        if message.user != self.ws.identity.bot_user_id:
            raise ApiError(error)
        return message

    def chat_post_message(self, params: dict[str, Any]) -> dict[str, Any]:
        """Post a message to a channel, or to a user's DM when given a user id."""
        channel = self.ws.postable_conversation(text_arg(params, "channel") or "")
        self.ws.require_open(channel)
        self.ws.require_member(channel, public_without_joining=self.ws.grants.has(WRITE_PUBLIC))
        text, blocks = self.content(params)
        metadata = self._metadata(params)
        thread_ts = text_arg(params, "thread_ts")
        if thread_ts and self.ws.find_message(channel, thread_ts) is None:
            raise ApiError("thread_not_found")
        message = self.bot_message(channel, text, blocks, metadata=metadata, thread_ts=thread_ts)
        return {"channel": channel, "ts": message.ts, "message": message.to_api()}

    def chat_update(self, params: dict[str, Any]) -> dict[str, Any]:
        """Edit a bot message; fields not given stay as they were."""
        message = self._own_message(params, "ts", "cant_update_message")
        text, blocks = self.content(
            params, require="metadata" not in params, max_text=MAX_UPDATE_TEXT
        )
        message.history.append(MessageVersion(message.text, message.blocks, message.metadata))
        if "text" in params:
            message.text = text
        if "blocks" in params:
            message.blocks = blocks
        if "metadata" in params:
            message.metadata = self._metadata(params)
        message.edited = True
        return {
            "channel": message.channel,
            "ts": message.ts,
            "text": message.text,
            "message": message.to_api(),
        }

    def chat_post_ephemeral(self, params: dict[str, Any]) -> dict[str, Any]:
        """Show a message to one user in a conversation."""
        user = self.ws.require_user(text_arg(params, "user") or "")
        channel = self.ws.conversation_id(text_arg(params, "channel") or "")
        if channel not in self.ws.channels and self.ws.dm_user(channel) is None:
            raise ApiError("channel_not_found")
        # chat.postEphemeral's errors: not_in_channel, and user_not_in_channel for the user.
        self.ws.require_member(channel)
        members = self.ws.conversation_members(channel)
        if user.deleted or (members and user.id not in members):
            raise ApiError("user_not_in_channel")
        text, blocks = self.content(params)
        ts = self.ws.next_ts()
        self.ws.ephemerals.append(
            Ephemeral(
                channel=channel,
                user=user.id,
                ts=ts,
                text=text,
                blocks=blocks,
                source="chat.postEphemeral",
            )
        )
        return {"message_ts": ts}

    def chat_delete(self, params: dict[str, Any]) -> dict[str, Any]:
        """Delete a bot message."""
        message = self._own_message(params, "ts", "cant_delete_message")
        self.ws.remove_message(message.channel, message.ts)
        return {"channel": message.channel, "ts": message.ts}

    def chat_get_permalink(self, params: dict[str, Any]) -> dict[str, Any]:
        """A link to a message."""
        channel = self.conversation(params)
        ts = text_arg(params, "message_ts") or ""
        if self.ws.find_message(channel, ts) is None:
            raise ApiError("message_not_found")
        link = f"{self.ws.base_url}/archives/{channel}/p{ts.replace('.', '')}"
        return {"channel": channel, "permalink": link}

    def post_response(self, token: str, body: Any) -> tuple[int, str | dict[str, Any]]:
        """A post to a response_url: an ephemeral, an in-channel message, or an edit."""
        with self.ws.lock:
            target = self.ws.response_urls.get(token)
            if target is None:
                return 404, "no_service"
            if time.monotonic() - target.created > RESPONSE_URL_LIFETIME:
                return 404, "expired_url"
            if target.uses >= RESPONSE_URL_USES:
                return 404, "used_url"
            if not isinstance(body, dict):
                return 400, "invalid_payload"
            target.uses += 1
            self.ws.response_posts.append(ResponsePost(token=token, body=body))
            if bool_arg(body, "delete_original"):
                return self._delete_original(target.channel, target.message_ts, target.ephemeral)
            try:
                text, blocks = self.content(body)
            except ApiError as e:
                return 400, {"ok": False, "error": e.error, **e.extra}
            if bool_arg(body, "replace_original") and target.message_ts:
                return self._replace_original(
                    target.channel, target.message_ts, target.ephemeral, text, blocks
                )
            if body.get("response_type") == "in_channel":
                self.bot_message(
                    target.channel, text, blocks, thread_ts=text_arg(body, "thread_ts")
                )
            else:
                self.ws.ephemerals.append(
                    Ephemeral(
                        channel=target.channel,
                        user=target.user,
                        ts=self.ws.next_ts(),
                        text=text,
                        blocks=blocks,
                        source="response_url",
                    )
                )
            return 200, "ok"

    def _delete_original(self, channel: str, ts: str | None, ephemeral: bool) -> tuple[int, str]:
        """delete_original on the message a response_url belongs to."""
        if ts is None:
            return 404, "message_not_found"
        if ephemeral:
            found = self.ws.find_ephemeral(channel, ts)
            if found is None:
                return 404, "message_not_found"
            found.deleted = True
            return 200, "ok"
        return (200, "ok") if self.ws.remove_message(channel, ts) else (404, "message_not_found")

    def _replace_original(
        self, channel: str, ts: str, ephemeral: bool, text: str, blocks: list[Any]
    ) -> tuple[int, str]:
        """replace_original on the message a response_url belongs to."""
        if ephemeral:
            found_e = self.ws.find_ephemeral(channel, ts)
            if found_e is None:
                return 404, "message_not_found"
            found_e.text, found_e.blocks = text, blocks
            return 200, "ok"
        found = self.ws.find_message(channel, ts)
        if found is None:
            return 404, "message_not_found"
        found.history.append(MessageVersion(found.text, found.blocks, found.metadata))
        found.text, found.blocks, found.edited = text, blocks, True
        return 200, "ok"
