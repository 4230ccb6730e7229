"""The calendar: when a team's prompts, reminders and summaries are due, as pure functions.

Plain snapshots of the database go in, UTC moments come out; no database and no Slack.
A week's identity is its ISO week label in the team's zone (`2026-W48`). Every "next weekday
at HH:MM in a zone" is APScheduler's `CronTrigger`, which is exact across daylight saving:

- A wall time skipped by a spring-forward jump (01:30 in London on 29 Mar 2026): CronTrigger
  returns the non-existent local time, which reads with the offset before the jump, so it
  happens just after the jump (01:30 GMT is 02:30 BST), once.
- A wall time repeated by an autumn change (01:30 in London on 25 Oct 2026): CronTrigger fires
  at both instances; we keep the first (BST) only, so a weekly time still happens once a week.

`local` schedules prompt each member at the time in their own zone: a member's prompt of week
W is the weekday in their own calendar's week W, so members east of the team's zone may be
prompted for W before the team's week W-1 has closed (two weeks are then open for a while).
Only when a member's own time would fall after W's close (a summary very soon after the
prompt, a member far west) is it the one a week earlier, so every weekly time of a member
belongs to exactly one of the team's weeks.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger

WEEKDAY_INDEX = {"mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6}
# A prompt later than this after its time is skipped, not sent (recorded with why).
CATCH_UP = timedelta(days=1)
_SECOND = timedelta(seconds=1)


# --- zones and ISO weeks -------------------------------------------------------------------


def zone(name: str | None) -> ZoneInfo:
    """A ZoneInfo, UTC for a missing or unknown name."""
    try:
        return ZoneInfo(name or "UTC")
    except (KeyError, ValueError):
        return ZoneInfo("UTC")


def week_label(when: datetime, tz: ZoneInfo) -> str:
    """The ISO week (like `2026-W48`) that `when` falls in, in zone `tz`."""
    year, week, _ = when.astimezone(tz).isocalendar()
    return f"{year}-W{week:02d}"


def week_monday(label: str) -> date:
    """The Monday of an ISO week label."""
    year, week = label.split("-W")
    return date.fromisocalendar(int(year), int(week), 1)


def shift_week(label: str, weeks: int) -> str:
    """The label `weeks` weeks later (or earlier)."""
    year, week, _ = (week_monday(label) + timedelta(weeks=weeks)).isocalendar()
    return f"{year}-W{week:02d}"


def local_date(when: datetime, tz: ZoneInfo) -> date:
    """The calendar date of `when` in `tz`."""
    return when.astimezone(tz).date()


# --- weekly times (CronTrigger) ------------------------------------------------------------


@lru_cache(maxsize=256)
def _trigger(weekday: str, hhmm: str, tz_name: str) -> CronTrigger:
    hour, minute = (int(part) for part in hhmm.split(":"))
    return CronTrigger(day_of_week=weekday, hour=hour, minute=minute, timezone=zone(tz_name))


def _repeated_later(moment: datetime) -> bool:
    """True for the second instance of a wall time that an autumn change repeats."""
    return bool(moment.fold) and moment.replace(fold=0).utcoffset() != moment.utcoffset()


@lru_cache(maxsize=8192)
def _at_or_after(start: datetime, weekday: str, hhmm: str, tz_name: str) -> datetime:
    trigger = _trigger(weekday, hhmm, tz_name)
    moment: datetime | None = trigger.get_next_fire_time(None, start)
    # The second instance of a repeated hour: its first instance was before `start`.
    while moment is not None and _repeated_later(moment):
        moment = trigger.get_next_fire_time(None, moment.astimezone(UTC) + _SECOND)
    if moment is None:  # a weekly cron trigger without an end date always fires again
        raise AssertionError(f"no {weekday} {hhmm} in {tz_name} after {start}")
    return moment.astimezone(UTC)


def next_occurrence(after: datetime, weekday: str, hhmm: str, tz: ZoneInfo | str) -> datetime:
    """The first moment strictly after `after` that is `weekday` at `hhmm` in `tz`, in UTC."""
    return _at_or_after(after.astimezone(UTC) + _SECOND, weekday, hhmm, str(tz))


def occurrence(label: str, weekday: str, hhmm: str, tz: ZoneInfo | str) -> datetime:
    """`weekday` at `hhmm` in `tz` on that weekday of ISO week `label` (as `tz` counts), in UTC."""
    day = week_monday(label) + timedelta(days=WEEKDAY_INDEX[weekday])
    # From noon the day before: the first `weekday` at or after it is on `day`, whatever the
    # time and even when `day` starts in a daylight saving gap.
    start = datetime.combine(day - timedelta(days=1), time(12), tzinfo=zone(str(tz)))
    return _at_or_after(start.astimezone(UTC), weekday, hhmm, str(tz))


# --- snapshots of a team and its members ---------------------------------------------------


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
    # When a lead last changed when prompts go out (None: never since setup).
    schedule_changed_at: datetime | None = None


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
        schedule_changed_at=getattr(team, "schedule_changed_at", None),
    )


@dataclass(frozen=True)
class MemberClock:
    """The parts of a member that decide when their prompt is due."""

    user_id: str
    tz: str | None
    joined_at: datetime
    paused_until: date | None
    # When the pause was set; None (set before it was recorded) counts as paused all along.
    paused_at: datetime | None = None


@dataclass(frozen=True)
class Week:
    """A cycle's label and its opening and closing moments."""

    label: str
    opens_at: datetime
    closes_at: datetime


# --- when a week opens and closes ----------------------------------------------------------


def member_zone(team: TeamClock, member: MemberClock) -> str:
    """The zone a member is prompted in."""
    return (member.tz or team.timezone) if team.member_local else team.timezone


def team_prompt_at(team: TeamClock, label: str) -> datetime:
    """When week `label`'s prompt is due in the team's own zone."""
    return occurrence(label, team.prompt_weekday, team.prompt_time, team.timezone)


def closes_at(team: TeamClock, label: str) -> datetime:
    """When week `label` closes: the first summary time after the team's prompt time."""
    return next_occurrence(
        team_prompt_at(team, label), team.summary_weekday, team.summary_time, team.timezone
    )


def scheduled_at(team: TeamClock, label: str, member: MemberClock | None = None) -> datetime:
    """When the prompt of week `label` is scheduled, for one member or (None) the team."""
    if member is None or not team.member_local:
        return team_prompt_at(team, label)
    return _local_prompt_at(team, label, member_zone(team, member))


@lru_cache(maxsize=4096)
def _local_prompt_at(team: TeamClock, label: str, tz: str) -> datetime:
    own = occurrence(label, team.prompt_weekday, team.prompt_time, tz)
    if own >= closes_at(team, label):
        # Their own time comes after this week's summary: the one a week earlier is this week's.
        return occurrence(shift_week(label, -1), team.prompt_weekday, team.prompt_time, tz)
    return own


def week_bounds(team: TeamClock, label: str, members: list[MemberClock]) -> Week:
    """Open at the earliest member's prompt; close at the first summary time after the team's."""
    if members and team.member_local:
        zones = {member_zone(team, m) for m in members}  # a few zones for many members
        opens = min(_local_prompt_at(team, label, tz) for tz in zones)
    else:
        opens = team_prompt_at(team, label)
    return Week(label, opens, closes_at(team, label))


def open_weeks(team: TeamClock, members: list[MemberClock], now: datetime) -> list[Week]:
    """Every week whose first prompt is due and whose summary is not, oldest first.

    Usually one; two for a while when a `local` schedule reaches members east of the team's
    zone before the previous week's summary time.
    """
    this = week_label(now, zone(team.timezone))
    weeks = []
    for label in (shift_week(this, -1), this, shift_week(this, 1)):
        week = week_bounds(team, label, members)
        if week.opens_at <= now < week.closes_at and week.closes_at > team.created_at:
            weeks.append(week)
    return weeks


def current_week(team: TeamClock, members: list[MemberClock], now: datetime) -> Week | None:
    """The newest week whose prompts are due and whose summary is not, if any."""
    weeks = open_weeks(team, members, now)
    return weeks[-1] if weeks else None


def week_to_open_now(team: TeamClock, members: list[MemberClock], now: datetime) -> Week:
    """The week a lead's `send` opens when none is open: this one, from now, to its close.

    When this week's summary time has passed already (a summary soon after the prompt), it is
    next week's, opened early.
    """
    label = week_label(now, zone(team.timezone))
    close = closes_at(team, label)
    if close <= now:
        label = shift_week(label, 1)
        close = closes_at(team, label)
    return Week(label, now, close)


def moved_close(team: TeamClock, week: Week, now: datetime) -> datetime:
    """An open week's close after its summary time changed: the new time, never before now."""
    return max(closes_at(team, week.label), now)


# --- one member's prompt -------------------------------------------------------------------


def is_paused(team: TeamClock, member: MemberClock, at: datetime) -> bool:
    """True when the member's pause covers the moment `at` (their local date)."""
    if member.paused_until is None:
        return False
    if member.paused_at is not None and at < member.paused_at:
        return False
    return local_date(at, zone(member_zone(team, member))) <= member.paused_until


def prompt_due(team: TeamClock, member: MemberClock, week: Week) -> datetime:
    """When this member's prompt is due: the schedule, or when they joined if later."""
    return max(scheduled_at(team, week.label, member), member.joined_at)


class PromptAction(enum.StrEnum):
    """What the tick does with one member's weekly prompt."""

    SEND = "send"
    SKIP = "skip"
    WAIT = "wait"


class SkipReason(enum.StrEnum):
    """Why a prompt was skipped, as the database can tell (stored with the skipped delivery)."""

    # Nothing ran in the day after the prompt time (the bot was stopped, or could not lead).
    OFFLINE = "offline"
    # A lead moved the schedule after this week's new prompt time had passed.
    SCHEDULE_CHANGED = "schedule changed"


@dataclass(frozen=True)
class PromptDecision:
    """Send now, skip (too late, with why), or wait (with why)."""

    action: PromptAction
    reason: str = ""


def skip_reason(team: TeamClock, due: datetime) -> SkipReason:
    """Why a prompt due at `due` was not sent in time."""
    if team.schedule_changed_at is not None and team.schedule_changed_at > due:
        return SkipReason.SCHEDULE_CHANGED
    return SkipReason.OFFLINE


def week_skip_reason(stored: list[str]) -> SkipReason | None:
    """Why a week's prompts were skipped, from the reasons stored with them (the most common).

    Anything unrecognised was stored before reasons were (only the offline case existed).
    """
    if not stored:
        return None
    known = {reason.value for reason in SkipReason}
    reasons = [SkipReason(r) if r in known else SkipReason.OFFLINE for r in stored]
    return max(SkipReason, key=reasons.count)


def decide_prompt(
    team: TeamClock, member: MemberClock, week: Week, now: datetime, *, forced: bool = False
) -> PromptDecision:
    """Whether a member's weekly prompt goes out now (`forced`: a lead's `send`)."""
    if is_paused(team, member, now):
        return PromptDecision(PromptAction.WAIT, "paused")
    if member.joined_at >= week.closes_at:
        return PromptDecision(PromptAction.WAIT, "joined after the week")
    if forced:
        return PromptDecision(PromptAction.SEND)
    due = prompt_due(team, member, week)
    if now < due:
        return PromptDecision(PromptAction.WAIT, "not yet due")
    if due >= week.closes_at:
        return PromptDecision(PromptAction.WAIT, "due after the week closes")
    if now - due >= CATCH_UP:
        return PromptDecision(PromptAction.SKIP, skip_reason(team, due))
    return PromptDecision(PromptAction.SEND)


def reminder_due(team: TeamClock, prompt_sent_at: datetime) -> datetime | None:
    """When the one reminder goes out, or None when reminders are off."""
    if team.remind_after_minutes is None:
        return None
    return prompt_sent_at + timedelta(minutes=team.remind_after_minutes)
