"""What people read about their check-ins: `me`, `status` and the App Home."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from bot.checkin.history import open_cycle
from bot.schedule.calendar import is_paused, team_clock
from bot.teams.service import member_clocks
from storage import checkin as checkin_store
from storage.models import Team


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


def week_status(session: Session, team: Team, now: datetime) -> WeekStatus:
    """Who answered this week and the mean."""
    cycle = open_cycle(session, team, now)
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
