"""A person's own check-ins: `me`, `trend`, and the weeks still waiting for their answer."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from bot.checkin.rules import sparkline
from storage import checkin as checkin_store
from storage import teams as team_store
from storage.models import CheckIn, Cycle, Team


def open_cycle(session: Session, team: Team, now: datetime) -> Cycle | None:
    """The open cycle, else none (between summary and next prompt)."""
    for cycle in checkin_store.open_cycles(session, now):
        if cycle.team_id == team.id:
            return cycle
    return None


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
        cycle = open_cycle(session, team, now)
        if cycle is not None and checkin_store.weekly_answer(session, cycle.id, user_id) is None:
            out.append((team, cycle))
    return out
