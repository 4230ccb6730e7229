"""LocalSlack: the Web API server, Socket Mode server and recordings, started together."""

from __future__ import annotations

import copy
import dataclasses
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from types import TracebackType
from typing import Any, TypeVar

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
from localslack.socketmode import SocketHub
from localslack.state import Identity, ResponseTarget, Workspace
from localslack.views import Views
from localslack.web import LocalHttpServer
from localslack.webapi import WebApi

T = TypeVar("T")


class LocalSlack:
    """A fake Slack workspace on loopback that records everything the bot does."""

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
        rate_limits: Mapping[str, RateLimit] | None = None,
        host: str = "127.0.0.1",
    ) -> None:
        self.workspace = Workspace(
            Identity(
                bot_token=bot_token,
                app_token=app_token,
                team_id=team_id,
                bot_user_id=bot_user_id,
                bot_id=bot_id,
            )
        )
        self.views = Views(self.workspace)
        self.api = WebApi(self.workspace, self.views, RateLimiter(dict(rate_limits or {})))
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
