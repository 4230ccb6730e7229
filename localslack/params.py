"""Reading Web API arguments that arrive as form strings or as JSON values."""

from __future__ import annotations

import json
from typing import Any

from localslack.errors import ApiError

TRUE_STRINGS = ("1", "true", "yes")


def text_arg(params: dict[str, Any], key: str) -> str | None:
    """A string argument (numbers are turned into strings); None when absent or empty."""
    value = params.get(key)
    if value is None or value == "":
        return None
    return value if isinstance(value, str) else str(value)


def bool_arg(params: dict[str, Any], key: str) -> bool:
    """A boolean argument: true, "true", "1"."""
    value = params.get(key)
    if isinstance(value, str):
        return value.strip().lower() in TRUE_STRINGS
    return bool(value)


def int_arg(params: dict[str, Any], key: str, default: int) -> int:
    """An integer argument, or `default` when absent; invalid_arguments when not a number."""
    value = params.get(key)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ApiError("invalid_arguments") from None


def json_arg(params: dict[str, Any], key: str, *, error: str) -> Any:
    """A JSON argument given as a string or already decoded; ApiError(error) if unparseable."""
    value = params.get(key)
    if not isinstance(value, str):
        return value
    if not value.strip():
        return None
    try:
        return json.loads(value)
    except json.JSONDecodeError:
        raise ApiError(error) from None


def list_arg(params: dict[str, Any], key: str) -> list[str]:
    """A comma-separated (or JSON list) argument as a list of strings."""
    value = params.get(key)
    if value is None:
        return []
    if isinstance(value, list):
        return [str(v) for v in value]
    return [part.strip() for part in str(value).split(",") if part.strip()]
