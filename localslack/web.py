"""HTTP front of the local Slack: /api/<method>, /upload/<file>, /response/<token>."""

from __future__ import annotations

import json
import socket
import struct
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from localslack.webapi import WebApi


class LocalHttpServer(ThreadingHTTPServer):
    """A threaded HTTP server on loopback that answers for one WebApi."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, api: WebApi, host: str = "127.0.0.1", port: int = 0) -> None:
        super().__init__((host, port), _Handler)
        self.api = api


class _Handler(BaseHTTPRequestHandler):
    """Routes one request to the WebApi."""

    server: LocalHttpServer
    server_version = "LocalSlack/1"

    def log_message(self, format: str, *args: Any) -> None:
        """Stay quiet; calls are recorded in LocalSlack.calls instead."""

    def do_GET(self) -> None:
        """Web API calls by query string."""
        self._route(b"")

    def do_POST(self) -> None:
        """Web API calls, uploads and response_url posts."""
        length = int(self.headers.get("Content-Length") or 0)
        self._route(self.rfile.read(length) if length else b"")

    def _route(self, body: bytes) -> None:
        """Dispatch on the first path segment."""
        parts = urlsplit(self.path)
        segments = parts.path.strip("/").split("/", 1)
        head, rest = segments[0], segments[1] if len(segments) > 1 else ""
        api = self.server.api
        if head == "api" and rest:
            params = _query(parts.query)
            params.update(_body_params(body, self.headers.get("Content-Type", "")))
            token = _bearer(self.headers.get("Authorization")) or params.get("token")
            result = api.call(rest, params, token if isinstance(token, str) else None)
            if result.reset:
                self._reset()
                return
            self._send(
                result.status,
                json.dumps(result.body),
                "application/json; charset=utf-8",
                result.headers,
            )
        elif head == "upload" and self.command == "POST":
            content = _upload_bytes(body, self.headers.get("Content-Type", ""))
            if api.receive_upload(rest, content):
                self._send(200, f"OK - {len(content)}", "text/plain")
            else:
                self._send(404, "invalid_upload_url", "text/plain")
        elif head == "response" and self.command == "POST":
            try:
                payload = json.loads(body or b"null")
            except json.JSONDecodeError:
                payload = None
            status, answer = api.post_response(rest, payload)
            if isinstance(answer, dict):
                self._send(status, json.dumps(answer), "application/json; charset=utf-8")
            else:
                self._send(status, answer, "text/plain")
        else:
            self._send(404, "not_found", "text/plain")

    def _reset(self) -> None:
        """Drop the connection with a TCP reset and no answer, as a failing proxy would."""
        self.close_connection = True
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.connection.close()

    def _send(
        self, status: int, text: str, content_type: str, headers: dict[str, str] | None = None
    ) -> None:
        """Write a complete response."""
        data = text.encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)


def _bearer(header: str | None) -> str | None:
    """The token of an `Authorization: Bearer ...` header."""
    if header and header.lower().startswith("bearer "):
        return header[7:].strip() or None
    return None


def _query(query: str) -> dict[str, Any]:
    """Query-string arguments, one value each."""
    return {k: v[-1] for k, v in parse_qs(query, keep_blank_values=True).items()}


def _body_params(body: bytes, content_type: str) -> dict[str, Any]:
    """Arguments from a JSON, multipart or form-encoded body."""
    if not body:
        return {}
    kind = content_type.split(";")[0].strip().lower()
    if kind == "application/json":
        try:
            decoded = json.loads(body)
        except json.JSONDecodeError:
            return {}
        return decoded if isinstance(decoded, dict) else {}
    if kind == "multipart/form-data":
        return {
            name: value.decode(errors="replace") if filename is None else value
            for name, filename, value in _multipart(body, content_type)
        }
    return _query(body.decode(errors="replace"))


def _multipart(body: bytes, content_type: str) -> list[tuple[str, str | None, bytes]]:
    """(field name, filename, bytes) of each part of a multipart body."""
    head = f"Content-Type: {content_type}\r\n\r\n".encode()
    message = BytesParser(policy=HTTP).parsebytes(head + body)
    parts: list[tuple[str, str | None, bytes]] = []
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True)
        if isinstance(name, str) and isinstance(payload, bytes):
            parts.append((name, part.get_filename(), payload))
    return parts


def _upload_bytes(body: bytes, content_type: str) -> bytes:
    """The file content: the raw body, or the file part of a multipart body."""
    if content_type.lower().startswith("multipart/form-data"):
        for _, filename, value in _multipart(body, content_type):
            if filename is not None:
                return value
    return body
