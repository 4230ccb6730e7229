"""Posting in a team's channel: a refusal for access waits, and the leads hear of it once."""

from __future__ import annotations

import logging

from bot.access.blocks import access_lost_message
from bot.platform.delivery import Delivered, Outgoing, deliver, upload_once
from bot.platform.deps import Deps
from storage import access as store
from storage import teams as team_store
from storage.db import transaction
from storage.kinds import DeliveryStatus

log = logging.getLogger("oneness.access")

# Failed for good because the channel itself is out of reach (archived; or not found even by
# conversations.info: deleted, or private and the bot was removed). The leads hear of it too.
GONE = frozenset({"channel_not_found", "is_archived"})


def post_in_channel(deps: Deps, out: Outgoing) -> Delivered:
    """`deliver` a post to a team's channel; when the bot is not in it, the post waits and the
    leads get one DM saying what could not be posted and how to fix it."""
    done = deliver(deps, out)
    _after_attempt(deps, out.channel, out.kind, done)
    return done


def upload_in_channel(
    deps: Deps,
    key: str,
    *,
    channel: str,
    content: bytes,
    filename: str,
    title: str,
    cycle_id: int | None = None,
) -> str | None:
    """`upload_once` to a team's channel, waiting for access as `post_in_channel` does; the
    file id once it is shared."""
    done = upload_once(
        deps,
        key,
        channel=channel,
        content=content,
        filename=filename,
        title=title,
        cycle_id=cycle_id,
    )
    _after_attempt(deps, channel, "file", done)
    return done.ts if done.status == DeliveryStatus.SENT else None


def _after_attempt(deps: Deps, channel: str, kind: str, done: Delivered) -> None:
    """What this call's attempt (not an earlier one's record) tells of the bot's access."""
    if not done.attempted:
        return
    if done.status == DeliveryStatus.WAITING_ACCESS or (
        done.status == DeliveryStatus.FAILED and done.error in GONE
    ):
        access_refused(deps, channel, kind, gone=done.status == DeliveryStatus.FAILED)
    elif done.status == DeliveryStatus.SENT:
        with transaction(deps.sessions) as session:
            store.note_present(session, channel, deps.clock.now())


def access_refused(deps: Deps, channel_id: str, kind: str, *, gone: bool = False) -> None:
    """Note that the bot is not in a channel, and DM each lead of its team once per wait.

    However many posts are refused before `/invite`, and however many at once, one caller wins
    the team's compare-and-set and tells the leads; after the bot joins, a later loss of
    access is a new wait and is told again.
    """
    now = deps.clock.now()
    told: list[tuple[int, str, list[str]]] = []
    with transaction(deps.sessions) as session:
        store.set_access(session, channel_id, False, now)
        for team in store.teams_in_channel(session, channel_id):
            if store.claim_telling(session, team.id, now):
                told.append((team.id, team.name, team_store.lead_ids(session, team.id)))
    log.info("not in channel %s; a %s waits", channel_id, kind)
    stamp = now.strftime("%Y%m%dT%H%M%S")
    for team_id, name, leads in told:
        message = access_lost_message(name, channel_id, kind, gone=gone)
        for lead in leads:
            deliver(
                deps,
                Outgoing(
                    key=f"access:{team_id}:{stamp}:{lead}",
                    kind="access",
                    channel=lead,
                    text=message.text,
                    blocks=message.blocks,
                    user_id=lead,
                ),
            )
