"""What people read about their check-ins: `me`, `status` and the App Home."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from bot.checkin.rules import sparkline
from bot.schedule.calendar import is_paused, team_clock
from bot.schedule.tick import member_clocks
from storage import checkin as checkin_store
from storage import teams as team_store
from storage.models import CheckIn, Cycle, Team


@dataclass(frozen=True)
class WeekStatus:
    """One team's week as a lead or member sees it."""

    team_name: str
    week: str | None
    answered: list[str]
    missing: list[str]
    paused: list[str]
    mean: float | None

    @property
    def expected(self) -> int:
        """Members expected to answer (paused members are not)."""
        return len(self.answered) + len(self.missing)


def latest_cycle(session: Session, team: Team, now: datetime) -> Cycle | None:
    """The open cycle, else none (between summary and next prompt)."""
    for cycle in checkin_store.open_cycles(session, now):
        if cycle.team_id == team.id:
            return cycle
    return None


def week_status(session: Session, team: Team, now: datetime) -> WeekStatus:
    """Who answered this week and the mean."""
    cycle = latest_cycle(session, team, now)
    clock = team_clock(team)
    members = member_clocks(session, team.id)
    if cycle is None:
        return WeekStatus(team.name, None, [], [], [], None)
    answers = {c.user_id: c for c in checkin_store.current_answers(session, cycle.id)}
    answered, missing, paused = [], [], []
    for member in members:
        if member.user_id in answers:
            answered.append(member.user_id)
        elif is_paused(clock, member, now):
            paused.append(member.user_id)
        else:
            missing.append(member.user_id)
    scores = [answers[u].score for u in answered]
    mean = sum(scores) / len(scores) if scores else None
    return WeekStatus(team.name, cycle.week, answered, missing, paused, mean)


def my_history(session: Session, user_id: str, team: Team | None, limit: int) -> list[CheckIn]:
    """A person's check-ins, oldest first."""
    rows = checkin_store.recent_checkins(session, team.id if team else None, user_id, limit=limit)
    return list(reversed(rows))


def trend_line(rows: list[CheckIn]) -> str:
    """A sparkline and the direction of the last two scores."""
    if not rows:
        return "no check-ins yet"
    scores = [r.score for r in rows]
    line = sparkline(scores)
    if len(scores) >= 2:
        change = scores[-1] - scores[-2]
        arrow = "↗" if change > 0 else "↘" if change < 0 else "→"
        line += f"  {arrow} {scores[-1]}/10 (was {scores[-2]})"
    else:
        line += f"  {scores[-1]}/10"
    return line


def pending_prompts(session: Session, user_id: str, now: datetime) -> list[tuple[Team, Cycle]]:
    """Weeks whose prompt this person has and has not answered."""
    out: list[tuple[Team, Cycle]] = []
    for team in team_store.teams_of(session, user_id):
        member = team_store.member(session, team.id, user_id)
        if member is None or not member.active:
            continue
        cycle = latest_cycle(session, team, now)
        if cycle is not None and checkin_store.weekly_answer(session, cycle.id, user_id) is None:
            out.append((team, cycle))
    return out


def led_teams(session: Session, user_id: str) -> list[Team]:
    """Teams this person leads."""
    return [
        t
        for t in team_store.teams_of(session, user_id)
        if team_store.is_lead(session, t.id, user_id)
    ]
