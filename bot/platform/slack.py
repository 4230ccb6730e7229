"""The Web API client: our base URL, pacing of posts, and slack-sdk's retry handlers."""

from __future__ import annotations

import time

from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState

from bot.platform.pacing import POST_MESSAGE, PacedWebClient, TokenBucket


class ExactRetryAfterHandler(RateLimitErrorRetryHandler):
    """Retry a 429 after exactly Retry-After seconds (1 when absent).

    slack-sdk's handler adds up to a second of random jitter to every wait. Only one process
    sends scheduled messages at a time, so the jitter protects nothing and made a 2,000-member
    fan-out take 1.47x the rate limit's floor instead of 1.03x (bench/fanout.py).
    """

    def prepare_for_next_attempt(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> None:
        """Sleep what Slack asked for, then try again."""
        if response is None:
            raise error or RuntimeError("429 retry without a response")
        state.next_attempt_requested = True
        values = next((v for k, v in response.headers.items() if k.lower() == "retry-after"), None)
        try:
            duration = float(values[0]) if values else 1.0
        except ValueError:
            duration = 1.0
        time.sleep(max(0.0, duration))
        state.increment_current_attempt()


def make_client(
    token: str, base_url: str, *, timeout: int = 10, post_rate: float | None = None
) -> WebClient:
    """A WebClient that retries connection errors, 5xx answers and 429s (after Retry-After).

    With `post_rate`, chat.postMessage is paced at that many messages a second for the whole
    process (a token bucket with a burst of 1), so a fan-out stays under the workspace's limit
    instead of meeting 429s; the Retry-After handler remains the fallback.
    """
    handlers = [
        ConnectionErrorRetryHandler(max_retry_count=2),
        ServerErrorRetryHandler(max_retry_count=2),
        ExactRetryAfterHandler(max_retry_count=10),
    ]
    if post_rate is None:
        return WebClient(token=token, base_url=base_url, timeout=timeout, retry_handlers=handlers)
    return PacedWebClient(
        token=token,
        base_url=base_url,
        timeout=timeout,
        retry_handlers=handlers,
        paced={POST_MESSAGE: TokenBucket(post_rate, burst=1)},
    )
