"""Small Block Kit primitives; every other builder is made of these."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

Block = dict[str, Any]

SECTION_LIMIT = 3000
# Slack's limits on one message in total. It refuses blocks past about 12,000 characters of
# text (`msg_blocks_too_long`; localslack/limits.py cites the figure); we keep text and blocks
# together under 11,000 so a message never meets it. 50 blocks per message, 100 per view.
MESSAGE_CHARS = 11_000
# A message's `text` beside blocks is its notification fallback; chat.update takes 4,000 at most.
FALLBACK_CHARS = 4_000
MESSAGE_BLOCKS = 50
VIEW_BLOCKS = 100


def mrkdwn(text: str) -> dict[str, Any]:
    """A mrkdwn text object."""
    return {"type": "mrkdwn", "text": text}


def plain(text: str, *, emoji: bool = True) -> dict[str, Any]:
    """A plain_text object."""
    return {"type": "plain_text", "text": text, "emoji": emoji}


def section(text: str, *, block_id: str | None = None, accessory: Block | None = None) -> Block:
    """A section of mrkdwn, cut to Slack's limit."""
    if len(text) > SECTION_LIMIT:
        text = text[: SECTION_LIMIT - 1] + "…"
    block: Block = {"type": "section", "text": mrkdwn(text)}
    if block_id:
        block["block_id"] = block_id
    if accessory:
        block["accessory"] = accessory
    return block


def header(text: str) -> Block:
    """A header line."""
    return {"type": "header", "text": plain(text[:150])}


def context(*texts: str) -> Block:
    """Small grey mrkdwn lines."""
    return {"type": "context", "elements": [mrkdwn(t) for t in texts]}


def divider() -> Block:
    """A horizontal rule."""
    return {"type": "divider"}


def button(
    text: str, action_id: str, value: str = "", *, style: str | None = None, url: str | None = None
) -> Block:
    """A button element."""
    element: Block = {"type": "button", "text": plain(text[:75]), "action_id": action_id}
    if value:
        element["value"] = value
    if style:
        element["style"] = style
    if url:
        element["url"] = url
    return element


def actions(*elements: Block, block_id: str | None = None) -> Block:
    """An actions block."""
    block: Block = {"type": "actions", "elements": list(elements)}
    if block_id:
        block["block_id"] = block_id
    return block


def option(text: str, value: str) -> dict[str, Any]:
    """An option for selects and radio buttons."""
    return {"text": plain(text[:75]), "value": value}


def input_block(
    block_id: str, label: str, element: Block, *, optional: bool = False, hint: str | None = None
) -> Block:
    """An input block in a modal."""
    block: Block = {
        "type": "input",
        "block_id": block_id,
        "label": plain(label),
        "element": element,
        "optional": optional,
    }
    if hint:
        block["hint"] = plain(hint)
    return block


def modal(
    callback_id: str,
    title: str,
    blocks: list[Block],
    *,
    submit: str | None = "Save",
    private_metadata: str = "",
) -> Block:
    """A modal view."""
    view: Block = {
        "type": "modal",
        "callback_id": callback_id,
        "title": plain(title[:24]),
        "close": plain("Cancel"),
        "blocks": blocks,
        "private_metadata": private_metadata,
    }
    if submit:
        view["submit"] = plain(submit[:24])
    return view


@dataclass(frozen=True)
class Reply:
    """An ephemeral answer: fallback text and optional blocks."""

    text: str
    blocks: list[Block] = field(default_factory=list)


def text_reply(text: str) -> Reply:
    """A reply that is just text (shown as one section)."""
    return Reply(text=text, blocks=[section(text)])


def error_reply(message: str) -> Reply:
    """A refusal; the message says what was wrong and what to type instead."""
    return Reply(text=message, blocks=[section(f":warning: {message}")])


def text_length(node: Any) -> int:
    """Characters of every `text` string in a Block Kit tree, Slack's measure of its size."""
    if isinstance(node, list):
        return sum(text_length(item) for item in node)
    if isinstance(node, dict):
        return sum(
            len(value) if key == "text" and isinstance(value, str) else text_length(value)
            for key, value in node.items()
        )
    return 0


def message_length(text: str, blocks: list[Block]) -> int:
    """A message's size as Slack counts it: its text and the text in its blocks."""
    return len(text) + text_length(blocks)


def fits(text: str, blocks: list[Block], *, max_blocks: int = MESSAGE_BLOCKS) -> bool:
    """Whether a message is within Slack's total size and block count."""
    return len(blocks) <= max_blocks and message_length(text, blocks) <= MESSAGE_CHARS


def paginate(blocks: list[Block], *, chars: int, max_blocks: int) -> list[list[Block]]:
    """Blocks packed in order into as few pages as fit `chars` and `max_blocks` each (a
    block bigger than a page gets a page of its own)."""
    pages: list[list[Block]] = []
    page: list[Block] = []
    size = 0
    for block in blocks:
        length = text_length(block)
        if page and (size + length > chars or len(page) >= max_blocks):
            pages.append(page)
            page, size = [], 0
        page.append(block)
        size += length
    if page:
        pages.append(page)
    return pages


def cut_to_fit(
    text: str, blocks: list[Block], note: str, *, max_blocks: int = MESSAGE_BLOCKS
) -> list[Block]:
    """Blocks cut from the end until the message fits, with `note` (a context line) saying so;
    unchanged when they fit already."""
    if fits(text, blocks, max_blocks=max_blocks):
        return blocks
    ending = context(note)
    budget = MESSAGE_CHARS - len(text) - text_length(ending)
    kept: list[Block] = []
    size = 0
    for block in blocks[: max_blocks - 1]:
        length = text_length(block)
        if size + length > budget:
            break
        kept.append(block)
        size += length
    return [*kept, ending]


def fit_message(text: str, blocks: list[Block]) -> tuple[str, list[Block]]:
    """A message as sent: the fallback text and the blocks cut to Slack's limits if need be
    (the last resort; builders keep their messages within them)."""
    if blocks and len(text) > FALLBACK_CHARS:
        text = text[: FALLBACK_CHARS - 1] + "…"
    if blocks:
        blocks = cut_to_fit(text, blocks, "…cut to fit one Slack message.")
    return text, blocks
