"""Slack's 429s inside stored work: the job is deferred while that is safe, no thread sleeps.

Outside stored work (the scheduler's fan-out, a modal opened at once) the client waits exactly
Retry-After and tries again (bot.platform.slack.ExactRetryAfterHandler): one sequential sender
loses nothing by waiting. Inside a job a waiting thread would hold a worker of the pool while
other people's work queues behind it, so the client gives the 429 back at once and the job is
stored again to run after Retry-After (bot.platform.work), while the pool runs other work.

Running a job again repeats it from the start, so a job is deferred only while it has changed
nothing: no database write and no Slack call that may have acted. After its first change the
job waits out the Retry-After in place, as before: exactly once comes first (a stored answer
must not be stored twice, a reply not posted twice). `JobScope` tracks this per job, fed by an
engine event (`watch_writes`) and by the client's retry handler, which sees every answer.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from slack_sdk.errors import SlackApiError
from sqlalchemy import Engine, event

DEFAULT_RETRY_AFTER = 1.0  # seconds, when a 429 carries no usable Retry-After
# Web API methods that only read: a job that called them has changed nothing yet.
READ_PREFIXES: tuple[str, ...] = (
    "auth.test",
    "users.",
    "conversations.info",
    "conversations.history",
    "conversations.members",
    "conversations.replies",
    "team.info",
    "files.info",
)


@dataclass
class JobScope:
    """One running job: whether it has changed anything yet (then a 429 is waited out)."""

    changed: bool = False


# The job running in this thread (or context), if any.
_JOB: ContextVar[JobScope | None] = ContextVar("oneness_job", default=None)


@contextmanager
def deferring_rate_limits() -> Iterator[JobScope]:
    """Run a job: within this block a 429 is raised to the caller instead of waited out,
    until the job changes something."""
    scope = JobScope()
    token = _JOB.set(scope)
    try:
        yield scope
    finally:
        _JOB.reset(token)


def defers_rate_limits() -> bool:
    """Whether a 429 here is raised (a job that has changed nothing) rather than waited out."""
    scope = _JOB.get()
    return scope is not None and not scope.changed


def note_slack_answer(url: str, status: int) -> None:
    """The client got an answer: a call other than a read may have acted in Slack."""
    scope = _JOB.get()
    if scope is None or scope.changed or status == 429:
        return
    method = url.rsplit("/", 1)[-1]
    if not method.startswith(READ_PREFIXES):
        scope.changed = True


def _note_write(
    conn: Any, cursor: Any, statement: Any, parameters: Any, context: Any, executemany: bool
) -> None:
    scope = _JOB.get()
    if (
        scope is not None
        and context is not None
        and (context.isinsert or context.isupdate or context.isdelete)
    ):
        scope.changed = True


def watch_writes(engine: Engine) -> None:
    """Mark the running job as changed at its first database write."""
    event.listen(engine, "after_cursor_execute", _note_write)


def retry_after(error: BaseException) -> float | None:
    """The seconds Slack asked us to wait when `error` is a 429, else None."""
    if not isinstance(error, SlackApiError) or error.response.status_code != 429:
        return None
    headers = error.response.headers or {}
    value = next((v for k, v in headers.items() if k.lower() == "retry-after"), None)
    if isinstance(value, list | tuple):
        value = value[0] if value else None
    try:
        seconds = float(value) if value is not None else DEFAULT_RETRY_AFTER
    except (TypeError, ValueError):
        seconds = DEFAULT_RETRY_AFTER
    return seconds if math.isfinite(seconds) and seconds >= 0 else DEFAULT_RETRY_AFTER
