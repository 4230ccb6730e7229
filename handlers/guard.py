"""The one place that turns failures after the ack into a message for the user and a log line."""

from __future__ import annotations

import functools
import inspect
import logging
from collections.abc import Callable
from typing import Any

from slack_bolt.kwargs_injection import Args
from slack_sdk.errors import SlackApiError
from sqlalchemy.exc import OperationalError

from bot.platform.blocks import Reply, error_reply
from bot.platform.errors import OnenessError
from bot.platform.ratelimit import defers_rate_limits, retry_after

log = logging.getLogger("oneness.handlers")

TRY_AGAIN = "I couldn't save that, please try again in a minute. Nothing was changed."
SLACK_TROUBLE = "Slack didn't accept my answer just now; please try again."
BROKEN = "Something went wrong on my side and I've logged it. Nothing was changed."

Tell = Callable[[Reply], None]


def report(error: Exception, tell: Tell) -> None:
    """Tell the user what went wrong; log anything unexpected with its traceback."""
    if isinstance(error, OnenessError):
        tell(error_reply(error.message))
    elif isinstance(error, OperationalError):
        log.warning("database unavailable: %s", error.orig, exc_info=error)
        tell(error_reply(TRY_AGAIN))
    elif isinstance(error, SlackApiError):
        log.warning("Slack refused %s: %s", error.response.api_url, error.response.get("error"))
        tell(error_reply(SLACK_TROUBLE))
    else:
        log.exception("unexpected error", exc_info=error)
        tell(error_reply(BROKEN))


def guarded(
    tell_from: Callable[[dict[str, Any]], Tell],
) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Wrap a lazy listener: errors are reported through `tell_from(kwargs)`, never swallowed.

    The wrapper takes Bolt's `args` (every argument of the request): `fn` gets the ones it
    names, the report the ones it needs (`respond`, `client`, `body`). It keeps `fn`'s name,
    which names the stored job, but not `__wrapped__`: Bolt would read `fn`'s arguments.
    A 429 inside stored work is not the person's business: it is raised again, and the job
    runs once more after Retry-After (bot.platform.ratelimit).
    """

    def decorate(fn: Callable[..., None]) -> Callable[..., None]:
        wanted = list(inspect.signature(fn).parameters)

        def wrapper(args: Args) -> None:
            given = {name: getattr(args, name) for name in ("body", "client", "respond")}
            try:
                fn(**{name: getattr(args, name) for name in wanted})
            except Exception as error:
                if defers_rate_limits() and retry_after(error) is not None:
                    raise
                try:
                    report(error, tell_from(given))
                except Exception:
                    log.exception("could not report an error to the user")

        functools.update_wrapper(wrapper, fn)
        del wrapper.__wrapped__  # type: ignore[attr-defined]
        return wrapper

    return decorate


def tell_by_respond(kwargs: dict[str, Any]) -> Tell:
    """Report through the request's response_url (slash commands, buttons); a click on the
    App Home has none, so its errors go to the person's DM with the bot."""
    respond = kwargs["respond"]
    if respond.response_url is None:
        client, user = kwargs["client"], ((kwargs.get("body") or {}).get("user") or {}).get("id")
        return lambda reply: client.chat_postMessage(
            channel=user, text=reply.text, blocks=reply.blocks
        )
    return lambda reply: respond(
        text=reply.text, blocks=reply.blocks, response_type="ephemeral", replace_original=False
    )


def on_home_tab(body: dict[str, Any]) -> bool:
    """Whether a click came from the App Home (whose clicks carry no response_url)."""
    return (body.get("view") or {}).get("type") == "home" and not body.get("response_url")


# Database ids are 64-bit at most; a larger number in a payload is forged or garbled.
ID_MAX = 2**63 - 1


def parse_id(value: object) -> int | None:
    """A database id from a payload value, or None when it is not one (never an overflow)."""
    if not isinstance(value, str) or not value.isdigit() or len(value) > 19:
        return None
    number = int(value)
    return number if 0 < number <= ID_MAX else None
