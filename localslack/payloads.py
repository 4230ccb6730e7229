"""Interaction payloads as Slack builds them: element lookup, action values, view state."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

# Element type -> (state key, is a list). Text-like inputs report "value".
_STATE_KEYS: dict[str, tuple[str, bool]] = {
    "static_select": ("selected_option", False),
    "external_select": ("selected_option", False),
    "radio_buttons": ("selected_option", False),
    "overflow": ("selected_option", False),
    "multi_static_select": ("selected_options", True),
    "multi_external_select": ("selected_options", True),
    "checkboxes": ("selected_options", True),
    "users_select": ("selected_user", False),
    "multi_users_select": ("selected_users", True),
    "conversations_select": ("selected_conversation", False),
    "multi_conversations_select": ("selected_conversations", True),
    "channels_select": ("selected_channel", False),
    "multi_channels_select": ("selected_channels", True),
    "datepicker": ("selected_date", False),
    "timepicker": ("selected_time", False),
    "datetimepicker": ("selected_date_time", False),
}
_OPTION_TYPES = frozenset(
    {"static_select", "external_select", "radio_buttons", "overflow"}
    | {"multi_static_select", "multi_external_select", "checkboxes"}
)
_INITIAL_KEYS = {
    "initial_value": "value",
    "initial_option": "selected_option",
    "initial_options": "selected_options",
    "initial_user": "selected_user",
    "initial_users": "selected_users",
    "initial_conversation": "selected_conversation",
    "initial_conversations": "selected_conversations",
    "initial_channel": "selected_channel",
    "initial_channels": "selected_channels",
    "initial_date": "selected_date",
    "initial_time": "selected_time",
    "initial_date_time": "selected_date_time",
}


def iter_elements(blocks: Any) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    """Every interactive element with its block: actions, section accessories, inputs."""
    for block in blocks if isinstance(blocks, list) else []:
        if not isinstance(block, dict):
            continue
        kind = block.get("type")
        if kind == "actions":
            for element in block.get("elements") or []:
                yield block, element
        elif kind == "section" and isinstance(block.get("accessory"), dict):
            yield block, block["accessory"]
        elif kind == "input" and isinstance(block.get("element"), dict):
            yield block, block["element"]


def find_element(blocks: Any, action_id: str) -> tuple[str, dict[str, Any]]:
    """(block_id, element) of the element with `action_id`; ValueError when there is none."""
    for block, element in iter_elements(blocks):
        if element.get("action_id") == action_id:
            return str(block.get("block_id") or ""), element
    raise ValueError(f"no element with action_id {action_id!r} in these blocks")


def _options(element: dict[str, Any]) -> list[dict[str, Any]]:
    """An element's options, including those inside option groups."""
    found = list(element.get("options") or [])
    for group in element.get("option_groups") or []:
        found.extend(group.get("options") or [])
    return found


def _option(element: dict[str, Any], value: Any) -> dict[str, Any]:
    """The option object for a value, text looked up in the element."""
    if isinstance(value, dict):
        return value
    options = _options(element)
    for option in options:
        if option.get("value") == str(value):
            return option
    if options:
        raise ValueError(f"{value!r} is not an option of {element.get('action_id')!r}")
    return {"text": {"type": "plain_text", "text": str(value)}, "value": str(value)}


def element_state(element: dict[str, Any], value: Any) -> dict[str, Any]:
    """The state object Slack reports for an element set to a simple `value`.

    A dict is taken as the full state object. None means untouched: the element's
    initial value if it has one, else empty.
    """
    kind = str(element.get("type"))
    if isinstance(value, dict) and kind not in _OPTION_TYPES:
        return {"type": kind, **value}
    if value is None:
        return _initial_state(element)
    key, many = _STATE_KEYS.get(kind, ("value", False))
    values = list(value) if isinstance(value, list | tuple) else [value]
    if kind in _OPTION_TYPES:
        chosen: Any = [_option(element, v) for v in values]
    elif kind == "rich_text_input":
        return {"type": kind, "rich_text_value": _rich_text(str(value))}
    elif kind == "datetimepicker":
        chosen = [int(v) for v in values]
    else:
        chosen = [str(v) for v in values]
    return {"type": kind, key: chosen if many else chosen[0]}


def _initial_state(element: dict[str, Any]) -> dict[str, Any]:
    """An untouched element: empty, or its initial value."""
    kind = str(element.get("type"))
    key, many = _STATE_KEYS.get(kind, ("value", False))
    state: dict[str, Any] = {"type": kind, key: [] if many else None}
    for initial, state_key in _INITIAL_KEYS.items():
        if initial in element:
            state[state_key] = element[initial]
    return state


def _rich_text(text: str) -> dict[str, Any]:
    """Plain text as a rich_text value."""
    section = {"type": "rich_text_section", "elements": [{"type": "text", "text": text}]}
    return {"type": "rich_text", "elements": [section]}


def is_empty(state: dict[str, Any]) -> bool:
    """Whether a state object holds no value (Slack refuses to submit a required one)."""
    payload = [v for k, v in state.items() if k != "type"]
    return all(v in (None, "", []) for v in payload)


def action(element: dict[str, Any], block_id: str, value: Any) -> dict[str, Any]:
    """One entry of a block_actions payload's `actions` (a menu defaults to its first option)."""
    base: dict[str, Any] = {
        "action_id": element.get("action_id"),
        "block_id": block_id,
        "action_ts": f"{time.time():.6f}",
    }
    if element.get("type") == "button":
        base.update(type="button", text=element.get("text"))
        chosen = value if value is not None else element.get("value")
        if chosen is not None:
            base["value"] = str(chosen)
        if element.get("style"):
            base["style"] = element["style"]
        return base
    if value is None:
        options = _options(element)
        if not options:
            raise ValueError(f"choose a value for {element.get('action_id')!r}")
        value = options[0].get("value")
    return {**base, **element_state(element, value)}


def view_state(view: dict[str, Any], values: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """state.values for a view: given values, initial values elsewhere; ValueError on typos."""
    elements: dict[tuple[str, str], dict[str, Any]] = {}
    for block, element in iter_elements(view.get("blocks")):
        if element.get("action_id") and element.get("type") != "button":
            elements[(str(block.get("block_id") or ""), element["action_id"])] = element
    for block_id, by_action in values.items():
        for action_id in by_action:
            if (block_id, action_id) not in elements:
                raise ValueError(f"no input {block_id!r}/{action_id!r} in view")
    state: dict[str, dict[str, Any]] = {}
    for (block_id, action_id), element in elements.items():
        given = values.get(block_id, {}).get(action_id)
        state.setdefault(block_id, {})[action_id] = element_state(element, given)
    return {"values": state}


def missing_required(view: dict[str, Any], state: dict[str, Any]) -> list[str]:
    """block_ids of required inputs left empty (Slack would not let the user submit)."""
    missing: list[str] = []
    for block in view.get("blocks") or []:
        if not isinstance(block, dict) or block.get("type") != "input" or block.get("optional"):
            continue
        element = block.get("element") or {}
        block_id = str(block.get("block_id") or "")
        entry = state["values"].get(block_id, {}).get(element.get("action_id"))
        if entry is None or is_empty(entry):
            missing.append(block_id)
    return missing


def field_values(view: dict[str, Any], **by_action_id: Any) -> dict[str, dict[str, Any]]:
    """Values for submit_view keyed by action_id alone (block_ids looked up in the view)."""
    out: dict[str, dict[str, Any]] = {}
    remaining = dict(by_action_id)
    for block, element in iter_elements(view.get("blocks")):
        action_id = element.get("action_id")
        if action_id in remaining:
            out.setdefault(str(block.get("block_id") or ""), {})[action_id] = remaining.pop(
                action_id
            )
    if remaining:
        raise ValueError(f"no inputs with action_id {sorted(remaining)} in view")
    return out
