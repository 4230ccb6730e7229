"""A local fake of Slack for tests, benchmarks and `oneness demo`.

`LocalSlack` serves the Web API and Socket Mode on loopback and records what the
bot does; `SlackDriver` sends the bot what Slack would: signed slash commands,
clicks, view submissions and events.

    with LocalSlack(users=[User("UALICE", "alice")]) as slack:
        client = WebClient(base_url=slack.api_url, token=slack.bot_token)
        driver = SlackDriver(slack, bot_url=bot_url, signing_secret=secret)
        reply = driver.slash("UALICE", "help")          # reply.ephemeral_text
        [msg] = slack.wait_for(lambda: slack.dms("UALICE"))
        driver.click("UALICE", msg, "some_action_id")

It refuses what Slack refuses (channel membership, Block Kit and message size, unprocessed
`slack_file`s, scopes from manifest.yml, per-method rate tiers) and can fail a call after it
ran (`Faults(kinds=AFTER_KINDS)`). `slack.invite(channel)` / `driver.invite(channel)` add the
bot to a channel as `/invite` does; the driver also sends DMs with files, edits and
deactivations the way Slack does.
"""

from localslack.driver import Reply, SlackDriver
from localslack.models import (
    ApiCall,
    Channel,
    Delivery,
    Ephemeral,
    Message,
    ResponsePost,
    UploadedFile,
    User,
)
from localslack.payloads import field_values
from localslack.ratelimit import AFTER_KINDS, BEFORE_KINDS, FAULT_KINDS, Faults, RateLimit
from localslack.scopes import Grants
from localslack.server import LocalSlack

__all__ = [
    "AFTER_KINDS",
    "BEFORE_KINDS",
    "FAULT_KINDS",
    "ApiCall",
    "Channel",
    "Delivery",
    "Ephemeral",
    "Faults",
    "Grants",
    "LocalSlack",
    "Message",
    "RateLimit",
    "Reply",
    "ResponsePost",
    "SlackDriver",
    "UploadedFile",
    "User",
    "field_values",
]
