"""Every builder's Block Kit is valid by slack_sdk's own models (the same models the local
Slack validates with): block types, lengths, element kinds, views."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from bot.platform.blocks import Reply
from tests.platform.test_escaping_everywhere import NAMES, builders


def surfaces(value: Any) -> Iterator[tuple[str, Any]]:
    """("blocks", [..]) for messages and ("view", {..}) for modals and the App Home."""
    if isinstance(value, Reply):
        yield "blocks", value.blocks
    elif isinstance(value, dict) and value.get("type") in ("modal", "home"):
        yield "view", value
    elif isinstance(value, list) and value and isinstance(value[0], dict):
        yield "blocks", value
    elif isinstance(value, list | tuple):
        for item in value:
            yield from surfaces(item)


@pytest.mark.parametrize("builder", NAMES)
def test_builder_output_is_valid_block_kit(builder: str) -> None:
    built = builders("Rocket & co", "a note <!here> with *stars*")[builder]()
    found = list(surfaces(built))
    for kind, value in found:
        if kind == "view":
            View(**value).validate_json()
            blocks = value["blocks"]
            assert len(blocks) <= 100
        else:
            blocks = value
            assert len(blocks) <= 50
        for raw in blocks:
            parsed = Block.parse(raw)
            assert parsed is not None, raw
            parsed.validate_json()
            assert parsed.to_dict()["type"] == raw["type"]


def test_an_invalid_block_is_caught() -> None:
    """The check can fail: slack_sdk refuses a header longer than Slack allows."""
    from slack_sdk.errors import SlackObjectFormationError

    with pytest.raises(SlackObjectFormationError):
        Block.parse(
            {"type": "header", "text": {"type": "plain_text", "text": "x" * 151}}
        ).validate_json()  # type: ignore[union-attr]
