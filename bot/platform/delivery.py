"""Exactly-once delivery: record a key, post, record the result; recover after a crash."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from slack_sdk.errors import SlackApiError

from bot.platform.deps import Deps
from storage import delivery as ledger
from storage.db import transaction
from storage.kinds import DeliveryStatus
from storage.locks import key_lock

log = logging.getLogger("oneness.delivery")

METADATA_TYPE = "oneness_delivery"
# Slack errors that mean this person cannot be reached at all; retrying would not help.
UNREACHABLE = frozenset(
    {
        "user_not_found",
        "cannot_dm_bot",
        "account_inactive",
        "user_disabled",
        "channel_not_found",
        "not_in_channel",
        "is_archived",
    }
)


@dataclass(frozen=True)
class Outgoing:
    """One message to deliver once under `key`."""

    key: str
    kind: str
    channel: str
    text: str
    blocks: list[dict[str, Any]] = field(default_factory=list)
    user_id: str | None = None
    cycle_id: int | None = None


@dataclass(frozen=True)
class Delivered:
    """What became of a delivery: status sent|failed|skipped, and where it landed."""

    status: str
    channel_id: str | None = None
    ts: str | None = None
    error: str | None = None


def deliver(deps: Deps, out: Outgoing) -> Delivered:
    """Post `out` unless its key was delivered before; never posts the same key twice.

    One worker at a time handles a key (`key_lock`). The attempt is committed before the
    post, so an attempt that died after Slack's ok is recognised by the next one, which looks
    for the message (by the key in its metadata) before posting again.
    """
    with key_lock(deps.engine, out.key) as mine:
        if not mine:
            return Delivered(DeliveryStatus.PENDING)
        now = deps.clock.now()
        with transaction(deps.sessions) as session:
            row, _ = ledger.claim(
                session,
                out.key,
                kind=out.kind,
                user_id=out.user_id,
                cycle_id=out.cycle_id,
                now=now,
            )
            if row.status != DeliveryStatus.PENDING:
                return Delivered(row.status, row.channel_id, row.message_ts, row.error)
            retry = row.attempts > 0
            row.attempts += 1
        if retry:
            found = _find_posted(deps, out)
            if found is not None:
                log.info("delivery %s was already posted (ts %s); recorded it", out.key, found[1])
                return _record(deps, out.key, DeliveryStatus.SENT, channel=found[0], ts=found[1])
        try:
            response = deps.client.chat_postMessage(
                channel=out.channel,
                text=out.text,
                blocks=out.blocks or None,
                metadata={"event_type": METADATA_TYPE, "event_payload": {"key": out.key}},
                unfurl_links=False,
                unfurl_media=False,
            )
        except SlackApiError as error:
            reason = str(error.response.get("error"))
            if reason in UNREACHABLE:
                log.warning("cannot deliver %s: %s", out.key, reason)
                return _record(deps, out.key, DeliveryStatus.FAILED, error=reason)
            raise
        return _record(
            deps, out.key, DeliveryStatus.SENT, channel=response["channel"], ts=response["ts"]
        )


def skip(deps: Deps, out: Outgoing, reason: str) -> Delivered:
    """Record that a delivery will not be made (too late), so it is never attempted again."""
    now = deps.clock.now()
    with transaction(deps.sessions) as session:
        row, _ = ledger.claim(
            session, out.key, kind=out.kind, user_id=out.user_id, cycle_id=out.cycle_id, now=now
        )
        if row.status == DeliveryStatus.PENDING:
            row.status, row.error = DeliveryStatus.SKIPPED, reason[:200]
            log.info("skipped %s: %s", out.key, reason)
        return Delivered(row.status, row.channel_id, row.message_ts, row.error)


def _record(
    deps: Deps,
    key: str,
    status: str,
    *,
    channel: str | None = None,
    ts: str | None = None,
    error: str | None = None,
) -> Delivered:
    with transaction(deps.sessions) as session:
        row = ledger.get(session, key)
        assert row is not None
        row.status, row.channel_id, row.message_ts, row.error = status, channel, ts, error
        if status == DeliveryStatus.SENT:
            row.sent_at = deps.clock.now()
    return Delivered(status, channel, ts, error)


def _find_posted(deps: Deps, out: Outgoing) -> tuple[str, str] | None:
    channel = out.channel
    if channel.startswith(("U", "W")):
        channel = deps.client.conversations_open(users=channel)["channel"]["id"]
    elif not channel.startswith("D"):
        return None  # channel history needs scopes we do not ask for; nudges are not recovered
    # The newest hundred messages of a DM with the bot reach back further than any retry.
    history = deps.client.conversations_history(
        channel=channel, include_all_metadata=True, limit=100
    )
    messages: list[dict[str, Any]] = history.get("messages", [])
    for message in messages:
        metadata = message.get("metadata") or {}
        if (
            metadata.get("event_type") == METADATA_TYPE
            and (metadata.get("event_payload") or {}).get("key") == out.key
        ):
            return channel, message["ts"]
    return None


def upload_once(
    deps: Deps, key: str, *, channel: str, content: bytes, filename: str, title: str
) -> str | None:
    """Upload a file to a channel once under `key`; returns its file id (None if unreachable).

    Slack's uploads carry no metadata to look for after a crash, so a crash between the
    upload and the record can upload twice; everything else about a delivery holds.
    """
    with key_lock(deps.engine, key) as mine:
        if not mine:
            return None
        now = deps.clock.now()
        with transaction(deps.sessions) as session:
            row, _ = ledger.claim(session, key, kind="file", user_id=None, cycle_id=None, now=now)
            if row.status != DeliveryStatus.PENDING:
                return row.message_ts if row.status == DeliveryStatus.SENT else None
            row.attempts += 1
        try:
            response = deps.client.files_upload_v2(
                channel=channel, content=content, filename=filename, title=title
            )
        except SlackApiError as error:
            reason = str(error.response.get("error"))
            if reason in UNREACHABLE:
                _record(deps, key, DeliveryStatus.FAILED, error=reason)
                return None
            raise
        file_id = str((response.get("file") or {}).get("id") or response["files"][0]["id"])
        # The file id is kept where a message's ts would be: it is what later views refer to.
        _record(deps, key, DeliveryStatus.SENT, channel=channel, ts=file_id)
        return file_id
