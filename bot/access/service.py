"""When the bot is in a team's channel again, everything that waited for it is posted.

The bot learns it joined from its own `member_joined_channel` event (handlers/access.py), and,
in case that event never comes (an app installed from an older manifest), from an hourly
conversations.info check of channels that have posts waiting (the scheduler's tick).
"""

from __future__ import annotations

import logging
from datetime import timedelta

from slack_sdk.errors import SlackApiError, SlackRequestError

from bot.platform.deps import Deps
from bot.promise import service as promise
from bot.rally import service as rally
from bot.summary import service as summary
from storage import access as store
from storage import delivery as ledger
from storage.db import transaction
from storage.kinds import DeliveryStatus

log = logging.getLogger("oneness.access")

# Slack trouble a later attempt can recover from (as the tick treats it).
PASSING = (SlackApiError, SlackRequestError, OSError)
RECHECK_AFTER = timedelta(hours=1)


def bot_joined(deps: Deps, channel_id: str) -> int:
    """Post what waited for this channel, each once, oldest first; returns how many went out.

    Each waiting delivery is taken (made pending) by exactly one caller, then posted as its
    feature shows it now: a nudge whose rally closed meanwhile is not posted (recorded
    skipped), a summary shows the week as it reads now.
    """
    now = deps.clock.now()
    with transaction(deps.sessions) as session:
        store.set_access(session, channel_id, True, now)
        waiting = [(d.key, d.kind, d.cycle_id) for d in store.waiting(session, channel_id)]
    posted = 0
    for key, kind, cycle_id in waiting:
        with transaction(deps.sessions) as session:
            if store.take_waiting(session, key) is None:
                continue  # another event or process has it
        try:
            _repost(deps, key, kind, cycle_id)
        except PASSING:
            with transaction(deps.sessions) as session:
                store.put_back(session, key, channel_id)
            raise
        with transaction(deps.sessions) as session:
            row = ledger.get(session, key)
            if row is not None and row.status == DeliveryStatus.PENDING:
                # Its feature no longer wants it posted (the rally closed, the promise changed).
                row.status, row.error = DeliveryStatus.SKIPPED, "no longer current when invited"
            elif row is not None and row.status == DeliveryStatus.SENT:
                posted += 1
    log.info("in channel %s: posted %s of %s waiting", channel_id, posted, len(waiting))
    return posted


def _repost(deps: Deps, key: str, kind: str, cycle_id: int | None) -> None:
    parts = key.split(":")
    if kind == "nudge":
        rally.refresh(deps, int(parts[1]))
    elif kind in ("summary", "file") and parts[0] == "summary":
        summary.repost_waiting(deps, key, cycle_id or int(parts[1]))
    elif kind == "break":
        promise.post_break(deps, int(parts[1]))
    elif kind == "promise":
        promise.repost_promise(deps, int(parts[1]))


def recheck(deps: Deps) -> int:
    """Ask Slack, at most hourly per channel, whether the bot is now in a channel that has
    posts waiting; post them when it is. Returns how many went out."""
    now = deps.clock.now()
    with transaction(deps.sessions) as session:
        due = []
        for channel in store.waiting_channels(session):
            teams = store.teams_in_channel(session, channel)
            checked = [t.access_checked_at for t in teams if t.access_checked_at is not None]
            if not checked or now - max(checked) >= RECHECK_AFTER:
                due.append(channel)
    posted = 0
    for channel in due:
        gone: str | None = None
        try:
            info = deps.client.conversations_info(channel=channel)["channel"]
        except SlackApiError as error:
            reason = str(error.response.get("error"))
            if reason != "channel_not_found":
                raise
            info, gone = {}, reason  # deleted (or private and the bot removed): for good
        if info.get("is_archived"):
            gone = "is_archived"
        if info.get("is_member") and not gone:
            posted += bot_joined(deps, channel)
            continue
        with transaction(deps.sessions) as session:
            store.set_access(session, channel, False, now)
            if gone:
                failed = store.fail_waiting(session, channel, gone)
                log.info("channel %s is out of reach (%s); %s posts failed", channel, gone, failed)
    return posted
