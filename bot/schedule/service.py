"""What a lead's change of schedule or summary time does to the weeks already under way."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from bot.checkin.history import weekly_key
from bot.schedule.calendar import (
    PromptAction,
    Week,
    decide_prompt,
    moved_close,
    open_weeks,
    team_clock,
)
from bot.teams.service import member_clocks
from storage import checkin as checkin_store
from storage import delivery as ledger
from storage.kinds import DeliveryStatus
from storage.models import Team


def move_open_weeks(session: Session, team: Team, now: datetime) -> list[tuple[str, datetime]]:
    """After `summary-at`: each open week closes at the new time (now, if it has passed).

    Returns (week, its close) for each week moved.
    """
    clock = team_clock(team)
    moved = []
    for cycle in checkin_store.team_open_cycles(session, team.id, now):
        cycle.closes_at = moved_close(clock, Week(cycle.week, cycle.opens_at, cycle.closes_at), now)
        moved.append((cycle.week, cycle.closes_at))
    return moved


@dataclass(frozen=True)
class ThisWeek:
    """What a new schedule means for this week's prompts that have not gone out yet."""

    already_out: bool  # this week's prompts went out before the change; nothing changes
    late: int  # prompts whose new time passed within the catch-up window: they go out now
    skipped: int  # prompts whose new time passed longer ago: they will not go out by themselves


def this_week(session: Session, team: Team, now: datetime) -> ThisWeek:
    """How the tick will treat this week's unsent prompts under the team's (new) schedule."""
    clock = team_clock(team)
    members = member_clocks(session, team.id)
    opened = checkin_store.team_open_cycles(session, team.id, now)
    sent = any(
        d.status == DeliveryStatus.SENT
        for c in opened
        for d in ledger.for_cycle(session, c.id, "prompt")
    )
    late = skipped = 0
    for week in open_weeks(clock, members, now):
        cycle = checkin_store.cycle(session, team.id, week.label)
        if cycle is not None:
            if cycle.closed_at is not None:
                continue
            week = Week(cycle.week, cycle.opens_at, cycle.closes_at)
        for member in members:
            key = weekly_key("prompt", cycle.id, member.user_id) if cycle else None
            if key is not None and ledger.get(session, key) is not None:
                continue  # decided already (sent, skipped or under way)
            action = decide_prompt(clock, member, week, now).action
            late += action == PromptAction.SEND
            skipped += action == PromptAction.SKIP
    return ThisWeek(sent, late, skipped)
