"""Request bodies over 1 MB get 413 before they are read or verified, under waitress and under
another WSGI server; nothing of them is stored, and normal requests still work."""

from __future__ import annotations

import io
import json
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import pytest
from sqlalchemy import func, select

from bot.platform.server import MAX_BODY, OnenessWSGI
from storage.db import transaction
from storage.models import CheckIn, Job
from tests.checkin.test_weekly import FRIDAY_3PM_LONDON, make_team
from tests.harness import Oneness

TWO_MB = 2 * 1024 * 1024


def dm_body(o: Oneness, text: str) -> bytes:
    """The Events API body of a DM from Ann to the bot."""
    event = {
        "type": "message",
        "channel_type": "im",
        "user": "UANN",
        "channel": o.slack.dm_id("UANN"),
        "text": text,
        "ts": "1764000000.000100",
    }
    return json.dumps({"type": "event_callback", "event_id": "EvBIG", "event": event}).encode()


def post(port: int, body: bytes, headers: dict[str, str], *, chunked: bool = False) -> int:
    """POST over a plain socket and return the status. The answer is read while the body is
    still being sent: a server that refuses early closes the connection on the rest."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=15)
    answer = bytearray()

    def read() -> None:
        try:
            while chunk := sock.recv(65536):
                answer.extend(chunk)
        except OSError:
            pass

    reader = threading.Thread(target=read)
    reader.start()
    framing = {"Transfer-Encoding": "chunked"} if chunked else {"Content-Length": str(len(body))}
    head = "".join(f"{k}: {v}\r\n" for k, v in {**headers, **framing}.items())
    try:
        sock.sendall(
            f"POST /slack/events HTTP/1.1\r\nHost: bot\r\nConnection: close\r\n{head}\r\n".encode()
        )
        step = 64 * 1024
        for start in range(0, len(body), step):
            piece = body[start : start + step]
            sock.sendall(f"{len(piece):x}\r\n".encode() + piece + b"\r\n" if chunked else piece)
        if chunked:
            sock.sendall(b"0\r\n\r\n")
    except OSError:
        pass  # refused and closed mid-body: the answer was sent before
    reader.join(timeout=15)
    sock.close()
    status_line = bytes(answer).split(b"\r\n", 1)[0].decode()
    assert status_line.startswith("HTTP/1."), f"no HTTP answer: {bytes(answer[:200])!r}"
    return int(status_line.split()[1])


def stored(o: Oneness) -> tuple[int, int]:
    """(jobs, check-ins) in the database."""
    with transaction(o.deps.sessions) as session:
        jobs = session.scalar(select(func.count()).select_from(Job)) or 0
        rows = session.scalar(select(func.count()).select_from(CheckIn)) or 0
        return jobs, rows


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """No access log on stderr."""


@contextmanager
def wsgiref_server(o: Oneness) -> Iterator[WSGIServer]:
    """The same app behind the standard library's WSGI server, which does no bounding of its
    own and hands a chunked body on undecoded."""
    server = make_server(
        "127.0.0.1", 0, OnenessWSGI(o.server_app, o.deps.engine), handler_class=_Quiet
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("server", ["waitress", "wsgiref"])
def test_a_body_over_a_megabyte_is_refused_and_nothing_is_stored(
    oneness: Oneness, server: str
) -> None:
    o = oneness
    make_team(o, "UANN")
    o.advance_to(FRIDAY_3PM_LONDON)
    before = len(o.dms("UANN"))
    big = dm_body(o, "7 " + "x" * TWO_MB)
    signed = {"Content-Type": "application/json", **o.driver.sign(big)}
    small = dm_body(o, "7 fine")
    with serving_on(server, o) as port:
        assert post(port, big, signed) == 413
        assert post(port, big, signed, chunked=True) == 413
        o.settle()
        assert stored(o) == (0, 0) and len(o.dms("UANN")) == before
        ok = {"Content-Type": "application/json", **o.driver.sign(small)}
        assert post(port, small, ok) == 200
    o.settle()
    assert stored(o) == (0, 1)
    assert any("Recorded 7/10" in m.all_text() for m in o.dms("UANN"))


@contextmanager
def serving_on(server: str, o: Oneness) -> Iterator[int]:
    """The port of the harness's waitress, or of a wsgiref server running the same app."""
    if server == "waitress":
        yield o.server.port
        return
    with wsgiref_server(o) as other:
        yield other.server_port


def test_a_chunked_body_is_read_only_up_to_the_bound(oneness: Oneness) -> None:
    """A stream that never ends, as a server that passes a chunked body on would hand it over:
    the app stops reading one byte past the bound and answers 413."""

    class Endless(io.RawIOBase):
        read_bytes = 0

        def readable(self) -> bool:
            return True

        def readinto(self, buffer: Any) -> int:
            view = memoryview(buffer)
            view[:] = b"x" * len(view)
            self.read_bytes += len(view)
            return len(view)

    stream = Endless()
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/slack/events",
        "HTTP_TRANSFER_ENCODING": "chunked",
        "wsgi.input": stream,
    }
    statuses: list[str] = []
    app = OnenessWSGI(oneness.server_app, oneness.deps.engine)
    body = b"".join(app(environ, lambda status, headers: statuses.append(status)))
    assert statuses == ["413 Payload Too Large"] and b"too large" in body
    assert stream.read_bytes == MAX_BODY + 1
