"""Socket Mode: a websocket server the bot connects to, and envelopes sent over it."""

from __future__ import annotations

import itertools
import json
import threading
import uuid
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qs, urlsplit

from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response
from websockets.sync.server import Server, ServerConnection, serve

from localslack.state import Workspace


@dataclass
class _Pending:
    """An envelope waiting for its ack."""

    done: threading.Event = field(default_factory=threading.Event)
    ack: dict[str, Any] | None = None


class SocketHub:
    """Accepts Socket Mode clients and delivers envelopes to one of them."""

    def __init__(self, ws: Workspace, host: str = "127.0.0.1") -> None:
        self.ws = ws
        self.host = host
        self.port = 0
        self._cond = threading.Condition(ws.lock)
        self._server: Server | None = None
        self._thread: threading.Thread | None = None
        self._conns: list[ServerConnection] = []
        self._pending: dict[str, _Pending] = {}
        self._tickets: set[str] = set()
        self._turn = itertools.count()

    def start(self) -> None:
        """Listen on a free loopback port in a daemon thread."""
        self._server = serve(self._handle, self.host, 0, process_request=self._check_ticket)
        self.port = self._server.socket.getsockname()[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever, daemon=True, name="localslack-socket"
        )
        self._thread.start()

    def stop(self) -> None:
        """Close every connection and stop listening."""
        if self._server is not None:
            self._server.shutdown()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def issue_url(self) -> str:
        """A fresh wss URL for apps.connections.open."""
        ticket = uuid.uuid4().hex
        with self._cond:
            self._tickets.add(ticket)
        app_id = self.ws.identity.app_id
        return f"ws://{self.host}:{self.port}/link/?ticket={ticket}&app_id={app_id}"

    def _check_ticket(self, conn: ServerConnection, request: Request) -> Response | None:
        """Refuse the handshake unless the URL came from apps.connections.open."""
        parts = urlsplit(request.path)
        ticket = (parse_qs(parts.query).get("ticket") or [""])[0]
        with self._cond:
            known = ticket in self._tickets
        if parts.path.rstrip("/") != "/link" or not known:
            return conn.respond(HTTPStatus.UNAUTHORIZED, "invalid ticket\n")
        return None

    def _handle(self, conn: ServerConnection) -> None:
        """Say hello, then read acks until the client goes away."""
        with self._cond:
            self._conns.append(conn)
            count = len(self._conns)
            self._cond.notify_all()
        try:
            conn.send(
                json.dumps(
                    {
                        "type": "hello",
                        "num_connections": count,
                        "debug_info": {
                            "host": "localslack",
                            "build_number": 1,
                            "approximate_connection_time": 3600,
                        },
                        "connection_info": {"app_id": self.ws.identity.app_id},
                    }
                )
            )
            for raw in conn:
                self._on_message(raw)
        except ConnectionClosed:
            pass
        finally:
            with self._cond:
                if conn in self._conns:
                    self._conns.remove(conn)
                self._cond.notify_all()

    def _on_message(self, raw: str | bytes) -> None:
        """An ack from the client: wake whoever sent that envelope."""
        try:
            message = json.loads(raw)
        except json.JSONDecodeError:
            return
        if not isinstance(message, dict):
            return
        with self._cond:
            pending = self._pending.get(str(message.get("envelope_id")))
        if pending is not None:
            pending.ack = message
            pending.done.set()

    def clients(self) -> int:
        """How many clients are connected."""
        with self._cond:
            return len(self._conns)

    def wait_for_client(self, timeout: float) -> bool:
        """Block until at least one client is connected; False on timeout."""
        with self._cond:
            return self._cond.wait_for(lambda: bool(self._conns), timeout)

    def deliver(
        self,
        kind: str,
        payload: dict[str, Any],
        *,
        timeout: float,
        retry_attempt: int = 0,
        retry_reason: str = "",
    ) -> dict[str, Any] | None:
        """Send an envelope to one client and return its ack, or None if none came in time."""
        if not self.wait_for_client(timeout):
            raise RuntimeError("no Socket Mode client is connected")
        envelope_id = str(uuid.uuid4())
        envelope: dict[str, Any] = {
            "envelope_id": envelope_id,
            "type": kind,
            "payload": payload,
            "accepts_response_payload": kind != "events_api",
        }
        if kind == "events_api":
            envelope["retry_attempt"] = retry_attempt
            envelope["retry_reason"] = retry_reason
        pending = _Pending()
        with self._cond:
            conn = self._conns[next(self._turn) % len(self._conns)]
            self._pending[envelope_id] = pending
        try:
            conn.send(json.dumps(envelope))
            pending.done.wait(timeout)
        except ConnectionClosed:
            return None
        finally:
            with self._cond:
                self._pending.pop(envelope_id, None)
        return pending.ack

    def disconnect_all(self, reason: str = "refresh_requested") -> None:
        """Ask every client to reconnect, the way Slack rotates connections."""
        with self._cond:
            conns = list(self._conns)
        for conn in conns:
            try:
                conn.send(
                    json.dumps(
                        {
                            "type": "disconnect",
                            "reason": reason,
                            "debug_info": {"host": "localslack"},
                        }
                    )
                )
                conn.close()
            except ConnectionClosed:
                continue
