"""What the Web API method groups share: the workspace and message helpers."""

from __future__ import annotations

import time
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from localslack.blockkit import blocks_text_length, slack_errors, validate_blocks
from localslack.errors import ApiError
from localslack.limits import MAX_BLOCKS_TEXT, MAX_MESSAGE_TEXT
from localslack.models import Message
from localslack.params import int_arg, json_arg, text_arg
from localslack.state import Workspace

Handler = Callable[[dict[str, Any]], dict[str, Any]]


class Methods:
    """A group of Web API methods over one workspace; callers hold the workspace lock."""

    def __init__(self, ws: Workspace) -> None:
        self.ws = ws

    def handlers(self) -> dict[str, Handler]:
        """Method name -> handler for this group."""
        raise NotImplementedError

    def content(
        self, params: dict[str, Any], *, require: bool = True, max_text: int = MAX_MESSAGE_TEXT
    ) -> tuple[str, list[Any]]:
        """Validated text and blocks of a message, or the refusal Slack would answer."""
        text = text_arg(params, "text") or ""
        blocks = json_arg(params, "blocks", error="invalid_blocks_format")
        if blocks is not None:
            check_message_blocks(self.ws, blocks)
        if require and not text and not blocks and not params.get("attachments"):
            raise ApiError("no_text")
        if len(text) > max_text:
            raise ApiError("msg_too_long")
        return text, self.ws.with_block_ids(list(blocks or []))

    def bot_message(
        self,
        channel: str,
        text: str,
        blocks: list[Any],
        *,
        metadata: dict[str, Any] | None = None,
        thread_ts: str | None = None,
        files: list[dict[str, Any]] | None = None,
    ) -> Message:
        """Store a message from the bot."""
        ident = self.ws.identity
        return self.ws.add_message(
            Message(
                channel=channel,
                ts=self.ws.next_ts(),
                user=ident.bot_user_id,
                bot_id=ident.bot_id,
                text=text,
                blocks=blocks,
                metadata=metadata,
                thread_ts=thread_ts,
                files=files or [],
            )
        )

    def conversation(self, params: dict[str, Any], key: str = "channel") -> str:
        """An existing channel or DM id."""
        ref = text_arg(params, key) or ""
        if ref in self.ws.channels or self.ws.dm_user(ref) is not None:
            return ref
        raise ApiError("channel_not_found")


def check_message_blocks(ws: Workspace, blocks: Any) -> None:
    """Block Kit rules, the total size of a message's blocks, and the files they show."""
    errors = validate_blocks(blocks, surface="message")
    if errors:
        raise ApiError("invalid_blocks", **slack_errors(errors))
    if blocks_text_length(blocks) > MAX_BLOCKS_TEXT:
        raise ApiError("msg_blocks_too_long")
    errors = ws.slack_file_errors(blocks, time.monotonic())
    if errors:
        raise ApiError("invalid_blocks", **slack_errors(errors))


def ts_arg(params: dict[str, Any], key: str, default: Decimal) -> Decimal:
    """A message timestamp argument, compared exactly."""
    value = text_arg(params, key)
    if value is None:
        return default
    try:
        return Decimal(value)
    except InvalidOperation:
        raise ApiError("invalid_ts_" + key) from None


def paginate(
    items: list[Any], params: dict[str, Any], *, default_limit: int, max_limit: int
) -> tuple[list[Any], bool, str]:
    """One page by `limit` and an opaque `cursor`: (page, has_more, next_cursor)."""
    limit = int_arg(params, "limit", default_limit)
    limit = min(limit, max_limit) if limit > 0 else (default_limit or len(items) or 1)
    cursor = text_arg(params, "cursor")
    start = 0
    if cursor:
        if not cursor.startswith("next:") or not cursor[5:].isdigit():
            raise ApiError("invalid_cursor")
        start = int(cursor[5:])
    page = items[start : start + limit]
    more = start + limit < len(items)
    return page, more, f"next:{start + limit}" if more else ""
