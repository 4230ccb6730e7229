"""Bolt's lazy listeners, run from the job table: the durable lazy-listener runner.

Listeners are registered the Bolt way, `app.action(...)(ack=ack_fn, lazy=[work_fn])`. With
`process_before_response` Bolt runs `ack_fn` in the request, then hands each lazy function and
a copy of the request to the app's lazy-listener runner, the extension point Bolt's AWS Lambda
adapter uses (slack_bolt/adapter/aws_lambda/lazy_listener_runner.py). That adapter re-invokes
the function with the request and the headers `x-slack-bolt-lazy-only` and
`x-slack-bolt-lazy-function-name`; Bolt then runs only the named lazy function.

`DurableLazyRunner.start` does the same through the database: it stores the request's body as a
job named after the lazy function, with the person it is about (one person's work runs in order,
bot.platform.work), and returns; the acknowledgement leaves once the row is committed. Whichever
process claims the job re-dispatches it through `app.dispatch` as a lazy-only request
(`redispatcher`).

The re-dispatched request is built in-process from a body whose signature this app verified
before storing it, so it is not checked again: Bolt checks signatures of `http` requests only,
and a job may run minutes after Slack signed it (a backlog, a deferral after a 429), when the
timestamp would fail the check. The request is therefore built in `socket_mode`, Bolt's mode for
requests whose transport is already trusted, with the parsed body (nothing is parsed twice).
Requests from outside never carry the lazy-only headers: the server strips them
(bot.platform.server).

Work bound to the request's trigger_id (opening a modal: the trigger expires in 3 s) is marked
`at_once` and runs on this process's pool immediately, never queued behind other work.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Any, TypeVar

from slack_bolt import App, BoltRequest
from slack_bolt.lazy_listener import LazyListenerRunner

from bot.platform.ratelimit import deferring_rate_limits, retry_after
from bot.platform.work import Deferred, NotHere, WorkQueue

log = logging.getLogger("oneness.work")

LAZY_ONLY = "x-slack-bolt-lazy-only"
LAZY_NAME = "x-slack-bolt-lazy-function-name"
USER_ID_MAX = 32  # storage.models.Job.user_id
_AT_ONCE = "oneness_at_once"
_OUTCOME = "oneness_job_outcome"

F = TypeVar("F", bound=Callable[..., None])
When = Callable[[dict[str, Any]], bool]


def at_once(fn: F | None = None, *, when: When | None = None) -> Any:
    """Mark a lazy function to run at once on this process's pool instead of being stored:
    always, or only for request bodies where `when(body)` is true."""

    def mark(f: F) -> F:
        setattr(f, _AT_ONCE, when or (lambda _body: True))
        return f

    return mark(fn) if fn is not None else mark


def _runs_at_once(function: Callable[..., None], body: dict[str, Any]) -> bool:
    when: When | None = getattr(function, _AT_ONCE, None)
    return when is not None and when(body)


@dataclass
class JobOutcome:
    """What happened to a re-dispatched job: whether its function ran, and whether Slack's
    rate limit asked for it to run again later."""

    ran: bool = False
    retry_after: float | None = None


class DurableLazyRunner(LazyListenerRunner):
    """Bolt's lazy-listener runner on the job table (see the module's docstring)."""

    def __init__(self, queue: WorkQueue, executor: Executor, logger: logging.Logger) -> None:
        self.queue = queue
        self.executor = executor
        self.logger = logger

    def start(self, function: Callable[..., None], request: BoltRequest) -> None:
        """Store the lazy call as a job (or run it at once when it is marked so)."""
        if _runs_at_once(function, request.body):
            self.executor.submit(self.run, function, request)
            return
        name = str(request.lazy_function_name or getattr(function, "__name__", "lazy"))
        self.queue.submit(
            name,
            request.body,
            user_id=_person(request),
            # The database is down: run it here anyway; it meets the same outage and tells
            # the person "couldn't save that, please try again".
            fallback=lambda: self.run(function, request),
        )

    def run(self, function: Callable[..., None], request: BoltRequest) -> None:
        """Run the lazy function with Bolt's arguments. A failure is logged with its traceback
        (Bolt's own runner logs one line); inside a job, a 429 from Slack is recorded for the
        job to be deferred instead of waited out."""
        outcome: JobOutcome | None = request.context.get(_OUTCOME)
        name = getattr(function, "__name__", "lazy")

        @functools.wraps(function)
        def watched(**kwargs: Any) -> None:
            try:
                function(**kwargs)
            except Exception as error:
                seconds = retry_after(error) if outcome is not None else None
                if seconds is None or outcome is None:
                    # Work reports its own failures to the person; this is a bug, logged once.
                    # The job is finished all the same: running it again would fail the same way.
                    log.exception("%s failed", name)
                    return
                outcome.retry_after = seconds

        if outcome is None:
            super().run(watched, request)
            return
        outcome.ran = True
        with deferring_rate_limits():
            super().run(watched, request)


def _person(request: BoltRequest) -> str | None:
    """Who sent the request, as Bolt's context found it (their jobs run in order)."""
    user = request.context.user_id
    return user if isinstance(user, str) and 0 < len(user) <= USER_ID_MAX else None


def redispatcher(app: App) -> Callable[[str, dict[str, Any]], None]:
    """How a process runs a stored job: the body, re-dispatched through `app` as a lazy-only
    request for the named function. Raises `Deferred` when Slack rate-limited it, `NotHere`
    when no listener of this process has a lazy function of that name."""

    def run(name: str, body: dict[str, Any]) -> None:
        outcome = JobOutcome()
        request = BoltRequest(
            body=body,
            headers={LAZY_ONLY: "1", LAZY_NAME: name},
            context={_OUTCOME: outcome},
            mode="socket_mode",
        )
        app.dispatch(request)
        if not outcome.ran:
            raise NotHere(name)
        if outcome.retry_after is not None:
            raise Deferred(outcome.retry_after)

    return run


def install(app: App, queue: WorkQueue, executor: Executor) -> None:
    """Make the job table `app`'s lazy-listener runner, and let `queue` run jobs through `app`."""
    app.listener_runner.lazy_listener_runner = DurableLazyRunner(queue, executor, app.logger)
    queue.route(redispatcher(app))
