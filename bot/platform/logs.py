"""Logging that holds ids, never personal data, at every level (DEBUG included).

Our own lines are written that way. The libraries' are not: Bolt logs a whole request body at
INFO when its signature is bad (a DM note), and its DEBUG lines and slack-sdk's quote request
and response bodies, Slack message texts and listener answers; SQLAlchemy quotes result rows
at DEBUG. So every line from those loggers keeps only its headline, the words before the first
quoted detail ("Invalid request signature detected", "Sending a request"), whichever handler
ends up writing it (ours, a test's, an operator's). It is done where records are made, because
a filter on a logger covers neither its child loggers nor the loggers Bolt makes later.
"""

from __future__ import annotations

import logging
import re
import sys
import threading
from typing import Any

BOLT_LOGGER = "oneness.bolt"
# Loggers whose lines may quote what Slack sent or answered: every line keeps its headline.
QUOTING = ("slack_bolt", "slack_sdk", "websocket", BOLT_LOGGER)
# SQLAlchemy's DEBUG lines are result rows; its INFO lines (statements, and parameters that
# `hide_parameters` hides) are kept whole.
ROWS = "sqlalchemy"
WITHHELD = " [details withheld]"
LIBRARY_LEVEL_FLOOR = ("slack_sdk", "urllib3", "websocket", "waitress.queue")
_DETAIL = re.compile(r"[:({\[\"'\n=]|\s-\s")
_installed = threading.Lock()
_guarded = False


def headline(message: str) -> str:
    """The words of a log line before its first detail (a colon, bracket, quote or dash)."""
    found = _DETAIL.search(message)
    if found is None:
        return message
    return message[: found.start()].rstrip() + WITHHELD


def _quotes_data(name: str, level: int) -> bool:
    if name.startswith(ROWS) and (name == ROWS or name[len(ROWS)] == "."):
        return level < logging.INFO
    return any(name == prefix or name.startswith(prefix + ".") for prefix in QUOTING)


def guard_library_logs() -> None:
    """From now on, lines of the loggers that quote data keep their headline only (idempotent)."""
    global _guarded
    with _installed:
        if _guarded:
            return
        make = logging.getLogRecordFactory()

        def guarded(*args: Any, **kwargs: Any) -> logging.LogRecord:
            record = make(*args, **kwargs)
            if _quotes_data(record.name, record.levelno):
                try:
                    message = record.getMessage()
                except Exception:  # a malformed call in a library: keep its template only
                    message = str(record.msg)
                record.msg, record.args = headline(message), ()
            return record

        logging.setLogRecordFactory(guarded)
        _guarded = True


def bolt_logger() -> logging.Logger:
    """The logger the Bolt app writes to (and its middleware loggers inherit), guarded."""
    guard_library_logs()
    return logging.getLogger(BOLT_LOGGER)


def setup_logging(level: str) -> None:
    """One-line logs on stderr at `level`, the libraries guarded; slack-sdk, urllib3 and the
    websocket client stay at INFO or above even at DEBUG (request by request noise)."""
    guard_library_logs()
    logging.basicConfig(
        level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr
    )
    for noisy in LIBRARY_LEVEL_FLOOR:
        logging.getLogger(noisy).setLevel(max(logging.INFO, logging.getLevelName(level)))
