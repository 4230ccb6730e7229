"""A person's own check-ins: `me`, `trend`, and the weeks still waiting for their answer."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from bot.checkin.rules import sparkline
from bot.schedule.calendar import PromptAction, Week, decide_prompt, team_clock
from bot.teams.service import member_clocks
from storage import checkin as checkin_store
from storage import delivery as ledger
from storage import teams as team_store
from storage.kinds import DeliveryStatus
from storage.models import CheckIn, Cycle, Team

# A prompt that was posted, refused by Slack, or skipped (too late): the member was due.
_DUE_STATUSES = frozenset({DeliveryStatus.SENT, DeliveryStatus.FAILED, DeliveryStatus.SKIPPED})


def weekly_key(kind: str, cycle_id: int, user_id: str) -> str:
    """The delivery key of a member's weekly `prompt` or `reminder` in a cycle."""
    return f"{kind}:{cycle_id}:{user_id}"


def due_week(session: Session, team: Team, user_id: str, now: datetime) -> Cycle | None:
    """The open week this member is due to answer, the newest when two are open.

    Due: the prompt went out, or it was skipped or never sent although their time had come
    (the bot was offline, the schedule changed). Answered weeks and paused members are not.
    """
    member = next((m for m in member_clocks(session, team.id) if m.user_id == user_id), None)
    if member is None:
        return None
    clock = team_clock(team)
    for cycle in reversed(checkin_store.team_open_cycles(session, team.id, now)):
        if checkin_store.weekly_answer(session, cycle.id, user_id) is not None:
            continue
        prompt = ledger.get(session, weekly_key("prompt", cycle.id, user_id))
        if prompt is not None and prompt.status in _DUE_STATUSES:
            return cycle
        week = Week(cycle.week, cycle.opens_at, cycle.closes_at)
        if decide_prompt(clock, member, week, now).action != PromptAction.WAIT:
            return cycle
    return None


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
    """Weeks this person is due to answer and has not, one per team (`due_week`)."""
    out: list[tuple[Team, Cycle]] = []
    for team in team_store.teams_of(session, user_id):
        cycle = due_week(session, team, user_id, now)
        if cycle is not None:
            out.append((team, cycle))
    return out
