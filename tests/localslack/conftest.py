"""Fixtures: a started LocalSlack with a few people, and a WebClient pointed at it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from slack_sdk import WebClient

from localslack import Channel, LocalSlack, User

ALICE, BOB, CAROL, ROBOT = "UALICE", "UBOB", "UCAROL", "UROBOT"
GENERAL = "CGENERAL"


@pytest.fixture
def slack() -> Iterator[LocalSlack]:
    """A running local Slack: alice, bob, deactivated carol, another bot, #general.

    It grants every scope (`manifest=None`) so each test exercises one rule; the scope
    checks against the repository's manifest.yml have tests of their own.
    """
    users = [
        User(ALICE, "alice", "Alice A", tz="Europe/Berlin"),
        User(BOB, "bob", "Bob B"),
        User(CAROL, "carol", deleted=True),
        User(ROBOT, "robot", is_bot=True),
    ]
    channels = [Channel(GENERAL, "general", members=[ALICE, BOB, "UBOT"])]
    with LocalSlack(users=users, channels=channels, manifest=None) as local:
        yield local


@pytest.fixture
def client(slack: LocalSlack) -> WebClient:
    """A real slack_sdk client talking to the local Slack with the bot token."""
    return WebClient(base_url=slack.api_url, token=slack.bot_token)
