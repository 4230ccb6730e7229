"""Check-in listeners: score buttons, Add details / Edit, the modal, DM text, the team picker,
"Shared as … · Change", "That wasn't a score", the App Home's Check in now."""

from __future__ import annotations

import logging
import re
from dataclasses import replace
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot.checkin import ids
from bot.checkin.blocks import CheckinContext, PickTeam, read_checkin
from bot.checkin.service import (
    SLACK_TROUBLE,
    answer_button,
    answer_for_team,
    answer_text,
    change_visibility,
    context_for_cycle,
    edit_text,
    modal_for,
    not_a_score,
    pulse_context,
    submit_modal,
)
from bot.flows import on_checkin_stored
from bot.home.service import publish_home
from bot.platform.blocks import Reply
from bot.platform.dedupe import first_time
from bot.platform.deps import Deps
from bot.platform.errors import NotFound, UsageError
from bot.platform.lazy import at_once
from bot.platform.respond import Via
from bot.rally.service import follow_checkin
from handlers.guard import Tell, guarded, parse_id, tell_by_respond

log = logging.getLogger("oneness.handlers")

SCORE_ACTION = re.compile(rf"^{ids.SCORE_PREFIX}(10|[1-9])$")
# Action ids must differ within a block, so buttons of one kind carry a suffix.
HOME_CHECKIN = re.compile(rf"^{ids.HOME_CHECKIN}(_\d+)?$")
PICK_TEAM = re.compile(rf"^{ids.PICK_TEAM}_\d+$")
SHARE_AS = re.compile(rf"^{ids.SHARE_AS}_(team|anonymous|leads)$")
OUT_OF_DATE = "That button is out of date; use `/oneness checkin` instead."


def tell_by_dm(kwargs: dict[str, Any]) -> Tell:
    """Report to the person who acted, in their DM with the bot."""
    client: WebClient = kwargs["client"]
    body = kwargs["body"]
    event = body.get("event") or {}
    # An edited message's author is in the message, not the event (message_changed).
    user = str(
        (body.get("user") or {}).get("id")
        or event.get("user")
        or (event.get("message") or {}).get("user")
    )

    def tell(reply: Reply) -> None:
        client.chat_postMessage(channel=user, text=reply.text, blocks=reply.blocks)

    return tell


def parse_score_value(value: str) -> tuple[int, int] | None:
    """A score button's value `cycle:score`, or None when it is malformed or out of range."""
    cycle, _, score = (value or "").partition(":")
    cycle_id = parse_id(cycle)
    if cycle_id is None or not (score.isdigit() and len(score) <= 2 and 1 <= int(score) <= 10):
        return None
    return cycle_id, int(score)


def click_via(body: dict[str, Any]) -> Via | None:
    """The click's response_url and the message it replaces, when the click was on a message."""
    url = body.get("response_url")
    ts = (body.get("container") or {}).get("message_ts")
    return Via(str(url), str(ts)) if url and ts else None


def ack_only(ack: Ack) -> None:
    """Acknowledge at once; the lazy listener does the work."""
    ack()


def register(app: App, deps: Deps) -> None:
    """Listen to everything that answers a check-in."""

    @guarded(tell_by_respond)
    def score_clicked(body: dict[str, Any], action: dict[str, Any], respond: Respond) -> None:
        parsed = parse_score_value(action.get("value", ""))
        if parsed is None:
            raise UsageError(OUT_OF_DATE)
        user = body["user"]["id"]
        stored = answer_button(deps, user, *parsed, via=click_via(body))
        on_checkin_stored(deps, stored)

    @guarded(tell_by_respond)
    def open_week_modal(body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:
        cycle_id = parse_id(action.get("value"))
        if cycle_id is None:
            raise UsageError(OUT_OF_DATE)
        user = body["user"]["id"]
        # The submit confirms through this click's response_url (30 minutes, 5 posts).
        ctx = replace(context_for_cycle(deps, cycle_id), via=click_via(body))
        view = modal_for(deps, user, ctx)
        client.views_open(trigger_id=body["trigger_id"], view=view)

    @guarded(tell_by_dm)
    def open_pulse_modal(body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:
        user = body["user"]["id"]
        team_id = parse_id(action.get("value"))
        ctx = (
            CheckinContext(team_id, None)
            if team_id is not None
            else pulse_context(deps, user, channel_id=None, team=None)
        )
        client.views_open(trigger_id=body["trigger_id"], view=modal_for(deps, user, ctx))

    def ack_checkin(ack: Ack, view: dict[str, Any]) -> None:
        answer = read_checkin(view.get("state", {}).get("values", {}))
        if isinstance(answer, dict):
            ack(response_action="errors", errors=answer)
        elif CheckinContext.load(view.get("private_metadata", "")) is None:
            ack(
                response_action="errors",
                errors={ids.CI_SCORE: "This form is out of date; open it again."},
            )
        else:
            ack()

    @guarded(tell_by_dm)
    def save_checkin(body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
        answer = read_checkin(view.get("state", {}).get("values", {}))
        ctx = CheckinContext.load(view.get("private_metadata", ""))
        if isinstance(answer, dict) or ctx is None:
            return
        if not first_time(deps, f"view:{view.get('id')}:{view.get('hash', '')}"):
            return
        user = body["user"]["id"]
        stored = submit_modal(deps, user, ctx, answer)
        if ctx.cycle_id is None:
            client.chat_postMessage(channel=user, text=f"Thanks. Recorded {answer.score}/10.")
        on_checkin_stored(deps, stored)

    @guarded(tell_by_dm)
    def dm_received(body: dict[str, Any], event: dict[str, Any], client: WebClient) -> None:
        if event.get("channel_type") != "im" or event.get("bot_id"):
            return
        if event.get("subtype") == "message_changed":
            dm_edited(body, event, client)
            return
        # A message with a file ("6 see screenshot") counts by its text; other subtypes
        # (joins, deletions, bot messages) are not answers.
        if event.get("subtype") not in (None, "file_share"):
            return
        user, channel = event.get("user"), event.get("channel")
        if not user or not channel:
            return
        if not first_time(deps, f"event:{body.get('event_id') or event.get('ts')}"):
            return
        stored, reply = answer_text(
            deps, user, event.get("text") or "", channel=channel, ts=event.get("ts")
        )
        if stored is None:
            client.chat_postMessage(channel=channel, text=reply.text, blocks=reply.blocks)
            return
        try:
            client.chat_postMessage(channel=channel, text=reply.text, blocks=reply.blocks)
        except SLACK_TROUBLE as error:
            # The answer is stored (the prompt says so when it could be updated): "try again"
            # would only store it twice. Slack may even have posted the reply before failing.
            log.warning("could not reply to a DM answer in %s: %s", channel, error)
        on_checkin_stored(deps, stored)

    def dm_edited(body: dict[str, Any], event: dict[str, Any], client: WebClient) -> None:
        message = event.get("message") or {}
        before = event.get("previous_message") or {}
        user, channel, ts = message.get("user"), event.get("channel"), message.get("ts")
        if message.get("bot_id") or not user or not channel or not ts:
            return  # the bot's own edits (prompts it updated) come back as events too
        if message.get("text") == before.get("text"):
            return  # a link preview or a file added: the words are the same
        if not first_time(deps, f"event:{body.get('event_id') or event.get('ts')}"):
            return
        stored, reply = edit_text(deps, user, ts, message.get("text") or "")
        try:
            if reply is not None:
                client.chat_postMessage(channel=channel, text=reply.text, blocks=reply.blocks)
        except SLACK_TROUBLE as error:
            if stored is None:
                raise
            log.warning("could not reply to an edited answer in %s: %s", channel, error)
        if stored is not None:
            # A rally this answer opened shows the new words; a new drop opens one.
            edited = stored.checkins[0].id
            follow_checkin(deps, edited, edited)
            on_checkin_stored(deps, stored)

    @guarded(tell_by_respond)
    def team_picked(
        body: dict[str, Any], action: dict[str, Any], client: WebClient, respond: Respond
    ) -> None:
        choice = PickTeam.load(action.get("value", ""))
        if choice is None:
            raise UsageError("That button is out of date; reply with your number again.")
        user = body["user"]["id"]
        text = _message_text(client, choice)
        stored, reply = answer_for_team(deps, user, choice, text)
        respond(text=reply.text, blocks=reply.blocks, replace_original=True)
        on_checkin_stored(deps, stored)

    @guarded(tell_by_respond)
    def share_as(body: dict[str, Any], action: dict[str, Any], respond: Respond) -> None:
        checkin, _, visibility = (action.get("value") or "").partition(":")
        checkin_id = parse_id(checkin)
        if checkin_id is None:
            raise UsageError("This button is out of date.")
        user = body["user"]["id"]
        reply = change_visibility(deps, user, checkin_id, visibility)
        respond(text=reply.text, blocks=reply.blocks, replace_original=True)
        publish_home(deps, user)

    @guarded(tell_by_respond)
    def wasnt_a_score(body: dict[str, Any], action: dict[str, Any], respond: Respond) -> None:
        checkin_id = parse_id(action.get("value"))
        if checkin_id is None:
            raise UsageError("This button is out of date.")
        user = body["user"]["id"]
        respond(text=not_a_score(deps, user, checkin_id), replace_original=True)
        publish_home(deps, user)

    # Bolt tries listeners in the order they were registered, building each one's arguments to
    # match it: the busiest (DM answers, score clicks) go first (bench/ack.py).
    app.event("message")(ack=ack_only, lazy=[dm_received])
    app.action(SCORE_ACTION)(ack=ack_only, lazy=[score_clicked])
    # Opening a modal uses the click's trigger_id, which expires in 3 s: never queued.
    app.action(ids.CHECKIN_DETAILS)(ack=ack_only, lazy=[at_once(open_week_modal)])
    app.action(ids.CHECKIN_EDIT)(ack=ack_only, lazy=[at_once(open_week_modal)])
    app.action(HOME_CHECKIN)(ack=ack_only, lazy=[at_once(open_pulse_modal)])
    app.view(ids.CHECKIN_VIEW)(ack=ack_checkin, lazy=[save_checkin])
    app.action(PICK_TEAM)(ack=ack_only, lazy=[team_picked])
    app.action(SHARE_AS)(ack=ack_only, lazy=[share_as])
    app.action(ids.NOT_A_SCORE_TEXT)(ack=ack_only, lazy=[wasnt_a_score])


def _message_text(client: WebClient, choice: PickTeam) -> str:
    """The person's DM message, read again (as it is now, edits included)."""
    if not choice.ts:
        raise NotFound("I can't find that message any more; reply with your number again.")
    history = client.conversations_history(
        channel=choice.channel, latest=choice.ts, inclusive=True, limit=1
    )
    messages: list[dict[str, Any]] = history.get("messages", [])
    for message in messages:
        if message.get("ts") == choice.ts:
            return str(message.get("text") or "")
    raise NotFound("I can't find that message any more; reply with your number again.")
