"""`/oneness forget me`: confirm, then delete a person's answers and history."""

from __future__ import annotations

import logging

from slack_sdk.errors import SlackApiError

from bot.platform.blocks import Reply, actions, button, section
from bot.platform.deps import Deps
from bot.promise import service as promise
from bot.rally.blocks import RallyCard, nudge_message
from storage import privacy as store
from storage.db import transaction

log = logging.getLogger("oneness.forget")

CONFIRM = "forget_confirm"


def confirmation() -> Reply:
    """The question asked before anything is deleted."""
    return Reply(
        text="Forget you? This deletes your check-ins and history.",
        blocks=[
            section(
                "*Forget you?* This deletes every check-in you gave, your rallies and offers, "
                "your answers about the team's promise, the customer ratings logged for you, and "
                "your membership of every team; broken promises you reported stay without your "
                "name. "
                "It cannot be undone."
            ),
            actions(
                button("Yes, forget me", CONFIRM, "yes", style="danger"), block_id="forget_actions"
            ),
        ],
    )


def forget_person(deps: Deps, user_id: str) -> str:
    """Delete everything about the person; nudges about them are edited to "withdrawn"."""
    with transaction(deps.sessions) as session:
        nudges = store.nudges_about(session, user_id)
        breaks = store.breaks_naming(session, user_id)
        counts = store.forget(session, user_id)
    withdrawn = nudge_message(
        RallyCard(0, "", "", "anonymous", 0, "", "none", 0, None, "withdrawn")
    )
    for nudge in nudges:
        try:
            deps.client.chat_update(
                channel=nudge.channel_id,
                ts=nudge.message_ts,
                text=withdrawn.text,
                blocks=withdrawn.blocks,
            )
        except SlackApiError as error:
            log.warning("could not withdraw a nudge: %s", error.response.get("error"))
    for break_id in breaks:
        try:
            promise.refresh_break(deps, break_id)  # "reported by a teammate", no owner named
        except SlackApiError as error:
            log.warning("could not update break %s: %s", break_id, error.response.get("error"))
    log.info("forgot a person: %s", counts)
    return (
        f"Done. I deleted {counts['checkins']} check-ins and everything else about you, "
        "and removed you from your teams. A lead can add you again any time."
    )


def forget_contact(deps: Deps, team_id: int, contact: str) -> str:
    """Remove a customer's contact from the team's breaks and from the leads' DMs that showed
    it (a lead does this when the customer asks)."""
    with transaction(deps.sessions) as session:
        removed = store.forget_contact(session, team_id, contact)
    promise.refresh_lead_reports(deps, removed)
    log.info("forgot a customer's contact on %d breaks of team %s", len(removed), team_id)
    if not removed:
        return "No reported break of this team carries that contact; nothing was changed."
    return (
        f"Removed that contact from {len(removed)} reported break"
        f"{'s' if len(removed) != 1 else ''} and from the leads' messages that showed it."
    )
