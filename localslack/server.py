"""LocalSlack: the Web API server, Socket Mode server and recordings, started together."""

from __future__ import annotations

import copy
import dataclasses
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

from localslack.limits import slack_rate_limits
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
from localslack.ratelimit import Faults, RateLimit, RateLimiter
from localslack.scopes import DEFAULT_MANIFEST, Grants
from localslack.socketmode import SocketHub
from localslack.state import FILE_PROCESSING_SECONDS, Identity, ResponseTarget, Workspace
from localslack.views import Views
from localslack.web import LocalHttpServer
from localslack.webapi import WebApi

T = TypeVar("T")
Manifest = str | Path | Mapping[str, Any] | None


class LocalSlack:
    """A fake Slack workspace on loopback that records everything the bot does.

    It refuses what Slack refuses: posts into channels the bot is not in, Block Kit over
    Slack's limits (checked with slack_sdk's models), `slack_file`s not yet processed, calls
    without the method's scope in the manifest, and calls over the method's rate-limit tier.

    `rate_limits` replaces the documented limit of some methods (None removes it);
    `slack_limits=False` starts from no limits instead of Slack's. `manifest` is the app's
    manifest.yml (a path or a parsed dict) whose bot scopes and events the app holds; by
    default the repository's manifest.yml when there is one, and None grants everything.
    `file_processing_seconds` is how long an upload takes to become usable in blocks.
    """

    def __init__(
        self,
        *,
        users: Iterable[User] = (),
        channels: Iterable[Channel] = (),
        bot_token: str = "xoxb-local-bot",
        app_token: str = "xapp-local-app",
        team_id: str = "T0LOCAL",
        bot_user_id: str = "UBOT",
        bot_id: str = "BBOT",
        rate_limits: Mapping[str, RateLimit | None] | None = None,
        slack_limits: bool = True,
        manifest: Manifest = DEFAULT_MANIFEST,
        file_processing_seconds: float = FILE_PROCESSING_SECONDS,
        host: str = "127.0.0.1",
    ) -> None:
        grants = Grants.default() if manifest is DEFAULT_MANIFEST else Grants.load(manifest)
        self.workspace = Workspace(
            Identity(
                bot_token=bot_token,
                app_token=app_token,
                team_id=team_id,
                bot_user_id=bot_user_id,
                bot_id=bot_id,
            ),
            grants,
        )
        self.workspace.file_processing_seconds = file_processing_seconds
        if slack_limits:
            limits = slack_rate_limits(rate_limits)
        else:
            limits = {m: lim for m, lim in (rate_limits or {}).items() if lim is not None}
        self.views = Views(self.workspace)
        self.api = WebApi(self.workspace, self.views, RateLimiter(limits))
        self.socket_hub = SocketHub(self.workspace, host)
        self.api.open_connection = self.socket_hub.issue_url
        self.host = host
        self._http: LocalHttpServer | None = None
        self._http_thread: threading.Thread | None = None
        self.add_user(User(id=bot_user_id, name="oneness", real_name="Oneness", is_bot=True))
        for user in users:
            self.add_user(user)
        for channel in channels:
            self.add_channel(channel)

    # lifecycle

    def start(self) -> LocalSlack:
        """Listen on free loopback ports (HTTP and websocket) and return self."""
        if self._http is not None:
            return self
        self._http = LocalHttpServer(self.api, self.host, 0)
        self._http_thread = threading.Thread(
            target=self._http.serve_forever, args=(0.05,), daemon=True, name="localslack-http"
        )
        self._http_thread.start()
        self.workspace.base_url = self.base_url
        self.socket_hub.start()
        return self

    def stop(self) -> None:
        """Stop both servers; recordings stay readable."""
        self.socket_hub.stop()
        if self._http is not None:
            self._http.shutdown()
            self._http.server_close()
            self._http = None
        if self._http_thread is not None:
            self._http_thread.join(timeout=5)
            self._http_thread = None

    def __enter__(self) -> LocalSlack:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        """E.g. "http://127.0.0.1:54321"."""
        if self._http is None:
            raise RuntimeError("LocalSlack is not started")
        return f"http://{self.host}:{self._http.server_address[1]}"

    @property
    def api_url(self) -> str:
        """The Web API root with a trailing slash, for WebClient(base_url=...)."""
        return f"{self.base_url}/api/"

    @property
    def bot_token(self) -> str:
        """The bot token (xoxb) accepted by every method but apps.connections.open."""
        return self.workspace.identity.bot_token

    @property
    def app_token(self) -> str:
        """The app-level token (xapp) for apps.connections.open."""
        return self.workspace.identity.app_token

    # people and channels

    def add_user(self, user: User) -> None:
        """Add or replace a user."""
        with self.workspace.lock:
            self.workspace.users[user.id] = dataclasses.replace(user)

    def add_channel(self, ch: Channel) -> None:
        """Add or replace a channel."""
        with self.workspace.lock:
            self.workspace.channels[ch.id] = dataclasses.replace(ch, members=list(ch.members))

    def set_user(self, user_id: str, **changes: Any) -> None:
        """Change fields of a user, e.g. deleted=True or tz="Asia/Tokyo"."""
        with self.workspace.lock:
            user = self.workspace.users[user_id]
            self.workspace.users[user_id] = dataclasses.replace(user, **changes)

    def invite(
        self, channel: str, user: str | None = None, *, inviter: str | None = None
    ) -> dict[str, Any] | None:
        """Add `user` (the bot by default) to a channel, as `/invite` does.

        Returns the `member_joined_channel` event Slack sends
        (https://docs.slack.dev/reference/events/member_joined_channel), or None when the
        user was already a member. The channel also gets Slack's `channel_join` message.
        """
        ws = self.workspace
        user = user or ws.identity.bot_user_id
        with ws.lock:
            found = ws.channels[channel]
            ws.require_user(user)
            if user in found.members:
                return None
            found.members.append(user)
            ts = ws.next_ts()
            text = f"<@{user}> has joined the channel"
            join = Message(channel=channel, ts=ts, user=user, text=text, subtype="channel_join")
            ws.add_message(join)
        event: dict[str, Any] = {
            "type": "member_joined_channel",
            "user": user,
            "channel": channel,
            "channel_type": "G" if found.is_private else "C",
            "team": ws.identity.team_id,
            "event_ts": ts,
        }
        if inviter:
            event["inviter"] = inviter
        return event

    def archive(self, channel: str) -> None:
        """Archive a channel: posts and uploads there are refused with `is_archived`."""
        with self.workspace.lock:
            self.workspace.channels[channel].is_archived = True

    def kick(self, channel: str, user: str | None = None) -> None:
        """Remove `user` (the bot by default) from a channel."""
        ws = self.workspace
        user = user or ws.identity.bot_user_id
        with ws.lock:
            members = ws.channels[channel].members
            if user in members:
                members.remove(user)

    def is_member(self, channel: str, user: str | None = None) -> bool:
        """Whether `user` (the bot by default) is in a channel."""
        ws = self.workspace
        with ws.lock:
            return (user or ws.identity.bot_user_id) in ws.channels[channel].members

    @property
    def grants(self) -> Grants:
        """The bot scopes and events the app holds (from its manifest)."""
        return self.workspace.grants

    @grants.setter
    def grants(self, grants: Grants) -> None:
        with self.workspace.lock:
            self.workspace.grants = grants

    def user(self, user_id: str) -> User:
        """A copy of one user."""
        with self.workspace.lock:
            return dataclasses.replace(self.workspace.users[user_id])

    def dm_id(self, user_id: str) -> str:
        """The id of the bot's DM with a user."""
        return self.workspace.dm_id(user_id)

    # runtime knobs

    def set_rate_limit(self, method: str, limit: RateLimit | None) -> None:
        """Limit a method from now on (None removes the limit)."""
        with self.workspace.lock:
            self.api.limiter.set(method, limit)

    def rate_limit(self, method: str) -> RateLimit | None:
        """The limit a method has now (None: unlimited)."""
        with self.workspace.lock:
            return self.api.limiter.limit(method)

    @property
    def rate_limited(self) -> dict[str, int]:
        """How many 429s each method answered so far (limits and injected faults)."""
        with self.workspace.lock:
            return dict(self.api.rate_limited)

    @property
    def file_processing_seconds(self) -> float:
        """How long an upload takes to become usable in a slack_file block."""
        return self.workspace.file_processing_seconds

    @file_processing_seconds.setter
    def file_processing_seconds(self, seconds: float) -> None:
        with self.workspace.lock:
            self.workspace.file_processing_seconds = seconds

    def file_processed(self, file_id: str) -> bool:
        """Whether an uploaded file has finished processing."""
        found = self.workspace.find_file(file_id)
        return found is not None and time.monotonic() >= found.ready_at

    @property
    def faults(self) -> Faults | None:
        """Injected failures, off (None) by default."""
        return self.api.faults

    @faults.setter
    def faults(self, faults: Faults | None) -> None:
        with self.workspace.lock:
            self.api.faults = faults

    # recordings

    @property
    def calls(self) -> list[ApiCall]:
        """Every Web API call so far, in order."""
        with self.workspace.lock:
            return list(self.workspace.calls)

    def calls_to(self, method: str) -> list[ApiCall]:
        """The calls of one method."""
        return [c for c in self.calls if c.method == method]

    def messages(self, channel: str) -> list[Message]:
        """Messages in a channel, DM id, or user's DM (by user id), oldest first."""
        with self.workspace.lock:
            conversation = self.workspace.conversation_id(channel)
            return copy.deepcopy(self.workspace.messages.get(conversation, []))

    def dms(self, user_id: str) -> list[Message]:
        """Messages in the bot's DM with a user, from either side."""
        return self.messages(self.workspace.dm_id(user_id))

    def ephemerals(self, user_id: str | None = None) -> list[Ephemeral]:
        """Ephemeral messages still shown, for one user or everyone."""
        with self.workspace.lock:
            found = [
                e
                for e in self.workspace.ephemerals
                if not e.deleted and (user_id is None or e.user == user_id)
            ]
            return copy.deepcopy(found)

    def home_view(self, user_id: str) -> dict[str, Any] | None:
        """The last App Home view published for a user."""
        return self.views.home(user_id)

    def open_views(self, user_id: str) -> list[dict[str, Any]]:
        """The user's open modals (root first), each with its "id"."""
        return self.views.modals(user_id)

    @property
    def files(self) -> list[UploadedFile]:
        """Files shared through files.completeUploadExternal."""
        with self.workspace.lock:
            return copy.deepcopy(self.workspace.files)

    @property
    def response_posts(self) -> list[ResponsePost]:
        """Bodies posted to response URLs."""
        with self.workspace.lock:
            return copy.deepcopy(self.workspace.response_posts)

    @property
    def deliveries(self) -> list[Delivery]:
        """What the driver sent to the bot and how it answered."""
        with self.workspace.lock:
            return list(self.workspace.deliveries)

    def reset_recordings(self) -> None:
        """Forget calls, messages, ephemerals, files, response posts and deliveries."""
        ws = self.workspace
        with ws.lock:
            for recording in (ws.calls, ws.ephemerals, ws.files, ws.response_posts, ws.deliveries):
                recording.clear()
            ws.messages.clear()
            self.api.rate_limited.clear()

    # socket mode

    def socket_clients(self) -> int:
        """How many Socket Mode clients are connected."""
        return self.socket_hub.clients()

    def wait_for_socket(self, timeout: float = 5.0) -> None:
        """Block until a Socket Mode client connects; TimeoutError otherwise."""
        if not self.socket_hub.wait_for_client(timeout):
            raise TimeoutError(f"no Socket Mode client connected within {timeout}s")

    def disconnect_sockets(self, reason: str = "refresh_requested") -> None:
        """Send every client a disconnect message and close it, as Slack does on rotation."""
        self.socket_hub.disconnect_all(reason)

    # for the driver

    def issue_trigger(self, user_id: str) -> str:
        """A trigger_id for an interaction by `user_id` (single use, 3 s)."""
        return self.workspace.issue_trigger(user_id)

    def issue_response_url(
        self, user_id: str, channel: str, *, message_ts: str | None = None, ephemeral: bool = False
    ) -> str:
        """A response_url bound to a user, a conversation and optionally a message."""
        target = ResponseTarget(
            user=user_id, channel=channel, message_ts=message_ts, ephemeral=ephemeral
        )
        return self.workspace.issue_response_url(target)

    # waiting

    def wait_for(
        self, predicate: Callable[[], T], timeout: float = 5.0, interval: float = 0.01
    ) -> T:
        """Poll `predicate` until it returns something truthy and return that."""
        deadline = time.monotonic() + timeout
        while True:
            value = predicate()
            if value:
                return value
            if time.monotonic() >= deadline:
                raise TimeoutError(f"condition not met within {timeout}s")
            time.sleep(interval)
