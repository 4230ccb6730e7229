"""Every message and view the bot builds stays within Slack's limits in total: text and blocks
together within 11,000 characters, 50 blocks a message, 100 a view, even with the longest
input a user may give (a team name of 80 characters, a note of 2,000)."""

from __future__ import annotations

import pytest

from bot.platform.blocks import MESSAGE_BLOCKS, MESSAGE_CHARS, VIEW_BLOCKS, text_length
from tests.platform.test_blocks_valid import surfaces
from tests.platform.test_escaping_everywhere import NAMES, builders

LONG_NAME = "Rocket <!here> & co " * 4  # 80 characters
LONG_NOTE = "the release slipped <@U0EVIL> again; " * 54  # ~2,000 characters


@pytest.mark.parametrize("builder", NAMES)
def test_every_message_and_view_fits_slack_in_total(builder: str) -> None:
    built = builders(LONG_NAME[:80], LONG_NOTE[:2000])[builder]()
    found = list(surfaces(built))
    assert found, "the builder made nothing to check"
    for kind, value in found:
        if kind == "view":
            assert len(value["blocks"]) <= VIEW_BLOCKS
        else:
            assert len(value) <= MESSAGE_BLOCKS
            text = built.text if hasattr(built, "text") else ""
            assert len(str(text)) + text_length(value) <= MESSAGE_CHARS
