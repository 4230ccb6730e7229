"""The Web API methods: each takes decoded arguments and returns the JSON Slack would."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.localslack.blockkit import validate_blocks, validate_view
from bot.localslack.models import (
    ApiCall,
    Channel,
    Ephemeral,
    Message,
    MessageVersion,
    ResponsePost,
    UploadedFile,
    User,
)
from bot.localslack.params import bool_arg, int_arg, json_arg, list_arg, text_arg
from bot.localslack.ratelimit import Faults, RateLimiter
from bot.localslack.state import (
    RESPONSE_URL_LIFETIME,
    RESPONSE_URL_USES,
    ApiError,
    PendingUpload,
    Workspace,
)
from bot.localslack.views import Views

MAX_TEXT = 40_000
Handler = Callable[[dict[str, Any]], dict[str, Any]]


@dataclass
class ApiResult:
    """An HTTP answer: status, JSON body and extra headers."""

    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)


class WebApi:
    """Slack's Web API over a Workspace, with auth, rate limits and injected faults."""

    def __init__(self, ws: Workspace, views: Views, limiter: RateLimiter) -> None:
        self.ws = ws
        self.views = views
        self.limiter = limiter
        self.faults: Faults | None = None
        self.base_url = ""
        self.open_connection: Callable[[], str] = lambda: ""
        self._handlers: dict[str, Handler] = {
            "api.test": lambda p: {"args": {k: v for k, v in p.items() if k != "token"}},
            "auth.test": self.auth_test,
            "chat.postMessage": self.chat_post_message,
            "chat.update": self.chat_update,
            "chat.postEphemeral": self.chat_post_ephemeral,
            "chat.delete": self.chat_delete,
            "chat.getPermalink": self.chat_get_permalink,
            "conversations.open": self.conversations_open,
            "conversations.history": self.conversations_history,
            "conversations.replies": self.conversations_replies,
            "conversations.info": self.conversations_info,
            "conversations.members": self.conversations_members,
            "conversations.list": self.conversations_list,
            "conversations.join": self.conversations_join,
            "users.info": self.users_info,
            "users.list": self.users_list,
            "views.open": self.views_open,
            "views.push": self.views_push,
            "views.update": self.views_update,
            "views.publish": self.views_publish,
            "files.getUploadURLExternal": self.files_get_upload_url,
            "files.completeUploadExternal": self.files_complete_upload,
            "apps.connections.open": lambda p: {"url": self.open_connection()},
            "team.info": self.team_info,
            "bots.info": self.bots_info,
        }

    # dispatch

    def call(self, method: str, params: dict[str, Any], token: str | None) -> ApiResult:
        """Answer one Web API call and record it."""
        recorded = {k: v for k, v in params.items() if k != "token"}
        result = self._answer(method, params, token)
        body = result.body
        call = ApiCall(
            method=method,
            params=recorded,
            ok=bool(body.get("ok")),
            error=body.get("error"),
            status=result.status,
            at=time.time(),
        )
        with self.ws.lock:
            self.ws.calls.append(call)
        return result

    def _answer(self, method: str, params: dict[str, Any], token: str | None) -> ApiResult:
        """Auth, faults, rate limits, then the method itself."""
        handler = self._handlers.get(method)
        if handler is None:
            return _error("unknown_method")
        ident = self.ws.identity
        if not token:
            return _error("not_authed")
        if token not in (ident.bot_token, ident.app_token):
            return _error("invalid_auth")
        if (method == "apps.connections.open") != (token == ident.app_token):
            return _error("not_allowed_token_type")
        with self.ws.lock:
            fault = self.faults.pick(method) if self.faults else None
            retry_after = None
            if fault is None:
                retry_after = self.limiter.check(
                    method, self._channel_key(params), time.monotonic()
                )
        if fault == "429":
            retry_after = 1
        if retry_after is not None:
            return ApiResult(
                429, {"ok": False, "error": "ratelimited"}, {"Retry-After": str(retry_after)}
            )
        if fault == "500":
            return ApiResult(500, {"ok": False, "error": "fatal_error"})
        if fault == "timeout" and self.faults is not None:
            time.sleep(self.faults.timeout_seconds)
            return ApiResult(500, {"ok": False, "error": "request_timeout"})
        try:
            with self.ws.lock:
                return ApiResult(200, {"ok": True, **handler(params)})
        except ApiError as e:
            return _error(e.error, **e.extra)

    def _channel_key(self, params: dict[str, Any]) -> str | None:
        """The conversation a call is about, for per-channel rate limits."""
        ref = text_arg(params, "channel") or text_arg(params, "channel_id")
        return self.ws.conversation_id(ref) if ref else None

    # helpers

    def _content(self, params: dict[str, Any], *, require: bool = True) -> tuple[str, list[Any]]:
        """Validated text and blocks of a message."""
        text = text_arg(params, "text") or ""
        blocks = json_arg(params, "blocks", error="invalid_blocks_format")
        if blocks is not None:
            errors = validate_blocks(blocks, surface="message")
            if errors:
                raise ApiError(
                    "invalid_blocks", errors=errors, response_metadata={"messages": errors}
                )
        if require and not text and not blocks and not params.get("attachments"):
            raise ApiError("no_text")
        if len(text) > MAX_TEXT:
            raise ApiError("msg_too_long")
        return text, self.ws.with_block_ids(list(blocks or []))

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

    def _bot_message(
        self,
        channel: str,
        text: str,
        blocks: list[Any],
        *,
        metadata: dict[str, Any] | None = None,
        thread_ts: str | None = None,
        files: list[dict[str, Any]] | None = None,
    ) -> Message:
        """Store a message from the bot."""
        ident = self.ws.identity
        return self.ws.add_message(
            Message(
                channel=channel,
                ts=self.ws.next_ts(),
                user=ident.bot_user_id,
                bot_id=ident.bot_id,
                text=text,
                blocks=blocks,
                metadata=metadata,
                thread_ts=thread_ts,
                files=files or [],
            )
        )

    def _own_message(self, params: dict[str, Any], ts_key: str, error: str) -> Message:
        """A message the bot posted, by channel and ts."""
        channel = text_arg(params, "channel") or ""
        if channel not in self.ws.channels and self.ws.dm_user(channel) is None:
            raise ApiError("channel_not_found")
        message = self.ws.find_message(channel, text_arg(params, ts_key) or "")
        if message is None:
            raise ApiError("message_not_found")
        if message.user != self.ws.identity.bot_user_id:
            raise ApiError(error)
        return message

    def _conversation(self, params: dict[str, Any], key: str = "channel") -> str:
        """An existing channel or DM id."""
        ref = text_arg(params, key) or ""
        if ref in self.ws.channels or self.ws.dm_user(ref) is not None:
            return ref
        raise ApiError("channel_not_found")

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
            "is_archived": False,
            "is_general": False,
            "is_member": bot_in,
            "num_members": len(ch.members),
        }

    def _view_arg(self, params: dict[str, Any], *, modal_only: bool) -> dict[str, Any]:
        """A validated view argument."""
        view = json_arg(params, "view", error="invalid_arguments")
        problems = validate_view(view)
        if not problems and modal_only and view.get("type") != "modal":
            problems = ["[ERROR] must be a modal [json-pointer:/view/type]"]
        if problems:
            raise ApiError(
                "invalid_arguments", errors=problems, response_metadata={"messages": problems}
            )
        errors = validate_blocks(view["blocks"], surface=view["type"])
        if errors:
            raise ApiError("invalid_blocks", errors=errors, response_metadata={"messages": errors})
        return view

    # auth, team, bots

    def auth_test(self, params: dict[str, Any]) -> dict[str, Any]:
        """Who the token belongs to."""
        ident = self.ws.identity
        return {
            "url": f"{self.base_url}/",
            "team": ident.team_name,
            "user": "oneness",
            "team_id": ident.team_id,
            "user_id": ident.bot_user_id,
            "bot_id": ident.bot_id,
            "is_enterprise_install": False,
        }

    def team_info(self, params: dict[str, Any]) -> dict[str, Any]:
        """The workspace."""
        ident = self.ws.identity
        return {
            "team": {
                "id": ident.team_id,
                "name": ident.team_name,
                "domain": ident.team_domain,
                "email_domain": "",
                "icon": {},
            }
        }

    def bots_info(self, params: dict[str, Any]) -> dict[str, Any]:
        """The app's bot."""
        ident = self.ws.identity
        return {
            "bot": {
                "id": ident.bot_id,
                "deleted": False,
                "name": "oneness",
                "app_id": ident.app_id,
                "user_id": ident.bot_user_id,
                "icons": {},
            }
        }

    # chat

    def chat_post_message(self, params: dict[str, Any]) -> dict[str, Any]:
        """Post a message to a channel, or to a user's DM when given a user id."""
        channel = self.ws.postable_conversation(text_arg(params, "channel") or "")
        text, blocks = self._content(params)
        metadata = self._metadata(params)
        thread_ts = text_arg(params, "thread_ts")
        if thread_ts and self.ws.find_message(channel, thread_ts) is None:
            raise ApiError("thread_not_found")
        message = self._bot_message(channel, text, blocks, metadata=metadata, thread_ts=thread_ts)
        return {"channel": channel, "ts": message.ts, "message": message.to_api()}

    def chat_update(self, params: dict[str, Any]) -> dict[str, Any]:
        """Edit a bot message; fields not given stay as they were."""
        message = self._own_message(params, "ts", "cant_update_message")
        text, blocks = self._content(params, require="metadata" not in params)
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
        members = self.ws.conversation_members(channel)
        if user.deleted or (members and user.id not in members):
            raise ApiError("user_not_in_channel")
        text, blocks = self._content(params)
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
        channel = self._conversation(params)
        ts = text_arg(params, "message_ts") or ""
        if self.ws.find_message(channel, ts) is None:
            raise ApiError("message_not_found")
        link = f"{self.base_url}/archives/{channel}/p{ts.replace('.', '')}"
        return {"channel": channel, "permalink": link}

    # conversations

    def conversations_open(self, params: dict[str, Any]) -> dict[str, Any]:
        """The DM with one user, or a group DM with several."""
        if text_arg(params, "channel"):
            channel = self._conversation(params)
            return {"channel": {"id": channel}, "no_op": True, "already_open": True}
        ids = list_arg(params, "users")
        if not ids:
            raise ApiError("users_list_not_supplied")
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

    def conversations_history(self, params: dict[str, Any]) -> dict[str, Any]:
        """Top-level messages, newest first, paginated."""
        channel = self._conversation(params)
        oldest = _ts_arg(params, "oldest", Decimal(0))
        latest = _ts_arg(params, "latest", Decimal("1e12"))
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
        page, more, cursor = _page(found, params, default_limit=100, max_limit=999)
        return {
            "messages": [m.to_api(include_metadata=with_metadata) for m in page],
            "has_more": more,
            "pin_count": 0,
            "response_metadata": {"next_cursor": cursor},
        }

    def conversations_replies(self, params: dict[str, Any]) -> dict[str, Any]:
        """A thread: the parent and its replies, oldest first."""
        channel = self._conversation(params)
        ts = text_arg(params, "ts") or ""
        if self.ws.find_message(channel, ts) is None:
            raise ApiError("thread_not_found")
        found = [m for m in self.ws.messages.get(channel, []) if m.ts == ts or m.thread_ts == ts]
        page, more, cursor = _page(found, params, default_limit=100, max_limit=999)
        with_metadata = bool_arg(params, "include_all_metadata")
        return {
            "messages": [m.to_api(include_metadata=with_metadata) for m in page],
            "has_more": more,
            "response_metadata": {"next_cursor": cursor},
        }

    def conversations_info(self, params: dict[str, Any]) -> dict[str, Any]:
        """One conversation."""
        return {"channel": self._conversation_info(self._conversation(params))}

    def conversations_members(self, params: dict[str, Any]) -> dict[str, Any]:
        """Who is in a conversation."""
        members = self.ws.conversation_members(self._conversation(params))
        page, _, cursor = _page(members, params, default_limit=100, max_limit=1000)
        return {"members": page, "response_metadata": {"next_cursor": cursor}}

    def conversations_list(self, params: dict[str, Any]) -> dict[str, Any]:
        """Channels (and DMs with messages) of the requested types."""
        types = set(list_arg(params, "types") or ["public_channel"])
        found: list[dict[str, Any]] = []
        for channel in self.ws.channels.values():
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
        page, _, cursor = _page(found, params, default_limit=100, max_limit=1000)
        return {"channels": page, "response_metadata": {"next_cursor": cursor}}

    def conversations_join(self, params: dict[str, Any]) -> dict[str, Any]:
        """The bot joins a public channel."""
        channel_id = self._conversation(params)
        channel = self.ws.channels.get(channel_id)
        if channel is None or channel.is_private:
            raise ApiError("method_not_supported_for_channel_type")
        if self.ws.identity.bot_user_id not in channel.members:
            channel.members.append(self.ws.identity.bot_user_id)
        return {"channel": self._conversation_info(channel_id)}

    # users

    def _user_object(self, user: User) -> dict[str, Any]:
        """users.info's user object, with the time zone offset as of now."""
        try:
            zone = ZoneInfo(user.tz)
        except (ZoneInfoNotFoundError, ValueError):
            zone = ZoneInfo("UTC")
        now = datetime.now(zone)
        offset = now.utcoffset()
        real_name = user.real_name or user.name
        return {
            "id": user.id,
            "team_id": self.ws.identity.team_id,
            "name": user.name,
            "real_name": real_name,
            "deleted": user.deleted,
            "is_bot": user.is_bot,
            "is_admin": user.is_admin,
            "is_owner": False,
            "is_app_user": False,
            "tz": user.tz,
            "tz_label": now.tzname() or user.tz,
            "tz_offset": int(offset.total_seconds()) if offset else 0,
            "profile": {
                "display_name": user.name,
                "display_name_normalized": user.name,
                "real_name": real_name,
                "real_name_normalized": real_name,
            },
            "updated": 0,
        }

    def users_info(self, params: dict[str, Any]) -> dict[str, Any]:
        """One user."""
        return {"user": self._user_object(self.ws.require_user(text_arg(params, "user") or ""))}

    def users_list(self, params: dict[str, Any]) -> dict[str, Any]:
        """Everyone, paginated."""
        users = list(self.ws.users.values())
        page, _, cursor = _page(users, params, default_limit=0, max_limit=1000)
        return {
            "members": [self._user_object(u) for u in page],
            "cache_ts": int(time.time()),
            "response_metadata": {"next_cursor": cursor},
        }

    # views

    def views_open(self, params: dict[str, Any]) -> dict[str, Any]:
        """Open a modal for the user whose interaction issued the trigger_id."""
        view = self._view_arg(params, modal_only=True)
        trigger = self.ws.use_trigger(text_arg(params, "trigger_id") or "")
        return {"view": self.views.open(trigger.user, view)}

    def views_push(self, params: dict[str, Any]) -> dict[str, Any]:
        """Push a modal onto the open stack."""
        view = self._view_arg(params, modal_only=True)
        trigger = self.ws.use_trigger(text_arg(params, "trigger_id") or "")
        return {"view": self.views.push(trigger.user, view)}

    def views_update(self, params: dict[str, Any]) -> dict[str, Any]:
        """Replace an open view by view_id or external_id."""
        view = self._view_arg(params, modal_only=False)
        view_id, external_id = text_arg(params, "view_id"), text_arg(params, "external_id")
        if not view_id and not external_id:
            raise ApiError("invalid_arguments")
        updated = self.views.update(
            view, view_id=view_id, external_id=external_id, hash_=text_arg(params, "hash")
        )
        return {"view": updated}

    def views_publish(self, params: dict[str, Any]) -> dict[str, Any]:
        """Publish a user's App Home."""
        view = self._view_arg(params, modal_only=False)
        if view["type"] != "home":
            raise ApiError("invalid_arguments", errors=["[ERROR] must be a home view"])
        user = self.ws.require_user(text_arg(params, "user_id") or "")
        return {"view": self.views.publish(user.id, view)}

    # files

    def files_get_upload_url(self, params: dict[str, Any]) -> dict[str, Any]:
        """Step one of an upload: where to send the bytes."""
        filename = text_arg(params, "filename")
        length = int_arg(params, "length", -1)
        if not filename or length < 0:
            raise ApiError("invalid_arguments")
        file_id = self.ws.new_id("F")
        self.ws.uploads[file_id] = PendingUpload(filename=filename, length=length)
        return {"upload_url": f"{self.base_url}/upload/{file_id}", "file_id": file_id}

    def receive_upload(self, file_id: str, content: bytes) -> bool:
        """Step two: the bytes posted to the upload URL; False for an unknown URL."""
        with self.ws.lock:
            pending = self.ws.uploads.get(file_id)
            if pending is None:
                return False
            pending.content = content
            return True

    def files_complete_upload(self, params: dict[str, Any]) -> dict[str, Any]:
        """Step three: share the uploaded files, with one message per channel."""
        items = json_arg(params, "files", error="invalid_arguments")
        if not isinstance(items, list) or not items:
            raise ApiError("invalid_arguments")
        refs = list_arg(params, "channels") or list_arg(params, "channel_id")
        channels = [self.ws.postable_conversation(ref) for ref in refs]
        comment = text_arg(params, "initial_comment")
        thread_ts = text_arg(params, "thread_ts")
        shared: list[dict[str, Any]] = []
        for item in items:
            file_id = item.get("id") if isinstance(item, dict) else None
            pending = self.ws.uploads.get(file_id or "")
            if pending is None or pending.content is None:
                raise ApiError("file_not_found")
            title = item.get("title") or pending.filename
            self.ws.files.append(
                UploadedFile(
                    id=file_id or "",
                    filename=pending.filename,
                    title=title,
                    content=pending.content,
                    channels=channels,
                    initial_comment=comment,
                )
            )
            del self.ws.uploads[file_id or ""]
            shared.append(
                {
                    "id": file_id,
                    "name": pending.filename,
                    "title": title,
                    "size": len(pending.content),
                    "channels": channels,
                    "url_private": f"{self.base_url}/files/{file_id}",
                }
            )
        for channel in channels:
            self._bot_message(channel, comment or "", [], thread_ts=thread_ts, files=shared)
        return {"files": shared}

    # response_url

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
                text, blocks = self._content(body)
            except ApiError as e:
                return 400, {"ok": False, "error": e.error, **e.extra}
            if bool_arg(body, "replace_original") and target.message_ts:
                return self._replace_original(
                    target.channel, target.message_ts, target.ephemeral, text, blocks
                )
            if body.get("response_type") == "in_channel":
                self._bot_message(
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


def _error(error: str, **extra: Any) -> ApiResult:
    """A refusal, with HTTP 200 like Slack."""
    return ApiResult(200, {"ok": False, "error": error, **extra})


def _ts_arg(params: dict[str, Any], key: str, default: Decimal) -> Decimal:
    """A message timestamp argument, compared exactly."""
    value = text_arg(params, key)
    if value is None:
        return default
    try:
        return Decimal(value)
    except InvalidOperation:
        raise ApiError("invalid_ts_" + key) from None


def _page(
    items: list[Any], params: dict[str, Any], *, default_limit: int, max_limit: int
) -> tuple[list[Any], bool, str]:
    """One page by `limit` and an opaque `cursor`: (page, has_more, next_cursor)."""
    limit = int_arg(params, "limit", default_limit)
    limit = min(limit, max_limit) if limit > 0 else (default_limit or len(items) or 1)
    cursor = text_arg(params, "cursor")
    start = 0
    if cursor:
        if not cursor.startswith("next:") or not cursor[5:].isdigit():
            raise ApiError("invalid_cursor")
        start = int(cursor[5:])
    page = items[start : start + limit]
    more = start + limit < len(items)
    return page, more, f"next:{start + limit}" if more else ""
