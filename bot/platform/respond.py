"""Replacing the message an interaction came from through its `response_url`.

Slack does not count response_url posts against the Web API's rate tiers (a `chat.update` is
Tier 3, about 50 a minute a workspace), so a confirmation sent this way is not throttled when
a whole workspace answers at once. A response_url lasts 30 minutes and takes 5 posts.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from slack_sdk.errors import SlackRequestError
from slack_sdk.webhook import WebhookClient

from bot.platform.blocks import Reply

log = logging.getLogger("oneness.respond")

# A post that takes longer than this is given up and the caller falls back to the Web API.
TIMEOUT_SECONDS = 10


@dataclass(frozen=True)
class Via:
    """The response_url of a click and the message (its ts) that the url replaces."""

    url: str
    message_ts: str


def replace_original(via: Via, reply: Reply) -> bool:
    """Show `reply` in place of the clicked message; False when Slack refused the post (an
    expired or used-up url) or could not be reached, so that the caller can fall back."""
    try:
        response = WebhookClient(via.url, timeout=TIMEOUT_SECONDS).send(
            text=reply.text, blocks=reply.blocks, replace_original=True
        )
    except (SlackRequestError, OSError) as error:
        log.warning("could not post to a response_url: %s", type(error).__name__)
        return False
    if response.status_code != 200:
        log.warning(
            "a response_url refused the post: HTTP %s %s", response.status_code, response.body
        )
        return False
    return True
