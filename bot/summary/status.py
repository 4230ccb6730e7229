"""What people read about their check-ins: `me`, `status` and the App Home."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from bot.checkin.history import open_cycle
from bot.schedule.calendar import SkipReason, is_paused, team_clock, week_skip_reason
from bot.teams.service import member_clocks
from storage import checkin as checkin_store
from storage import summary as summary_store
from storage.kinds import DeliveryStatus
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
    # Members whose prompt did not go out (too late) and who have not answered, and why.
    skipped: list[str] = field(default_factory=list)
    skip_reason: SkipReason | None = None
    # How many prompts of the week went out.
    prompted: int = 0

    @property
    def expected(self) -> int:
        """Members expected to answer (paused members and skipped prompts are not)."""
        return len(self.answered) + len(self.missing)

    @property
    def none_went_out(self) -> bool:
        """True when this week's prompts were skipped and not one went out."""
        return bool(self.skipped) and self.prompted == 0


def week_status(session: Session, team: Team, now: datetime) -> WeekStatus:
    """Who answered this week, who has not yet, who is paused, whose prompt was skipped."""
    cycle = open_cycle(session, team, now)
    clock = team_clock(team)
    members = member_clocks(session, team.id)
    if cycle is None:
        return WeekStatus(team.name, None, [], [], [], None)
    answers = {c.user_id: c for c in checkin_store.current_answers(session, cycle.id)}
    prompts = summary_store.prompt_outcomes(session, cycle.id)
    answered, missing, paused, skipped = [], [], [], []
    for member in members:
        status, _error = prompts.get(member.user_id, ("", None))
        if member.user_id in answers:
            answered.append(member.user_id)
        elif is_paused(clock, member, now):
            paused.append(member.user_id)
        elif status == DeliveryStatus.SKIPPED:
            skipped.append(member.user_id)
        else:
            missing.append(member.user_id)
    scores = [answers[u].score for u in answered]
    mean = sum(scores) / len(scores) if scores else None
    return WeekStatus(
        team.name,
        cycle.week,
        answered,
        missing,
        paused,
        mean,
        skipped,
        week_skip_reason([prompts[u][1] or "" for u in skipped]),
        sum(1 for status, _error in prompts.values() if status == DeliveryStatus.SENT),
    )
