"""slack_file image blocks: the file must exist, be shared and be processed, else the whole
call fails with invalid_blocks; uploads finish processing a moment after completing."""

from __future__ import annotations

from typing import Any

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from localslack import Channel, LocalSlack, User

GENERAL, ALICE = "CGENERAL", "UALICE"


def image(file_id: str) -> dict[str, Any]:
    """An image block showing an uploaded file."""
    return {"type": "image", "slack_file": {"id": file_id}, "alt_text": "chart"}


def home(*blocks: dict[str, Any]) -> dict[str, Any]:
    """An App Home view."""
    return {"type": "home", "blocks": list(blocks)}


def refusal(call: Any) -> dict[str, Any]:
    """The body of a refused call."""
    with pytest.raises(SlackApiError) as raised:
        call()
    return dict(raised.value.response.data)


def upload(client: WebClient) -> str:
    """A chart uploaded into #general; its file id."""
    sent = client.files_upload_v2(channel=GENERAL, content=b"\x89PNG", filename="chart.png")
    return str(sent["file"]["id"])


def test_unknown_file_fails_the_whole_call(slack: LocalSlack, client: WebClient) -> None:
    body = refusal(lambda: client.views_publish(user_id=ALICE, view=home(image("FNOPE"))))
    assert body["error"] == "invalid_blocks"
    assert body["errors"] == ["invalid slack file [json-pointer:/blocks/0/slack_file]"]
    assert slack.home_view(ALICE) is None
    post = lambda: client.chat_postMessage(channel=GENERAL, text="x", blocks=[image("FNOPE")])  # noqa: E731
    assert refusal(post)["error"] == "invalid_blocks"


def test_a_file_still_processing_fails(slack: LocalSlack, client: WebClient) -> None:
    slack.file_processing_seconds = 3600  # never ready during this test
    file_id = upload(client)
    assert not slack.file_processed(file_id)
    body = refusal(lambda: client.views_publish(user_id=ALICE, view=home(image(file_id))))
    assert body["error"] == "invalid_blocks" and "invalid slack file" in body["errors"][0]
    info = client.files_info(file=file_id)["file"]
    assert info["mimetype"] == ""  # what polling files.info shows until it is processed


def test_a_processed_file_shows(slack: LocalSlack, client: WebClient) -> None:
    slack.file_processing_seconds = 0.05
    file_id = upload(client)
    slack.wait_for(lambda: slack.file_processed(file_id))
    assert client.files_info(file=file_id)["file"]["mimetype"] == "image/png"
    published = client.views_publish(user_id=ALICE, view=home(image(file_id)))
    assert published["view"]["blocks"][0]["slack_file"] == {"id": file_id}
    context = {"type": "context", "elements": [{"type": "image", "slack_file": {"id": file_id}}]}
    context["elements"][0]["alt_text"] = "chart"
    assert client.chat_postMessage(channel=GENERAL, text="x", blocks=[context])["ok"]


def test_a_private_file_cannot_be_shown(slack: LocalSlack, client: WebClient) -> None:
    """Uploaded without a channel the file is the uploader's alone (python-slack-sdk#1658)."""
    slack.file_processing_seconds = 0
    file_id = client.files_upload_v2(content=b"\x89PNG", filename="chart.png")["file"]["id"]
    body = refusal(lambda: client.views_publish(user_id=ALICE, view=home(image(file_id))))
    assert body["errors"] == ["invalid slack file [json-pointer:/blocks/0/slack_file]"]


def test_processing_time_is_configurable(slack: LocalSlack) -> None:
    assert slack.file_processing_seconds == 1.0  # Slack's "moment", by default
    channels = [Channel(GENERAL, "general", members=["UBOT"])]
    users = [User(ALICE, "alice")]
    with LocalSlack(users=users, channels=channels, file_processing_seconds=0) as instant:
        client = WebClient(base_url=instant.api_url, token=instant.bot_token)
        file_id = upload(client)
        assert instant.file_processed(file_id)
        assert client.views_publish(user_id=ALICE, view=home(image(file_id)))["ok"]
