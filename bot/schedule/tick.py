"""The scheduler's tick: derive what is due from the database and deliver it exactly once."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from datetime import datetime

from slack_sdk.errors import SlackApiError, SlackRequestError
from sqlalchemy.orm import Session

from bot.access.service import recheck as recheck_access
from bot.checkin.blocks import prompt_message, reminder_message
from bot.checkin.history import weekly_key
from bot.platform.blocks import Reply
from bot.platform.delivery import Outgoing, deliver, skip
from bot.platform.deps import Deps
from bot.promise.blocks import PromiseAsk
from bot.promise.service import promise_due_work, prompt_ask
from bot.rally.service import due_rally_work, send_rally_work
from bot.schedule.calendar import (
    MemberClock,
    PromptAction,
    Week,
    closes_at,
    current_week,
    decide_prompt,
    is_paused,
    open_weeks,
    reminder_due,
    shift_week,
    team_clock,
    week_to_open_now,
)
from bot.summary.service import close_week
from bot.teams.service import member_clocks
from storage import checkin as checkin_store
from storage import delivery as ledger
from storage import teams as team_store
from storage.db import transaction
from storage.kinds import DeliveryStatus
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
    # Prompts skipped earlier that a lead's `send` sent after all (counted in `prompts` too).
    recovered: int = 0
    followups: int = 0
    escalations: int = 0
    promise: int = 0  # break messages: reminders, escalations, deadlines
    reposted: int = 0  # posts that waited for the bot to be invited, sent after all
    closed: list[int] = field(default_factory=list)


@dataclass
class Plan:
    """What a tick decided: messages to send, prompts to skip (with why), weeks to close."""

    send: list[Outgoing] = field(default_factory=list)
    skip: list[tuple[Outgoing, str]] = field(default_factory=list)
    closed: list[int] = field(default_factory=list)
    recovered: int = 0


def tick(deps: Deps, *, team_id: int | None = None, force: bool = False) -> TickReport:
    """Open due cycles, send due prompts and reminders, close finished weeks."""
    with _TICK_LOCK:
        now = deps.clock.now()
        with transaction(deps.sessions) as session:
            decided = plan(session, now, team_id=team_id, force=force)
        report = TickReport(closed=decided.closed, recovered=decided.recovered)
        for out, reason in decided.skip:
            skip(deps, out, reason)
            report.skipped += 1
        for out in decided.send:
            try:
                result = deliver(deps, out)
            except SLACK_TROUBLE as error:
                # Left pending: the next tick tries again (and looks before re-posting).
                log.warning("deferred %s: %s", out.key, error)
                continue
            if result.status == DeliveryStatus.SENT:
                if out.kind == "prompt":
                    report.prompts += 1
                else:
                    report.reminders += 1
            elif result.status == DeliveryStatus.FAILED:
                report.failed += 1
                _note_unreachable(deps, out, result.error or "")
        for cycle_id in decided.closed:
            try:
                close_week(deps, cycle_id)
            except SLACK_TROUBLE as error:
                log.warning("summary of cycle %s deferred: %s", cycle_id, error)
        if team_id is None:
            with transaction(deps.sessions) as session:
                work = due_rally_work(session, now)
            try:
                report.followups, report.escalations = send_rally_work(deps, work)
            except SLACK_TROUBLE as error:
                log.warning("rally follow-ups deferred: %s", error)
            try:
                report.promise = promise_due_work(deps)
            except SLACK_TROUBLE as error:
                log.warning("promise reminders deferred: %s", error)
            try:
                report.reposted = recheck_access(deps)
            except SLACK_TROUBLE as error:
                log.warning("channel access check deferred: %s", error)
        return report


def open_week_now(session: Session, team: Team, now: datetime) -> Cycle:
    """The open cycle (the newest), else this week's opened now (`/oneness send`)."""
    opened = checkin_store.team_open_cycles(session, team.id, now)
    if opened:
        return opened[-1]
    clock = team_clock(team)
    members = member_clocks(session, team.id)
    week = current_week(clock, members, now) or week_to_open_now(clock, members, now)
    cycle = checkin_store.ensure_cycle(session, team.id, week.label, week.opens_at, week.closes_at)
    if cycle.closed_at is not None or now >= cycle.closes_at:
        # This week's was closed early (its summary time moved into the past): open the next.
        label = shift_week(week.label, 1)
        cycle = checkin_store.ensure_cycle(session, team.id, label, now, closes_at(clock, label))
    return cycle


def plan(
    session: Session, now: datetime, *, team_id: int | None = None, force: bool = False
) -> Plan:
    """Decide what is due at `now` (opening the weeks that are due); sends nothing itself.

    `force` is a lead's `send`: this week is opened now if need be, and every member who is
    not paused gets their prompt, those skipped earlier included.
    """
    decided = Plan()
    teams = [team_store.team_by_id(session, team_id)] if team_id else team_store.all_teams(session)
    for team in teams:
        if team is None:
            continue
        members = member_clocks(session, team.id)
        if not members:
            continue  # nobody to ask: no week opens, no empty summary is posted
        for week in open_weeks(team_clock(team), members, now):
            checkin_store.ensure_cycle(session, team.id, week.label, week.opens_at, week.closes_at)
        if force:
            open_week_now(session, team, now)
    for cycle in checkin_store.open_cycles(session, now):
        if team_id is not None and cycle.team_id != team_id:
            continue
        if now >= cycle.closes_at:
            # Closed only after its summary is posted, so a crash cannot lose the summary.
            decided.closed.append(cycle.id)
            continue
        team = team_store.team_by_id(session, cycle.team_id)
        assert team is not None
        _plan_cycle(session, team, cycle, now, force, decided)
    return decided


def _plan_cycle(
    session: Session, team: Team, cycle: Cycle, now: datetime, force: bool, decided: Plan
) -> None:
    clock = team_clock(team)
    week = Week(cycle.week, cycle.opens_at, cycle.closes_at)
    answered = checkin_store.answered_user_ids(session, cycle.id)
    prompts = {d.user_id: d for d in ledger.for_cycle(session, cycle.id, "prompt")}
    reminders = {d.user_id for d in ledger.for_cycle(session, cycle.id, "reminder")}
    promise = prompt_ask(session, team.id, cycle, None, now)
    for member in member_clocks(session, team.id):
        if member.user_id in answered:
            continue  # answered (even before a prompt reached them): nothing to send
        prompt = prompts.get(member.user_id)
        if prompt is None or prompt.status == DeliveryStatus.PENDING:
            decision = decide_prompt(clock, member, week, now, forced=force)
            out = _prompt(team, cycle, member, promise)
            if decision.action == PromptAction.SEND or (
                prompt is not None and decision.action != PromptAction.WAIT
            ):
                decided.send.append(out)
            elif decision.action == PromptAction.SKIP:
                decided.skip.append((out, decision.reason))
            continue
        if prompt.status == DeliveryStatus.SKIPPED:
            if (
                force
                and decide_prompt(clock, member, week, now, forced=True).action == PromptAction.SEND
                and ledger.reopen_skipped(session, prompt.key)
            ):
                decided.send.append(_prompt(team, cycle, member, promise))
                decided.recovered += 1
            continue
        if (
            prompt.status != DeliveryStatus.SENT
            or member.user_id in reminders
            or prompt.sent_at is None
            or is_paused(clock, member, now)
        ):
            continue
        due = reminder_due(clock, prompt.sent_at)
        if due is not None and now >= due:
            decided.send.append(_reminder(team, cycle, member))


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
        key=weekly_key(kind, cycle.id, member.user_id),
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
