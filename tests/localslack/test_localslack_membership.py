"""The bot must be in a channel to post there: public channels say not_in_channel, private ones
do not exist for it; DMs with people always work; /invite adds the bot and tells the app."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from localslack import Channel, LocalSlack, User

ALICE, BOB = "UALICE", "UBOB"
OPEN, SECRET_ROOM = "COPEN", "GSECRET"


@pytest.fixture
def slack() -> Iterator[LocalSlack]:
    """A public and a private channel without the bot, alice and bob in both."""
    channels = [
        Channel(OPEN, "open", members=[ALICE, BOB]),
        Channel(SECRET_ROOM, "secret", is_private=True, members=[ALICE, BOB]),
    ]
    users = [User(ALICE, "alice"), User(BOB, "bob")]
    with LocalSlack(users=users, channels=channels, manifest=None) as local:
        yield local


def error_of(call: Callable[[], Any]) -> str:
    """The Slack error code a failing call raised."""
    with pytest.raises(SlackApiError) as raised:
        call()
    return str(raised.value.response["error"])


def test_posting_where_the_bot_is_not(slack: LocalSlack, client: WebClient) -> None:
    assert error_of(lambda: client.chat_postMessage(channel=OPEN, text="x")) == "not_in_channel"
    assert error_of(lambda: client.chat_postMessage(channel="#open", text="x")) == (
        "not_in_channel"
    )
    assert error_of(lambda: client.chat_postMessage(channel=SECRET_ROOM, text="x")) == (
        "channel_not_found"
    )
    ephemeral = lambda channel: client.chat_postEphemeral(channel=channel, user=ALICE, text="x")  # noqa: E731
    assert error_of(lambda: ephemeral(OPEN)) == "not_in_channel"
    assert error_of(lambda: ephemeral(SECRET_ROOM)) == "channel_not_found"
    assert slack.messages(OPEN) == [] and slack.ephemerals() == []


def test_uploads_need_membership_too(slack: LocalSlack, client: WebClient) -> None:
    upload = lambda channel: client.files_upload_v2(channel=channel, content=b"x", filename="a.csv")  # noqa: E731
    assert error_of(lambda: upload(OPEN)) == "not_in_channel"
    assert error_of(lambda: upload(SECRET_ROOM)) == "channel_not_found"
    # channel_id takes conversation ids only (bolt-js#2115): a user id is refused.
    assert error_of(lambda: upload(ALICE)) == "invalid_arguments"
    assert slack.files == []


def test_updates_and_deletes_after_the_bot_left(slack: LocalSlack, client: WebClient) -> None:
    slack.invite(OPEN)
    slack.invite(SECRET_ROOM)
    public = client.chat_postMessage(channel=OPEN, text="v1")["ts"]
    private = client.chat_postMessage(channel=SECRET_ROOM, text="v1")["ts"]
    slack.kick(OPEN)
    slack.kick(SECRET_ROOM)
    assert error_of(lambda: client.chat_update(channel=OPEN, ts=public, text="v2")) == (
        "not_in_channel"
    )
    assert error_of(lambda: client.chat_update(channel=SECRET_ROOM, ts=private, text="v2")) == (
        "channel_not_found"
    )
    assert error_of(lambda: client.chat_delete(channel=OPEN, ts=public)) == "not_in_channel"
    assert [m.text for m in slack.messages(OPEN) if m.subtype is None] == ["v1"]


def test_conversations_info_says_whether_the_bot_is_in(
    slack: LocalSlack, client: WebClient
) -> None:
    assert client.conversations_info(channel=OPEN)["channel"]["is_member"] is False
    # A private channel the bot is not in is invisible to it.
    assert error_of(lambda: client.conversations_info(channel=SECRET_ROOM)) == ("channel_not_found")
    assert error_of(lambda: client.conversations_history(channel=OPEN)) == "not_in_channel"
    listed = client.conversations_list(types="public_channel,private_channel")["channels"]
    assert [c["id"] for c in listed] == [OPEN]
    slack.invite(OPEN)
    slack.invite(SECRET_ROOM)
    assert client.conversations_info(channel=OPEN)["channel"]["is_member"] is True
    assert client.conversations_info(channel=SECRET_ROOM)["channel"]["is_member"] is True
    history = client.conversations_history(channel=OPEN)["messages"]
    assert [(m["subtype"], m["user"]) for m in history] == [("channel_join", "UBOT")]


def test_after_invite_posting_works(slack: LocalSlack, client: WebClient) -> None:
    event = slack.invite(OPEN, inviter=ALICE)
    assert event == {
        "type": "member_joined_channel",
        "user": "UBOT",
        "channel": OPEN,
        "channel_type": "C",
        "team": "T0LOCAL",
        "event_ts": event["event_ts"] if event else "",
        "inviter": ALICE,
    }
    assert slack.invite(OPEN) is None  # already a member
    private = slack.invite(SECRET_ROOM)
    assert private is not None and private["channel_type"] == "G" and "inviter" not in private
    client.chat_postMessage(channel=OPEN, text="hello")
    client.chat_postMessage(channel=SECRET_ROOM, text="hello")
    client.files_upload_v2(channel=OPEN, content=b"x", filename="a.csv")
    assert slack.is_member(OPEN) and [f.channels for f in slack.files] == [[OPEN]]


def test_public_channels_with_chat_write_public(slack: LocalSlack, client: WebClient) -> None:
    manifest = {"oauth_config": {"scopes": {"bot": ["chat:write", "chat:write.public"]}}}
    with LocalSlack(
        users=[User(ALICE, "alice")],
        channels=[Channel(OPEN, "open"), Channel(SECRET_ROOM, "s", is_private=True)],
        manifest=manifest,
    ) as local:
        public = WebClient(base_url=local.api_url, token=local.bot_token)
        public.chat_postMessage(channel=OPEN, text="allowed without joining")
        assert error_of(lambda: public.chat_postMessage(channel=SECRET_ROOM, text="x")) == (
            "channel_not_found"
        )


def test_dms_always_work_for_people(slack: LocalSlack, client: WebClient) -> None:
    by_user = client.chat_postMessage(channel=ALICE, text="hi")["channel"]
    by_dm = client.chat_postMessage(channel=slack.dm_id(BOB), text="hi")["channel"]
    assert (by_user, by_dm) == (slack.dm_id(ALICE), slack.dm_id(BOB))
    dm = client.conversations_open(users=ALICE)["channel"]["id"]
    client.files_upload_v2(channel=dm, content=b"x", filename="a.csv")
    assert client.conversations_info(channel=dm)["channel"]["is_member"] is True


def test_archived_channels_refuse_posts_and_uploads(slack: LocalSlack, client: WebClient) -> None:
    """chat.postMessage: "is_archived: Channel has been archived"; conversations.info says so."""
    slack.invite(OPEN)
    client.chat_postMessage(channel=OPEN, text="before")
    slack.archive(OPEN)
    assert error_of(lambda: client.chat_postMessage(channel=OPEN, text="x")) == "is_archived"
    upload = lambda: client.files_upload_v2(channel=OPEN, content=b"x", filename="a.csv")  # noqa: E731
    assert error_of(upload) == "is_archived"
    assert client.conversations_info(channel=OPEN)["channel"]["is_archived"] is True
    assert [m.text for m in slack.messages(OPEN) if m.subtype is None] == ["before"]
