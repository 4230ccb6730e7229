"""The driver against a real Bolt app, over signed HTTP and over Socket Mode."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import pytest
from slack_bolt import Ack, App, Respond
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient

from localslack import Channel, LocalSlack, SlackDriver, field_values

SECRET = "local-signing-secret"
ALICE, BOB, GENERAL = "UALICE", "UBOB", "CGENERAL"

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
        },
        {
            "type": "input",
            "block_id": "mood",
            "optional": True,
            "label": {"type": "plain_text", "text": "Mood"},
            "element": {
                "type": "static_select",
                "action_id": "pick",
                "options": [
                    {"text": {"type": "plain_text", "text": "Calm"}, "value": "calm"},
                    {"text": {"type": "plain_text", "text": "Tense"}, "value": "tense"},
                ],
            },
        },
    ],
}
QUESTION = [
    {"type": "section", "text": {"type": "mrkdwn", "text": "Ready?"}},
    {
        "type": "actions",
        "block_id": "answer",
        "elements": [
            {
                "type": "button",
                "text": {"type": "plain_text", "text": "Yes"},
                "action_id": "yes",
                "value": "y",
            }
        ],
    },
]


def on_command(ack: Ack, command: dict[str, Any], client: WebClient, respond: Respond) -> None:
    """/oneness: echo, open a modal, post a question, or answer later."""
    text = command["text"]
    if text == "modal":
        ack()
        client.views_open(trigger_id=command["trigger_id"], view=MODAL)
    elif text == "question":
        ack()
        client.chat_postMessage(channel=command["user_id"], text="Ready?", blocks=QUESTION)
    elif text == "ephemeral":
        ack(text="Ready?", blocks=QUESTION)
    elif text == "later":
        ack()
        respond(text="done later")
    else:
        ack(f"You said: {text}")


def on_yes(ack: Ack, body: dict[str, Any], respond: Respond) -> None:
    """The Yes button: replace the question."""
    ack()
    respond(text=f"Answered {body['actions'][0]['value']}", replace_original=True)


def on_submit(ack: Ack, view: dict[str, Any], body: dict[str, Any], client: WebClient) -> None:
    """The check-in modal: a number, or an inline error."""
    values = view["state"]["values"]
    score = values["score"]["value"]["value"]
    if not score.isdigit():
        ack(response_action="errors", errors={"score": "Must be a number"})
        return
    ack()
    mood = values["mood"]["pick"]["selected_option"]
    client.chat_postMessage(
        channel=body["user"]["id"], text=f"Score {score}, mood {mood and mood['value']}"
    )


def on_message(event: dict[str, Any], say: Callable[..., Any]) -> None:
    """DMs are echoed (files and edits too, by their text)."""
    text = event["message"]["text"] if event.get("subtype") == "message_changed" else event["text"]
    say(f"echo: {text}")


def home_view(text: str) -> dict[str, Any]:
    """The App Home: a line of text and a refresh button."""
    refresh = {
        "type": "button",
        "text": {"type": "plain_text", "text": "Refresh"},
        "action_id": "refresh",
    }
    return {
        "type": "home",
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": text}},
            {"type": "actions", "elements": [refresh]},
        ],
    }


def on_home(event: dict[str, Any], client: WebClient) -> None:
    """Home tab opened: publish it."""
    client.views_publish(user_id=event["user"], view=home_view("Welcome"))


def on_refresh(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
    """The Home tab's refresh button."""
    ack()
    assert body["container"]["type"] == "view"
    client.views_publish(user_id=body["user"]["id"], view=home_view("Refreshed"))


def on_noted(event: dict[str, Any]) -> None:
    """Events the app only takes note of (joins, user changes)."""


def build_app(slack: LocalSlack) -> App:
    """A small Bolt app using the local Slack as its Web API."""
    app = App(
        signing_secret=SECRET, client=WebClient(base_url=slack.api_url, token=slack.bot_token)
    )
    app.command("/oneness")(on_command)
    app.action("yes")(on_yes)
    app.view("checkin")(on_submit)
    app.event("message")(on_message)
    app.event("app_home_opened")(on_home)
    app.action("refresh")(on_refresh)
    app.event("member_joined_channel")(on_noted)
    app.event("user_change")(on_noted)
    return app


class _ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    """wsgiref's server, one thread per request, stoppable with shutdown()."""

    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    """No access log on stderr."""

    def log_message(self, format: str, *args: Any) -> None:
        """Drop the line."""


@pytest.fixture
def http_driver(slack: LocalSlack) -> Iterator[SlackDriver]:
    """The Bolt app served over HTTP on loopback, and a driver signing requests to it."""
    server = make_server(
        "127.0.0.1",
        0,
        SlackRequestHandler(build_app(slack)),
        server_class=_ThreadingWSGIServer,
        handler_class=_QuietHandler,
    )
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_port}/slack/events"
    yield SlackDriver(slack, bot_url=url, signing_secret=SECRET, timeout=5)
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@pytest.fixture
def socket_driver(slack: LocalSlack) -> Iterator[SlackDriver]:
    """The Bolt app connected through Socket Mode, and a driver sending envelopes."""
    handler = SocketModeHandler(build_app(slack), app_token=slack.app_token)
    handler.connect()
    slack.wait_for_socket(timeout=5)
    yield SlackDriver(slack, socket=True, timeout=5)
    handler.close()


def test_slash_ack_text(slack: LocalSlack, http_driver: SlackDriver) -> None:
    reply = http_driver.slash(ALICE, "hello")
    assert reply.status == 200 and reply.ephemeral_text == "You said: hello"
    [shown] = slack.ephemerals(ALICE)
    assert shown.text == "You said: hello" and shown.source == "ack"
    assert slack.deliveries[-1].kind == "slash_commands"


def test_forged_and_stale_signatures_refused(http_driver: SlackDriver) -> None:
    body = b"command=%2Foneness&text=hi&user_id=UALICE"
    forged = {"X-Slack-Request-Timestamp": str(int(time.time())), "X-Slack-Signature": "v0=bad"}
    assert http_driver.raw(body, forged).status == 401
    stale = http_driver.sign(body, timestamp=int(time.time()) - 600)
    assert http_driver.raw(body, stale).status == 401


def test_respond_later_lands_as_ephemeral(slack: LocalSlack, http_driver: SlackDriver) -> None:
    assert http_driver.slash(ALICE, "later").ok
    done = slack.wait_for(lambda: [e for e in slack.ephemerals(ALICE) if e.text == "done later"])
    assert done[0].source == "response_url"


def test_click_replaces_the_question(slack: LocalSlack, http_driver: SlackDriver) -> None:
    http_driver.slash(ALICE, "question")
    [question] = slack.wait_for(lambda: slack.dms(ALICE))
    with pytest.raises(ValueError, match="no element"):
        http_driver.click(ALICE, question, "no-such-button")
    assert http_driver.click(ALICE, question, "yes").ok
    slack.wait_for(lambda: slack.dms(ALICE)[0].edited)
    [answered] = slack.dms(ALICE)
    assert answered.text == "Answered y" and answered.history[0].text == "Ready?"


def test_modal_errors_then_submit(slack: LocalSlack, http_driver: SlackDriver) -> None:
    http_driver.slash(ALICE, "modal")
    [modal] = slack.wait_for(lambda: slack.open_views(ALICE))
    with pytest.raises(ValueError, match="required"):
        http_driver.submit_view(ALICE, modal, {})
    refused = http_driver.submit_view(ALICE, modal, {"score": {"value": "lots"}})
    assert refused.response_action == "errors" and refused.body["errors"]["score"]
    assert len(slack.open_views(ALICE)) == 1
    accepted = http_driver.submit_view(ALICE, modal, field_values(modal, value="7", pick="calm"))
    assert accepted.ok and accepted.body is None and slack.open_views(ALICE) == []
    [note] = slack.wait_for(lambda: slack.dms(ALICE))
    assert note.text == "Score 7, mood calm"


def test_dm_event_and_retry(slack: LocalSlack, http_driver: SlackDriver) -> None:
    reply = http_driver.dm(BOB, "hi")
    assert reply.ok and reply.event_id
    slack.wait_for(lambda: len(slack.dms(BOB)) == 2)
    assert [(m.user, m.text) for m in slack.dms(BOB)] == [(BOB, "hi"), ("UBOT", "echo: hi")]
    http_driver.dm(BOB, "hi", retry_num=1, event_id=reply.event_id)
    retried = slack.deliveries[-1]
    assert retried.payload["event_id"] == reply.event_id
    assert [m.text for m in slack.dms(BOB)].count("hi") == 1


def test_app_home_opened_and_click(slack: LocalSlack, http_driver: SlackDriver) -> None:
    assert http_driver.app_home_opened(ALICE).ok
    home = slack.wait_for(lambda: slack.home_view(ALICE))
    assert home["blocks"][0]["text"]["text"] == "Welcome"
    assert http_driver.click_in_view(ALICE, home, "refresh").acked_in_time
    slack.wait_for(lambda: "Refreshed" in str(slack.home_view(ALICE)))


def test_click_on_ephemeral_ack(slack: LocalSlack, http_driver: SlackDriver) -> None:
    reply = http_driver.slash(ALICE, "ephemeral")
    assert reply.ephemeral_text == "Ready?\nReady?\nYes"
    [shown] = slack.ephemerals(ALICE)
    http_driver.click(ALICE, shown, "yes")
    slack.wait_for(lambda: slack.ephemerals(ALICE)[0].text == "Answered y")
    assert slack.deliveries[-1].payload["container"]["is_ephemeral"] is True


def test_socket_mode_slash_and_modal(slack: LocalSlack, socket_driver: SlackDriver) -> None:
    assert slack.socket_clients() == 1
    reply = socket_driver.slash(ALICE, "over the socket")
    assert reply.ok and reply.ephemeral_text == "You said: over the socket"
    socket_driver.slash(ALICE, "modal")
    [modal] = slack.wait_for(lambda: slack.open_views(ALICE))
    assert socket_driver.submit_view(ALICE, modal, {"score": {"value": "3"}}).ok
    [note] = slack.wait_for(lambda: slack.dms(ALICE))
    assert note.text == "Score 3, mood None"
    assert slack.open_views(ALICE) == []
    echoed = socket_driver.dm(BOB, "ping")
    assert echoed.ok
    slack.wait_for(lambda: len(slack.dms(BOB)) == 2)
    assert json.dumps(slack.deliveries[-1].payload["event"]["text"]) == '"ping"'


def test_dm_with_a_file(slack: LocalSlack, http_driver: SlackDriver) -> None:
    reply = http_driver.dm_with_file(BOB, "6 see screenshot", filename="shot.png")
    assert reply is not None and reply.ok
    event = slack.deliveries[-1].payload["event"]
    assert (event["type"], event["subtype"], event["channel_type"]) == (
        "message",
        "file_share",
        "im",
    )
    assert event["text"] == "6 see screenshot" and event["upload"] is True
    [shared] = event["files"]
    assert shared["name"] == "shot.png" and shared["user"] == BOB and shared["mimetype"]
    assert "team" not in event  # file_share events carry none (slack-api-specs#62)
    slack.wait_for(lambda: len(slack.dms(BOB)) == 2)
    assert slack.dms(BOB)[0].files[0]["id"] == shared["id"]
    assert slack.dms(BOB)[1].text == "echo: 6 see screenshot"


def test_an_edited_dm(slack: LocalSlack, http_driver: SlackDriver) -> None:
    http_driver.dm(BOB, "6")
    [said] = [m for m in slack.wait_for(lambda: slack.dms(BOB)) if m.user == BOB]
    reply = http_driver.edit_dm(BOB, said, "7 actually")
    assert reply is not None and reply.ok
    event = slack.deliveries[-1].payload["event"]
    assert (event["subtype"], event["channel"], event["hidden"]) == (
        "message_changed",
        slack.dm_id(BOB),
        True,
    )
    assert event["message"]["ts"] == said.ts and event["message"]["text"] == "7 actually"
    assert event["message"]["edited"] == {"user": BOB, "ts": event["ts"]}
    assert event["previous_message"]["text"] == "6" and "edited" not in event["previous_message"]
    assert slack.dms(BOB)[0].text == "7 actually" and slack.dms(BOB)[0].edited
    slack.wait_for(lambda: slack.dms(BOB)[-1].text == "echo: 7 actually")


def test_invite_sends_member_joined_channel(slack: LocalSlack, http_driver: SlackDriver) -> None:
    slack.add_channel(Channel("CNEW", "new", members=[ALICE]))
    reply = http_driver.invite("CNEW", inviter=ALICE)
    assert reply is not None and reply.ok
    event = slack.deliveries[-1].payload["event"]
    assert {k: event[k] for k in ("type", "user", "channel", "channel_type", "inviter")} == {
        "type": "member_joined_channel",
        "user": "UBOT",
        "channel": "CNEW",
        "channel_type": "C",
        "inviter": ALICE,
    }
    assert slack.is_member("CNEW")
    # Someone joining a channel the bot is not in: the bot hears nothing.
    slack.add_channel(Channel("COTHER", "other", members=[ALICE]))
    assert http_driver.invite("COTHER", BOB, inviter=ALICE) is None


def test_deactivation_sends_user_change(slack: LocalSlack, http_driver: SlackDriver) -> None:
    reply = http_driver.deactivate(BOB)
    assert reply is not None and reply.ok
    event = slack.deliveries[-1].payload["event"]
    assert event["type"] == "user_change"
    assert (event["user"]["id"], event["user"]["deleted"]) == (BOB, True)
    assert event["user"]["profile"]["display_name"] == "bob"
    with pytest.raises(ValueError, match="deactivated"):
        http_driver.dm(BOB, "hello?")


def test_home_clicks_have_no_response_url(slack: LocalSlack, http_driver: SlackDriver) -> None:
    http_driver.app_home_opened(ALICE)
    home = slack.wait_for(lambda: slack.home_view(ALICE))
    http_driver.click_in_view(ALICE, home, "refresh")
    payload = slack.deliveries[-1].payload
    assert payload["type"] == "block_actions"
    assert payload["container"] == {"type": "view", "view_id": home["id"]}
    assert payload["view"]["type"] == "home" and payload["view"]["id"] == home["id"]
    assert "response_url" not in payload and "response_urls" not in payload
