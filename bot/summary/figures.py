"""The weekly summary as plain data: figures, trend, rallies, help asked for, self vs customers.

Pure functions over plain rows; no database and no Slack. Decisions, in one place:

- Aggregates need at least `MIN_ANSWERS` (3) answers. Below that every aggregate of the
  week (mean, its change, spread, help counts, the team's self vs customer) is None or
  empty *in the data*, so no renderer can leak them; only `answered/expected` remains.
- The spread needs at least `MIN_SPREAD` (5) answers: with 3 or 4 scores, a mean and a
  standard deviation together narrow each score down too far. The lowest and highest score
  are never computed at all: with the mean they would solve a 3-answer week outright
  (docs/PRIVACY.md). The leads' named version shows each answer instead.
- `expected` is the expected members plus anyone who answered anyway (a paused member who
  answered), so the response rate never passes 100%.
- Means are rounded to one decimal before their change is taken, so the change shown always
  equals the difference of the means shown. The spread is the population standard deviation.
- The trend band is mean ± population standard deviation, clamped to the 1-10 scale.
- Self vs customer is on the 1-5 C-SAT scale: a self score 1-10 counts as score / 2. Customer
  ratings come from this week, or when none were logged this week, from the last 4 ISO weeks
  (this week included). The team's customer figure is the mean of all ratings in that window,
  for the team and for members alike. A gap of at least 0.5 (on values rounded to one decimal)
  is called out: self above customers is a "blind spot", self below is "strain".
- Ratings a lead logged (`/oneness csat`) and ratings customers gave on the promise page are
  compared apart, never mixed: `self_vs_customer` is the leads', `self_vs_page` the customers'
  (team-wide only: the page rates the team, never a member).
- The promise (when the team has one) comes as `bot.promise.rules.PromiseLine`, whose own
  rules say what may be shown.
- Per-member comparisons, like everything named, are for the leads only.
- Leads see every note: all three visibilities (team, anonymous, leads) include the leads.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from bot.promise.rules import PromiseLine
from storage.kinds import RatingSource

MIN_ANSWERS = 3
MIN_SPREAD = 5
TREND_WEEKS = 8
CSAT_FALLBACK_WEEKS = 4
GAP_CALLOUT = 0.5
BLIND_SPOT = "blind spot"
STRAIN = "strain"


@dataclass(frozen=True)
class AnswerRow:
    """One member's current weekly answer."""

    user_id: str
    week: str
    score: int
    deliverables: int | None
    customers: int | None
    help: str
    visibility: str
    note: str


@dataclass(frozen=True)
class WeekInput:
    """One week: who was expected to answer (paused members excluded) and the answers.

    `skipped` are members whose prompt did not go out (not expected), `skip_reason` why.
    """

    week: str
    expected: tuple[str, ...]
    answers: tuple[AnswerRow, ...]
    skipped: tuple[str, ...] = ()
    skip_reason: str | None = None


@dataclass(frozen=True)
class RatingRow:
    """A C-SAT score 1-5 logged in `week`; user_id None rates the whole team; source "lead"
    (`/oneness csat`) or "customer" (the promise page)."""

    user_id: str | None
    score: int
    week: str
    source: str = RatingSource.LEAD


@dataclass(frozen=True)
class RallyRow:
    """An open rally about a member, with its visibility and owner."""

    user_id: str
    visibility: str
    owner_id: str | None
    help: str


@dataclass(frozen=True)
class Spread:
    """How far apart the scores are: the population standard deviation (from 5 answers)."""

    stdev: float


@dataclass(frozen=True)
class TrendPoint:
    """One week on the chart; mean, low and high are None when too few answered."""

    week: str
    mean: float | None
    low: float | None
    high: float | None
    response_rate: float | None
    too_few: bool


@dataclass(frozen=True)
class Comparison:
    """Self-rating beside customer rating on the 1-5 scale; user_id None is the team."""

    user_id: str | None
    self_score: float
    customer_score: float
    ratings: int
    window: str

    @property
    def gap(self) -> float:
        """Self minus customers, on values rounded to one decimal."""
        return round(round(self.self_score, 1) - round(self.customer_score, 1), 1)

    @property
    def verdict(self) -> str | None:
        """ "blind spot" when self is 0.5 or more above customers, "strain" when below."""
        if self.gap >= GAP_CALLOUT:
            return BLIND_SPOT
        if self.gap <= -GAP_CALLOUT:
            return STRAIN
        return None


@dataclass(frozen=True)
class ChannelRally:
    """A rally as the channel may see it: user_id and owner_id only when visibility is team."""

    visibility: str
    help: str
    user_id: str | None
    owner_id: str | None
    has_owner: bool


@dataclass(frozen=True)
class Summary:
    """One team's week; aggregates are None or empty when too few answered."""

    team_name: str
    week: str
    answered: int
    expected: int
    response_rate: float | None
    too_few: bool
    mean: float | None
    previous_mean: float | None
    mean_change: float | None
    spread: Spread | None
    trend: tuple[TrendPoint, ...]
    help_counts: tuple[tuple[str, int], ...]
    rallies: tuple[RallyRow, ...]
    self_vs_customer: Comparison | None
    member_comparisons: tuple[Comparison, ...]
    # Prompts that did not go out this week (their members are not expected), and why.
    skipped: int = 0
    skip_reason: str | None = None
    self_vs_page: Comparison | None = None
    promise: PromiseLine | None = None

    @property
    def channel_rallies(self) -> tuple[ChannelRally, ...]:
        """Open rallies safe for the channel: leads-only left out, anonymous ones unnamed."""
        return tuple(
            ChannelRally(
                visibility=r.visibility,
                help=r.help,
                user_id=r.user_id if r.visibility == "team" else None,
                owner_id=r.owner_id if r.visibility == "team" else None,
                has_owner=r.owner_id is not None,
            )
            for r in self.rallies
            if r.visibility in ("team", "anonymous")
        )

    @property
    def leads_only_rallies(self) -> int:
        """How many open rallies only the leads may see."""
        return sum(1 for r in self.rallies if r.visibility not in ("team", "anonymous"))


@dataclass(frozen=True)
class MemberLine:
    """One member's week for the leads: score, change from their previous answer, note."""

    user_id: str
    name: str
    score: int
    previous_score: int | None
    previous_week: str | None
    help: str
    visibility: str
    note: str

    @property
    def change(self) -> int | None:
        """Score minus the member's previous answered score in the window."""
        return None if self.previous_score is None else self.score - self.previous_score


@dataclass(frozen=True)
class NamedLines:
    """The leads' named detail: answers (lowest score first) and who has not answered."""

    week: str
    members: tuple[MemberLine, ...]
    missing: tuple[tuple[str, str], ...]
    # Members whose prompt did not go out and who have not answered, by name.
    skipped: tuple[tuple[str, str], ...] = ()


def _current(answers: Sequence[AnswerRow]) -> dict[str, AnswerRow]:
    # One answer per member; should a caller pass two, the later one wins.
    return {a.user_id: a for a in answers}


def _mean(values: Sequence[int]) -> float:
    return sum(values) / len(values)


def _pstdev(values: Sequence[int]) -> float:
    mean = _mean(values)
    return math.sqrt(sum((v - mean) ** 2 for v in values) / len(values))


def _counts(week: WeekInput) -> tuple[int, int, float | None]:
    answers = _current(week.answers)
    answered = len(answers)
    expected = len(set(week.expected) | set(answers))
    rate = answered / expected if expected else None
    return answered, expected, rate


def _week_mean(week: WeekInput) -> float | None:
    scores = [a.score for a in _current(week.answers).values()]
    return _mean(scores) if len(scores) >= MIN_ANSWERS else None


def trend_point(week: WeekInput) -> TrendPoint:
    """One week's chart point: mean ± stdev clamped to 1-10 (the band from 5 answers), or no
    point when too few."""
    answered, _expected, rate = _counts(week)
    scores = [a.score for a in _current(week.answers).values()]
    if answered < MIN_ANSWERS:
        return TrendPoint(week.week, None, None, None, rate, True)
    mean = _mean(scores)
    if answered < MIN_SPREAD:
        return TrendPoint(week.week, mean, None, None, rate, False)
    stdev = _pstdev(scores)
    return TrendPoint(week.week, mean, max(1.0, mean - stdev), min(10.0, mean + stdev), rate, False)


def help_counts(answers: Sequence[AnswerRow]) -> tuple[tuple[str, int], ...]:
    """Kinds of help asked for, "none" left out, by count (highest first) then name."""
    counts = Counter(a.help for a in _current(answers).values() if a.help and a.help != "none")
    return tuple(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def _monday(week: str) -> date | None:
    try:
        year, number = week.split("-W")
        return date.fromisocalendar(int(year), int(number), 1)
    except ValueError:
        return None


def _iso(day: date) -> str:
    year, number, _ = day.isocalendar()
    return f"{year}-W{number:02d}"


def csat_window(ratings: Sequence[RatingRow], week: str) -> tuple[list[RatingRow], str]:
    """Ratings of this week, else of the last 4 ISO weeks (this one included), and which."""
    if not ratings:
        return [], "this week"
    this_week = [r for r in ratings if r.week == week]
    if this_week:
        return this_week, "this week"
    monday = _monday(week)
    if monday is None:
        return [], "this week"
    recent = {_iso(monday - timedelta(weeks=n)) for n in range(CSAT_FALLBACK_WEEKS)}
    return [r for r in ratings if r.week in recent], f"last {CSAT_FALLBACK_WEEKS} weeks"


def _compare(
    user_id: str | None, self_score_10: float, ratings: Sequence[RatingRow], week: str
) -> Comparison | None:
    chosen, window = csat_window(ratings, week)
    if not chosen:
        return None
    customer = _mean([r.score for r in chosen])
    return Comparison(user_id, self_score_10 / 2, customer, len(chosen), window)


def build_summary(
    team_name: str,
    weeks: Sequence[WeekInput],
    ratings: Sequence[RatingRow],
    rallies: Sequence[RallyRow],
    promise: PromiseLine | None = None,
) -> Summary:
    """The summary of the last of `weeks` (oldest first), with the trend of up to 8 weeks."""
    if not weeks:
        raise ValueError("build_summary needs at least the week being summarised")
    current = weeks[-1]
    answers = _current(current.answers)
    answered, expected, rate = _counts(current)
    too_few = answered < MIN_ANSWERS
    scores = [a.score for a in answers.values()]

    mean = previous_mean = mean_change = None
    spread = None
    counts: tuple[tuple[str, int], ...] = ()
    team_comparison = page_comparison = None
    page_ratings = [r for r in ratings if r.source == RatingSource.CUSTOMER]
    ratings = [r for r in ratings if r.source != RatingSource.CUSTOMER]
    if not too_few:
        mean = _mean(scores)
        spread = Spread(_pstdev(scores)) if answered >= MIN_SPREAD else None
        counts = help_counts(current.answers)
        previous_mean = _week_mean(weeks[-2]) if len(weeks) >= 2 else None
        if previous_mean is not None:
            mean_change = round(round(mean, 1) - round(previous_mean, 1), 1)
        team_comparison = _compare(None, mean, ratings, current.week)
        page_comparison = _compare(None, mean, page_ratings, current.week)

    member_comparisons = []
    for user_id, answer in sorted(answers.items()):
        mine = [r for r in ratings if r.user_id == user_id]
        comparison = _compare(user_id, answer.score, mine, current.week)
        if comparison is not None:
            member_comparisons.append(comparison)

    return Summary(
        team_name=team_name,
        week=current.week,
        answered=answered,
        expected=expected,
        response_rate=rate,
        too_few=too_few,
        mean=mean,
        previous_mean=previous_mean,
        mean_change=mean_change,
        spread=spread,
        trend=tuple(trend_point(w) for w in weeks[-TREND_WEEKS:]),
        help_counts=counts,
        rallies=tuple(rallies),
        self_vs_customer=team_comparison,
        member_comparisons=tuple(member_comparisons),
        skipped=len(set(current.skipped) - set(answers)),
        skip_reason=current.skip_reason,
        self_vs_page=page_comparison,
        promise=promise,
    )


def named_lines(weeks: Sequence[WeekInput], names: Mapping[str, str]) -> NamedLines:
    """The leads' detail of the last week: each answer with its change, and who has not answered.

    The change is against the member's latest earlier answer in `weeks`; names fall back to ids.
    """
    if not weeks:
        raise ValueError("named_lines needs at least the week being summarised")
    current = weeks[-1]
    answers = _current(current.answers)
    # Each earlier week's answers by member, built once (not once per member).
    earlier_weeks = [(w.week, _current(w.answers)) for w in reversed(weeks[:-1])]
    lines = []
    for user_id, answer in answers.items():
        previous: AnswerRow | None = None
        previous_week: str | None = None
        for week_label, by_user in earlier_weeks:
            previous = by_user.get(user_id)
            if previous is not None:
                previous_week = week_label
                break
        lines.append(
            MemberLine(
                user_id=user_id,
                name=names.get(user_id, user_id),
                score=answer.score,
                previous_score=previous.score if previous else None,
                previous_week=previous_week,
                help=answer.help,
                visibility=answer.visibility,
                note=answer.note,
            )
        )
    lines.sort(key=lambda line: (line.score, line.name.lower(), line.user_id))
    missing = sorted(
        ((u, names.get(u, u)) for u in set(current.expected) if u not in answers),
        key=lambda pair: (pair[1].lower(), pair[0]),
    )
    skipped = sorted(
        ((u, names.get(u, u)) for u in set(current.skipped) - set(answers)),
        key=lambda pair: (pair[1].lower(), pair[0]),
    )
    return NamedLines(current.week, tuple(lines), tuple(missing), tuple(skipped))
