"""Prototype Web API clients for the fan-out benchmark (a copy to compare, not the bot's code).

`bot.slack_client.make_client` retries 429s with slack-sdk's RateLimitErrorRetryHandler,
which sleeps `int(Retry-After) + random.random()`: on average half a second longer than
Slack asked. A lone sequential sender (the scheduler's tick) loses that half second on every
429, and it meets one 429 per `burst` messages. Two candidate changes to
bot/slack_client.py, measured by `bench/fanout.py --variant exact|paced`:

- exact: sleep exactly Retry-After on a 429 (no jitter);
- paced: exact, plus a client-side token bucket that spaces chat.postMessage evenly at a
  configured workspace rate (burst 1), so the 429s (and their round trips) do not happen.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)

from bot.platform.slack import ExactRetryAfterHandler


class TokenBucket:
    """`rate` tokens a second, at most `burst` saved up; `take` blocks until one is free."""

    def __init__(self, rate: float, burst: int) -> None:
        self._rate = rate
        self._capacity = float(burst)
        self._tokens = float(burst)
        self._last = time.monotonic()
        self._lock = threading.Lock()

    def take(self) -> None:
        """Reserve the next token, sleeping until it is due (threads queue in order)."""
        with self._lock:
            now = time.monotonic()
            self._tokens = min(self._capacity, self._tokens + (now - self._last) * self._rate)
            self._last = now
            self._tokens -= 1
            wait = 0.0 if self._tokens >= 0 else -self._tokens / self._rate
        if wait > 0:
            time.sleep(wait)


class PacedWebClient(WebClient):
    """A WebClient that spaces the calls of some methods with one shared token bucket each."""

    def __init__(self, *args: Any, paced: dict[str, TokenBucket], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._paced = paced

    def api_call(self, api_method: str, *args: Any, **kwargs: Any) -> Any:
        """Wait for the method's token (if it is paced), then call."""
        bucket = self._paced.get(api_method)
        if bucket is not None:
            bucket.take()
        return super().api_call(api_method, *args, **kwargs)


def _handlers(*, exact: bool) -> list[Any]:
    rate_limit = (
        ExactRetryAfterHandler(max_retry_count=10)
        if exact
        else RateLimitErrorRetryHandler(max_retry_count=10)
    )
    return [
        ConnectionErrorRetryHandler(max_retry_count=2),
        ServerErrorRetryHandler(max_retry_count=2),
        rate_limit,
    ]


def make_prototype_client(
    variant: str, token: str, base_url: str, *, post_rate: float, timeout: int = 10
) -> WebClient:
    """The client of one variant: `exact` or `paced` (chat.postMessage at `post_rate`)."""
    if variant == "exact":
        return WebClient(
            token=token, base_url=base_url, timeout=timeout, retry_handlers=_handlers(exact=True)
        )
    if variant == "paced":
        # No burst of our own: the server's burst stays unused, as headroom for the jitter
        # between when we take a token and when Slack counts the call.
        burst = 1
        return PacedWebClient(
            token=token,
            base_url=base_url,
            timeout=timeout,
            retry_handlers=_handlers(exact=True),
            paced={"chat.postMessage": TokenBucket(post_rate, burst)},
        )
    raise ValueError(f"unknown variant {variant!r}")
