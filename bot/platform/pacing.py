"""Client-side pacing of Web API calls: a token bucket per method, shared by a process's threads.

Slack answers calls over a method's limit with 429 and `Retry-After`. A sender that only
reacts to 429s drains Slack's bucket, meets a 429, waits, and does it again: each 429 costs a
round trip and a wait that is rounded up to whole seconds (bench/fanout.py: 91 of them in a
2,000-member fan-out). Spacing the calls at the workspace's rate before they leave avoids the
429s; the Retry-After handler stays as the fallback when the configured rate is too high or
other processes post at the same time.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

from slack_sdk import WebClient

# The method whose workspace-wide rate the operator configures (ONENESS_POST_RATE).
POST_MESSAGE = "chat.postMessage"


class TokenBucket:
    """`rate` tokens a second, at most `burst` saved up.

    Callers reserve tokens in the order they arrive and then wait for their own, so threads
    that queue up are spaced evenly at the rate instead of racing each other. A burst of 1
    leaves Slack's own burst unused, as headroom for the jitter between our taking a token
    and Slack counting the call (with a burst of 20 at the full rate, calls still met 429s).
    """

    def __init__(
        self,
        rate: float,
        burst: int = 1,
        *,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not rate > 0:
            raise ValueError(f"rate must be positive, got {rate!r}")
        if burst < 1:
            raise ValueError(f"burst must be at least 1, got {burst!r}")
        self.rate = rate
        self.burst = burst
        self._monotonic = monotonic
        self._sleep = sleep
        self._tokens = float(burst)
        self._last = monotonic()
        self._lock = threading.Lock()

    def reserve(self) -> float:
        """Reserve the next token; the seconds until it is due (0.0: now)."""
        with self._lock:
            now = self._monotonic()
            self._tokens = min(float(self.burst), self._tokens + (now - self._last) * self.rate)
            self._last = now
            self._tokens -= 1.0
            return 0.0 if self._tokens >= 0 else -self._tokens / self.rate

    def take(self) -> float:
        """Reserve a token and sleep until it is due; the seconds slept."""
        wait = self.reserve()
        if wait > 0:
            self._sleep(wait)
        return wait


class PacedWebClient(WebClient):
    """A WebClient that spaces the calls of some methods, each with its own shared bucket.

    slack-sdk's method helpers (`chat_postMessage` and the rest) all go through `api_call`,
    so pacing there covers every way the bot posts. The buckets belong to the client, and the
    process builds one client (`Deps.client`) for all its threads.
    """

    def __init__(self, *args: Any, paced: Mapping[str, TokenBucket], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.paced: dict[str, TokenBucket] = dict(paced)

    def api_call(self, api_method: str, *args: Any, **kwargs: Any) -> Any:
        """Wait for the method's token (if it is paced), then call."""
        bucket = self.paced.get(api_method)
        if bucket is not None:
            bucket.take()
        return super().api_call(api_method, *args, **kwargs)
