"""Each Web API method needs its scope from the app's manifest; events need subscriptions."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from localslack import Channel, LocalSlack, SlackDriver, User
from localslack.scopes import DEFAULT_MANIFEST, Grants

ALICE, TEAM, SECRET_ROOM = "UALICE", "CTEAM", "GSECRET"
MANIFEST = {
    "oauth_config": {"scopes": {"bot": ["chat:write", "im:history", "users:read"]}},
    "settings": {"event_subscriptions": {"bot_events": ["message.im"]}},
}


@pytest.fixture
def narrow() -> Iterator[LocalSlack]:
    """A local Slack whose app holds three scopes and one event."""
    channels = [
        Channel(TEAM, "team", members=[ALICE, "UBOT"]),
        Channel(SECRET_ROOM, "secret", is_private=True, members=[ALICE, "UBOT"]),
    ]
    with LocalSlack(users=[User(ALICE, "alice")], channels=channels, manifest=MANIFEST) as local:
        yield local


def refusal(call: Any) -> dict[str, Any]:
    """The body of a refused call."""
    with pytest.raises(SlackApiError) as raised:
        call()
    return dict(raised.value.response.data)


def test_missing_scope_says_needed_and_provided(narrow: LocalSlack) -> None:
    client = WebClient(base_url=narrow.api_url, token=narrow.bot_token)
    assert client.chat_postMessage(channel=TEAM, text="granted")["ok"]
    assert client.users_info(user=ALICE)["ok"]
    body = refusal(lambda: client.files_upload_v2(channel=TEAM, content=b"x", filename="a.txt"))
    assert body == {
        "ok": False,
        "error": "missing_scope",
        "needed": "files:write",
        "provided": "chat:write,im:history,users:read",
    }
    assert refusal(lambda: client.team_info())["needed"] == "team:read"
    assert client.auth_test()["ok"] and client.api_test()["ok"]  # no scope needed


def test_conversation_scopes_depend_on_the_kind(narrow: LocalSlack) -> None:
    client = WebClient(base_url=narrow.api_url, token=narrow.bot_token)
    dm = narrow.dm_id(ALICE)
    client.chat_postMessage(channel=ALICE, text="hi")
    assert client.conversations_history(channel=dm)["messages"]  # im:history is granted
    assert refusal(lambda: client.conversations_history(channel=TEAM))["needed"] == (
        "channels:history"
    )
    assert refusal(lambda: client.conversations_history(channel=SECRET_ROOM))["needed"] == (
        "groups:history"
    )
    assert refusal(lambda: client.conversations_info(channel=dm))["needed"] == "im:read"
    assert refusal(lambda: client.conversations_open(users=ALICE))["needed"] == "im:write"
    listing = refusal(lambda: client.conversations_list(types="public_channel,im"))
    assert listing["needed"] == "im:read,channels:read"


def test_default_is_the_repositorys_manifest() -> None:
    manifest = yaml.safe_load(DEFAULT_MANIFEST.read_text())
    granted = set(manifest["oauth_config"]["scopes"]["bot"])
    with LocalSlack() as local:
        assert local.grants.scopes == granted
        assert local.grants.events == set(manifest["settings"]["event_subscriptions"]["bot_events"])


def test_no_manifest_grants_everything(tmp_path: Path) -> None:
    assert Grants.load(None).has("files:write") and Grants.load(None).subscribed("anything")
    path = tmp_path / "manifest.yml"
    path.write_text(yaml.safe_dump(MANIFEST))
    assert Grants.load(path) == Grants.load(MANIFEST)
    assert not Grants.load(path).has("files:write")


def test_unsubscribed_events_are_not_sent(narrow: LocalSlack) -> None:
    driver = SlackDriver(narrow, bot_url="http://127.0.0.1:9/unused", signing_secret="s")
    narrow.kick(TEAM)
    # member_joined_channel and user_change are not subscribed: Slack sends nothing.
    assert driver.invite(TEAM, inviter=ALICE) is None
    assert narrow.is_member(TEAM)
    assert driver.deactivate(ALICE) is None
    assert narrow.user(ALICE).deleted
    assert narrow.deliveries == []
