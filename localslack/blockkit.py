"""Block Kit limits the way Slack enforces them; pure functions, no state.

Each error names the offending place with a JSON pointer, like Slack's own
`[ERROR] ... [json-pointer:/blocks/0/text/text]` messages.
"""

from __future__ import annotations

from typing import Any

KNOWN_BLOCK_TYPES = frozenset(
    {"section", "actions", "context", "divider", "header", "image", "input", "rich_text"}
    | {"file", "video"}
)
MAX_BLOCKS = {"message": 50, "modal": 100, "home": 100}
SURFACES = tuple(MAX_BLOCKS)
MAX_SECTION_TEXT = 3000
MAX_FIELDS = 10
MAX_FIELD_TEXT = 2000
MAX_ACTIONS_ELEMENTS = 25
MAX_CONTEXT_ELEMENTS = 10
MAX_BUTTON_TEXT = 75
MAX_BUTTON_VALUE = 2000
MAX_ACTION_ID = 255
MAX_BLOCK_ID = 255
MAX_HEADER_TEXT = 150
MAX_MODAL_TITLE = 24
MAX_MODAL_BUTTON = 24
MAX_PRIVATE_METADATA = 3000
MAX_OPTIONS = 100
MAX_OPTION_TEXT = 75
TEXT_TYPES = ("plain_text", "mrkdwn")
VIEW_TYPES = ("modal", "home")


def _err(message: str, pointer: str) -> str:
    """One error line in Slack's format."""
    return f"[ERROR] {message} [json-pointer:{pointer}]"


def validate_blocks(blocks: Any, *, surface: str) -> list[str]:
    """Errors Slack would report for `blocks` shown on `surface` ("message", "modal", "home")."""
    if surface not in MAX_BLOCKS:
        raise ValueError(f"unknown surface {surface!r}")
    if not isinstance(blocks, list):
        return [_err("must be an array", "/blocks")]
    errors: list[str] = []
    limit = MAX_BLOCKS[surface]
    if len(blocks) > limit:
        errors.append(_err(f"no more than {limit} items allowed", "/blocks"))
    seen_ids: set[str] = set()
    for i, block in enumerate(blocks):
        where = f"/blocks/{i}"
        if not isinstance(block, dict):
            errors.append(_err("must be an object", where))
            continue
        kind = block.get("type")
        if kind not in KNOWN_BLOCK_TYPES:
            errors.append(_err(f"unsupported type: {kind!r}", f"{where}/type"))
            continue
        block_id = block.get("block_id")
        if block_id is not None:
            if not isinstance(block_id, str) or len(block_id) > MAX_BLOCK_ID:
                errors.append(_err("must be a string under 256 characters", f"{where}/block_id"))
            elif block_id in seen_ids:
                errors.append(_err(f"duplicate block_id {block_id!r}", f"{where}/block_id"))
            else:
                seen_ids.add(block_id)
        errors.extend(_BLOCK_CHECKS.get(kind, _no_check)(block, where))
    return errors


def validate_view(view: Any) -> list[str]:
    """Errors in the view's own fields (not its blocks); empty when the view is well formed."""
    if not isinstance(view, dict):
        return [_err("must be an object", "/view")]
    kind = view.get("type")
    if kind not in VIEW_TYPES:
        return [_err(f"unsupported view type: {kind!r}", "/view/type")]
    if not isinstance(view.get("blocks"), list):
        return [_err("must provide an array", "/view/blocks")]
    errors: list[str] = []
    metadata = view.get("private_metadata")
    if metadata is not None and (
        not isinstance(metadata, str) or len(metadata) > MAX_PRIVATE_METADATA
    ):
        errors.append(_err("must be a string under 3001 characters", "/view/private_metadata"))
    if kind != "modal":
        return errors
    title = view.get("title")
    if not isinstance(title, dict):
        errors.append(_err("must provide an object", "/view/title"))
    else:
        errors.extend(_text(title, "/view/title", MAX_MODAL_TITLE, plain_only=True))
    for key in ("submit", "close"):
        if view.get(key) is not None:
            errors.extend(_text(view[key], f"/view/{key}", MAX_MODAL_BUTTON, plain_only=True))
    has_input = any(isinstance(b, dict) and b.get("type") == "input" for b in view["blocks"])
    if has_input and view.get("submit") is None:
        errors.append(_err("submit is required when the view has input blocks", "/view/submit"))
    return errors


def _no_check(block: dict[str, Any], where: str) -> list[str]:
    """Blocks with nothing to limit here."""
    return []


def _text(obj: Any, where: str, limit: int, *, plain_only: bool = False) -> list[str]:
    """A text object: right type, a string, not too long."""
    if not isinstance(obj, dict) or not isinstance(obj.get("text"), str):
        return [_err("must be a text object with a string text", where)]
    allowed = ("plain_text",) if plain_only else TEXT_TYPES
    if obj.get("type") not in allowed:
        return [_err(f"type must be one of {list(allowed)}", f"{where}/type")]
    if not obj["text"] and plain_only:
        return [_err("must be at least 1 character", f"{where}/text")]
    if len(obj["text"]) > limit:
        return [_err(f"must be less than {limit + 1} characters", f"{where}/text")]
    return []


def _section(block: dict[str, Any], where: str) -> list[str]:
    """Section: text or fields, and an optional accessory."""
    errors: list[str] = []
    if block.get("text") is None and not block.get("fields"):
        errors.append(_err("must provide text or fields", where))
    if block.get("text") is not None:
        errors.extend(_text(block["text"], f"{where}/text", MAX_SECTION_TEXT))
    fields = block.get("fields")
    if fields is not None:
        if not isinstance(fields, list) or len(fields) > MAX_FIELDS:
            errors.append(_err(f"must be an array of at most {MAX_FIELDS}", f"{where}/fields"))
        else:
            for j, item in enumerate(fields):
                errors.extend(_text(item, f"{where}/fields/{j}", MAX_FIELD_TEXT))
    if block.get("accessory") is not None:
        errors.extend(_element(block["accessory"], f"{where}/accessory"))
    return errors


def _header(block: dict[str, Any], where: str) -> list[str]:
    """Header: plain text, at most 150 characters."""
    return _text(block.get("text"), f"{where}/text", MAX_HEADER_TEXT, plain_only=True)


def _actions(block: dict[str, Any], where: str) -> list[str]:
    """Actions: 1 to 25 interactive elements with distinct action_ids."""
    elements = block.get("elements")
    if not isinstance(elements, list) or not elements:
        return [_err("must provide a non-empty array", f"{where}/elements")]
    errors: list[str] = []
    if len(elements) > MAX_ACTIONS_ELEMENTS:
        errors.append(
            _err(f"no more than {MAX_ACTIONS_ELEMENTS} items allowed", f"{where}/elements")
        )
    seen: set[str] = set()
    for j, element in enumerate(elements):
        errors.extend(_element(element, f"{where}/elements/{j}"))
        action_id = element.get("action_id") if isinstance(element, dict) else None
        if isinstance(action_id, str):
            if action_id in seen:
                errors.append(
                    _err(f"duplicate action_id {action_id!r}", f"{where}/elements/{j}/action_id")
                )
            seen.add(action_id)
    return errors


def _context(block: dict[str, Any], where: str) -> list[str]:
    """Context: 1 to 10 text or image elements."""
    elements = block.get("elements")
    if not isinstance(elements, list) or not elements:
        return [_err("must provide a non-empty array", f"{where}/elements")]
    errors: list[str] = []
    if len(elements) > MAX_CONTEXT_ELEMENTS:
        errors.append(
            _err(f"no more than {MAX_CONTEXT_ELEMENTS} items allowed", f"{where}/elements")
        )
    for j, element in enumerate(elements):
        if isinstance(element, dict) and element.get("type") == "image":
            continue
        errors.extend(_text(element, f"{where}/elements/{j}", MAX_SECTION_TEXT))
    return errors


def _input(block: dict[str, Any], where: str) -> list[str]:
    """Input: a plain-text label and one element."""
    errors = _text(block.get("label"), f"{where}/label", 2000, plain_only=True)
    if not isinstance(block.get("element"), dict):
        errors.append(_err("must provide an object", f"{where}/element"))
    else:
        errors.extend(_element(block["element"], f"{where}/element"))
    return errors


def _image(block: dict[str, Any], where: str) -> list[str]:
    """Image: a source and alt text."""
    errors: list[str] = []
    if not block.get("image_url") and not block.get("slack_file"):
        errors.append(_err("must provide image_url or slack_file", where))
    if not isinstance(block.get("alt_text"), str):
        errors.append(_err("must provide a string", f"{where}/alt_text"))
    return errors


def _element(element: Any, where: str) -> list[str]:
    """An interactive element: action_id, button text and value, select options."""
    if not isinstance(element, dict) or not isinstance(element.get("type"), str):
        return [_err("must be an object with a type", where)]
    errors: list[str] = []
    action_id = element.get("action_id")
    if action_id is not None and (not isinstance(action_id, str) or len(action_id) > MAX_ACTION_ID):
        errors.append(_err("must be a string under 256 characters", f"{where}/action_id"))
    if element["type"] == "button":
        errors.extend(_text(element.get("text"), f"{where}/text", MAX_BUTTON_TEXT, plain_only=True))
        value = element.get("value")
        if value is not None and (not isinstance(value, str) or len(value) > MAX_BUTTON_VALUE):
            errors.append(_err("must be a string under 2001 characters", f"{where}/value"))
    options = element.get("options")
    if options is not None:
        if not isinstance(options, list) or len(options) > MAX_OPTIONS:
            errors.append(_err(f"must be an array of at most {MAX_OPTIONS}", f"{where}/options"))
        else:
            for j, option in enumerate(options):
                text = option.get("text") if isinstance(option, dict) else None
                errors.extend(_text(text, f"{where}/options/{j}/text", MAX_OPTION_TEXT))
    return errors


_BLOCK_CHECKS = {
    "section": _section,
    "header": _header,
    "actions": _actions,
    "context": _context,
    "input": _input,
    "image": _image,
}
