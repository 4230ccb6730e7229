"""Acknowledge inside the request, then hand the parsed payload to the worker pool.

Bolt's lazy listeners do the same but re-parse and deep-copy the whole request for each hand-
off, which bench/ack.py measured at almost half the cost of an ack. Here the listener calls
the ack function, submits the work function with the arguments it names, and returns: the
HTTP answer leaves at once (the app runs with process_before_response).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, Respond
from slack_sdk import WebClient

from bot.deps import Deps


def _names(fn: Callable[..., Any]) -> list[str] | None:
    """The argument names a function takes; None when it takes any (**kwargs)."""
    params = inspect.signature(fn, follow_wrapped=False).parameters.values()
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params):
        return None
    return [p.name for p in params]


def ack_then(
    deps: Deps, ack_fn: Callable[..., None], work_fn: Callable[..., None]
) -> Callable[..., None]:
    """A Bolt listener: `ack_fn` now, `work_fn` on the worker pool (both take Bolt's names)."""
    ack_names, work_names = _names(ack_fn), _names(work_fn)

    def listener(
        ack: Ack,
        body: dict[str, Any],
        action: dict[str, Any] | None,
        view: dict[str, Any] | None,
        event: dict[str, Any] | None,
        respond: Respond,
        client: WebClient,
    ) -> None:
        given = {
            "ack": ack,
            "body": body,
            "action": action,
            "view": view,
            "event": event,
            "respond": respond,
            "client": client,
        }
        ack_fn(**_pick(given, ack_names))
        deps.executor.submit(work_fn, **_pick(given, work_names))

    listener.__name__ = f"ack_then_{getattr(work_fn, '__name__', 'work')}"
    return listener


def _pick(given: dict[str, Any], names: list[str] | None) -> dict[str, Any]:
    return dict(given) if names is None else {name: given[name] for name in names}
