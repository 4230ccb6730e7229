"""The Web API front: auth, injected faults and rate limits, then the method groups."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from localslack.chat import ChatMethods
from localslack.conversations import ConversationMethods
from localslack.errors import ApiError
from localslack.files import FileMethods
from localslack.methods import Handler
from localslack.models import ApiCall
from localslack.params import text_arg
from localslack.ratelimit import Faults, RateLimiter
from localslack.state import Workspace
from localslack.users import UserMethods
from localslack.views import ViewMethods, Views


@dataclass
class ApiResult:
    """An HTTP answer: status, JSON body and extra headers; `reset` drops the connection."""

    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)
    reset: bool = False


class WebApi:
    """Slack's Web API over a Workspace, with auth, rate limits and injected faults."""

    def __init__(self, ws: Workspace, views: Views, limiter: RateLimiter) -> None:
        self.ws = ws
        self.limiter = limiter
        self.faults: Faults | None = None
        # 429 answers per method (rate limits and injected "429" faults alike).
        self.rate_limited: Counter[str] = Counter()
        self.open_connection: Callable[[], str] = lambda: ""
        self.chat = ChatMethods(ws)
        self.files = FileMethods(ws)
        self._handlers: dict[str, Handler] = {
            "api.test": lambda p: {"args": {k: v for k, v in p.items() if k != "token"}},
            "apps.connections.open": lambda p: {"url": self.open_connection()},
        }
        groups = (
            self.chat,
            ConversationMethods(ws),
            UserMethods(ws),
            ViewMethods(ws, views),
            self.files,
        )
        for group in groups:
            self._handlers.update(group.handlers())

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
            if result.status == 429:
                self.rate_limited[method] += 1
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
            # Slack refuses a call over its rate limit before serving it; faults strike the
            # calls it serves (so a rate-limited retry does not draw a fault of its own).
            retry_after = self.limiter.check(method, self._channel_key(params), time.monotonic())
            fault = None
            if retry_after is None and self.faults is not None:
                fault = self.faults.pick(method)
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
                self.ws.grants.require_for(method)
                answer = ApiResult(200, {"ok": True, **handler(params)})
        except ApiError as e:
            return _error(e.error, **e.extra)
        # "processed, then failed": the method ran and its effects stay.
        if fault == "processed_500":
            return ApiResult(500, {"ok": False, "error": "fatal_error"})
        if fault == "processed_reset":
            return ApiResult(0, {"ok": False, "error": "connection_reset"}, reset=True)
        return answer

    def _channel_key(self, params: dict[str, Any]) -> str | None:
        """The conversation a call is about, for per-channel rate limits."""
        ref = text_arg(params, "channel") or text_arg(params, "channel_id")
        return self.ws.conversation_id(ref) if ref else None

    def receive_upload(self, file_id: str, content: bytes) -> bool:
        """The bytes posted to an upload URL; False for an unknown URL."""
        return self.files.receive_upload(file_id, content)

    def post_response(self, token: str, body: Any) -> tuple[int, str | dict[str, Any]]:
        """A post to a response_url."""
        return self.chat.post_response(token, body)


def _error(error: str, **extra: Any) -> ApiResult:
    """A refusal, with HTTP 200 like Slack."""
    return ApiResult(200, {"ok": False, "error": error, **extra})
