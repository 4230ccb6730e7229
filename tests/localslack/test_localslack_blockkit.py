"""Block Kit limits: each one rejects, a valid message passes."""

from __future__ import annotations

from typing import Any

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from localslack import LocalSlack
from localslack.blockkit import validate_blocks, validate_view

GENERAL = "CGENERAL"


def section(text: str = "hi", **extra: Any) -> dict[str, Any]:
    """A mrkdwn section block."""
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}, **extra}


def button(text: str = "Go", action_id: str = "go") -> dict[str, Any]:
    """A button element."""
    return {"type": "button", "text": {"type": "plain_text", "text": text}, "action_id": action_id}


def actions(*elements: dict[str, Any]) -> dict[str, Any]:
    """An actions block."""
    return {"type": "actions", "elements": list(elements)}


VALID = [
    {"type": "header", "text": {"type": "plain_text", "text": "Check-in"}},
    section("How was the week?", block_id="q"),
    {"type": "divider"},
    actions(button("Good", "good"), button("Bad", "bad")),
    {"type": "context", "elements": [{"type": "mrkdwn", "text": "week 7"}]},
]

TOO_MUCH: dict[str, tuple[list[Any], str]] = {
    "51 blocks": ([section()] * 51, "no more than 50"),
    "long section": ([section("x" * 3001)], "/blocks/0/text/text"),
    "26 elements": ([actions(*(button(action_id=f"a{i}") for i in range(26)))], "exceed 25"),
    "long button": ([actions(button("x" * 76))], "/blocks/0/elements/0/text/text"),
    "long action_id": ([actions(button(action_id="a" * 256))], "action_id"),
    "unknown type": ([{"type": "teleporter"}], "unsupported type"),
    "not a dict": (["section"], "must be an object"),
    "duplicate block_id": ([section(block_id="x"), section(block_id="x")], "duplicate block_id"),
    "long header": (
        [{"type": "header", "text": {"type": "plain_text", "text": "x" * 151}}],
        "/blocks/0/text/text",
    ),
}


def test_valid_blocks_pass() -> None:
    assert validate_blocks(VALID, surface="message") == []
    assert validate_blocks([section()] * 100, surface="modal") == []


@pytest.mark.parametrize("case", sorted(TOO_MUCH))
def test_each_limit_rejects(case: str) -> None:
    blocks, expected = TOO_MUCH[case]
    errors = validate_blocks(blocks, surface="message")
    assert errors and expected in errors[0]


def test_view_limits() -> None:
    assert validate_blocks([section()] * 101, surface="home")
    modal = {"type": "modal", "title": {"type": "plain_text", "text": "x" * 25}, "blocks": []}
    assert "/view/title/text" in validate_view(modal)[0]
    assert validate_view({"type": "sheet", "blocks": []})
    assert validate_view({"type": "home", "blocks": [section()]}) == []


def test_server_refuses_invalid_blocks(slack: LocalSlack, client: WebClient) -> None:
    assert client.chat_postMessage(channel=GENERAL, text="ok", blocks=VALID)["ok"]
    with pytest.raises(SlackApiError) as raised:
        client.chat_postMessage(channel=GENERAL, text="too long", blocks=[section("x" * 3001)])
    assert raised.value.response["error"] == "invalid_blocks"
    assert "json-pointer:/blocks/0/text/text" in raised.value.response["errors"][0]
    ts = slack.messages(GENERAL)[0].ts
    with pytest.raises(SlackApiError) as raised:
        client.chat_update(channel=GENERAL, ts=ts, text="x", blocks=[actions(button("x" * 76))])
    assert raised.value.response["error"] == "invalid_blocks"
    assert len(slack.messages(GENERAL)) == 1 and not slack.messages(GENERAL)[0].edited
