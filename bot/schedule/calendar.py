"""What is due for a team at a moment: pure functions over plain snapshots of the database."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from bot.schedule.dates import local_date, next_occurrence, occurrence, shift_week, week_label, zone

CATCH_UP = timedelta(days=1)


@dataclass(frozen=True)
class TeamClock:
    """The parts of a team that decide when things are due."""

    team_id: int
    timezone: str
    member_local: bool
    prompt_weekday: str
    prompt_time: str
    summary_weekday: str
    summary_time: str
    remind_after_minutes: int | None
    created_at: datetime


def team_clock(team: Any) -> TeamClock:
    """The scheduling view of a stored team (anything with the Team columns)."""
    return TeamClock(
        team_id=team.id,
        timezone=team.timezone,
        member_local=team.member_local,
        prompt_weekday=team.prompt_weekday,
        prompt_time=team.prompt_time,
        summary_weekday=team.summary_weekday,
        summary_time=team.summary_time,
        remind_after_minutes=team.remind_after_minutes,
        created_at=team.created_at,
    )


@dataclass(frozen=True)
class MemberClock:
    """The parts of a member that decide when their prompt is due."""

    user_id: str
    tz: str | None
    joined_at: datetime
    paused_until: date | None


@dataclass(frozen=True)
class Week:
    """A cycle's label and its opening and closing moments."""

    label: str
    opens_at: datetime
    closes_at: datetime


def member_zone(team: TeamClock, member: MemberClock) -> str:
    """The zone a member is prompted in."""
    return (member.tz or team.timezone) if team.member_local else team.timezone


def scheduled_at(team: TeamClock, label: str, member: MemberClock | None = None) -> datetime:
    """When the prompt of week `label` is scheduled, for one member or the team."""
    tz = zone(member_zone(team, member) if member else team.timezone)
    return occurrence(label, team.prompt_weekday, team.prompt_time, tz)


def week_bounds(team: TeamClock, label: str, members: list[MemberClock]) -> Week:
    """Open at the earliest member's prompt; close at the first summary time after the team's."""
    moments = [scheduled_at(team, label, m) for m in members] or [scheduled_at(team, label)]
    closes = next_occurrence(
        scheduled_at(team, label), team.summary_weekday, team.summary_time, zone(team.timezone)
    )
    return Week(label, min(moments), closes)


def current_week(team: TeamClock, members: list[MemberClock], now: datetime) -> Week | None:
    """The week whose prompts have gone out and whose summary is not yet due, if any."""
    this = week_label(now, zone(team.timezone))
    for label in (this, shift_week(this, -1)):
        week = week_bounds(team, label, members)
        if week.opens_at <= now < week.closes_at and week.closes_at > team.created_at:
            return week
    return None


def is_paused(team: TeamClock, member: MemberClock, at: datetime) -> bool:
    """True when the member's pause covers the local date of `at`."""
    if member.paused_until is None:
        return False
    return local_date(at, zone(member_zone(team, member))) <= member.paused_until


def prompt_due(team: TeamClock, member: MemberClock, week: Week) -> datetime:
    """When this member's prompt is due: the schedule, or when they joined if later."""
    return max(scheduled_at(team, week.label, member), member.joined_at)


@dataclass(frozen=True)
class PromptDecision:
    """Send now, skip (too late, with why), or wait."""

    action: str  # send | skip | wait
    reason: str = ""


def decide_prompt(
    team: TeamClock, member: MemberClock, week: Week, now: datetime, *, forced: bool = False
) -> PromptDecision:
    """Whether a member's weekly prompt goes out now."""
    if is_paused(team, member, now):
        return PromptDecision("wait", "paused")
    if member.joined_at >= week.closes_at:
        return PromptDecision("wait", "joined after the week")
    due = prompt_due(team, member, week)
    if forced:
        return PromptDecision("send")
    if now < due:
        return PromptDecision("wait", "not yet due")
    if now - due >= CATCH_UP:
        return PromptDecision("skip", f"late by {now - due} (more than a day)")
    return PromptDecision("send")


def reminder_due(team: TeamClock, prompt_sent_at: datetime) -> datetime | None:
    """When the one reminder goes out, or None when reminders are off."""
    if team.remind_after_minutes is None:
        return None
    return prompt_sent_at + timedelta(minutes=team.remind_after_minutes)
