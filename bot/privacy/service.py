"""`/oneness forget me`: confirm, then delete a person's answers and history."""

from __future__ import annotations

import logging

from slack_sdk.errors import SlackApiError
from sqlalchemy.orm import Session

from bot.platform.blocks import Reply, actions, button, section
from bot.platform.deps import Deps
from bot.platform.errors import Conflict
from bot.platform.escape import escape
from bot.promise import service as promise
from bot.rally import service as rally
from bot.rally.blocks import RallyCard, nudge_message
from bot.summary import service as summary_service
from storage import privacy as store
from storage import teams as team_store
from storage.db import transaction
from storage.kinds import HelpKind, RallyStatus, Visibility
from storage.privacy import scrub

log = logging.getLogger("oneness.forget")

CONFIRM = "forget_confirm"


def removed_message() -> Reply:
    """What a message that quoted a forgotten person says instead."""
    return Reply(
        text="Removed at the member's request.",
        blocks=[section("_Removed at the member's request._")],
    )


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
    """Delete everything about the person, then edit every message that quoted them.

    Channel nudges say "withdrawn"; DMs that quoted the person (leads-only, owner, escalation,
    follow-ups, their own prompts) say "removed at the member's request"; summaries of the
    weeks they were in are rendered again without them. On SQLite the deleted bytes are
    overwritten (secure_delete) and the write-ahead log is emptied, so nothing is left on disk.
    """
    with transaction(deps.sessions) as session:
        _refuse_last_lead(session, user_id)
    # Help the person owned is open again first (its member and the leads are told, without
    # a name); the deletion below then finds no rally they own.
    rally.release_owner(deps, user_id, why=rally.FORGOTTEN)
    with transaction(deps.sessions) as session:
        _refuse_last_lead(session, user_id)
        nudges = store.nudges_about(session, user_id)
        quoted = store.messages_quoting(session, user_id)
        summaries = store.summaries_showing(session, user_id)
        breaks = store.breaks_naming(session, user_id)
        counts = store.forget(session, user_id)
    withdrawn = nudge_message(
        RallyCard(
            0, "", "", Visibility.ANONYMOUS, 0, "", HelpKind.NONE, 0, None, RallyStatus.WITHDRAWN
        )
    )
    for nudge in nudges:
        _edit(deps, nudge.channel_id, nudge.message_ts, withdrawn)
    for message in quoted:
        _edit(deps, message.channel_id, message.message_ts, removed_message())
    for post in summaries:
        reply = summary_service.render_again(deps, post.key, post.cycle_id)
        if reply is not None:
            _edit(deps, post.channel_id, post.message_ts, reply)
    for break_id in breaks:
        try:
            promise.refresh_break(deps, break_id)  # "reported by a teammate", no owner named
        except SlackApiError as error:
            log.warning("could not update break %s: %s", break_id, error.response.get("error"))
    scrub(deps.engine)
    log.info("forgot a person: %s", counts)
    return (
        f"Done. I deleted {counts['checkins']} check-ins and everything else about you, "
        "removed you from your teams, and edited the messages that quoted you. "
        "A lead can add you again any time."
    )


def _refuse_last_lead(session: Session, user_id: str) -> None:
    for team in team_store.teams_of(session, user_id):
        if team_store.lead_ids(session, team.id) == [user_id]:
            name = escape(team.name)
            raise Conflict(
                f"You are the last lead of {name}, so it would have nobody to run it. Make "
                f"someone else a lead first (`/oneness lead @someone team:{name}`), then "
                "`/oneness forget me` again."
            )


def check_can_forget(deps: Deps, user_id: str) -> None:
    """Refuse before asking, when the person is the last lead of a team."""
    with transaction(deps.sessions) as session:
        _refuse_last_lead(session, user_id)


def _edit(deps: Deps, channel: str, ts: str, reply: Reply) -> None:
    try:
        deps.client.chat_update(channel=channel, ts=ts, text=reply.text, blocks=reply.blocks)
    except SlackApiError as error:
        log.warning("could not edit a message: %s", error.response.get("error"))


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
