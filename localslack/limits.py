"""Slack's documented numbers in one place: rate-limit tiers per method and message sizes.

Sources, cited once here and by name beside each figure:
- RATE: https://docs.slack.dev/apis/web-api/rate-limits ("Web API Tier 1 1+ per minute ...
  Tier 4 100+ per minute"; "Posting messages: 1 per second [per channel], short bursts >1
  allowed"; chat.postMessage: "several hundred messages per minute" per workspace).
- METHOD PAGES: each method's page at https://docs.slack.dev/reference/methods/<method>
  ("Rate Limits" and "Scopes" facts; the same table is kept in slackapi/java-slack-sdk,
  `MethodsRateLimits.java`).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping

from localslack.ratelimit import RateLimit


class Tier(enum.IntEnum):
    """A Web API rate-limit tier, valued in calls per minute (RATE: "1+", "20+", "50+", "100+")."""

    TIER_1 = 1
    TIER_2 = 20
    TIER_3 = 50
    TIER_4 = 100
    # auth.test and chat.getPermalink: "hundreds of requests per minute" (their METHOD PAGES;
    # java-slack-sdk counts 600).
    SPECIAL_HUNDREDS = 600


# Each method the local Slack answers, with its tier from its METHOD PAGE.
# chat.postMessage is "special" and has its own limit below.
METHOD_TIERS: dict[str, Tier] = {
    "api.test": Tier.TIER_4,
    "apps.connections.open": Tier.TIER_3,
    "auth.test": Tier.SPECIAL_HUNDREDS,
    "bots.info": Tier.TIER_3,
    "chat.delete": Tier.TIER_3,
    "chat.getPermalink": Tier.SPECIAL_HUNDREDS,
    "chat.postEphemeral": Tier.TIER_4,
    "chat.update": Tier.TIER_3,
    "conversations.history": Tier.TIER_3,
    "conversations.info": Tier.TIER_3,
    "conversations.join": Tier.TIER_3,
    "conversations.list": Tier.TIER_2,
    "conversations.members": Tier.TIER_4,
    "conversations.open": Tier.TIER_3,
    "conversations.replies": Tier.TIER_3,
    "files.completeUploadExternal": Tier.TIER_4,
    "files.getUploadURLExternal": Tier.TIER_4,
    "files.info": Tier.TIER_4,
    "team.info": Tier.TIER_3,
    "users.info": Tier.TIER_4,
    "users.list": Tier.TIER_2,
    "views.open": Tier.TIER_4,
    "views.publish": Tier.TIER_4,
    "views.push": Tier.TIER_4,
    "views.update": Tier.TIER_4,
}

# chat.postMessage (RATE, "Posting messages"): one message per second per channel with short
# bursts, and "several hundred messages per minute" across the workspace with "generous burst
# behavior". We take 3 as the short burst and 300 a minute for "several hundred".
POST_MESSAGE_PER_CHANNEL_PER_SECOND = 1.0
POST_MESSAGE_CHANNEL_BURST = 3
POST_MESSAGE_PER_MINUTE = 300


def tier_limit(tier: Tier) -> RateLimit:
    """A token bucket refilled at the tier's per-minute rate, holding a minute's worth.

    Slack tolerates bursts (RATE: "sporadic bursts are welcome", "generous burst behavior"),
    so a full minute's quota may be spent at once; after that calls are paced at the rate.
    """
    return RateLimit(per_second=tier.value / 60.0, burst=tier.value)


def post_message_limit() -> RateLimit:
    """chat.postMessage's special limit: per channel, and per workspace."""
    return RateLimit(
        per_second=POST_MESSAGE_PER_MINUTE / 60.0,
        burst=POST_MESSAGE_PER_MINUTE,
        per_channel_per_second=POST_MESSAGE_PER_CHANNEL_PER_SECOND,
        channel_burst=POST_MESSAGE_CHANNEL_BURST,
    )


def slack_rate_limits(
    overrides: Mapping[str, RateLimit | None] | None = None,
) -> dict[str, RateLimit]:
    """Every method's documented limit, with `overrides` replacing (None: removing) some."""
    limits = {method: tier_limit(tier) for method, tier in METHOD_TIERS.items()}
    limits["chat.postMessage"] = post_message_limit()
    for method, limit in (overrides or {}).items():
        if limit is None:
            limits.pop(method, None)
        else:
            limits[method] = limit
    return limits


# Message size. chat.postMessage/chat.postEphemeral: text over 40,000 characters
# (METHOD PAGE chat.postMessage, "Truncating content": Slack truncates past 40,000; the
# chat.postEphemeral page lists `msg_too_long`). We refuse with `msg_too_long` rather than
# truncate silently, so a bot that sends that much finds out.
MAX_MESSAGE_TEXT = 40_000
# chat.update: "msg_too_long: The `text` field cannot exceed 4,000 characters." (METHOD PAGE).
MAX_UPDATE_TEXT = 4_000
# Blocks of one message in total: `msg_blocks_too_long` ("Blocks submitted with this message
# are too long", METHOD PAGE chat.postMessage). Slack does not publish the figure; its
# engineers put it at "12,000 text characters with a buffer for block containers"
# (slackapi/bolt-js#2509, #2867: refused between ~11,300 and ~13,300 characters of text), and
# 12,000 is the documented cumulative limit of markdown blocks (slack_sdk MarkdownBlock).
MAX_BLOCKS_TEXT = 12_000
# Blocks per surface (https://docs.slack.dev/reference/block-kit/blocks: "up to 50 blocks in
# each message, and 100 blocks in modals or Home tabs").
MAX_BLOCKS = {"message": 50, "modal": 100, "home": 100}
