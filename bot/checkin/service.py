"""Answering check-ins from every path: score buttons, the modal, DM text, `/oneness checkin`.

An answer belongs to exactly one team. A DM number answers the team whose weekly prompt is
waiting for it; when several are (or it is a pulse and the person is in several teams), the
bot asks which team with buttons and stores nothing until one is picked. Never copied.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from slack_sdk.errors import SlackApiError, SlackRequestError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.checkin._record import (
    Recorded,
    record_click,
    record_pulse,
    record_weekly,
    remember_visibility,
    reshare,
    revise,
)
from bot.checkin.blocks import (
    CheckinContext,
    PickTeam,
    checkin_modal,
    pick_team_message,
    prompt_message,
    recorded_message,
    text_recorded_message,
)
from bot.checkin.history import due_week
from bot.checkin.rules import Answer, read_text_answer
from bot.platform.blocks import Reply, text_reply
from bot.platform.deps import Deps
from bot.platform.errors import Conflict, NotAllowed, NotFound
from bot.platform.escape import escape
from bot.platform.respond import Via, replace_original
from bot.promise.service import prompt_ask
from bot.rally import service as rally
from storage import checkin as checkin_store
from storage import delivery as ledger
from storage import teams as team_store
from storage.db import transaction
from storage.kinds import CheckinKind, CheckinSource, DeliveryStatus, Visibility
from storage.models import CheckIn, Cycle, Team

log = logging.getLogger("oneness.checkin")

# Slack refusing or failing a call (after the client's own retries), or the connection.
SLACK_TROUBLE = (SlackApiError, SlackRequestError, OSError)

HOW_TO = (
    "To check in, reply with a number from 1 to 10 and, if you like, what is causing discord: "
    "`7`, `7/10` or `6 rough week, need a specialist`. `/oneness help` lists everything else."
)


@dataclass(frozen=True)
class Stored:
    """Check-ins stored by one answer, for the replies and the rally rule."""

    checkins: list[CheckIn]
    weekly: bool


def answer_button(
    deps: Deps, user_id: str, cycle_id: int, score: int, via: Via | None = None
) -> Stored:
    """A score button on the weekly prompt; a later click on another score replaces it. The
    prompt clicked shows the answer through the click's response_url (`via`)."""
    now = deps.clock.now()
    with transaction(deps.sessions) as session:
        cycle = checkin_store.cycle_by_id(session, cycle_id)
        if cycle is None:
            raise NotFound("That check-in no longer exists.")
        team = team_store.team_by_id(session, cycle.team_id)
        assert team is not None
        _require_member(session, team, user_id)
        recorded = record_click(session, team, cycle, user_id, score, now=now)
    refresh_prompt(deps, user_id, cycle_id, via)
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
            if cycle is None or cycle.team_id != team.id:
                # A form whose week is not its team's was not made by us.
                raise NotFound("That week no longer exists; open the check-in again.")
            recorded = record_weekly(session, team, cycle, user_id, answer, now=now, edit=ctx.edit)
            if not recorded.new and not ctx.edit:
                # The week was answered by a button meanwhile: the modal's details win.
                recorded = record_weekly(session, team, cycle, user_id, answer, now=now, edit=True)
    if ctx.cycle_id is not None:
        refresh_prompt(deps, user_id, ctx.cycle_id, ctx.via)
    return Stored([recorded.checkin], weekly=ctx.cycle_id is not None)


def _require_member(session: Session, team: Team, user_id: str) -> None:
    row = team_store.member(session, team.id, user_id)
    if row is None or not row.active:
        raise NotAllowed(
            f"You are not a member of {escape(team.name)}, so there is nothing to answer."
        )


@dataclass(frozen=True)
class _Target:
    team: Team
    cycle: Cycle | None


def _targets(session: Session, user_id: str, now: datetime) -> tuple[list[_Target], bool]:
    """Where a DM answer could go: the teams whose weekly prompt waits for it (True), else
    every team of the person, as pulses (False)."""
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
    weekly = [
        _Target(t, cycle) for t in teams if (cycle := _pending_cycle(session, t.id, user_id, now))
    ]
    if weekly:
        return weekly, True
    return [_Target(t, None) for t in teams], False


def answer_text(
    deps: Deps, user_id: str, text: str, *, channel: str, ts: str | None
) -> tuple[Stored | None, Reply]:
    """A DM: a number answers one team's pending week (or is a pulse); several candidates get a
    question with a button per team and nothing is stored; anything else gets the how-to.

    The reply (one post) is the confirmation: the prompt is not edited to match. The reply says
    what was recorded right under it, and a chat.update per answer is Tier 3 (about 50 a minute
    a workspace), which a Friday storm exhausts. The prompt's buttons still work: a click
    replaces the answer and the prompt then shows it."""
    answer = read_text_answer(text)  # UsageError for 0, 11 or 7.5: nothing stored
    if answer is None:
        return None, text_reply(HOW_TO)
    answer = replace(answer, message_ts=ts)
    now = deps.clock.now()
    with transaction(deps.sessions) as session:
        targets, weekly = _targets(session, user_id, now)
        if len(targets) > 1:
            choices = [
                PickTeam(t.team.id, t.team.name, t.cycle.id if t.cycle else None, channel, ts)
                for t in targets
            ]
            return None, pick_team_message(answer.score, choices, weekly=weekly)
        target = targets[0]
        stored = _store_text(session, target.team, target.cycle, user_id, answer, now)
        reply = _text_reply(session, target.team, stored)
    return Stored([stored], weekly=target.cycle is not None), reply


def answer_for_team(
    deps: Deps, user_id: str, choice: PickTeam, text: str
) -> tuple[Stored | None, Reply]:
    """The team picked for a DM answer: the message is read again and stored in that team.
    The picker, replaced by the reply, confirms it; the prompt is left as it is (answer_text)."""
    answer = read_text_answer(text)
    if answer is None:
        return None, text_reply(HOW_TO)
    answer = replace(answer, message_ts=choice.ts)
    now = deps.clock.now()
    try:
        stored, reply, cycle = _answer_for_team(deps, user_id, choice, answer, now)
    except IntegrityError:
        # The same message was recorded a moment ago (a double click on the team picker).
        raise Conflict("That message is already recorded.") from None
    return Stored([stored], weekly=cycle is not None), reply


def _answer_for_team(
    deps: Deps, user_id: str, choice: PickTeam, answer: Answer, now: datetime
) -> tuple[CheckIn, Reply, Cycle | None]:
    with transaction(deps.sessions) as session:
        team = team_store.team_by_id(session, choice.team_id)
        if team is None:
            raise NotFound("That team no longer exists.")
        _require_member(session, team, user_id)
        if choice.ts and checkin_store.by_message(session, user_id, choice.ts) is not None:
            raise Conflict("That message is already recorded.")
        cycle = None
        if choice.cycle_id is not None:
            cycle = checkin_store.cycle_by_id(session, choice.cycle_id)
            if cycle is None or cycle.team_id != team.id:
                raise NotFound("That week no longer exists; reply with your number again.")
            if _pending_cycle(session, team.id, user_id, now) is None:
                cycle = None  # answered meanwhile, or closed: it becomes a pulse
        stored = _store_text(session, team, cycle, user_id, answer, now)
        reply = _text_reply(session, team, stored)
    return stored, reply, cycle


def _store_text(
    session: Session, team: Team, cycle: Cycle | None, user_id: str, answer: Answer, now: datetime
) -> CheckIn:
    if cycle is not None:
        return record_weekly(session, team, cycle, user_id, answer, now=now).checkin
    return record_pulse(session, team, user_id, answer, now=now).checkin


def _text_reply(session: Session, team: Team, row: CheckIn) -> Reply:
    return text_recorded_message(
        team_name=team.name,
        checkin_id=row.id,
        score=row.score,
        weekly=row.kind == CheckinKind.WEEKLY,
        visibility=row.visibility,
    )


def change_visibility(deps: Deps, user_id: str, checkin_id: int, visibility: str) -> Reply:
    """ "Shared as … · Change": the answer is shared another way, and the choice sticks."""
    if visibility not in tuple(Visibility):
        raise NotFound("This button is out of date.")
    now = deps.clock.now()
    with transaction(deps.sessions) as session:
        row = checkin_store.checkin_by_id(session, checkin_id)
        if row is None or row.user_id != user_id:
            raise NotFound("That check-in no longer exists.")
        if row.superseded_at is not None:
            raise Conflict("That answer was changed since; use the newest message.")
        team = team_store.team_by_id(session, row.team_id)
        assert team is not None
        _require_member(session, team, user_id)
        remember_visibility(session, team, user_id, Answer(row.score, visibility=visibility))
        if row.visibility != visibility:
            row = reshare(session, row, visibility, now=now)
        reply = _text_reply(session, team, row)
        new_id, old_id, cycle_id = row.id, checkin_id, row.cycle_id
    rally.follow_checkin(deps, old_id, new_id)
    if cycle_id is not None:
        refresh_prompt(deps, user_id, cycle_id)
    return reply


def not_a_score(deps: Deps, user_id: str, checkin_id: int) -> str:
    """ "That wasn't a score": a number read from a DM that was not meant as a check-in is
    deleted, with any rally it opened, and a weekly prompt is open to answer again."""
    with transaction(deps.sessions) as session:
        row = checkin_store.checkin_by_id(session, checkin_id)
        if row is None or row.user_id != user_id:
            return "That check-in is already gone."
        if row.source != CheckinSource.TEXT:
            raise NotAllowed("Only check-ins read from a message can be undone this way.")
    # The rally first: deleting the check-in clears the rally's reference to it.
    rally.withdraw_for_checkin(deps, checkin_id)
    with transaction(deps.sessions) as session:
        row = checkin_store.checkin_by_id(session, checkin_id)
        if row is None:
            return "That check-in is already gone."
        cycle_id = row.cycle_id if row.superseded_at is None else None
        checkin_store.delete_checkin(session, row)
    if cycle_id is not None:
        restore_prompt(deps, user_id, cycle_id)
    log.info("user %s deleted a check-in read from a message", user_id)
    return "Deleted. I won't read that message as a check-in; nothing of it is kept."


EDITS_NOTE = (
    "I saw you edited a message. Only an edit of your latest answer changes it, while its week "
    "is open; to record how you are now, send a new message like `6 rough week`."
)


def edit_text(deps: Deps, user_id: str, ts: str, text: str) -> tuple[Stored | None, Reply | None]:
    """A DM message edited: when it is the person's latest answer and its week is still open,
    the answer takes the new score and note ("Updated your answer to 6"); other edits get a
    short note. Returns what was changed and the reply (None when nothing needs saying)."""
    now = deps.clock.now()
    with transaction(deps.sessions) as session:
        row = checkin_store.by_message(session, user_id, ts)
        team = team_store.team_by_id(session, row.team_id) if row is not None else None
        if row is None or team is None or not _editable(session, team, row, now):
            return None, text_reply(EDITS_NOTE)
        _require_member(session, team, user_id)
        answer = read_text_answer(text)  # UsageError for 0 or 11: the answer stays as it was
        if answer is None:
            return (
                None,
                text_reply(
                    f"Your answer stays {row.score}/10: the edited message doesn't start with a "
                    "score. To undo it, use “That wasn't a score” on my reply."
                ),
            )
        if (answer.score, answer.note) == (row.score, row.note):
            return None, None  # the same answer (Slack also sends this for link previews)
        fresh = revise(session, row, answer)
        weekly = fresh.kind == CheckinKind.WEEKLY
        kind = "this week's check-in" if weekly else "your check-in"
        reply = text_reply(
            f"Updated your answer to {fresh.score} ({kind} for {escape(team.name)})."
        )
        cycle_id = fresh.cycle_id
    if cycle_id is not None:
        refresh_prompt(deps, user_id, cycle_id)
    return Stored([fresh], weekly=weekly), reply


def _editable(session: Session, team: Team, row: CheckIn, now: datetime) -> bool:
    """The person's latest answer in the team, given while a week of the team is open."""
    latest = checkin_store.recent_checkins(session, team.id, row.user_id, limit=1)
    if not latest or latest[0].id != row.id:
        return False
    if row.cycle_id is not None:
        cycle = checkin_store.cycle_by_id(session, row.cycle_id)
        return cycle is not None and cycle.closed_at is None and now < cycle.closes_at
    return any(
        c.opens_at <= row.created_at and c.closed_at is None and now < c.closes_at
        for c in checkin_store.team_open_cycles(session, team.id, now)
    )


def _pending_cycle(session: Session, team_id: int, user_id: str, now: datetime) -> Cycle | None:
    team = team_store.team_by_id(session, team_id)
    return due_week(session, team, user_id, now) if team is not None else None


def modal_for(deps: Deps, user_id: str, ctx: CheckinContext) -> dict[str, Any]:
    """The check-in modal for a week (prefilled when editing) or a pulse."""
    now = deps.clock.now()
    with transaction(deps.sessions) as session:
        team = team_store.team_by_id(session, ctx.team_id)
        if team is None:
            raise NotFound("That team no longer exists.")
        _require_member(session, team, user_id)
        current = None
        if ctx.cycle_id is not None:
            cycle = checkin_store.cycle_by_id(session, ctx.cycle_id)
            if cycle is None or cycle.team_id != team.id:
                raise NotFound("That week no longer exists.")
            if cycle.closed_at is not None or now >= cycle.closes_at:
                raise Conflict("This week has closed. `/oneness checkin` records how you are now.")
            current = checkin_store.weekly_answer(session, ctx.cycle_id, user_id)
        member = team_store.member(session, team.id, user_id)
        default = (member.visibility if member else None) or team.default_visibility
        return checkin_modal(
            replace(ctx, edit=current is not None),
            team_name=team.name,
            default_visibility=default,
            current=current,
        )


def _prompt_targets(
    session: Session, cycle_id: int, user_id: str, kinds: tuple[str, ...] = ("prompt", "reminder")
) -> list[tuple[str, str]]:
    return [
        (d.channel_id, d.message_ts)
        for kind in kinds
        if (d := ledger.get(session, f"{kind}:{cycle_id}:{user_id}")) is not None
        and d.status == DeliveryStatus.SENT
        and d.channel_id
        and d.message_ts
    ]


def refresh_prompt(deps: Deps, user_id: str, cycle_id: int, via: Via | None = None) -> None:
    """Show the recorded answer (with Edit) in place of the prompt and its reminder; before
    the score is given, the prompt with the member's answer to the promise question.

    The message a click came from is replaced through its response_url (`via`), which Slack
    does not rate-limit; the others, or that one when the url is refused or expired, by
    chat.update."""
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
        kinds = ("prompt", "reminder") if answer is not None else ("prompt",)
        targets = _prompt_targets(session, cycle_id, user_id, kinds)
    for channel, ts in targets:
        if via is not None and ts == via.message_ts:
            if replace_original(via, reply):
                continue
            log.info("the response_url was refused; updating the prompt with chat.update")
        _update(deps, channel, ts, reply)


def _update(deps: Deps, channel: str, ts: str, reply: Reply) -> None:
    """Edit a prompt in place. The answer is stored before this: a Slack failure here leaves
    the old wording in the DM, and must not stop what follows the answer (the drop rule)."""
    try:
        deps.client.chat_update(channel=channel, ts=ts, text=reply.text, blocks=reply.blocks)
    except SLACK_TROUBLE as error:
        log.warning("could not update the prompt %s in %s: %s", ts, channel, error)


def restore_prompt(deps: Deps, user_id: str, cycle_id: int) -> None:
    """Put the question back in place of a recorded answer that was deleted."""
    with transaction(deps.sessions) as session:
        cycle = checkin_store.cycle_by_id(session, cycle_id)
        if cycle is None or checkin_store.weekly_answer(session, cycle_id, user_id) is not None:
            return
        team = team_store.team_by_id(session, cycle.team_id)
        assert team is not None
        promise = prompt_ask(session, team.id, cycle, user_id, deps.clock.now())
        reply = prompt_message(
            team_name=team.name, cycle_id=cycle.id, week=cycle.week, promise=promise
        )
        targets = _prompt_targets(session, cycle_id, user_id)
    for channel, ts in targets[:1]:
        _update(deps, channel, ts, reply)


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
