"""The local Web API, exercised through a real slack_sdk WebClient."""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from localslack import LocalSlack, Message
from localslack.state import RESPONSE_URL_LIFETIME

ALICE, BOB, CAROL, ROBOT, GENERAL = "UALICE", "UBOB", "UCAROL", "UROBOT", "CGENERAL"

SECTION = {"type": "section", "text": {"type": "mrkdwn", "text": "*Weekly check-in*"}}
BUTTON = {
    "type": "actions",
    "elements": [
        {"type": "button", "text": {"type": "plain_text", "text": "Answer"}, "action_id": "go"}
    ],
}


def error_of(call: object) -> str:
    """The Slack error code a failing call raised."""
    assert callable(call)
    with pytest.raises(SlackApiError) as raised:
        call()
    return str(raised.value.response["error"])


def test_post_to_user_id_lands_in_their_dm(slack: LocalSlack, client: WebClient) -> None:
    sent = client.chat_postMessage(channel=ALICE, text="Hi", blocks=[SECTION, BUTTON])
    assert sent["channel"] == slack.dm_id(ALICE)
    [message] = slack.dms(ALICE)
    assert message.ts == sent["ts"] and message.user == "UBOT"
    assert message.all_text() == "Hi\n*Weekly check-in*\nAnswer"
    assert slack.messages(ALICE) == slack.messages(sent["channel"]) == [message]


def test_ts_are_unique_and_increasing(slack: LocalSlack, client: WebClient) -> None:
    slack.set_rate_limit("chat.postMessage", None)  # five posts in a row to one channel
    stamps = [client.chat_postMessage(channel=GENERAL, text=str(i))["ts"] for i in range(5)]
    assert stamps == sorted(stamps) and len(set(stamps)) == 5
    assert all(len(ts.split(".")[1]) == 6 for ts in stamps)


@pytest.mark.parametrize(
    ("channel", "error"),
    [
        ("UNOBODY", "user_not_found"),
        ("CNOWHERE", "channel_not_found"),
        (CAROL, "account_inactive"),
        (ROBOT, "cannot_dm_bot"),
    ],
)
def test_post_errors(client: WebClient, channel: str, error: str) -> None:
    assert error_of(lambda: client.chat_postMessage(channel=channel, text="x")) == error


@pytest.mark.filterwarnings("ignore:The top-level `text` argument is missing")
def test_no_text(client: WebClient) -> None:
    assert error_of(lambda: client.chat_postMessage(channel=GENERAL)) == "no_text"


def test_auth(slack: LocalSlack) -> None:
    forged = WebClient(base_url=slack.api_url, token="xoxb-forged")
    assert error_of(forged.auth_test) == "invalid_auth"
    anonymous = WebClient(base_url=slack.api_url)
    assert error_of(anonymous.auth_test) == "not_authed"
    bot = WebClient(base_url=slack.api_url, token=slack.bot_token)
    assert bot.auth_test()["user_id"] == "UBOT"
    assert error_of(lambda: bot.apps_connections_open(app_token=slack.bot_token)) == (
        "not_allowed_token_type"
    )
    assert bot.apps_connections_open(app_token=slack.app_token)["url"].startswith("ws://")
    failures = [c for c in slack.calls if not c.ok]
    assert [c.error for c in failures] == ["invalid_auth", "not_authed", "not_allowed_token_type"]


def test_unknown_method(client: WebClient) -> None:
    assert error_of(lambda: client.api_call("chat.teleport")) == "unknown_method"


def test_update_keeps_history_and_delete(slack: LocalSlack, client: WebClient) -> None:
    ts = client.chat_postMessage(channel=GENERAL, text="v1", blocks=[SECTION])["ts"]
    client.chat_update(channel=GENERAL, ts=ts, text="v2")
    [message] = slack.messages(GENERAL)
    assert message.text == "v2" and message.edited and message.blocks[0]["type"] == "section"
    assert [v.text for v in message.history] == ["v1"]
    missing = error_of(lambda: client.chat_update(channel=GENERAL, ts="1.000001", text="x"))
    assert missing == "message_not_found"
    client.chat_delete(channel=GENERAL, ts=ts)
    assert slack.messages(GENERAL) == []


def test_history_newest_first_with_metadata(slack: LocalSlack, client: WebClient) -> None:
    metadata = {"event_type": "checkin_sent", "event_payload": {"cycle": 7}}
    first = client.chat_postMessage(channel=ALICE, text="one", metadata=metadata)
    client.chat_postMessage(channel=ALICE, text="two")
    dm = first["channel"]
    plain = client.conversations_history(channel=dm)["messages"]
    assert [m["text"] for m in plain] == ["two", "one"] and "metadata" not in plain[1]
    full = client.conversations_history(channel=dm, include_all_metadata=True)["messages"]
    assert full[1]["metadata"] == metadata and full[1]["bot_id"] == "BBOT"
    page = client.conversations_history(channel=dm, limit=1)
    assert page["has_more"] and len(page["messages"]) == 1
    rest = client.conversations_history(channel=dm, cursor=page["response_metadata"]["next_cursor"])
    assert [m["text"] for m in rest["messages"]] == ["one"]
    older = client.conversations_history(channel=dm, latest=plain[0]["ts"])["messages"]
    assert [m["text"] for m in older] == ["one"]


def test_conversations_open_and_info(slack: LocalSlack, client: WebClient) -> None:
    dm = client.conversations_open(users=ALICE)["channel"]["id"]
    assert dm == slack.dm_id(ALICE)
    assert client.conversations_info(channel=dm)["channel"]["is_im"] is True
    group = client.conversations_open(users=[ALICE, BOB])["channel"]["id"]
    assert client.conversations_info(channel=group)["channel"]["is_mpim"] is True
    assert error_of(lambda: client.conversations_open(users="UNOBODY")) == "user_not_found"
    members = client.conversations_members(channel=GENERAL)["members"]
    assert members == [ALICE, BOB, "UBOT"]
    names = [c["name"] for c in client.conversations_list()["channels"]]
    assert names == ["general"]


def test_users(slack: LocalSlack, client: WebClient) -> None:
    alice = client.users_info(user=ALICE)["user"]
    assert alice["tz"] == "Europe/Berlin" and alice["tz_offset"] in (3600, 7200)
    assert alice["profile"]["real_name"] == "Alice A"
    assert error_of(lambda: client.users_info(user="UNOBODY")) == "user_not_found"
    slack.set_user(ALICE, deleted=True)
    assert client.users_info(user=ALICE)["user"]["deleted"] is True
    page = client.users_list(limit=2)
    ids = [u["id"] for u in page["members"]]
    cursor = page["response_metadata"]["next_cursor"]
    while cursor:
        page = client.users_list(limit=2, cursor=cursor)
        ids += [u["id"] for u in page["members"]]
        cursor = page["response_metadata"]["next_cursor"]
    assert ids == ["UBOT", ALICE, BOB, CAROL, ROBOT]


def test_ephemeral(slack: LocalSlack, client: WebClient) -> None:
    client.chat_postEphemeral(channel=GENERAL, user=ALICE, text="only you")
    [seen] = slack.ephemerals(ALICE)
    assert seen.all_text() == "only you" and seen.channel == GENERAL
    assert slack.ephemerals(BOB) == []
    refused = error_of(lambda: client.chat_postEphemeral(channel=ALICE, user=BOB, text="x"))
    assert refused == "user_not_in_channel"


MODAL = {
    "type": "modal",
    "callback_id": "checkin",
    "title": {"type": "plain_text", "text": "Check-in"},
    "submit": {"type": "plain_text", "text": "Send"},
    "blocks": [
        {
            "type": "input",
            "block_id": "score",
            "label": {"type": "plain_text", "text": "Score"},
            "element": {"type": "plain_text_input", "action_id": "value"},
        }
    ],
}


def test_views_open_needs_a_fresh_trigger(slack: LocalSlack, client: WebClient) -> None:
    assert error_of(lambda: client.views_open(trigger_id="nope", view=MODAL)) == (
        "invalid_trigger_id"
    )
    trigger = slack.issue_trigger(ALICE)
    view = client.views_open(trigger_id=trigger, view=MODAL)["view"]
    assert view["id"].startswith("V") and view["callback_id"] == "checkin"
    assert [v["id"] for v in slack.open_views(ALICE)] == [view["id"]]
    assert error_of(lambda: client.views_open(trigger_id=trigger, view=MODAL)) == (
        "exchanged_trigger_id"
    )
    changed = {**MODAL, "title": {"type": "plain_text", "text": "Thanks"}}
    client.views_update(view_id=view["id"], view=changed)
    assert slack.open_views(ALICE)[0]["title"]["text"] == "Thanks"
    assert error_of(lambda: client.views_update(view_id="VNONE", view=changed)) == "not_found"


def test_expired_trigger(slack: LocalSlack, client: WebClient) -> None:
    trigger = slack.issue_trigger(ALICE)
    slack.workspace.triggers[trigger].issued -= 3.5
    assert error_of(lambda: client.views_open(trigger_id=trigger, view=MODAL)) == (
        "expired_trigger_id"
    )


def test_modal_needs_title_and_submit(slack: LocalSlack, client: WebClient) -> None:
    untitled = {k: v for k, v in MODAL.items() if k != "title"}
    trigger = slack.issue_trigger(ALICE)
    assert error_of(lambda: client.views_open(trigger_id=trigger, view=untitled)) == (
        "invalid_arguments"
    )
    no_submit = {k: v for k, v in MODAL.items() if k != "submit"}
    assert error_of(lambda: client.views_open(trigger_id=trigger, view=no_submit)) == (
        "invalid_arguments"
    )
    assert client.views_open(trigger_id=trigger, view=MODAL)["ok"]


def test_home_publish(slack: LocalSlack, client: WebClient) -> None:
    home = {"type": "home", "blocks": [SECTION]}
    first = client.views_publish(user_id=ALICE, view=home)["view"]
    client.views_publish(user_id=ALICE, view={"type": "home", "blocks": [BUTTON]})
    shown = slack.home_view(ALICE)
    assert shown is not None and shown["id"] == first["id"]
    assert shown["blocks"][0]["type"] == "actions"
    assert slack.home_view(BOB) is None


def test_response_url(slack: LocalSlack, client: WebClient) -> None:
    ts = client.chat_postMessage(channel=GENERAL, text="question", blocks=[BUTTON])["ts"]
    url = slack.issue_response_url(ALICE, GENERAL, message_ts=ts)

    def post(body: dict[str, object]) -> str:
        request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST")
        with urllib.request.urlopen(request) as response:
            return response.read().decode()

    assert post({"text": "just for you"}) == "ok"
    assert [e.text for e in slack.ephemerals(ALICE)] == ["just for you"]
    post({"text": "answered", "replace_original": True})
    [message] = slack.messages(GENERAL)
    assert message.text == "answered" and message.blocks == [] and message.edited
    post({"text": "for all", "response_type": "in_channel"})
    assert [m.text for m in slack.messages(GENERAL)] == ["answered", "for all"]
    assert len(slack.response_posts) == 3


def test_response_url_replace_original_takes_five_posts_in_thirty_minutes(
    slack: LocalSlack, client: WebClient
) -> None:
    """As on Slack: a response_url replaces its message at most 5 times, within 30 minutes."""
    ts = client.chat_postMessage(channel=GENERAL, text="question", blocks=[BUTTON])["ts"]

    def post(url: str, body: dict[str, object]) -> tuple[int, str]:
        request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST")
        try:
            with urllib.request.urlopen(request) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as refused:
            return refused.code, refused.read().decode()

    url = slack.issue_response_url(ALICE, GENERAL, message_ts=ts)
    for n in range(5):
        assert post(url, {"text": f"answer {n}", "replace_original": True}) == (200, "ok")
    assert post(url, {"text": "a sixth", "replace_original": True}) == (404, "used_url")
    [message] = slack.messages(GENERAL)
    assert message.text == "answer 4"

    late = slack.issue_response_url(ALICE, GENERAL, message_ts=ts)
    with slack.workspace.lock:
        slack.workspace.response_urls[late.rsplit("/", 1)[1]].created -= RESPONSE_URL_LIFETIME + 1
    assert post(late, {"text": "too late", "replace_original": True}) == (404, "expired_url")
    assert slack.messages(GENERAL)[0].text == "answer 4"


def test_wait_for(slack: LocalSlack, client: WebClient) -> None:
    def later() -> None:
        time.sleep(0.05)
        client.chat_postMessage(channel=BOB, text="hello")

    threading.Thread(target=later).start()
    found: list[Message] = slack.wait_for(lambda: slack.dms(BOB), timeout=2)
    assert found[0].text == "hello"
    with pytest.raises(TimeoutError):
        slack.wait_for(lambda: slack.dms(ALICE), timeout=0.05)


def test_reset_recordings(slack: LocalSlack, client: WebClient) -> None:
    client.chat_postMessage(channel=GENERAL, text="x")
    slack.reset_recordings()
    assert slack.calls == [] and slack.messages(GENERAL) == []
    assert client.auth_test()["ok"] and len(slack.calls_to("auth.test")) == 1


def test_get_query_and_json_body(slack: LocalSlack) -> None:
    query = f"{slack.api_url}auth.test?token={slack.bot_token}"
    with urllib.request.urlopen(query) as response:
        assert json.loads(response.read())["user_id"] == "UBOT"
    body = json.dumps({"channel": "#general", "text": "by name"}).encode()
    request = urllib.request.Request(
        f"{slack.api_url}chat.postMessage",
        data=body,
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {slack.bot_token}"},
    )
    with urllib.request.urlopen(request) as response:
        assert json.loads(response.read())["channel"] == GENERAL
    assert slack.messages(GENERAL)[0].text == "by name"
