"""Exactly-once delivery: record a key, post, record the result; recover after a crash."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from slack_sdk.errors import SlackApiError, SlackRequestError

from bot.platform.blocks import fit_message
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
# Refusals of the message itself, which no retry changes: recorded failed for good, so a week
# still closes and nothing is retried every tick.
PERMANENT = frozenset(
    {
        "msg_too_long",
        "msg_blocks_too_long",
        "invalid_blocks",
        "invalid_blocks_format",
        "no_text",
        "is_archived",
    }
)
# A channel the bot is not in: `not_in_channel` (public) or `channel_not_found` (private, which
# the bot cannot see). `/invite @Oneness` heals both, so such posts wait instead of failing.
NO_ACCESS = frozenset({"not_in_channel", "channel_not_found"})


def is_conversation(channel: str) -> bool:
    """A channel id (public C…, private G…), not a person's id or a DM."""
    return channel.startswith(("C", "G"))


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

    status: str  # a DeliveryStatus
    channel_id: str | None = None
    ts: str | None = None
    error: str | None = None
    # True when this call asked Slack (not an earlier attempt's recorded outcome).
    attempted: bool = False


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
        text, blocks = fit_message(out.text, out.blocks)
        try:
            response = deps.client.chat_postMessage(
                channel=out.channel,
                text=text,
                blocks=blocks or None,
                metadata={"event_type": METADATA_TYPE, "event_payload": {"key": out.key}},
                unfurl_links=False,
                unfurl_media=False,
            )
        except SlackApiError as error:
            reason = str(error.response.get("error"))
            status, reason = refusal(deps, out.channel, reason)
            if status is None:
                raise
            log.warning("cannot deliver %s: %s (%s)", out.key, reason, status)
            return _record(deps, out.key, status, channel=out.channel, error=reason)
        return _record(
            deps, out.key, DeliveryStatus.SENT, channel=response["channel"], ts=response["ts"]
        )


def refusal(deps: Deps, channel: str, reason: str) -> tuple[DeliveryStatus | None, str]:
    """What a Slack refusal means for a delivery: waiting for access, failed for good, or None
    (passing trouble: the caller retries later); with the reason to record.

    `channel_not_found` for a channel is checked with conversations.info: a channel the bot
    can see but is not in waits for `/invite`; one that is archived or that the check cannot
    find either (deleted) has failed for good.
    """
    if is_conversation(channel) and reason in NO_ACCESS:
        if reason == "not_in_channel":
            return DeliveryStatus.WAITING_ACCESS, reason
        try:
            info = deps.client.conversations_info(channel=channel)["channel"]
        except SlackApiError as error:
            found = str(error.response.get("error"))
            if found in ("channel_not_found", "not_in_channel"):
                return DeliveryStatus.FAILED, reason
            return None, reason
        if info.get("is_archived"):
            return DeliveryStatus.FAILED, "is_archived"
        if info.get("is_member"):
            return None, reason  # the bot is in it after all (it just joined): try again
        return DeliveryStatus.WAITING_ACCESS, reason
    if reason in PERMANENT or reason in UNREACHABLE:
        return DeliveryStatus.FAILED, reason
    return None, reason


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
    return Delivered(status, channel, ts, error, attempted=True)


def _find_posted(deps: Deps, out: Outgoing) -> tuple[str, str] | None:
    """Where an earlier attempt at `out` landed, found by the key in its metadata; None when
    it did not (or the conversation cannot be read: then posting again is all we can do)."""
    channel = out.channel
    try:
        if channel.startswith(("U", "W")):
            channel = deps.client.conversations_open(users=channel)["channel"]["id"]
        messages = _recent(deps, channel)
    except SlackApiError as error:
        log.warning("cannot look for %s in %s: %s", out.key, channel, error.response.get("error"))
        return None
    for message in messages:
        metadata = message.get("metadata") or {}
        if (
            metadata.get("event_type") == METADATA_TYPE
            and (metadata.get("event_payload") or {}).get("key") == out.key
        ):
            return channel, str(message["ts"])
    return None


def _recent(deps: Deps, channel: str) -> list[dict[str, Any]]:
    """The newest hundred messages of a conversation: an attempt that failed is retried within
    minutes, and even a busy team channel does not get a hundred messages in between."""
    history = deps.client.conversations_history(
        channel=channel, include_all_metadata=True, limit=100
    )
    messages: list[dict[str, Any]] = history.get("messages", [])
    return messages


def upload_once(
    deps: Deps,
    key: str,
    *,
    channel: str,
    content: bytes,
    filename: str,
    title: str,
    cycle_id: int | None = None,
) -> Delivered:
    """Upload a file to a channel once under `key`. What became of it comes back as from
    `deliver`, with the file id where a message's ts would be (when it was shared).

    Slack's three upload steps are made one by one so the file id is recorded before the step
    that shares it (files.completeUploadExternal, which Slack may carry out and still fail).
    An attempt after such a failure looks for a message showing that file before uploading
    again; only a crash between asking for the upload and recording its id can share twice.
    """
    with key_lock(deps.engine, key) as mine:
        if not mine:
            return Delivered(DeliveryStatus.PENDING)
        now = deps.clock.now()
        with transaction(deps.sessions) as session:
            row, _ = ledger.claim(
                session, key, kind="file", user_id=None, cycle_id=cycle_id, now=now
            )
            if row.status != DeliveryStatus.PENDING:
                return Delivered(row.status, row.channel_id, row.message_ts, row.error)
            earlier = row.message_ts if row.attempts > 0 else None
            row.attempts += 1
        if earlier is not None and _file_shared(deps, channel, earlier):
            log.info("upload %s was already shared (file %s); recorded it", key, earlier)
            return _record(deps, key, DeliveryStatus.SENT, channel=channel, ts=earlier)
        try:
            file_id = _upload(deps, key, channel=channel, content=content, filename=filename)
            deps.client.files_completeUploadExternal(
                files=[{"id": file_id, "title": title}], channel_id=channel
            )
        except SlackApiError as error:
            status, reason = refusal(deps, channel, str(error.response.get("error")))
            if status is None:
                raise
            log.warning("cannot upload %s: %s (%s)", key, reason, status)
            return _record(deps, key, status, channel=channel, error=reason)
        # The file id is kept where a message's ts would be: it is what later views refer to.
        return _record(deps, key, DeliveryStatus.SENT, channel=channel, ts=file_id)


def _upload(deps: Deps, key: str, *, channel: str, content: bytes, filename: str) -> str:
    """Steps one and two of an upload (both safe to repeat); the new file's id is recorded on
    the pending delivery before it is shared."""
    slot = deps.client.files_getUploadURLExternal(filename=filename, length=len(content))
    file_id, url = str(slot["file_id"]), str(slot["upload_url"])
    with transaction(deps.sessions) as session:
        row = ledger.get(session, key)
        assert row is not None
        row.channel_id, row.message_ts = channel, file_id
    # The client's own upload step (files_upload_v2 uses it), with its timeout, proxy and TLS.
    sent = deps.client._upload_file(
        url=url,
        data=content,
        logger=log,
        timeout=deps.client.timeout,
        proxy=deps.client.proxy,
        ssl=deps.client.ssl,
    )
    if sent.status != 200:
        raise SlackRequestError(f"uploading {key} failed with HTTP {sent.status}")
    return file_id


def _file_shared(deps: Deps, channel: str, file_id: str) -> bool:
    """Whether a recent message in `channel` shows the file (its share went through)."""
    try:
        messages = _recent(deps, channel)
    except SlackApiError as error:
        log.warning(
            "cannot look for file %s in %s: %s", file_id, channel, error.response.get("error")
        )
        return False
    return any(
        (shared or {}).get("id") == file_id
        for message in messages
        for shared in message.get("files") or []
    )
