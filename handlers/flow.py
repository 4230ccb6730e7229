"""Acknowledge inside the request, then hand the payload on as a stored job (bot.work).

Bolt's lazy listeners re-parse and deep-copy the whole request for each hand-off, which
bench/ack.py measured at almost half the cost of an ack. Here the listener calls the ack
function, stores the already-parsed body as a job and returns: the HTTP answer leaves at once
(the app runs with process_before_response). The job's work function gets the arguments Bolt
would have given it, rebuilt from the body by Bolt's own payload helpers, in whichever process
runs it.

Work that must happen within Slack's 3 seconds (opening a modal with the request's trigger_id)
is not stored: a backlog would make the trigger expire. It runs on this process's pool at once.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, Respond
from slack_bolt.request.internals import extract_user_id
from slack_bolt.request.payload_utils import to_action, to_event, to_view
from slack_sdk import WebClient

from bot.platform.deps import Deps

USER_ID_MAX = 32  # storage.models.Job.user_id

Durable = bool | Callable[[dict[str, Any]], bool]


def _names(fn: Callable[..., Any]) -> list[str] | None:
    """The argument names a function takes; None when it takes any (**kwargs)."""
    params = inspect.signature(fn, follow_wrapped=False).parameters.values()
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params):
        return None
    return [p.name for p in params]


def response_url(body: dict[str, Any]) -> str | None:
    """Where a reply to this request goes (as Bolt's context finds it)."""
    if "response_url" in body:
        return str(body["response_url"])
    urls = body.get("response_urls") or []
    return str(urls[0].get("response_url")) if urls else None


def work_kwargs(body: dict[str, Any], client: WebClient) -> dict[str, Any]:
    """The listener arguments Bolt would inject, rebuilt from a stored body."""
    return {
        "body": body,
        "action": to_action(body),
        "view": to_view(body),
        "event": to_event(body),
        "respond": Respond(response_url=response_url(body), proxy=client.proxy, ssl=client.ssl),
        "client": client,
    }


def actor(body: dict[str, Any]) -> str | None:
    """Who sent the request, when the body says so plainly (jobs are forgotten by it)."""
    try:
        user = extract_user_id(body)
    except (TypeError, AttributeError):  # a malformed body; its work will refuse it
        return None
    return user if isinstance(user, str) and len(user) <= USER_ID_MAX else None


def ack_then(
    deps: Deps,
    ack_fn: Callable[..., None],
    work_fn: Callable[..., None],
    *,
    durable: Durable = True,
) -> Callable[..., None]:
    """A Bolt listener: `ack_fn` now, then `work_fn` as a stored job (both take Bolt's names).

    `durable` False, or a function of the body returning False, runs the work on this
    process's pool instead, for work bound to the request's trigger_id.
    """
    ack_names, work_names = _names(ack_fn), _names(work_fn)
    name = getattr(work_fn, "__name__", "work")

    def run_stored(body: dict[str, Any]) -> None:
        work_fn(**_pick(work_kwargs(body, deps.client), work_names))

    if durable is not False:
        deps.work.register(name, run_stored)

    def listener(ack: Ack, body: dict[str, Any]) -> None:
        ack_fn(**_pick({"ack": ack, "body": body, "view": to_view(body)}, ack_names))
        if durable is True or (durable is not False and durable(body)):
            deps.work.submit(name, body, user_id=actor(body))
        else:
            deps.executor.submit(run_stored, body)

    listener.__name__ = f"ack_then_{name}"
    return listener


def _pick(given: dict[str, Any], names: list[str] | None) -> dict[str, Any]:
    return dict(given) if names is None else {name: given[name] for name in names}
