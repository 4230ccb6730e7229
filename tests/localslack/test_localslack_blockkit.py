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


def mrkdwn(text: str) -> dict[str, Any]:
    """A mrkdwn text object."""
    return {"type": "mrkdwn", "text": text}


def option(value: str) -> dict[str, Any]:
    """A select option."""
    return {"text": {"type": "plain_text", "text": "pick"}, "value": value}


def select(*options: dict[str, Any]) -> dict[str, Any]:
    """A static select menu."""
    placeholder = {"type": "plain_text", "text": "Choose"}
    return {
        "type": "static_select",
        "action_id": "s",
        "placeholder": placeholder,
        "options": list(options),
    }


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
    "mrkdwn header": (
        [{"type": "header", "text": {"type": "mrkdwn", "text": "x"}}],
        "/blocks/0/text/type",
    ),
    "button style": ([actions({**button(), "style": "secondary"})], "/elements/0/style"),
    "button value": ([actions({**button(), "value": "v" * 2001})], "/elements/0/value"),
    "option value": (
        [actions(select(option("x" * 151)))],
        "/blocks/0/elements/0/options/0/value",
    ),
    "101 options": ([actions(select(*(option(str(i)) for i in range(101))))], "exceed 100"),
    "empty section text": ([section("")], "/blocks/0/text/text"),
    "11 fields": ([{"type": "section", "fields": [mrkdwn("a")] * 11}], "exceed 10"),
    "long field": ([{"type": "section", "fields": [mrkdwn("x" * 2001)]}], "/fields/0/text"),
    "image without source": ([{"type": "image", "alt_text": "chart"}], "image_url or slack_file"),
    "duplicate action_id": ([actions(button(), button())], "duplicate action_id"),
}


def test_valid_blocks_pass() -> None:
    assert validate_blocks(VALID, surface="message") == []
    assert validate_blocks([section()] * 100, surface="modal") == []


@pytest.mark.parametrize("case", sorted(TOO_MUCH))
def test_each_limit_rejects(case: str) -> None:
    blocks, expected = TOO_MUCH[case]
    errors = validate_blocks(blocks, surface="message")
    assert errors and expected in errors[0]


def test_limits_at_the_edge_pass() -> None:
    edge = [
        section("x" * 3000),
        {"type": "header", "text": {"type": "plain_text", "text": "x" * 150}},
        actions({**button(), "style": "primary"}, {**button(action_id="b"), "style": "danger"}),
        actions(select(option("x" * 150))),
        {"type": "section", "fields": [mrkdwn("x" * 2000)] * 2},
    ]
    assert validate_blocks(edge, surface="message") == []
    assert validate_blocks([section()] * 50, surface="message") == []


def test_view_limits() -> None:
    assert validate_blocks([section()] * 100, surface="home") == []
    assert validate_blocks([section()] * 101, surface="home")
    assert validate_blocks([section()] * 101, surface="modal")
    modal = {"type": "modal", "title": {"type": "plain_text", "text": "x" * 25}, "blocks": []}
    assert "/view/title/text" in validate_view(modal)[0]
    assert validate_view({"type": "sheet", "blocks": []})
    assert validate_view({"type": "home", "blocks": [section()]}) == []
    untitled = {"type": "modal", "blocks": []}
    assert "/view/title" in validate_view(untitled)[0]
    inputs = {
        "type": "modal",
        "title": {"type": "plain_text", "text": "Check-in"},
        "blocks": [
            {
                "type": "input",
                "label": {"type": "plain_text", "text": "Score"},
                "element": {"type": "plain_text_input", "action_id": "v"},
            }
        ],
    }
    assert "/view/submit" in validate_view(inputs)[0]
    long_metadata = {"type": "home", "blocks": [], "private_metadata": "x" * 3001}
    assert "private_metadata" in validate_view(long_metadata)[0]


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


def test_invalid_blocks_answer_has_slacks_shape(slack: LocalSlack, client: WebClient) -> None:
    with pytest.raises(SlackApiError) as raised:
        client.chat_postMessage(
            channel=GENERAL, text="x", blocks=[actions(select(option("v" * 151)))]
        )
    body = raised.value.response.data
    pointer = "[json-pointer:/blocks/0/elements/0/options/0/value]"
    assert body["ok"] is False and body["error"] == "invalid_blocks"
    [error] = body["errors"]
    assert error.endswith(pointer) and not error.startswith("[ERROR]")
    assert body["response_metadata"]["messages"] == [f"[ERROR] {error}"]


def test_fifty_blocks_per_message_hundred_per_view(slack: LocalSlack, client: WebClient) -> None:
    assert client.chat_postMessage(channel=GENERAL, text="x", blocks=[section()] * 50)["ok"]
    with pytest.raises(SlackApiError) as raised:
        client.chat_postMessage(channel=GENERAL, text="x", blocks=[section()] * 51)
    assert raised.value.response["error"] == "invalid_blocks"
    home = {"type": "home", "blocks": [section()] * 100}
    assert client.views_publish(user_id="UALICE", view=home)["ok"]
    with pytest.raises(SlackApiError) as raised:
        client.views_publish(user_id="UALICE", view={**home, "blocks": [section()] * 101})
    assert raised.value.response["error"] == "invalid_blocks"


def test_blocks_too_long_in_total(slack: LocalSlack, client: WebClient) -> None:
    # Every block is within its own limit; 12,000 characters of text in all is the most.
    fits = [section("x" * 3000)] * 4
    assert client.chat_postMessage(channel=GENERAL, text="fits", blocks=fits)["ok"]
    over = [*fits, section("x")]
    with pytest.raises(SlackApiError) as raised:
        client.chat_postMessage(channel=GENERAL, text="over", blocks=over)
    assert raised.value.response["error"] == "msg_blocks_too_long"
    ts = slack.messages(GENERAL)[0].ts
    with pytest.raises(SlackApiError) as raised:
        client.chat_update(channel=GENERAL, ts=ts, text="over", blocks=over)
    assert raised.value.response["error"] == "msg_blocks_too_long"
    assert [m.text for m in slack.messages(GENERAL)] == ["fits"]


def test_text_too_long(slack: LocalSlack, client: WebClient) -> None:
    assert client.chat_postMessage(channel=GENERAL, text="x" * 40_000)["ok"]
    with pytest.raises(SlackApiError) as raised:
        client.chat_postMessage(channel=GENERAL, text="x" * 40_001)
    assert raised.value.response["error"] == "msg_too_long"
    # chat.update's text "cannot exceed 4,000 characters".
    ts = slack.messages(GENERAL)[0].ts
    assert client.chat_update(channel=GENERAL, ts=ts, text="y" * 4_000)["ok"]
    with pytest.raises(SlackApiError) as raised:
        client.chat_update(channel=GENERAL, ts=ts, text="y" * 4_001)
    assert raised.value.response["error"] == "msg_too_long"
