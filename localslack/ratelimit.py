"""Rate limits (token buckets per method and per channel) and injected faults.

Neither class locks: the local Slack calls them while holding its state lock.
"""

from __future__ import annotations

import math
import random
from collections.abc import Collection
from dataclasses import dataclass, field

# Faults before the method runs: nothing happened, a retry is safe.
BEFORE_KINDS = ("429", "500", "timeout")
# Faults after the method ran ("processed, then failed"): the message is stored, then the
# client sees HTTP 500 `fatal_error` ("It's possible some aspect of the operation succeeded
# before the error was raised", https://docs.slack.dev/reference/methods/chat.postMessage)
# or the connection is reset before any answer. A client that retries a non-idempotent call
# after one of these posts twice.
AFTER_KINDS = ("processed_500", "processed_reset")
FAULT_KINDS = BEFORE_KINDS + AFTER_KINDS


@dataclass(frozen=True)
class RateLimit:
    """How often one Web API method may be called.

    `per_second` is the workspace-wide rate and `burst` how many calls may come at once
    (default: one second's worth, at least 1). `per_channel_per_second` and
    `channel_burst` limit each channel separately, like chat.postMessage's
    one message per second per channel. None means unlimited.
    """

    per_second: float | None = None
    burst: int | None = None
    per_channel_per_second: float | None = None
    channel_burst: int | None = None


@dataclass
class _Bucket:
    """A token bucket: `capacity` tokens, refilled at `rate` per second."""

    rate: float
    capacity: float
    tokens: float
    last: float

    def wait(self, now: float) -> float:
        """Refill, then seconds until a token is available (0 when one is)."""
        self.tokens = min(self.capacity, self.tokens + (now - self.last) * self.rate)
        self.last = now
        return 0.0 if self.tokens >= 1 else (1 - self.tokens) / self.rate


def _bucket(rate: float, burst: int | None, now: float) -> _Bucket:
    """A full bucket."""
    capacity = float(burst if burst is not None else max(1, math.ceil(rate)))
    return _Bucket(rate=rate, capacity=capacity, tokens=capacity, last=now)


class RateLimiter:
    """Decides whether a call is over its method's limits."""

    def __init__(self, limits: dict[str, RateLimit] | None = None) -> None:
        self._limits: dict[str, RateLimit] = dict(limits or {})
        self._buckets: dict[tuple[str, str | None], _Bucket] = {}

    def set(self, method: str, limit: RateLimit | None) -> None:
        """Replace (or with None remove) the limit of `method`, starting with full buckets."""
        if limit is None:
            self._limits.pop(method, None)
        else:
            self._limits[method] = limit
        self._buckets = {k: v for k, v in self._buckets.items() if k[0] != method}

    def limit(self, method: str) -> RateLimit | None:
        """The limit of `method`, if any."""
        return self._limits.get(method)

    def check(self, method: str, channel: str | None, now: float) -> int | None:
        """Take a token and return None, or return Retry-After seconds (at least 1)."""
        limit = self._limits.get(method)
        if limit is None:
            return None
        buckets: list[_Bucket] = []
        if limit.per_second is not None:
            key: tuple[str, str | None] = (method, None)
            if key not in self._buckets:
                self._buckets[key] = _bucket(limit.per_second, limit.burst, now)
            buckets.append(self._buckets[key])
        if limit.per_channel_per_second is not None and channel:
            key = (method, channel)
            if key not in self._buckets:
                rate = limit.per_channel_per_second
                self._buckets[key] = _bucket(rate, limit.channel_burst, now)
            buckets.append(self._buckets[key])
        wait = max((b.wait(now) for b in buckets), default=0.0)
        if wait > 0:
            return max(1, math.ceil(wait))
        for b in buckets:
            b.tokens -= 1
        return None


@dataclass
class Faults:
    """Random failures: with probability `ratio` a matching call fails with one of `kinds`.

    Before the method runs: "429" (ratelimited, Retry-After 1), "500" (server error) and
    "timeout" (sleep `timeout_seconds`, then fail). After it ran: "processed_500" (HTTP 500
    `fatal_error`) and "processed_reset" (the connection is reset without an answer).
    `kinds` defaults to the ones before (`BEFORE_KINDS`); pass `FAULT_KINDS` for all.
    `methods` None means every method. The same `seed` gives the same faults in the same order.
    """

    ratio: float = 0.0
    kinds: tuple[str, ...] = BEFORE_KINDS
    seed: int | None = None
    methods: Collection[str] | None = None
    timeout_seconds: float = 3.0
    _rng: random.Random = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        unknown = set(self.kinds) - set(FAULT_KINDS)
        if unknown:
            raise ValueError(f"unknown fault kinds: {sorted(unknown)}")
        if not 0.0 <= self.ratio <= 1.0:
            raise ValueError("ratio must be between 0 and 1")
        self._rng = random.Random(self.seed)

    def pick(self, method: str) -> str | None:
        """The fault to inject into this call, or None."""
        if not self.kinds or (self.methods is not None and method not in self.methods):
            return None
        if self._rng.random() >= self.ratio:
            return None
        return self._rng.choice(self.kinds)
