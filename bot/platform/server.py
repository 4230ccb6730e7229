"""HTTP mode: a WSGI app with `POST /slack/events`, `GET /healthz` and, when the composition root
passes it, the public pages under `/p/`; served by gunicorn (`oneness run`, bot.platform.serving)
or, in-process, by waitress (`HttpServer`: tests, the demo, Socket Mode's promise pages).

Request bodies are bounded (`MAX_BODY`): Slack's payloads are a few kilobytes, and a larger one
is refused with 413 before it is read or verified, twice over: by waitress while the request
arrives, and by the WSGI app itself, so the bound holds under any WSGI server (gunicorn has no
body limit of its own).
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import asdict
from typing import Any

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from waitress import wasyncore
from waitress.server import BaseWSGIServer, MultiSocketServer, create_server

from bot.platform.work import wall_clock
from storage.jobs import backlog

log = logging.getLogger("oneness.server")

EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"
PAGES_PREFIX = "/p/"

_LAZY_HEADERS = ("HTTP_X_SLACK_BOLT_LAZY_ONLY", "HTTP_X_SLACK_BOLT_LAZY_FUNCTION_NAME")
WSGIApp = Callable[[dict[str, Any], Any], Iterable[bytes]]
MAX_BODY = 1024 * 1024  # bytes; Slack's largest payloads (a view submission) are far below it
_READ_STEP = 64 * 1024


class OnenessWSGI:
    """Routes Slack's requests to Bolt, answers the health check, and hands `/p/…` to `pages`
    (the promise page, bot.promise.page.PromisePage) when it is given."""

    def __init__(self, app: App, engine: Engine, *, pages: WSGIApp | None = None) -> None:
        self._slack = SlackRequestHandler(app, path=EVENTS_PATH)
        self._engine = engine
        self._pages = pages

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        # Bolt reads these headers as "run only this lazy function"; only the job runner may
        # say so (bot.platform.lazy), never a request from outside.
        for header in _LAZY_HEADERS:
            environ.pop(header, None)
        refused = _bound_body(environ)
        if refused is not None:
            return _plain(start_response, *refused)
        path = environ.get("PATH_INFO", "")
        method = environ.get("REQUEST_METHOD", "GET")
        if path == HEALTH_PATH and method in ("GET", "HEAD"):
            return _plain(start_response, *self._health())
        if self._pages is not None and path.startswith(PAGES_PREFIX):
            return self._pages(environ, start_response)
        if path == EVENTS_PATH and method == "POST":
            try:
                return self._slack(environ, start_response)
            except Exception:
                # Bolt itself can trip over a signed but malformed payload (a view without a
                # type); that is the sender's error, never a 5xx.
                log.exception("malformed Slack request refused")
                return _plain(
                    start_response,
                    "400 Bad Request",
                    b'{"ok": false, "error": "malformed request"}',
                )
        return _plain(start_response, "404 Not Found", b"Not Found")

    def _health(self) -> tuple[str, bytes]:
        """200 with the job backlog when the database answers, else 503."""
        try:
            jobs = backlog(self._engine, now=wall_clock())
        except SQLAlchemyError:
            return "503 Service Unavailable", b'{"ok": false, "error": "database unavailable"}'
        body = {"ok": True, "jobs": asdict(jobs)}
        return "200 OK", json.dumps(body).encode()


def _bound_body(environ: dict[str, Any]) -> tuple[str, bytes] | None:
    """None when the body may be read; else the refusal. A declared length over `MAX_BODY` is
    refused unread. A body of unknown length (chunked, where the server passes it on as a
    stream) is read up to one byte past the bound, and kept in memory for Bolt when within it."""
    declared = environ.get("CONTENT_LENGTH") or ""
    if declared:
        if not declared.isdigit():
            return "400 Bad Request", b'{"ok": false, "error": "bad content-length"}'
        return _TOO_LARGE if int(declared) > MAX_BODY else None
    if "chunked" not in environ.get("HTTP_TRANSFER_ENCODING", "").lower():
        return None
    body = _read_at_most(environ["wsgi.input"], MAX_BODY)
    if body is None:
        return _TOO_LARGE
    environ["wsgi.input"] = io.BytesIO(body)
    environ["CONTENT_LENGTH"] = str(len(body))
    return None


_TOO_LARGE = ("413 Payload Too Large", b'{"ok": false, "error": "request body too large"}')


def _read_at_most(stream: Any, limit: int) -> bytes | None:
    """The stream's bytes up to its end, or None as soon as it holds more than `limit`."""
    chunks: list[bytes] = []
    total = 0
    while total <= limit:
        chunk = stream.read(min(_READ_STEP, limit + 1 - total))
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
        total += len(chunk)
    return None


def _plain(start_response: Any, status: str, body: bytes) -> list[bytes]:
    start_response(
        status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
    )
    return [body]


class HttpServer:
    """A waitress server in this process, in the foreground or in a thread, stopping cleanly:
    for the tests, the demo and Socket Mode's promise pages. `oneness run` in HTTP mode serves
    through gunicorn instead (bot.platform.serving), with the same WSGI app."""

    def __init__(
        self,
        wsgi: OnenessWSGI | Any,
        *,
        host: str = "0.0.0.0",
        port: int = 3000,
        threads: int = 8,
        ident: str = "oneness",
        max_body: int | None = None,
    ) -> None:
        self._server: BaseWSGIServer | MultiSocketServer = create_server(
            wsgi,
            host=host,
            port=port,
            threads=threads,
            ident=ident,
            # Slack retries after 3 s; there is no point queueing requests much longer.
            channel_timeout=30,
            clear_untrusted_proxy_headers=True,
            # Refused while arriving, before the body is read (waitress refuses at >= its size);
            # a server that serves only small forms passes a smaller bound.
            max_request_body_size=(max_body or MAX_BODY) + 1,
        )
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        """The port actually bound (useful with port 0)."""
        return int(self._server.effective_port)  # type: ignore[union-attr]

    def serve_forever(self) -> None:
        """Serve until close() is called (from a signal handler or another thread)."""
        # asyncore raises on a closed socket map when close() races the loop; that is a stop.
        with contextlib.suppress(OSError, ValueError):
            self._server.run()

    def start_in_thread(self) -> HttpServer:
        """Serve in a daemon thread (tests, the demo)."""
        self._thread = threading.Thread(target=self.serve_forever, name="oneness-http", daemon=True)
        self._thread.start()
        return self

    def close(self) -> None:
        """Stop accepting requests, finish the requests in hand, and release the port."""
        server: Any = self._server
        server.task_dispatcher.shutdown()
        # One server keeps its socket map in `_map`, several in `map`; it may be empty.
        socket_map = getattr(server, "_map", None)
        wasyncore.close_all(server.map if socket_map is None else socket_map)
        if self._thread is not None:
            self._thread.join(timeout=5)
