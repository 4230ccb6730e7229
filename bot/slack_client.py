"""The Web API client: our base URL, and slack-sdk's retry handlers for errors and 429s."""

from __future__ import annotations

from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)


def make_client(token: str, base_url: str, *, timeout: int = 10) -> WebClient:
    """A WebClient that retries connection errors, 5xx answers and 429s (after Retry-After)."""
    return WebClient(
        token=token,
        base_url=base_url,
        timeout=timeout,
        retry_handlers=[
            ConnectionErrorRetryHandler(max_retry_count=2),
            ServerErrorRetryHandler(max_retry_count=2),
            RateLimitErrorRetryHandler(max_retry_count=10),
        ],
    )
