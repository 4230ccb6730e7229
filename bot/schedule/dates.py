"""Calendar arithmetic for weekly cycles: ISO weeks, local prompt times, daylight saving."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

WEEKDAY_INDEX = {"mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6}


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


def local_moment(day: date, hhmm: str, tz: ZoneInfo) -> datetime:
    """`hhmm` on `day` in `tz`, as UTC; a time skipped by a DST jump lands just after it."""
    hour, minute = (int(part) for part in hhmm.split(":"))
    # fold=0 reads a wall time skipped by a spring-forward jump with the pre-jump offset,
    # which lands it just after the jump; a repeated autumn hour takes its first instance.
    return datetime.combine(day, time(hour, minute), tzinfo=tz).astimezone(UTC)


def occurrence(label: str, weekday: str, hhmm: str, tz: ZoneInfo) -> datetime:
    """The moment of weekday `weekday` at `hhmm` in ISO week `label`, in zone `tz`, as UTC."""
    day = week_monday(label) + timedelta(days=WEEKDAY_INDEX[weekday])
    return local_moment(day, hhmm, tz)


def next_occurrence(after: datetime, weekday: str, hhmm: str, tz: ZoneInfo) -> datetime:
    """The first moment strictly after `after` that is `weekday` at `hhmm` in `tz`."""
    label = week_label(after, tz)
    for offset in range(3):
        moment = occurrence(shift_week(label, offset), weekday, hhmm, tz)
        if moment > after:
            return moment
    raise AssertionError("a weekly occurrence always exists within three weeks")


def local_date(when: datetime, tz: ZoneInfo) -> date:
    """The calendar date of `when` in `tz`."""
    return when.astimezone(tz).date()
