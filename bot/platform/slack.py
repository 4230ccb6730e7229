"""The Web API client: our base URL, pacing of posts, and slack-sdk's retry handlers.

Calls that may create something (a message, a shared file) are never retried by the client
after a connection error or a 5xx: Slack may have acted before failing (its `fatal_error`
says so), and a blind retry would post twice. Such a failure goes back to the caller
(bot.platform.delivery), which looks for the message by its key before posting again. A 429
is retried for every method: Slack refuses a call over its limit before running it.
"""

from __future__ import annotations

import time
from urllib.parse import urlsplit

from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from slack_sdk.http_retry.handler import RetryHandler
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState

from bot.platform.pacing import POST_MESSAGE, PacedWebClient, TokenBucket
from bot.platform.ratelimit import defers_rate_limits, note_slack_answer

# Methods whose effect a second call would repeat (a second message, a second share).
NOT_IDEMPOTENT = frozenset(
    {
        "chat.postMessage",
        "chat.postEphemeral",
        "chat.scheduleMessage",
        "chat.meMessage",
        "files.upload",
        "files.completeUploadExternal",
        "files.remote.add",
        "files.remote.share",
    }
)


def api_method(url: str) -> str:
    """The Web API method a request URL calls (`…/api/chat.postMessage` → `chat.postMessage`)."""
    return urlsplit(url).path.rstrip("/").rpartition("/")[2]


def may_repeat(request: HttpRequest) -> bool:
    """Whether sending `request` twice is harmless."""
    return api_method(request.url) not in NOT_IDEMPOTENT


class OnlyIdempotent(RetryHandler):
    """A retry handler that retries only calls safe to repeat (mixed in before the handler)."""

    def _can_retry(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        return may_repeat(request) and super()._can_retry(
            state=state, request=request, response=response, error=error
        )


class IdempotentConnectionErrorRetryHandler(OnlyIdempotent, ConnectionErrorRetryHandler):
    """Retry a reset or refused connection, but only for calls that are safe to repeat."""


class IdempotentServerErrorRetryHandler(OnlyIdempotent, ServerErrorRetryHandler):
    """Retry a 500 or 503, but only for calls that are safe to repeat."""


class ExactRetryAfterHandler(RateLimitErrorRetryHandler):
    """Retry a 429 after exactly Retry-After seconds (1 when absent).

    slack-sdk's handler adds up to a second of random jitter to every wait. Only one process
    sends scheduled messages at a time, so the jitter protects nothing and made a 2,000-member
    fan-out take 1.47x the rate limit's floor instead of 1.03x (bench/fanout.py).

    Inside stored work that has changed nothing yet it does not wait at all: the 429 goes back
    to the job, which is deferred (bot.platform.ratelimit), so no worker thread sleeps.
    """

    def _can_retry(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        # Called with every answer, successes included: the running job learns what it did.
        if response is not None:
            note_slack_answer(request.url, response.status_code)
        return not defers_rate_limits() and super()._can_retry(
            state=state, request=request, response=response, error=error
        )

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
    """A WebClient that retries 429s (after Retry-After), and connection errors and 5xx
    answers of the calls that are safe to repeat.

    With `post_rate`, chat.postMessage is paced at that many messages a second for the whole
    process (a token bucket with a burst of 1), so a fan-out stays under the workspace's limit
    instead of meeting 429s; the Retry-After handler remains the fallback.
    """
    handlers = [
        IdempotentConnectionErrorRetryHandler(max_retry_count=2),
        IdempotentServerErrorRetryHandler(max_retry_count=2),
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
