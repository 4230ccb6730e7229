"""Block Kit checked the way Slack checks it: slack_sdk's own models, plus what they miss.

The element and block rules (lengths, counts, button styles, option values...) are those of
`slack_sdk.models.blocks` and `slack_sdk.models.views`: each block is parsed with
`Block.parse(...)` and validated (`to_dict()` runs `validate_json()` on it and on every nested
model). What slack_sdk does not check, Slack still refuses; those checks follow, each naming
the rule on https://docs.slack.dev/reference/block-kit it comes from.

Errors are lines in Slack's format, `[ERROR] <what> [json-pointer:/blocks/0/text]`; Slack
answers `invalid_blocks` with `errors` (the lines without "[ERROR] ") and
`response_metadata.messages` (the lines as they are), e.g. python-slack-sdk#1658:
`{'ok': False, 'error': 'invalid_blocks', 'errors': ['invalid slack file
[json-pointer:/blocks/0/slack_file]'], 'response_metadata': {'messages': ['[ERROR] invalid
slack file [json-pointer:/blocks/0/slack_file]']}}`.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from typing import Any

from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.basic_objects import JsonObject
from slack_sdk.models.blocks import Block, BlockElement, ConfirmObject, Option, OptionGroup
from slack_sdk.models.views import View

from localslack.limits import MAX_BLOCKS

SURFACES = tuple(MAX_BLOCKS)
VIEW_TYPES = ("modal", "home")
# Slack's text object rules (composition-objects/text-object): "plain_text" or "mrkdwn",
# at least 1 character.
TEXT_TYPES = ("plain_text", "mrkdwn")
# blocks/section-block: "Maximum length for the text in each item [of fields] is 2000".
MAX_FIELD_TEXT = 2000
# Where Slack accepts only plain_text (header-block "text", button "text", input-block
# "label"/"hint", views "title"/"submit"/"close": "must be a plain_text text object").
_PLAIN_ONLY_IN = {"header": ("text",), "input": ("label", "hint")}
_MALFORMED = (TypeError, ValueError, KeyError, AttributeError)


def err(message: str, pointer: str) -> str:
    """One error line in Slack's format."""
    return f"[ERROR] {message} [json-pointer:{pointer}]"


def slack_errors(lines: list[str]) -> dict[str, Any]:
    """The extra fields of Slack's invalid_blocks answer for these error lines."""
    return {
        "errors": [line.removeprefix("[ERROR] ") for line in lines],
        "response_metadata": {"messages": list(lines)},
    }


def validate_blocks(blocks: Any, *, surface: str) -> list[str]:
    """Errors Slack would report for `blocks` shown on `surface` ("message", "modal", "home")."""
    if surface not in MAX_BLOCKS:
        raise ValueError(f"unknown surface {surface!r}")
    if not isinstance(blocks, list):
        return [err("must be an array", "/blocks")]
    errors: list[str] = []
    limit = MAX_BLOCKS[surface]
    if len(blocks) > limit:
        # blocks: "up to 50 blocks in each message, and 100 blocks in modals or Home tabs".
        errors.append(err(f"no more than {limit} items allowed", "/blocks"))
    seen_ids: set[str] = set()
    for i, block in enumerate(blocks):
        where = f"/blocks/{i}"
        if not isinstance(block, dict):
            errors.append(err("must be an object", where))
            continue
        found = _model_error(block, where, _parse_block)
        if found is not None:
            errors.append(found)
            continue
        errors.extend(_beyond_sdk(block, where))
        block_id = block.get("block_id")
        if isinstance(block_id, str):
            # blocks: "block_id ... should be unique for each message".
            if block_id in seen_ids:
                errors.append(err(f"duplicate block_id {block_id!r}", f"{where}/block_id"))
            seen_ids.add(block_id)
    return errors


def validate_view(view: Any) -> list[str]:
    """Errors in the view's own fields (not its blocks); empty when the view is well formed."""
    if not isinstance(view, dict):
        return [err("must be an object", "/view")]
    kind = view.get("type")
    if kind not in VIEW_TYPES:
        return [err(f"unsupported view type: {kind!r}", "/view/type")]
    if not isinstance(view.get("blocks"), list):
        return [err("must provide an array", "/view/blocks")]
    shell = {k: v for k, v in view.items() if k != "blocks"}
    # slack_sdk's View checks the block count only when there are blocks; the rest of its
    # rules (title and buttons of 24, private_metadata of 3000, callback_id of 255) apply here.
    found = _model_error(shell, "/view", _parse_view)
    errors = [found] if found else []
    if kind != "modal":
        return errors
    # reference/views: a modal's "title" is required, and "submit" is required "when an
    # input block is within the blocks array"; title, submit and close are plain_text.
    if not isinstance(view.get("title"), dict):
        errors.append(err("must provide an object", "/view/title"))
    for key in ("title", "submit", "close"):
        errors.extend(_plain_text(view.get(key), f"/view/{key}"))
    has_input = any(isinstance(b, dict) and b.get("type") == "input" for b in view["blocks"])
    if has_input and view.get("submit") is None:
        errors.append(err("submit is required when the view has input blocks", "/view/submit"))
    return errors


def blocks_text_length(blocks: Any) -> int:
    """Characters of text in `blocks`, the measure of Slack's `msg_blocks_too_long`."""
    return sum(len(text) for text in _texts(blocks))


def slack_files(blocks: Any) -> Iterator[tuple[dict[str, Any], str]]:
    """Every `slack_file` object in `blocks`, with its JSON pointer."""
    yield from _find_key(blocks, "slack_file", "/blocks")


# slack_sdk models


def _parse_block(obj: dict[str, Any]) -> JsonObject | None:
    return Block.parse(obj)


def _parse_view(obj: dict[str, Any]) -> JsonObject | None:
    # A stand-in block keeps View's "between 1 and 100 blocks" rule quiet; blocks are checked
    # on their own with the surface's limit.
    return View(**{**obj, "blocks": [{"type": "divider"}]})


def _element_types() -> frozenset[str]:
    """The `type`s slack_sdk models as block elements (and text objects)."""
    found: set[str] = {"plain_text", "mrkdwn"}
    pending = list(BlockElement.__subclasses__())
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        kind = getattr(cls, "type", None)
        if isinstance(kind, str):
            found.add(kind)
    return frozenset(found)


_ELEMENT_TYPES = _element_types()


def _parse_child(obj: dict[str, Any]) -> JsonObject | None:
    """An element, text or composition object inside a block, as slack_sdk models it."""
    if "type" in obj:
        if obj["type"] not in _ELEMENT_TYPES:
            return None  # rich text leaves and the like: slack_sdk has no model to check
        parsed = BlockElement.parse(obj)
        return parsed if isinstance(parsed, JsonObject) else None
    if "options" in obj and "label" in obj:
        return OptionGroup(**obj)
    if "value" in obj and "text" in obj:
        return Option(**obj)
    if {"title", "text", "confirm", "deny"} <= obj.keys():
        return ConfirmObject(**obj)
    return None


def _model_error(
    obj: dict[str, Any], where: str, parse: Callable[[dict[str, Any]], JsonObject | None]
) -> str | None:
    """The first rule slack_sdk's models find broken in `obj`, deepest object first.

    Objects nested in a block are checked first so the pointer names the object at fault;
    slack_sdk keeps some nested objects (select options) as plain dicts and never checks them
    from the block, so they are parsed here on their own.
    """
    for key, value in obj.items():
        items = list(enumerate(value)) if isinstance(value, list) else [(None, value)]
        for index, item in items:
            if not isinstance(item, dict):
                continue
            path = f"{where}/{key}" if index is None else f"{where}/{key}/{index}"
            found = _model_error(item, path, _parse_child)
            if found is not None:
                return found
    try:
        model = parse(copy.deepcopy(obj))
        if model is None:
            if parse is _parse_block:
                return err(f"unsupported type: {obj.get('type')!r}", f"{where}/type")
            return None
        model.to_dict()
    except SlackObjectFormationError as e:
        return err(str(e), _pointer_to(obj, where, str(e)))
    except _MALFORMED as e:
        return err(f"failed to match all allowed schemas ({e})", where)
    return None


def _pointer_to(obj: dict[str, Any], where: str, message: str) -> str:
    """The attribute a slack_sdk message names ("text attribute cannot ..."), as a pointer."""
    name = message.split(" ", 1)[0]
    value = obj.get(name)
    if value is None:
        return where
    if isinstance(value, dict) and isinstance(value.get("text"), str):
        return f"{where}/{name}/text"
    return f"{where}/{name}"


# what slack_sdk does not check


def _beyond_sdk(block: dict[str, Any], where: str) -> list[str]:
    """Slack's rules for one block that slack_sdk's models leave out."""
    kind = block.get("type")
    errors: list[str] = []
    for key in _PLAIN_ONLY_IN.get(str(kind), ()):
        if block.get(key) is not None:
            errors.extend(_plain_text(block[key], f"{where}/{key}"))
    if kind == "section":
        # section-block "text": "Minimum length ... is 1"; fields: 2000 characters each.
        if block.get("text") is not None:
            errors.extend(_text(block["text"], f"{where}/text"))
        for j, item in enumerate(block.get("fields") or []):
            errors.extend(_text(item, f"{where}/fields/{j}", MAX_FIELD_TEXT))
    if kind in ("actions", "context") and not block.get("elements"):
        # actions-block and context-block "elements": a required, non-empty array.
        errors.append(err("must provide a non-empty array", f"{where}/elements"))
    if kind == "image" and not block.get("image_url") and not block.get("slack_file"):
        # image-block: "One of image_url or slack_file" is required.
        errors.append(err("must provide image_url or slack_file", where))
    seen: set[str] = set()
    for path, element in _elements(block, where):
        if element.get("type") == "button":
            # button-element "text": "A text object that defines the button's text. Can
            # only be of type: plain_text."
            errors.extend(_plain_text(element.get("text"), f"{path}/text"))
        action_id = element.get("action_id")
        if isinstance(action_id, str):
            # actions-block: "action_id ... should be unique among all other action_ids in
            # the containing block".
            if action_id in seen:
                errors.append(err(f"duplicate action_id {action_id!r}", f"{path}/action_id"))
            seen.add(action_id)
    return errors


def _elements(block: dict[str, Any], where: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """The interactive elements of a block, with their pointers."""
    for j, element in enumerate(block.get("elements") or []):
        if isinstance(element, dict):
            yield f"{where}/elements/{j}", element
    for key in ("accessory", "element"):
        if isinstance(block.get(key), dict):
            yield f"{where}/{key}", block[key]


def _text(obj: Any, where: str, limit: int | None = None) -> list[str]:
    """A text object: a known type and a string of at least one character (and at most `limit`)."""
    if not isinstance(obj, dict) or not isinstance(obj.get("text"), str):
        return [err("must be a text object with a string text", where)]
    if obj.get("type") not in TEXT_TYPES:
        return [err(f"type must be one of {list(TEXT_TYPES)}", f"{where}/type")]
    if not obj["text"]:
        return [err("must be at least 1 character", f"{where}/text")]
    if limit is not None and len(obj["text"]) > limit:
        return [err(f"must be less than {limit + 1} characters", f"{where}/text")]
    return []


def _plain_text(obj: Any, where: str) -> list[str]:
    """A plain_text text object (or nothing)."""
    if obj is None:
        return []
    problems = _text(obj, where)
    if problems:
        return problems
    if obj.get("type") != "plain_text":
        return [err("must be a plain_text text object", f"{where}/type")]
    return []


def _texts(node: Any) -> Iterator[str]:
    """Every `text` string in a Block Kit tree (text objects, rich text, markdown blocks)."""
    if isinstance(node, list):
        for item in node:
            yield from _texts(item)
    elif isinstance(node, dict):
        for key, value in node.items():
            if key == "text" and isinstance(value, str):
                yield value
            else:
                yield from _texts(value)


def _find_key(node: Any, wanted: str, where: str) -> Iterator[tuple[dict[str, Any], str]]:
    """Every dict value under key `wanted`, with its JSON pointer."""
    if isinstance(node, list):
        for i, item in enumerate(node):
            yield from _find_key(item, wanted, f"{where}/{i}")
    elif isinstance(node, dict):
        for key, value in node.items():
            if key == wanted and isinstance(value, dict):
                yield value, f"{where}/{key}"
            else:
                yield from _find_key(value, wanted, f"{where}/{key}")
