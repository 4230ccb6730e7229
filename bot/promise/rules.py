"""The promise as plain rules: validation, deadlines, and the record the page and summary show.

Pure functions over plain values; no Slack and no database. Decisions, in one place:

- A promise has three texts (what customers can count on, at most 280 characters; what the
  customer must do, and the remedy, at most 500 each) and a remedy window from a fixed list.
- A break's remedy is due `remedy_hours` after the break was reported (the customer's clock
  starts when they tell us). The owner is reminded when three quarters of that window have
  passed; the leads are told when nobody owns it 4 hours after it was reported.
- A week is *broken* when any member answered "broken" or any break was reported in it (by the
  team or by a customer), *kept* when members answered and all said "kept", otherwise it has
  *no answers*. Breaks belong to the ISO week they were reported in, in the team's zone.
- A remedy is *on time* when it was marked delivered no later than its deadline. It counts as
  *not on time* when it was marked missed, delivered late, or is still open past its deadline;
  an open break whose deadline has not come is not counted yet.
- The record covers the last 12 ISO weeks, this one included. The summary shows the share of
  "kept" answers only from 3 answers (as every other aggregate), so nobody's answer is given
  away; break counts and remedies on time are the team's, and always shown.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.schedule.calendar import shift_week
from storage.kinds import BreakSource, BreakStatus

PLEDGE_LIMIT = 280
MUST_LIMIT = 500
REMEDY_LIMIT = 500
WHAT_LIMIT = 1000
CONTACT_LIMIT = 200
COMMENT_LIMIT = 500
NOTE_LIMIT = 280
TIMES_MAX = 10
RECORD_WEEKS = 12
MIN_ANSWERS = 3
ESCALATE_AFTER = timedelta(hours=4)
REMEDY_WINDOWS = (1, 2, 4, 8, 24, 48, 72, 120, 168)  # hours
RATING_RANGE = range(1, 6)


class Verdict(enum.StrEnum):
    """How a week went."""

    KEPT = "kept"
    BROKEN = "broken"
    UNKNOWN = "no answers"


@dataclass(frozen=True)
class Draft:
    """A promise as typed in the modal, before it is stored."""

    pledge: str
    customer_must: str
    remedy: str
    remedy_hours: int


def clean(text: str | None) -> str:
    """User text trimmed, with Windows line ends made plain."""
    return (text or "").replace("\r\n", "\n").strip()


def _length(errors: dict[str, str], key: str, text: str, limit: int, *, required: bool) -> None:
    if required and not text:
        errors[key] = "Please fill this in."
    elif len(text) > limit:
        errors[key] = f"At most {limit:,} characters ({len(text):,} now)."


def check_draft(draft: Draft) -> dict[str, str]:
    """Errors by field name ("pledge", "customer_must", "remedy", "remedy_hours"); {} if fine."""
    errors: dict[str, str] = {}
    _length(errors, "pledge", draft.pledge, PLEDGE_LIMIT, required=True)
    _length(errors, "customer_must", draft.customer_must, MUST_LIMIT, required=True)
    _length(errors, "remedy", draft.remedy, REMEDY_LIMIT, required=True)
    if draft.remedy_hours not in REMEDY_WINDOWS:
        errors["remedy_hours"] = "Pick how soon the remedy lands."
    return errors


def check_break(what: str, contact: str = "") -> dict[str, str]:
    """Errors for a reported break ("what", "contact"); {} if fine."""
    errors: dict[str, str] = {}
    _length(errors, "what", what, WHAT_LIMIT, required=True)
    _length(errors, "contact", contact, CONTACT_LIMIT, required=False)
    return errors


def check_rating(score: str, comment: str) -> tuple[int | None, dict[str, str]]:
    """A customer's score 1-5 from form text, and errors ("score", "comment")."""
    errors: dict[str, str] = {}
    # ASCII digits only: str.isdigit() would take "٤" (an Arabic-Indic 4) too.
    value = int(score) if score in {str(n) for n in RATING_RANGE} else None
    if value is None:
        errors["score"] = "Choose a rating from 1 to 5."
        value = None
    _length(errors, "comment", comment, COMMENT_LIMIT, required=False)
    return value, errors


def check_answer(times: int, note: str) -> dict[str, str]:
    """Errors for a weekly "broken" answer ("times", "note"); {} if fine."""
    errors: dict[str, str] = {}
    if not 1 <= times <= TIMES_MAX:
        errors["times"] = f"Pick how many times, 1 to {TIMES_MAX}."
    _length(errors, "note", note, NOTE_LIMIT, required=False)
    return errors


def window_text(hours: int) -> str:
    """`1 hour`, `8 hours`, `2 days`, `1 week`."""
    if hours % 168 == 0:
        weeks = hours // 168
        return f"{weeks} week{'s' if weeks != 1 else ''}"
    if hours % 24 == 0:
        days = hours // 24
        return f"{days} day{'s' if days != 1 else ''}"
    return f"{hours} hour{'s' if hours != 1 else ''}"


def remedy_due(reported_at: datetime, hours: int) -> datetime:
    """When the remedy of a break reported at `reported_at` is due."""
    return reported_at + timedelta(hours=hours)


def reminder_at(reported_at: datetime, due_at: datetime) -> datetime:
    """When the owner is reminded: three quarters of the way to the deadline."""
    return reported_at + (due_at - reported_at) * 3 / 4


def escalate_at(reported_at: datetime) -> datetime:
    """When the leads are told that nobody owns a break."""
    return reported_at + ESCALATE_AFTER


@dataclass(frozen=True)
class BreakFact:
    """What the record needs of one break."""

    source: str
    week: str
    status: str
    due_at: datetime
    closed_at: datetime | None


def on_time(fact: BreakFact, now: datetime) -> bool | None:
    """True when delivered by the deadline; False when missed, late or overdue; None if open."""
    if fact.status == BreakStatus.DELIVERED:
        return fact.closed_at is not None and fact.closed_at <= fact.due_at
    if fact.status == BreakStatus.MISSED:
        return False
    return False if now > fact.due_at else None


@dataclass(frozen=True)
class WeekTally:
    """One week of the record: members' answers and breaks reported in it."""

    week: str
    kept: int = 0
    broken: int = 0
    team_breaks: int = 0
    customer_breaks: int = 0

    @property
    def answers(self) -> int:
        """How many members answered."""
        return self.kept + self.broken

    @property
    def verdict(self) -> Verdict:
        """Broken when anyone said so or a break was reported; kept when all who answered
        said kept; otherwise no answers."""
        if self.broken or self.team_breaks or self.customer_breaks:
            return Verdict.BROKEN
        if self.kept:
            return Verdict.KEPT
        return Verdict.UNKNOWN


def percent(part: int, whole: int) -> int | None:
    """A whole percentage, None for an empty whole."""
    return round(100 * part / whole) if whole else None


@dataclass(frozen=True)
class Record:
    """The last weeks, oldest first, with the totals the page shows."""

    weeks: tuple[WeekTally, ...]
    on_time: int = 0
    decided: int = 0

    @property
    def kept_weeks(self) -> int:
        """Weeks the promise was kept."""
        return sum(1 for w in self.weeks if w.verdict == Verdict.KEPT)

    @property
    def broken_weeks(self) -> int:
        """Weeks the promise was broken."""
        return sum(1 for w in self.weeks if w.verdict == Verdict.BROKEN)

    @property
    def team_breaks(self) -> int:
        """Breaks the team reported."""
        return sum(w.team_breaks for w in self.weeks)

    @property
    def customer_breaks(self) -> int:
        """Breaks customers reported."""
        return sum(w.customer_breaks for w in self.weeks)

    @property
    def on_time_percent(self) -> int | None:
        """Remedies delivered on time, as a percentage of those decided or overdue."""
        return percent(self.on_time, self.decided)


def record_weeks(current_week: str, count: int = RECORD_WEEKS) -> list[str]:
    """The `count` ISO week labels ending with `current_week`, oldest first."""
    return [shift_week(current_week, -n) for n in range(count - 1, -1, -1)]


def build_record(
    weeks: Sequence[str],
    answers: Mapping[str, tuple[int, int]],
    breaks: Sequence[BreakFact],
    now: datetime,
) -> Record:
    """The record of `weeks` from (kept, broken) answer counts by week and the breaks."""
    team: dict[str, int] = {}
    customer: dict[str, int] = {}
    on_time_count = decided = 0
    wanted = set(weeks)
    for fact in breaks:
        if fact.week not in wanted:
            continue
        counts = customer if fact.source == BreakSource.CUSTOMER else team
        counts[fact.week] = counts.get(fact.week, 0) + 1
        verdict = on_time(fact, now)
        if verdict is not None:
            decided += 1
            on_time_count += int(verdict)
    tallies = tuple(
        WeekTally(
            week,
            kept=answers.get(week, (0, 0))[0],
            broken=answers.get(week, (0, 0))[1],
            team_breaks=team.get(week, 0),
            customer_breaks=customer.get(week, 0),
        )
        for week in weeks
    )
    return Record(tallies, on_time_count, decided)


@dataclass(frozen=True)
class PromiseLine:
    """The promise in one week's summary: its words, the week's answers and breaks, and
    remedies on time over the record's weeks."""

    pledge: str
    remedy: str
    remedy_hours: int
    week: WeekTally
    on_time: int
    decided: int
    record_weeks: int = RECORD_WEEKS

    @property
    def kept_share_shown(self) -> bool:
        """Whether the share of "kept" answers may be shown (enough answers to hide each)."""
        return self.week.answers >= MIN_ANSWERS

    @property
    def kept_percent(self) -> int | None:
        """Share of this week's answers that said kept."""
        return percent(self.week.kept, self.week.answers) if self.kept_share_shown else None

    @property
    def on_time_percent(self) -> int | None:
        """Remedies delivered on time, in percent."""
        return percent(self.on_time, self.decided)


def promise_line(
    pledge: str, remedy: str, remedy_hours: int, record: Record, week: str
) -> PromiseLine:
    """The summary's promise figures for `week`, which is one of the record's weeks."""
    tally = next((w for w in record.weeks if w.week == week), WeekTally(week))
    return PromiseLine(
        pledge, remedy, remedy_hours, tally, record.on_time, record.decided, len(record.weeks)
    )


@dataclass(frozen=True)
class Limits:
    """How many posts a key may make in its window."""

    per_ip: int = 5
    ip_window: timedelta = timedelta(minutes=10)
    per_page: int = 30
    page_window: timedelta = timedelta(hours=1)


def window_end(now: datetime, window: timedelta) -> datetime:
    """The end of the fixed window `now` falls in (windows counted from the epoch)."""
    seconds = int(window.total_seconds())
    stamp = int(now.timestamp())
    return datetime.fromtimestamp((stamp // seconds + 1) * seconds, tz=now.tzinfo)
