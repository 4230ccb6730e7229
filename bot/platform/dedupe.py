"""Recognising Slack's repeated deliveries: retried events, double submissions."""

from __future__ import annotations

from bot.platform.deps import Deps
from storage import checkin as store
from storage.db import transaction


def first_time(deps: Deps, key: str) -> bool:
    """True the first time a key is seen; every later call (a retry, a double click) is False."""
    with transaction(deps.sessions) as session:
        return store.claim_request(session, key, deps.clock.now())
