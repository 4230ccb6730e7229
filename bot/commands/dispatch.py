"""Carrying out `/oneness` commands: ask Slack, change the database, build the reply."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from bot.checkin.blocks import CheckinContext, me_reply, trend_reply
from bot.checkin.history import my_history
from bot.checkin.service import modal_for
from bot.commands import grammar as c
from bot.commands.blocks import help_reply
from bot.platform.blocks import Reply, text_reply
from bot.platform.deps import Deps
from bot.platform.directory import Directory
from bot.platform.errors import NotFound, UsageError
from bot.platform.escape import escape
from bot.privacy import service as forget
from bot.promise import service as promise
from bot.schedule import service as schedule
from bot.schedule.calendar import zone
from bot.schedule.tick import tick
from bot.summary import export as exports
from bot.summary import service as summaries
from bot.summary.blocks import status_reply
from bot.summary.status import week_status
from bot.teams import service as teams
from bot.teams.blocks import setup_modal
from bot.teams.rules import describe_schedule
from storage import teams as team_store
from storage.db import transaction
from storage.kinds import BreakOrigin
from storage.models import CustomerRating, Team

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Invocation:
    """Who ran a command, where, and the trigger for opening a modal."""

    user_id: str
    channel_id: str | None
    trigger_id: str | None = None


Handler = Callable[[Deps, Invocation, Any], Reply | None]


def run_command(deps: Deps, inv: Invocation, command: c.Command) -> Reply | None:
    """Carry out a parsed command; None when the answer is a modal instead of a message."""
    return _HANDLERS[type(command)](deps, inv, command)


def _help(deps: Deps, inv: Invocation, command: c.Help) -> Reply:
    return help_reply()


def _setup_modal(deps: Deps, inv: Invocation, command: c.SetupModal) -> None:
    me = Directory(deps.client).person(inv.user_id)
    deps.client.views_open(
        trigger_id=inv.trigger_id,
        view=setup_modal(caller=inv.user_id, zone=me.tz or "UTC", channel_id=inv.channel_id),
    )


def _setup_inline(deps: Deps, inv: Invocation, command: c.SetupInline) -> Reply:
    return teams.setup_inline(deps, inv.user_id, command.channel, command.name)


def _membership(change: teams.Change) -> Handler:
    def handler(deps: Deps, inv: Invocation, command: Any) -> Reply:
        return teams.change_membership(
            deps,
            change,
            caller=inv.user_id,
            channel_id=inv.channel_id,
            team_name=command.team,
            refs=command.users,
        )

    return handler


def _leave(deps: Deps, inv: Invocation, command: c.Leave) -> Reply:
    team_id = _team_id(deps, inv, command)
    return teams.leave(deps, inv.user_id, team_id)


def _step_down(deps: Deps, inv: Invocation, command: c.StepDown) -> Reply:
    team_id = _team_id(deps, inv, command)
    return teams.step_down(deps, inv.user_id, team_id, command.successor)


def _team_id(deps: Deps, inv: Invocation, command: c.Command, doing: str | None = None) -> int:
    """The command's team id; `doing` given means only its leads may."""
    with transaction(deps.sessions) as session:
        team = teams.resolve_team(
            session, user_id=inv.user_id, channel_id=inv.channel_id, team_name=command.team
        )
        if doing:
            teams.require_lead(session, team, inv.user_id, doing)
        return team.id


def _open_checkin(deps: Deps, inv: Invocation, command: c.OpenCheckIn) -> None:
    team_id = _team_id(deps, inv, command)
    view = modal_for(deps, inv.user_id, CheckinContext(team_id, None))
    deps.client.views_open(trigger_id=inv.trigger_id, view=view)


def _me(deps: Deps, inv: Invocation, command: c.Me) -> Reply:
    with transaction(deps.sessions) as session:
        team = None
        if command.team:
            team = teams.resolve_team(
                session, user_id=inv.user_id, channel_id=None, team_name=command.team
            )
            teams.require_member_or_lead(session, team, inv.user_id, "see your answers there")
        rows = my_history(session, inv.user_id, team, 8)
    tz = Directory(deps.client).person(inv.user_id).tz
    return me_reply(rows, tz)


def _status(deps: Deps, inv: Invocation, command: c.Status) -> Reply:
    with transaction(deps.sessions) as session:
        team = teams.resolve_team(
            session, user_id=inv.user_id, channel_id=inv.channel_id, team_name=command.team
        )
        as_lead = teams.require_member_or_lead(session, team, inv.user_id, "see its week")
        status = week_status(session, team, deps.clock.now())
    return status_reply(status, as_lead=as_lead)


def _send(deps: Deps, inv: Invocation, command: c.SendPrompts) -> Reply:
    team_id = _team_id(deps, inv, command, "send prompts")
    report = tick(deps, team_id=team_id, force=True)
    with transaction(deps.sessions) as session:
        team = team_store.team_by_id(session, team_id)
        assert team is not None
        status = week_status(session, team, deps.clock.now())
    sent = f"Sent {report.prompts} prompt{'s' if report.prompts != 1 else ''}"
    if report.recovered:
        sent += f" ({report.recovered} of them skipped earlier)"
    if report.failed:
        sent += f"; {report.failed} could not be reached"
    others = "Everyone else already had theirs" if not status.paused else "Paused members wait"
    return text_reply(
        f"{sent} for {escape(status.team_name)} ({status.week}). {others}: "
        f"{len(status.answered)}/{status.expected} have answered."
    )


def _led_team(session: Session, inv: Invocation, command: c.Command, doing: str) -> Team:
    """The command's team, refused unless the caller leads it."""
    team = teams.resolve_team(
        session, user_id=inv.user_id, channel_id=inv.channel_id, team_name=command.team
    )
    teams.require_lead(session, team, inv.user_id, doing)
    return team


def _change_team(
    deps: Deps, inv: Invocation, command: c.Command, doing: str, change: Callable[[Team], None]
) -> Team:
    """Apply a lead's change to the command's team; the returned row is detached and readable."""
    with transaction(deps.sessions) as session:
        team = _led_team(session, inv, command, doing)
        change(team)
        return team


def _this_week_text(week: schedule.ThisWeek) -> str:
    """What a new schedule does to this week's prompts that have not gone out."""
    if week.already_out:
        return " This week's prompts went out already; the new time applies from next week."
    if week.skipped:
        return (
            " This week's new prompt time passed more than a day ago, so "
            f"{week.skipped} prompt{'s' if week.skipped != 1 else ''} will not go out by "
            "themselves; `/oneness send` sends them now."
        )
    if week.late:
        return " This week's new prompt time has just passed: its prompts go out now."
    return ""


def _schedule(deps: Deps, inv: Invocation, command: c.SetSchedule) -> Reply:
    now = deps.clock.now()
    with transaction(deps.sessions) as session:
        team = _led_team(session, inv, command, "change the schedule")
        team.prompt_weekday, team.prompt_time = command.weekday, command.time
        if command.tz == "local":
            team.member_local = True
        elif command.tz:
            team.timezone, team.member_local = command.tz, False
        # Tells a week skipped because of this change from one skipped while the bot was down.
        team.schedule_changed_at = now
        session.flush()
        week = schedule.this_week(session, team, now)
        name, zone_name = team.name, "local" if team.member_local else team.timezone
    when = describe_schedule(command.weekday, command.time, zone_name)
    return text_reply(f"{escape(name)}: check-ins now go out {when}.{_this_week_text(week)}")


def _local_moment(when: datetime, tz: str) -> str:
    return f"{when.astimezone(zone(tz)):%a %d %b at %H:%M} ({tz})"


def _summary_at(deps: Deps, inv: Invocation, command: c.SetSummaryAt) -> Reply:
    now = deps.clock.now()
    with transaction(deps.sessions) as session:
        team = _led_team(session, inv, command, "change the summary time")
        team.summary_weekday, team.summary_time = command.weekday, command.time
        moved = schedule.move_open_weeks(session, team, now)
        name, tz = team.name, team.timezone
    when = describe_schedule(command.weekday, command.time, tz)
    lines = [f"{escape(name)}: the week now closes and the summary posts {when}."]
    for week, closes in moved:
        if closes <= now:
            lines.append(
                f"This week ({week}) closes now, as its new summary time has passed: "
                "the summary posts within a minute."
            )
        else:
            lines.append(f"This week ({week}) now closes {_local_moment(closes, tz)}.")
    return text_reply(" ".join(lines))


def _remind(deps: Deps, inv: Invocation, command: c.SetRemind) -> Reply:
    def change(team: Team) -> None:
        team.remind_after_minutes = command.minutes

    team = _change_team(deps, inv, command, "change reminders", change)
    if command.minutes is None:
        return text_reply(f"{escape(team.name)}: reminders are off.")
    hours, minutes = divmod(command.minutes, 60)
    delay = f"{hours}h{minutes:02d}m" if minutes else f"{hours}h"
    return text_reply(
        f"{escape(team.name)}: one reminder goes to those who have not answered, {delay} "
        "after their prompt."
    )


def _rule(deps: Deps, inv: Invocation, command: c.SetRule) -> Reply:
    def change(team: Team) -> None:
        team.drop_floor, team.drop_delta = command.floor, command.delta

    team = _change_team(deps, inv, command, "change the drop rule", change)
    return text_reply(
        f"{escape(team.name)}: a check-in rallies the team at {command.floor} or below, or "
        f"{command.delta} or more below the member's recent average."
    )


def _pause(deps: Deps, inv: Invocation, command: c.Pause) -> Reply:
    target = inv.user_id
    if command.user is not None:
        target = Directory(deps.client).resolve(command.user).id
    if command.until < deps.clock.now().date():
        raise UsageError(f"{command.until} is in the past; pick a later date.")
    doing = None if target == inv.user_id else "pause other members"
    team_id = _team_id(deps, inv, command, doing)
    with transaction(deps.sessions) as session:
        team = team_store.team_by_id(session, team_id)
        assert team is not None
        row = team_store.member(session, team_id, target)
        if row is None or not row.active:
            raise NotFound(f"<@{target}> is not a member of {escape(team.name)}.")
        now = deps.clock.now()
        until = row.paused_until
        running = row.paused_at is not None and until is not None and until >= now.date()
        if not running:
            row.paused_at = now  # a new pause; extending a running one keeps its start
        row.paused_until = command.until
        name = team.name
    who = "You are" if target == inv.user_id else f"<@{target}> is"
    return text_reply(
        f"{who} paused in {escape(name)} until {command.until}: no prompts or reminders, "
        "and not counted as missing."
    )


def _csat(deps: Deps, inv: Invocation, command: c.LogCsat) -> Reply:
    team_id = _team_id(deps, inv, command, "log customer ratings")
    person = Directory(deps.client).resolve(command.user) if command.user else None
    with transaction(deps.sessions) as session:
        team = team_store.team_by_id(session, team_id)
        assert team is not None
        if person is not None:
            row = team_store.member(session, team_id, person.id)
            if row is None:
                raise NotFound(f"<@{person.id}> is not a member of {escape(team.name)}.")
        team_store.add_rating(
            session,
            CustomerRating(
                team_id=team_id,
                user_id=person.id if person else None,
                score=command.score,
                note=command.note,
                logged_by=inv.user_id,
                created_at=deps.clock.now(),
            ),
        )
        name = team.name
    about = f"<@{person.id}>" if person else "the whole team"
    return text_reply(
        f"Logged a customer rating of {command.score}/5 for {about} in {escape(name)}. "
        "It appears beside the self-ratings in the weekly summary."
    )


def _trend(deps: Deps, inv: Invocation, command: c.Trend) -> Reply:
    team_id = _team_id(deps, inv, command, "see a member's history")
    person = Directory(deps.client).resolve(command.user)
    with transaction(deps.sessions) as session:
        team = team_store.team_by_id(session, team_id)
        assert team is not None
        if team_store.member(session, team_id, person.id) is None:
            raise NotFound(f"<@{person.id}> is not a member of {escape(team.name)}.")
        rows = my_history(session, person.id, team, 12)
        ratings = list(team_store.ratings_for(session, team_id, person.id))
        name = team.name
    return trend_reply(person.id, name, rows, ratings, person.tz)


def _forget(deps: Deps, inv: Invocation, command: c.ForgetMe) -> Reply:
    forget.check_can_forget(deps, inv.user_id)
    return forget.confirmation()


def _summary(deps: Deps, inv: Invocation, command: c.PostSummary) -> Reply:
    team_id = _team_id(deps, inv, command, "post the summary")
    with transaction(deps.sessions) as session:
        cycle = summaries.latest_cycle(session, team_id, deps.clock.now())
        if cycle is None:
            raise NotFound("There is no week to summarise yet; prompts go out first.")
        cycle_id = cycle.id
    gathered = summaries.post_summary(deps, cycle_id, manual=True)
    assert gathered is not None
    with transaction(deps.sessions) as session:
        cycle = summaries.latest_cycle(session, team_id, deps.clock.now())
        still_open = cycle is not None and cycle.id == cycle_id and cycle.closed_at is None
        team = team_store.team_by_id(session, team_id)
        locked_out = team is not None and team.bot_in_channel is False
    if locked_out:
        return text_reply(
            f"I'm not in <#{gathered.channel_id}>, so the channel's post waits: type "
            f"`/invite @Oneness` there and it goes out. The named version went to the leads."
        )
    what = (
        "the week so far (how many answered and the open rallies; the figures come when the "
        "week closes)"
        if still_open
        else "its summary"
    )
    return text_reply(
        f"Posted {escape(gathered.team_name)}'s {what} for {gathered.summary.week} in "
        f"<#{gathered.channel_id}>, and the named version to its leads."
    )


def _export(deps: Deps, inv: Invocation, command: c.Export) -> Reply:
    team_id = _team_id(deps, inv, command, "export answers")
    return text_reply(exports.send_export(deps, team_id, inv.user_id, command.start, command.end))


def _promise(deps: Deps, inv: Invocation, command: c.ShowPromise) -> Reply | None:
    team_id = _team_id(deps, inv, command)
    return promise.promise_command(deps, inv.user_id, team_id, inv.trigger_id)


def _promise_page(deps: Deps, inv: Invocation, command: c.ManagePage) -> Reply:
    team_id = _team_id(deps, inv, command, "manage the promise page")
    return promise.page_command(deps, inv.user_id, team_id, command.action)


def _broke(deps: Deps, inv: Invocation, command: c.ReportBreak) -> Reply:
    team_id = _team_id(deps, inv, command)
    return text_reply(
        promise.report_by_member(deps, inv.user_id, team_id, command.what, BreakOrigin.COMMAND)
    )


def _forget_contact(deps: Deps, inv: Invocation, command: c.ForgetContact) -> Reply:
    team_id = _team_id(deps, inv, command, "remove a customer's contact")
    return text_reply(forget.forget_contact(deps, team_id, command.contact))


_HANDLERS: dict[type, Handler] = {
    c.Help: _help,
    c.SetupModal: _setup_modal,
    c.SetupInline: _setup_inline,
    c.AddMembers: _membership(teams.Change.ADD),
    c.RemoveMembers: _membership(teams.Change.REMOVE),
    c.MakeLeads: _membership(teams.Change.LEAD),
    c.Leave: _leave,
    c.StepDown: _step_down,
    c.OpenCheckIn: _open_checkin,
    c.Me: _me,
    c.Status: _status,
    c.SendPrompts: _send,
    c.SetSchedule: _schedule,
    c.SetSummaryAt: _summary_at,
    c.SetRemind: _remind,
    c.SetRule: _rule,
    c.Pause: _pause,
    c.LogCsat: _csat,
    c.Trend: _trend,
    c.ForgetMe: _forget,
    c.PostSummary: _summary,
    c.Export: _export,
    c.ShowPromise: _promise,
    c.ManagePage: _promise_page,
    c.ReportBreak: _broke,
    c.ForgetContact: _forget_contact,
}
