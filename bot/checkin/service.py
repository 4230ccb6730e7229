"""Answering check-ins from every path: score buttons, the modal, DM text, `/oneness checkin`."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy.orm import Session

from bot.checkin._record import Recorded, record_pulse, record_weekly
from bot.checkin.blocks import CheckinContext, checkin_modal, prompt_message, recorded_message
from bot.checkin.rules import Answer, read_text_answer
from bot.platform.blocks import Reply
from bot.platform.deps import Deps
from bot.platform.errors import Conflict, NotAllowed, NotFound
from bot.promise.service import prompt_ask
from storage import checkin as checkin_store
from storage import delivery as ledger
from storage import teams as team_store
from storage.db import transaction
from storage.models import CheckIn, Team

log = logging.getLogger("oneness.checkin")

HOW_TO = (
    "To check in, reply with a number from 1 to 10 and, if you like, what is causing discord: "
    "`7`, `7/10` or `6 rough week, need a specialist`. `/oneness help` lists everything else."
)


@dataclass(frozen=True)
class Stored:
    """Check-ins stored by one answer, for the replies and the rally rule."""

    checkins: list[CheckIn]
    weekly: bool


def answer_button(deps: Deps, user_id: str, cycle_id: int, score: int) -> Stored:
    """A score button on the weekly prompt; a second click keeps the first answer."""
    now = deps.clock.now()
    with transaction(deps.sessions) as session:
        cycle = checkin_store.cycle_by_id(session, cycle_id)
        if cycle is None:
            raise NotFound("That check-in no longer exists.")
        team = team_store.team_by_id(session, cycle.team_id)
        assert team is not None
        _require_member(session, team, user_id)
        recorded = record_weekly(session, team, cycle, user_id, Answer(score), now=now)
    refresh_prompt(deps, user_id, cycle_id)
    return Stored([recorded.checkin] if recorded.new else [], weekly=True)


def submit_modal(deps: Deps, user_id: str, ctx: CheckinContext, answer: Answer) -> Stored:
    """A submitted check-in modal: the week's answer (or its edit), or a pulse."""
    now = deps.clock.now()
    with transaction(deps.sessions) as session:
        team = team_store.team_by_id(session, ctx.team_id)
        if team is None:
            raise NotFound("That team no longer exists.")
        _require_member(session, team, user_id)
        recorded: Recorded
        if ctx.cycle_id is None:
            recorded = record_pulse(session, team, user_id, answer, now=now)
        else:
            cycle = checkin_store.cycle_by_id(session, ctx.cycle_id)
            if cycle is None:
                raise NotFound("That week no longer exists.")
            recorded = record_weekly(session, team, cycle, user_id, answer, now=now, edit=ctx.edit)
            if not recorded.new and not ctx.edit:
                # The week was answered by a button meanwhile: the modal's details win.
                recorded = record_weekly(session, team, cycle, user_id, answer, now=now, edit=True)
    if ctx.cycle_id is not None:
        refresh_prompt(deps, user_id, ctx.cycle_id)
    return Stored([recorded.checkin], weekly=ctx.cycle_id is not None)


def _require_member(session: Session, team: Team, user_id: str) -> None:
    row = team_store.member(session, team.id, user_id)
    if row is None or not row.active:
        raise NotAllowed(f"You are not a member of {team.name}, so there is nothing to answer.")


def answer_text(deps: Deps, user_id: str, text: str) -> tuple[Stored | None, str]:
    """A DM: a number answers the pending week (or is a pulse); anything else gets the how-to."""
    answer = read_text_answer(text)  # UsageError for 0 or 11: nothing stored
    if answer is None:
        return None, HOW_TO
    now = deps.clock.now()
    stored: list[CheckIn] = []
    weekly_cycles: list[int] = []
    with transaction(deps.sessions) as session:
        teams = [
            t
            for t in team_store.teams_of(session, user_id)
            if (m := team_store.member(session, t.id, user_id)) is not None and m.active
        ]
        if not teams:
            raise NotFound(
                "You are not a member of a team yet, so there is nothing to check in to. "
                "Ask a lead to `/oneness add` you."
            )
        for team in teams:
            cycle = _pending_cycle(session, team.id, user_id, now)
            if cycle is not None:
                recorded = record_weekly(session, team, cycle, user_id, answer, now=now)
                weekly_cycles.append(cycle.id)
            else:
                recorded = record_pulse(session, team, user_id, answer, now=now)
            stored.append(recorded.checkin)
    for cycle_id in weekly_cycles:
        refresh_prompt(deps, user_id, cycle_id)
    kind = "this week's check-in" if weekly_cycles else "a check-in (outside the weekly prompt)"
    return Stored(
        stored, weekly=bool(weekly_cycles)
    ), f"Thanks. Recorded {answer.score}/10 as {kind}."


def _pending_cycle(session, team_id: int, user_id: str, now):  # type: ignore[no-untyped-def]
    for cycle in checkin_store.open_cycles(session, now):
        if cycle.team_id != team_id or now >= cycle.closes_at:
            continue
        prompt = ledger.get(session, f"prompt:{cycle.id}:{user_id}")
        if prompt is None or prompt.status != "sent":
            continue
        if checkin_store.weekly_answer(session, cycle.id, user_id) is None:
            return cycle
    return None


def modal_for(deps: Deps, user_id: str, ctx: CheckinContext) -> dict:  # type: ignore[type-arg]
    """The check-in modal for a week (prefilled when editing) or a pulse."""
    now = deps.clock.now()
    with transaction(deps.sessions) as session:
        team = team_store.team_by_id(session, ctx.team_id)
        if team is None:
            raise NotFound("That team no longer exists.")
        current = None
        if ctx.cycle_id is not None:
            cycle = checkin_store.cycle_by_id(session, ctx.cycle_id)
            if cycle is None or cycle.closed_at is not None or now >= cycle.closes_at:
                raise Conflict("This week has closed. `/oneness checkin` records how you are now.")
            current = checkin_store.weekly_answer(session, ctx.cycle_id, user_id)
        return checkin_modal(
            CheckinContext(ctx.team_id, ctx.cycle_id, edit=current is not None),
            team_name=team.name,
            default_visibility=team.default_visibility,
            current=current,
        )


def refresh_prompt(deps: Deps, user_id: str, cycle_id: int) -> None:
    """Show the recorded answer (with Edit) in place of the prompt and its reminder; before
    the score is given, the prompt with the member's answer to the promise question."""
    now = deps.clock.now()
    with transaction(deps.sessions) as session:
        cycle = checkin_store.cycle_by_id(session, cycle_id)
        answer = checkin_store.weekly_answer(session, cycle_id, user_id)
        if cycle is None:
            return
        team = team_store.team_by_id(session, cycle.team_id)
        assert team is not None
        promise = prompt_ask(session, team.id, cycle, user_id, now)
        if answer is None and promise is None:
            return
        reply: Reply = (
            prompt_message(team_name=team.name, cycle_id=cycle.id, week=cycle.week, promise=promise)
            if answer is None
            else recorded_message(
                team_name=team.name,
                week=cycle.week,
                cycle_id=cycle.id,
                answer=answer,
                open_=cycle.closed_at is None and now < cycle.closes_at,
                promise=promise,
            )
        )
        targets = [
            (d.channel_id, d.message_ts)
            for kind in (("prompt", "reminder") if answer is not None else ("prompt",))
            if (d := ledger.get(session, f"{kind}:{cycle_id}:{user_id}")) is not None
            and d.status == "sent"
            and d.channel_id
            and d.message_ts
        ]
    for channel, ts in targets:
        deps.client.chat_update(channel=channel, ts=ts, text=reply.text, blocks=reply.blocks)


def context_for_cycle(deps: Deps, cycle_id: int) -> CheckinContext:
    """The modal context for answering (or editing) a week."""
    with transaction(deps.sessions) as session:
        cycle = checkin_store.cycle_by_id(session, cycle_id)
        if cycle is None:
            raise NotFound("That week no longer exists.")
        return CheckinContext(cycle.team_id, cycle.id)


def pulse_context(
    deps: Deps, user_id: str, *, channel_id: str | None, team: str | None
) -> CheckinContext:
    """The modal context for a pulse in the person's team."""
    from bot.teams.service import resolve_team

    with transaction(deps.sessions) as session:
        found = resolve_team(session, user_id=user_id, channel_id=channel_id, team_name=team)
        return CheckinContext(found.id, None)
