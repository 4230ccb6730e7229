"""Check-in listeners: score buttons, Add details / Edit, the modal, DM text, App Home button."""

from __future__ import annotations

import re
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot.checkin import ids
from bot.checkin.blocks import CheckinContext, read_checkin
from bot.checkin.service import (
    answer_button,
    answer_text,
    context_for_cycle,
    modal_for,
    pulse_context,
    submit_modal,
)
from bot.home.service import publish_home
from bot.platform.dedupe import first_time
from bot.platform.deps import Deps
from bot.rally.service import after_checkin
from handlers.flow import ack_then
from handlers.guard import Tell, guarded, tell_by_respond

SCORE_ACTION = re.compile(rf"^{ids.SCORE_PREFIX}(10|[1-9])$")


def tell_by_dm(kwargs: dict[str, Any]) -> Tell:
    """Report to the person who acted, in their DM with the bot."""
    client: WebClient = kwargs["client"]
    body = kwargs["body"]
    user = (body.get("user") or {}).get("id") or (body.get("event") or {}).get("user")
    return lambda reply: client.chat_postMessage(channel=user, text=reply.text, blocks=reply.blocks)


def parse_score_value(value: str) -> tuple[int, int] | None:
    """A score button's value `cycle:score`, or None when it is malformed."""
    cycle, _, score = (value or "").partition(":")
    if not (cycle.isdigit() and score.isdigit() and 1 <= int(score) <= 10):
        return None
    return int(cycle), int(score)


def ack_only(ack: Ack) -> None:
    """Acknowledge at once; the lazy listener does the work."""
    ack()


def register(app: App, deps: Deps) -> None:
    """Listen to everything that answers a check-in."""

    @guarded(tell_by_respond)
    def score_clicked(body: dict[str, Any], action: dict[str, Any], respond: Respond) -> None:
        parsed = parse_score_value(action.get("value", ""))
        if parsed is None:
            respond(
                text="That button is out of date; use `/oneness checkin` instead.",
                response_type="ephemeral",
                replace_original=False,
            )
            return
        user = body["user"]["id"]
        stored = answer_button(deps, user, *parsed)
        after_checkin(deps, stored.checkins)
        publish_home(deps, user)

    @guarded(tell_by_respond)
    def open_week_modal(body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:
        value = action.get("value", "")
        if not value.isdigit():
            return
        user = body["user"]["id"]
        view = modal_for(deps, user, context_for_cycle(deps, int(value)))
        client.views_open(trigger_id=body["trigger_id"], view=view)

    @guarded(tell_by_dm)
    def open_pulse_modal(body: dict[str, Any], client: WebClient) -> None:
        user = body["user"]["id"]
        ctx = pulse_context(deps, user, channel_id=None, team=None)
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
        after_checkin(deps, stored.checkins)
        publish_home(deps, user)

    @guarded(tell_by_dm)
    def dm_received(body: dict[str, Any], event: dict[str, Any], client: WebClient) -> None:
        if event.get("channel_type") != "im" or event.get("subtype") or event.get("bot_id"):
            return
        user, channel = event.get("user"), event.get("channel")
        if not user or not channel:
            return
        if not first_time(deps, f"event:{body.get('event_id') or event.get('ts')}"):
            return
        stored, text = answer_text(deps, user, event.get("text") or "")
        client.chat_postMessage(channel=channel, text=text)
        if stored is not None:
            after_checkin(deps, stored.checkins)
            publish_home(deps, user)

    # Bolt tries listeners in the order they were registered, building each one's arguments to
    # match it: the busiest (DM answers, score clicks) go first (bench/ack.py).
    app.event("message")(ack_then(deps, ack_only, dm_received))
    app.action(SCORE_ACTION)(ack_then(deps, ack_only, score_clicked))
    # Opening a modal uses the click's trigger_id, which expires in 3 s: never queued.
    app.action(ids.CHECKIN_DETAILS)(ack_then(deps, ack_only, open_week_modal, durable=False))
    app.action(ids.CHECKIN_EDIT)(ack_then(deps, ack_only, open_week_modal, durable=False))
    app.action(ids.HOME_CHECKIN)(ack_then(deps, ack_only, open_pulse_modal, durable=False))
    app.view(ids.CHECKIN_VIEW)(ack_then(deps, ack_checkin, save_checkin))
