"""SlackDriver: sends the bot what Slack would send, over signed HTTP or Socket Mode."""

from __future__ import annotations

import copy
import json
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from slack_sdk.signature import SignatureVerifier

from localslack.blockkit import validate_blocks, validate_view
from localslack.errors import ApiError
from localslack.models import Delivery, Ephemeral, Message, MessageVersion, User, all_text
from localslack.payloads import action, find_element, missing_required, view_state
from localslack.server import LocalSlack
from localslack.users import user_object

VERIFICATION_TOKEN = "localslack-verification-token"
FORM = "application/x-www-form-urlencoded"
ACK_DEADLINE = 3.0


@dataclass
class Reply:
    """How the bot answered one delivery."""

    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)
    elapsed: float = 0.0
    timed_out: bool = False
    event_id: str | None = None
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Acknowledged with HTTP 200."""
        return self.status == 200

    @property
    def acked_in_time(self) -> bool:
        """Acknowledged with 200 within Slack's three seconds."""
        return self.ok and self.elapsed <= ACK_DEADLINE

    @property
    def ephemeral_text(self) -> str:
        """What the invoking user saw at once: the ack body's text and blocks."""
        if isinstance(self.body, dict):
            return all_text(self.body.get("text"), self.body.get("blocks"))
        return self.body if isinstance(self.body, str) else ""

    @property
    def response_action(self) -> str | None:
        """A view_submission answer's response_action, if any."""
        return self.body.get("response_action") if isinstance(self.body, dict) else None


class SlackDriver:
    """Plays Slack's side towards the bot: commands, clicks, submissions and events."""

    def __init__(
        self,
        slack: LocalSlack,
        *,
        bot_url: str | None = None,
        signing_secret: str | None = None,
        socket: bool = False,
        timeout: float = 10.0,
    ) -> None:
        if not socket and (not bot_url or not signing_secret):
            raise ValueError("HTTP mode needs bot_url and signing_secret")
        self.slack = slack
        self.bot_url = bot_url
        self.signing_secret = signing_secret
        self.socket = socket
        self.timeout = timeout
        self._events: dict[str, dict[str, Any]] = {}

    # identities

    def _user(self, user_id: str) -> User:
        """A user able to act; ValueError for unknown or deactivated ones."""
        try:
            user = self.slack.user(user_id)
        except KeyError:
            raise ValueError(f"unknown user {user_id!r}") from None
        if user.deleted:
            raise ValueError(f"{user_id} is deactivated and cannot use Slack")
        return user

    def _user_obj(self, user: User) -> dict[str, Any]:
        """The `user` object of interaction payloads."""
        team_id = self.slack.workspace.identity.team_id
        return {"id": user.id, "username": user.name, "name": user.name, "team_id": team_id}

    def _team(self) -> dict[str, Any]:
        """The `team` object of interaction payloads."""
        ident = self.slack.workspace.identity
        return {"id": ident.team_id, "domain": ident.team_domain}

    def _channel_name(self, channel: str) -> str:
        """A channel's name; "directmessage" for DMs."""
        with self.slack.workspace.lock:
            found = self.slack.workspace.channels.get(channel)
        return found.name if found else "directmessage"

    # slash commands

    def slash(
        self,
        user: str,
        text: str = "",
        *,
        command: str = "/oneness",
        channel: str | None = None,
        retry_num: int | None = None,
    ) -> Reply:
        """Run a slash command as `user` (in their DM with the bot unless `channel` is given)."""
        actor = self._user(user)
        ident = self.slack.workspace.identity
        conversation = self.slack.workspace.conversation_id(channel or user)
        payload = {
            "token": VERIFICATION_TOKEN,
            "team_id": ident.team_id,
            "team_domain": ident.team_domain,
            "channel_id": conversation,
            "channel_name": self._channel_name(conversation),
            "user_id": actor.id,
            "user_name": actor.name,
            "command": command,
            "text": text,
            "api_app_id": ident.app_id,
            "is_enterprise_install": "false",
            "response_url": self.slack.issue_response_url(actor.id, conversation),
            "trigger_id": self.slack.issue_trigger(actor.id),
        }
        headers = self._retry_headers(retry_num, "http_timeout")
        reply = self._deliver("slash_commands", payload, urlencode(payload).encode(), FORM, headers)
        if reply.ok:
            self._show_ack(reply, actor.id, conversation)
        return reply

    def _show_ack(self, reply: Reply, user: str, channel: str) -> None:
        """Show a slash command's ack body the way Slack does."""
        body = reply.body
        if isinstance(body, str) and body.strip():
            body = {"text": body}
        if not isinstance(body, dict) or not (body.get("text") or body.get("blocks")):
            return
        blocks = body.get("blocks") or []
        reply.errors = validate_blocks(blocks, surface="message")
        if reply.errors:
            return
        ws = self.slack.workspace
        if body.get("response_type") == "in_channel":
            ws.add_message(
                Message(
                    channel=channel,
                    ts=ws.next_ts(),
                    user=ws.identity.bot_user_id,
                    bot_id=ws.identity.bot_id,
                    text=body.get("text") or "",
                    blocks=ws.with_block_ids(blocks),
                )
            )
            return
        with ws.lock:
            ws.ephemerals.append(
                Ephemeral(
                    channel=channel,
                    user=user,
                    ts=ws.next_ts(),
                    text=body.get("text") or "",
                    blocks=ws.with_block_ids(blocks),
                    source="ack",
                )
            )

    # interactions

    def click(
        self, user: str, message: Message | Ephemeral, action_id: str, *, value: Any = None
    ) -> Reply:
        """Click a button (or choose in a menu) on a message or an ephemeral message."""
        actor = self._user(user)
        ws = self.slack.workspace
        ephemeral = isinstance(message, Ephemeral)
        with ws.lock:
            current: Message | Ephemeral | None = copy.deepcopy(
                ws.find_ephemeral(message.channel, message.ts)
                if ephemeral
                else ws.find_message(message.channel, message.ts)
            )
        if current is None:
            raise ValueError("that message is no longer shown")
        block_id, element = find_element(current.blocks, action_id)
        payload: dict[str, Any] = {
            "type": "block_actions",
            "user": self._user_obj(actor),
            "api_app_id": ws.identity.app_id,
            "token": VERIFICATION_TOKEN,
            "container": {
                "type": "message",
                "message_ts": current.ts,
                "channel_id": current.channel,
                "is_ephemeral": ephemeral,
            },
            "trigger_id": self.slack.issue_trigger(actor.id),
            "team": self._team(),
            "enterprise": None,
            "is_enterprise_install": False,
            "channel": {"id": current.channel, "name": self._channel_name(current.channel)},
            "state": {"values": {}},
            "response_url": self.slack.issue_response_url(
                actor.id, current.channel, message_ts=current.ts, ephemeral=ephemeral
            ),
            "actions": [action(element, block_id, value)],
        }
        if isinstance(current, Message):
            payload["message"] = current.to_api()
        return self._interactive(payload)

    def click_in_view(
        self, user: str, view: dict[str, Any], action_id: str, *, value: Any = None
    ) -> Reply:
        """Click or choose inside an open modal or the App Home."""
        actor = self._user(user)
        live = self._live_view(view)
        block_id, element = find_element(live.get("blocks"), action_id)
        ws = self.slack.workspace
        payload: dict[str, Any] = {
            "type": "block_actions",
            "user": self._user_obj(actor),
            "api_app_id": ws.identity.app_id,
            "token": VERIFICATION_TOKEN,
            "container": {"type": "view", "view_id": live["id"]},
            "trigger_id": self.slack.issue_trigger(actor.id),
            "team": self._team(),
            "enterprise": None,
            "is_enterprise_install": False,
            "view": {**live, "state": view_state(live, {})},
            "actions": [action(element, block_id, value)],
        }
        return self._interactive(payload)

    def submit_view(
        self, user: str, view: dict[str, Any], values: dict[str, dict[str, Any]] | None = None
    ) -> Reply:
        """Submit an open modal with `values` (block_id -> {action_id: value}) filled in."""
        actor = self._user(user)
        live = self._live_view(view)
        state = view_state(live, values or {})
        missing = missing_required(live, state)
        if missing:
            raise ValueError(f"required inputs {missing} are empty; Slack would not submit")
        ws = self.slack.workspace
        payload: dict[str, Any] = {
            "type": "view_submission",
            "team": self._team(),
            "user": self._user_obj(actor),
            "api_app_id": ws.identity.app_id,
            "token": VERIFICATION_TOKEN,
            "trigger_id": self.slack.issue_trigger(actor.id),
            "view": {**live, "state": state},
            "response_urls": [],
            "enterprise": None,
            "is_enterprise_install": False,
        }
        reply = self._interactive(payload)
        if reply.ok:
            self._apply_response_action(reply, actor.id, live["id"])
        return reply

    def _live_view(self, view: dict[str, Any]) -> dict[str, Any]:
        """The current version of an open view; ValueError if it is closed."""
        live = self.slack.views.get(str(view.get("id")))
        if live is None:
            raise ValueError(f"view {view.get('id')!r} is not open")
        return live

    def _apply_response_action(self, reply: Reply, user: str, view_id: str) -> None:
        """What Slack does with a view_submission ack."""
        views = self.slack.views
        kind = reply.response_action
        if kind is None:
            views.close(user, view_id)
        elif kind == "clear":
            views.clear(user)
        elif kind in ("update", "push"):
            new_view = reply.body.get("view")
            reply.errors = validate_view(new_view)
            if not reply.errors:
                reply.errors = validate_blocks(new_view["blocks"], surface=new_view["type"])
            if reply.errors:
                return
            try:
                if kind == "update":
                    views.update(new_view, view_id=view_id, external_id=None, hash_=None)
                else:
                    views.push(user, new_view)
            except ApiError as e:
                reply.errors = [e.error]
        elif kind != "errors":
            reply.errors = [f"unknown response_action {kind!r}"]

    # events

    def event(
        self,
        event: dict[str, Any],
        *,
        event_id: str | None = None,
        retry_num: int | None = None,
        retry_reason: str = "http_timeout",
    ) -> Reply:
        """Deliver an Events API event; pass the same event_id with retry_num to retry it."""
        ident = self.slack.workspace.identity
        event_id = event_id or f"Ev{uuid.uuid4().hex[:12].upper()}"
        envelope = self._events.get(event_id) if retry_num else None
        if envelope is None:
            envelope = {
                "token": VERIFICATION_TOKEN,
                "team_id": ident.team_id,
                "api_app_id": ident.app_id,
                "event": event,
                "type": "event_callback",
                "event_id": event_id,
                "event_time": int(time.time()),
                "authorizations": [
                    {
                        "enterprise_id": None,
                        "team_id": ident.team_id,
                        "user_id": ident.bot_user_id,
                        "is_bot": True,
                        "is_enterprise_install": False,
                    }
                ],
                "is_ext_shared_channel": False,
            }
            self._events[event_id] = envelope
        headers = self._retry_headers(retry_num, retry_reason)
        reply = self._deliver(
            "events_api",
            envelope,
            json.dumps(envelope).encode(),
            "application/json",
            headers,
            retry_num or 0,
            retry_reason,
        )
        reply.event_id = event_id
        return reply

    def dm(
        self, user: str, text: str, *, retry_num: int | None = None, event_id: str | None = None
    ) -> Reply:
        """`user` writes `text` to the bot in their DM (a retry resends the same message)."""
        if retry_num and event_id in self._events:
            return self.event(
                self._events[event_id]["event"], event_id=event_id, retry_num=retry_num
            )
        actor = self._user(user)
        ws = self.slack.workspace
        channel = ws.dm_id(actor.id)
        message = ws.add_message(
            Message(channel=channel, ts=ws.next_ts(), user=actor.id, text=text)
        )
        event = {
            "type": "message",
            "channel": channel,
            "user": actor.id,
            "text": text,
            "ts": message.ts,
            "event_ts": message.ts,
            "channel_type": "im",
            "client_msg_id": str(uuid.uuid4()),
            "team": ws.identity.team_id,
        }
        return self.event(event, event_id=event_id, retry_num=retry_num)

    def dm_with_file(
        self,
        user: str,
        text: str = "",
        *,
        filename: str = "screenshot.png",
        content: bytes = b"\x89PNG local",
        mimetype: str = "image/png",
    ) -> Reply | None:
        """`user` sends the bot a file in their DM, with `text` as its message.

        Slack sends a `message` event with `subtype: file_share` and the file objects in
        `files` (https://docs.slack.dev/reference/events/message/file_share); it carries no
        `team` field (slackapi/slack-api-specs#62). None when the app has not subscribed to
        `message.im`, as Slack then sends nothing.
        """
        actor = self._user(user)
        ws = self.slack.workspace
        channel = ws.dm_id(actor.id)
        file_id = ws.new_id("F")
        now = int(time.time())
        url = f"{ws.base_url}/files/{file_id}"
        shared = {
            "id": file_id,
            "created": now,
            "timestamp": now,
            "name": filename,
            "title": filename,
            "mimetype": mimetype,
            "filetype": filename.rsplit(".", 1)[-1] if "." in filename else "",
            "user": actor.id,
            "user_team": ws.identity.team_id,
            "editable": False,
            "size": len(content),
            "mode": "hosted",
            "is_external": False,
            "external_type": "",
            "is_public": False,
            "public_url_shared": False,
            "display_as_bot": False,
            "username": "",
            "url_private": url,
            "url_private_download": f"{url}/download",
        }
        client_msg_id = str(uuid.uuid4())
        message = ws.add_message(
            Message(
                channel=channel,
                ts=ws.next_ts(),
                user=actor.id,
                text=text,
                files=[shared],
                subtype="file_share",
                client_msg_id=client_msg_id,
            )
        )
        if not self.slack.grants.subscribed("message.im"):
            return None
        event = {
            "type": "message",
            "subtype": "file_share",
            "text": text,
            "files": [shared],
            "upload": True,
            "user": actor.id,
            "display_as_bot": False,
            "ts": message.ts,
            "client_msg_id": client_msg_id,
            "channel": channel,
            "event_ts": message.ts,
            "channel_type": "im",
        }
        return self.event(event)

    def edit_dm(self, user: str, message: Message, text: str) -> Reply | None:
        """`user` edits a message they wrote in their DM with the bot.

        Slack sends a `message` event with `subtype: message_changed`, the new `message`
        (its original `ts`, an `edited` stamp) and the `previous_message`
        (https://docs.slack.dev/reference/events/message/message_changed). None when the
        app has not subscribed to `message.im`.
        """
        actor = self._user(user)
        ws = self.slack.workspace
        with ws.lock:
            stored = ws.find_message(message.channel, message.ts)
            if stored is None or stored.user != actor.id:
                raise ValueError(f"{user} has no message {message.ts} to edit")
            previous = stored.to_api()
            stored.history.append(MessageVersion(stored.text, stored.blocks, stored.metadata))
            stored.text, stored.edited = text, True
            edited_ts = ws.next_ts()
            current = stored.to_api()
        current["edited"] = {"user": actor.id, "ts": edited_ts}
        previous.pop("edited", None)
        if not self.slack.grants.subscribed("message.im"):
            return None
        event = {
            "type": "message",
            "subtype": "message_changed",
            "message": current,
            "previous_message": previous,
            "channel": message.channel,
            "hidden": True,
            "ts": edited_ts,
            "event_ts": edited_ts,
            "channel_type": "im",
        }
        return self.event(event)

    def invite(
        self, channel: str, user: str | None = None, *, inviter: str | None = None
    ) -> Reply | None:
        """`/invite` a user (the bot by default) to a channel and tell the app.

        The app gets `member_joined_channel` when it subscribed to it and is in the channel
        ("Bot users will receive this event when a new member joins a channel your bot or
        app is already a member of", which includes being invited itself). None otherwise.
        """
        event = self.slack.invite(channel, user, inviter=inviter)
        subscribed = self.slack.grants.subscribed("member_joined_channel")
        if event is None or not subscribed or not self.slack.is_member(channel):
            return None
        return self.event(event)

    def deactivate(self, user: str) -> Reply | None:
        """An admin deactivates `user`; the app gets `user_change` with the whole user.

        (https://docs.slack.dev/reference/events/user_change: "user": the user object as
        users.info shows it.) None when the app has not subscribed to `user_change`.
        """
        self.slack.set_user(user, deleted=True)
        if not self.slack.grants.subscribed("user_change"):
            return None
        event = {
            "type": "user_change",
            "user": user_object(self.slack.workspace, self.slack.user(user)),
            "cache_ts": int(time.time()),
            "event_ts": f"{time.time():.6f}",
        }
        return self.event(event)

    def app_home_opened(self, user: str) -> Reply:
        """`user` opens the bot's Home tab."""
        actor = self._user(user)
        event: dict[str, Any] = {
            "type": "app_home_opened",
            "user": actor.id,
            "channel": self.slack.dm_id(actor.id),
            "tab": "home",
            "event_ts": f"{time.time():.6f}",
        }
        home = self.slack.home_view(actor.id)
        if home is not None:
            event["view"] = home
        return self.event(event)

    # transport

    def sign(self, body: bytes, timestamp: int | None = None) -> dict[str, str]:
        """Slack's signature headers for `body` (HTTP mode)."""
        if not self.signing_secret:
            raise ValueError("no signing secret")
        stamp = str(timestamp if timestamp is not None else int(time.time()))
        signature = str(
            SignatureVerifier(self.signing_secret).generate_signature(
                timestamp=stamp, body=body.decode()
            )
        )
        return {"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": signature}

    def raw(self, body: bytes, headers: dict[str, str]) -> Reply:
        """POST arbitrary bytes and headers to the bot (HTTP mode; for forged requests)."""
        if self.socket:
            raise ValueError("raw() needs HTTP mode")
        return self._http(body, dict(headers))

    def _retry_headers(self, retry_num: int | None, reason: str) -> dict[str, str]:
        """X-Slack-Retry-* headers for a retried delivery."""
        if not retry_num:
            return {}
        return {"X-Slack-Retry-Num": str(retry_num), "X-Slack-Retry-Reason": reason}

    def _interactive(self, payload: dict[str, Any]) -> Reply:
        """Deliver an interaction payload (form-encoded `payload=` over HTTP)."""
        body = urlencode({"payload": json.dumps(payload)}).encode()
        return self._deliver("interactive", payload, body, FORM, {})

    def _deliver(
        self,
        kind: str,
        payload: dict[str, Any],
        body: bytes,
        content_type: str,
        headers: dict[str, str],
        retry_attempt: int = 0,
        retry_reason: str = "",
    ) -> Reply:
        """Send over the configured transport and record the delivery."""
        if self.socket:
            started = time.monotonic()
            ack = self.slack.socket_hub.deliver(
                kind,
                payload,
                timeout=self.timeout,
                retry_attempt=retry_attempt,
                retry_reason=retry_reason,
            )
            elapsed = time.monotonic() - started
            reply = (
                Reply(0, None, elapsed=elapsed, timed_out=True)
                if ack is None
                else Reply(200, ack.get("payload"), elapsed=elapsed)
            )
        else:
            reply = self._http(body, {"Content-Type": content_type, **headers, **self.sign(body)})
        with self.slack.workspace.lock:
            self.slack.workspace.deliveries.append(
                Delivery(
                    kind=kind,
                    payload=payload,
                    status=reply.status,
                    body=reply.body,
                    elapsed=reply.elapsed,
                    mode="socket" if self.socket else "http",
                )
            )
        return reply

    def _http(self, body: bytes, headers: dict[str, str]) -> Reply:
        """POST to the bot's URL and read its answer, whatever the status."""
        headers.setdefault("Content-Type", FORM)
        request = urllib.request.Request(
            str(self.bot_url), data=body, headers=headers, method="POST"
        )
        started = time.monotonic()
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                status, raw, answer_headers = response.status, response.read(), response.headers
        except urllib.error.HTTPError as e:
            status, raw, answer_headers = e.code, e.read(), e.headers
        except (TimeoutError, urllib.error.URLError) as e:
            if isinstance(e, urllib.error.URLError) and not isinstance(e.reason, TimeoutError):
                raise
            return Reply(0, None, elapsed=time.monotonic() - started, timed_out=True)
        elapsed = time.monotonic() - started
        return Reply(
            status,
            _parse(raw, answer_headers.get("Content-Type", "")),
            dict(answer_headers.items()),
            elapsed=elapsed,
        )


def _parse(raw: bytes, content_type: str) -> Any:
    """A JSON body decoded, text as text, nothing as None."""
    if not raw:
        return None
    text = raw.decode(errors="replace")
    if "json" in content_type:
        try:
            return json.loads(text)
        except json.JSONDecodeError:
            return text
    return text
