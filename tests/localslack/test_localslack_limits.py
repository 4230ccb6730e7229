"""Rate limits answer 429 with Retry-After; injected faults; file uploads."""

from __future__ import annotations

from pathlib import Path

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler

from localslack import Faults, LocalSlack, RateLimit

GENERAL, ALICE = "CGENERAL", "UALICE"


def test_per_channel_limit_answers_429(slack: LocalSlack, client: WebClient) -> None:
    slack.set_rate_limit("chat.postMessage", RateLimit(per_channel_per_second=1))
    client.chat_postMessage(channel=GENERAL, text="first")
    with pytest.raises(SlackApiError) as raised:
        client.chat_postMessage(channel=GENERAL, text="second")
    response = raised.value.response
    assert response.status_code == 429 and response["error"] == "ratelimited"
    assert int(response.headers["Retry-After"]) >= 1
    client.chat_postMessage(channel=ALICE, text="another channel is fine")
    assert [m.text for m in slack.messages(GENERAL)] == ["first"]
    assert [c.status for c in slack.calls_to("chat.postMessage")] == [200, 429, 200]
    slack.set_rate_limit("chat.postMessage", None)
    client.chat_postMessage(channel=GENERAL, text="unlimited again")


def test_workspace_burst(slack: LocalSlack, client: WebClient) -> None:
    slack.set_rate_limit("users.info", RateLimit(per_second=1, burst=3))
    for _ in range(3):
        client.users_info(user=ALICE)
    with pytest.raises(SlackApiError):
        client.users_info(user=ALICE)


def test_retry_handler_eventually_succeeds(slack: LocalSlack) -> None:
    slack.set_rate_limit("chat.postMessage", RateLimit(per_second=1))
    client = WebClient(
        base_url=slack.api_url,
        token=slack.bot_token,
        retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=2)],
    )
    client.chat_postMessage(channel=GENERAL, text="one")
    client.chat_postMessage(channel=GENERAL, text="two")
    assert [m.text for m in slack.messages(GENERAL)] == ["one", "two"]
    assert [c.status for c in slack.calls_to("chat.postMessage")] == [200, 429, 200]


def test_faults(slack: LocalSlack, client: WebClient) -> None:
    slack.faults = Faults(ratio=1.0, kinds=("500",), methods={"chat.postMessage"})
    with pytest.raises(SlackApiError) as raised:
        client.chat_postMessage(channel=GENERAL, text="x")
    assert raised.value.response.status_code == 500
    assert client.auth_test()["ok"]
    slack.faults = Faults(ratio=1.0, kinds=("timeout",), timeout_seconds=0.2)
    with pytest.raises(SlackApiError):
        client.chat_postMessage(channel=GENERAL, text="x")
    slack.faults = Faults(ratio=0.5, kinds=("429", "500"), seed=3)
    outcomes = set()
    for _ in range(20):
        try:
            client.auth_test()
            outcomes.add("ok")
        except SlackApiError as e:
            outcomes.add(str(e.response.status_code))
    slack.faults = None
    assert "ok" in outcomes and len(outcomes) > 1
    assert slack.messages(GENERAL) == []


def test_files_upload_v2(slack: LocalSlack, client: WebClient, tmp_path: Path) -> None:
    sent = client.files_upload_v2(
        channel=GENERAL,
        content=b"score,7\n",
        filename="week.csv",
        title="Week 7",
        initial_comment="Here is the summary",
    )
    [shared] = slack.files
    assert sent["file"]["id"] == shared.id
    assert (shared.content, shared.filename, shared.title) == (b"score,7\n", "week.csv", "Week 7")
    assert shared.channels == [GENERAL] and shared.initial_comment == "Here is the summary"
    [message] = slack.messages(GENERAL)
    assert message.text == "Here is the summary" and message.files[0]["id"] == shared.id
    chart = tmp_path / "chart.png"
    chart.write_bytes(b"\x89PNG fake")
    dm = client.conversations_open(users=ALICE)["channel"]["id"]
    client.files_upload_v2(channel=dm, file=str(chart), title="Chart")
    assert slack.files[1].content == b"\x89PNG fake" and slack.files[1].channels == ["DUALICE"]
    assert slack.dms(ALICE)[0].files[0]["title"] == "Chart"
