"""The scheduler's tick: derive what is due from the database and deliver it exactly once."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from datetime import datetime

from slack_sdk.errors import SlackApiError, SlackRequestError
from sqlalchemy.orm import Session

from bot.checkin.blocks import prompt_message, reminder_message
from bot.platform.blocks import Reply
from bot.platform.delivery import Outgoing, deliver, skip
from bot.platform.deps import Deps
from bot.promise.blocks import PromiseAsk
from bot.promise.service import promise_due_work, prompt_ask
from bot.rally.service import due_rally_work, send_rally_work
from bot.schedule.calendar import (
    MemberClock,
    Week,
    current_week,
    decide_prompt,
    is_paused,
    reminder_due,
    team_clock,
    week_bounds,
)
from bot.schedule.dates import week_label, zone
from bot.summary.service import close_week
from bot.teams.service import member_clocks
from storage import checkin as checkin_store
from storage import delivery as ledger
from storage import teams as team_store
from storage.db import transaction
from storage.models import Cycle, Team

log = logging.getLogger("oneness.ticks")

# One tick at a time per process: the scheduler and `/oneness send` never interleave.
_TICK_LOCK = threading.Lock()
# Slack trouble that a later tick can recover from: refusals after retries, timeouts, resets.
SLACK_TROUBLE = (SlackApiError, SlackRequestError, OSError)


@dataclass
class TickReport:
    """What one tick did, for logs and tests."""

    prompts: int = 0
    reminders: int = 0
    skipped: int = 0
    failed: int = 0
    deferred: int = 0
    followups: int = 0
    escalations: int = 0
    promise: int = 0  # break messages: reminders, escalations, deadlines
    closed: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class _Plan:
    send: list[Outgoing]
    skip: list[tuple[Outgoing, str]]
    closed: list[int]


def tick(deps: Deps, *, team_id: int | None = None, force: bool = False) -> TickReport:
    """Open due cycles, send due prompts and reminders, close finished weeks."""
    with _TICK_LOCK:
        now = deps.clock.now()
        with transaction(deps.sessions) as session:
            plan = _plan(session, now, team_id=team_id, force=force)
        report = TickReport(closed=plan.closed)
        for out, reason in plan.skip:
            skip(deps, out, reason)
            report.skipped += 1
        for out in plan.send:
            try:
                result = deliver(deps, out)
            except SLACK_TROUBLE as error:
                # Left pending: the next tick tries again (and looks before re-posting).
                log.warning("deferred %s: %s", out.key, error)
                report.deferred += 1
                continue
            if result.status == "sent":
                if out.kind == "prompt":
                    report.prompts += 1
                else:
                    report.reminders += 1
            elif result.status == "failed":
                report.failed += 1
                _note_unreachable(deps, out, result.error or "")
        for cycle_id in plan.closed:
            try:
                close_week(deps, cycle_id)
            except SLACK_TROUBLE as error:
                log.warning("summary of cycle %s deferred: %s", cycle_id, error)
                report.deferred += 1
        if team_id is None:
            with transaction(deps.sessions) as session:
                work = due_rally_work(session, now)
            try:
                report.followups, report.escalations = send_rally_work(deps, work)
            except SLACK_TROUBLE as error:
                log.warning("rally follow-ups deferred: %s", error)
                report.deferred += 1
            try:
                report.promise = promise_due_work(deps)
            except SLACK_TROUBLE as error:
                log.warning("promise reminders deferred: %s", error)
                report.deferred += 1
        return report


def open_week_now(session: Session, team: Team, now: datetime) -> Cycle:
    """This week's cycle, opened now if its scheduled time has not come (`/oneness send`)."""
    clock = team_clock(team)
    members = member_clocks(session, team.id)
    week = current_week(clock, members, now)
    if week is None:
        scheduled = week_bounds(clock, week_label(now, zone(team.timezone)), members)
        closes = scheduled.closes_at if scheduled.closes_at > now else None
        if closes is None:
            raise AssertionError("a week's close is after its prompt, and its prompt is after now")
        week = Week(scheduled.label, now, closes)
    return checkin_store.ensure_cycle(session, team.id, week.label, week.opens_at, week.closes_at)


def _plan(session: Session, now: datetime, *, team_id: int | None, force: bool) -> _Plan:
    send: list[Outgoing] = []
    skipped: list[tuple[Outgoing, str]] = []
    closed: list[int] = []
    teams = [team_store.team_by_id(session, team_id)] if team_id else team_store.all_teams(session)
    for team in teams:
        if team is None:
            continue
        clock = team_clock(team)
        members = member_clocks(session, team.id)
        week = current_week(clock, members, now)
        if week is not None:
            checkin_store.ensure_cycle(session, team.id, week.label, week.opens_at, week.closes_at)
        if force:
            open_week_now(session, team, now)
    for cycle in checkin_store.open_cycles(session, now):
        if team_id is not None and cycle.team_id != team_id:
            continue
        if now >= cycle.closes_at:
            # Closed only after its summary is posted, so a crash cannot lose the summary.
            closed.append(cycle.id)
            continue
        team = team_store.team_by_id(session, cycle.team_id)
        assert team is not None
        _plan_cycle(session, team, cycle, now, force, send, skipped)
    return _Plan(send, skipped, closed)


def _plan_cycle(
    session: Session,
    team: Team,
    cycle: Cycle,
    now: datetime,
    force: bool,
    send: list[Outgoing],
    skipped: list[tuple[Outgoing, str]],
) -> None:
    clock = team_clock(team)
    week = Week(cycle.week, cycle.opens_at, cycle.closes_at)
    answered = checkin_store.answered_user_ids(session, cycle.id)
    prompts = {d.user_id: d for d in ledger.for_cycle(session, cycle.id, "prompt")}
    reminders = {d.user_id for d in ledger.for_cycle(session, cycle.id, "reminder")}
    promise = prompt_ask(session, team.id, cycle, None, now)
    for member in member_clocks(session, team.id):
        prompt = prompts.get(member.user_id)
        if prompt is None or prompt.status == "pending":
            decision = decide_prompt(clock, member, week, now, forced=force)
            out = _prompt(team, cycle, member, promise)
            if decision.action == "send" or (prompt is not None and decision.action != "wait"):
                send.append(out)
            elif decision.action == "skip":
                skipped.append((out, decision.reason))
            continue
        if (
            prompt.status != "sent"
            or member.user_id in answered
            or member.user_id in reminders
            or prompt.sent_at is None
            or is_paused(clock, member, now)
        ):
            continue
        due = reminder_due(clock, prompt.sent_at)
        if due is not None and now >= due:
            send.append(_reminder(team, cycle, member))


def _prompt(team: Team, cycle: Cycle, member: MemberClock, promise: PromiseAsk | None) -> Outgoing:
    message = prompt_message(
        team_name=team.name, cycle_id=cycle.id, week=cycle.week, promise=promise
    )
    return _weekly_dm("prompt", message, cycle, member)


def _reminder(team: Team, cycle: Cycle, member: MemberClock) -> Outgoing:
    return _weekly_dm(
        "reminder", reminder_message(team_name=team.name, cycle_id=cycle.id), cycle, member
    )


def _weekly_dm(kind: str, message: Reply, cycle: Cycle, member: MemberClock) -> Outgoing:
    return Outgoing(
        key=f"{kind}:{cycle.id}:{member.user_id}",
        kind=kind,
        channel=member.user_id,
        text=message.text,
        blocks=message.blocks,
        user_id=member.user_id,
        cycle_id=cycle.id,
    )


def _note_unreachable(deps: Deps, out: Outgoing, reason: str) -> None:
    """A member Slack says is gone is no longer prompted; anything else just stays failed."""
    if reason not in {"account_inactive", "user_not_found", "user_disabled"} or not out.user_id:
        return
    with transaction(deps.sessions) as session:
        for team in team_store.teams_of(session, out.user_id):
            row = team_store.member(session, team.id, out.user_id)
            if row is not None and row.active:
                team_store.deactivate_member(session, row, deps.clock.now())
                log.info(
                    "member %s of team %s is %s; no longer prompted", out.user_id, team.id, reason
                )
