"""Rate limits answer 429 with Retry-After; injected faults; file uploads."""

from __future__ import annotations

from pathlib import Path
from urllib.error import URLError

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import (
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)

from localslack import Faults, LocalSlack, RateLimit
from localslack.ratelimit import FAULT_KINDS

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


def test_documented_tiers_are_on_by_default(slack: LocalSlack, client: WebClient) -> None:
    """users.list is Tier 2 (20+ per minute): a minute's worth at once, then 429."""
    for _ in range(20):
        client.users_list()
    with pytest.raises(SlackApiError) as raised:
        client.users_list()
    response = raised.value.response
    assert response.status_code == 429 and response["error"] == "ratelimited"
    assert response.headers["Retry-After"] == "3"  # one call every 3 s at 20 a minute
    assert slack.rate_limited == {"users.list": 1}
    assert slack.rate_limit("chat.update") == RateLimit(per_second=50 / 60, burst=50)
    assert slack.rate_limit("views.publish") == RateLimit(per_second=100 / 60, burst=100)
    assert slack.rate_limit("conversations.history") == RateLimit(per_second=50 / 60, burst=50)


def test_posting_is_one_per_second_per_channel_with_a_short_burst(
    slack: LocalSlack, client: WebClient
) -> None:
    for i in range(3):
        client.chat_postMessage(channel=GENERAL, text=str(i))
    with pytest.raises(SlackApiError) as raised:
        client.chat_postMessage(channel=GENERAL, text="fourth")
    assert raised.value.response.headers["Retry-After"] == "1"
    client.chat_postMessage(channel=ALICE, text="another channel has its own bucket")
    assert slack.rate_limited == {"chat.postMessage": 1}


def test_overrides_and_no_limits() -> None:
    limits = {"users.list": RateLimit(per_second=100, burst=100), "users.info": None}
    with LocalSlack(rate_limits=limits, manifest=None) as slack:
        assert slack.rate_limit("users.list") == limits["users.list"]
        assert slack.rate_limit("users.info") is None
        assert slack.rate_limit("chat.update") is not None  # the others keep Slack's
    with LocalSlack(rate_limits={"users.list": limits["users.list"]}, slack_limits=False) as bare:
        assert bare.rate_limit("chat.update") is None


def test_processed_then_500_keeps_the_message(slack: LocalSlack, client: WebClient) -> None:
    slack.faults = Faults(ratio=1.0, kinds=("processed_500",), methods={"chat.postMessage"})
    with pytest.raises(SlackApiError) as raised:
        client.chat_postMessage(channel=GENERAL, text="once")
    assert raised.value.response.status_code == 500
    assert raised.value.response["error"] == "fatal_error"
    assert [m.text for m in slack.messages(GENERAL)] == ["once"]


def test_processed_then_reset_keeps_the_message(slack: LocalSlack) -> None:
    slack.faults = Faults(ratio=1.0, kinds=("processed_reset",), methods={"chat.postMessage"})
    # No retry handlers: slack_sdk's default one retries connection errors, and would post again.
    plain = WebClient(base_url=slack.api_url, token=slack.bot_token, retry_handlers=[])
    with pytest.raises((ConnectionError, URLError)):
        plain.chat_postMessage(channel=GENERAL, text="once")
    assert [m.text for m in slack.messages(GENERAL)] == ["once"]
    [call] = slack.calls_to("chat.postMessage")
    assert (call.status, call.error) == (0, "connection_reset")


def test_a_retrying_client_posts_twice(slack: LocalSlack) -> None:
    """What a non-idempotent retry does after "processed, then failed": a double post."""
    slack.faults = Faults(ratio=1.0, kinds=("processed_500",), methods={"chat.postMessage"})
    retrying = WebClient(
        base_url=slack.api_url,
        token=slack.bot_token,
        retry_handlers=[ServerErrorRetryHandler(max_retry_count=1)],
    )
    with pytest.raises(SlackApiError):
        retrying.chat_postMessage(channel=ALICE, text="your weekly prompt")
    assert [m.text for m in slack.dms(ALICE)] == ["your weekly prompt"] * 2


def test_faults_are_seeded(slack: LocalSlack) -> None:
    client = WebClient(base_url=slack.api_url, token=slack.bot_token, retry_handlers=[])

    def outcomes(seed: int) -> list[int]:
        slack.faults = Faults(
            ratio=0.5, kinds=FAULT_KINDS, seed=seed, methods={"api.test"}, timeout_seconds=0
        )
        seen = []
        for _ in range(12):
            try:
                seen.append(client.api_test().status_code)
            except SlackApiError as e:
                seen.append(e.response.status_code)
            except (ConnectionError, URLError):
                seen.append(0)
        return seen

    first = outcomes(11)
    assert first == outcomes(11)
    assert {200, 0, 500} <= set(first)
    assert Faults().kinds == ("429", "500", "timeout")  # faults after a method are opt-in


def test_rate_limits_come_before_faults(slack: LocalSlack) -> None:
    """A call over the limit is refused before Slack serves it; faults strike served calls."""
    client = WebClient(base_url=slack.api_url, token=slack.bot_token, retry_handlers=[])
    slack.set_rate_limit("api.test", RateLimit(per_second=0.01, burst=1))
    slack.faults = Faults(ratio=1.0, kinds=("500",), methods={"api.test"})
    statuses = []
    for _ in range(3):
        with pytest.raises(SlackApiError) as raised:
            client.api_test()
        statuses.append(raised.value.response.status_code)
    assert statuses == [500, 429, 429]
