"""Storing check-ins: the week's answer (once, or as an edit) and pulses."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.checkin.rules import Answer, validate
from bot.platform.errors import Conflict
from storage import checkin as store
from storage.models import CheckIn, Cycle, Team


def _row(team: Team, user_id: str, cycle: Cycle | None, answer: Answer, now: datetime) -> CheckIn:
    return CheckIn(
        team_id=team.id,
        user_id=user_id,
        cycle_id=cycle.id if cycle else None,
        kind="weekly" if cycle else "pulse",
        score=answer.score,
        deliverables=answer.deliverables,
        customers=answer.customers,
        note=answer.note,
        help=answer.help,
        visibility=answer.visibility or team.default_visibility,
        source=answer.source,
        created_at=now,
    )


@dataclass(frozen=True)
class Recorded:
    """A stored check-in and whether this call stored it (False: it was already there)."""

    checkin: CheckIn
    new: bool


def record_weekly(
    session: Session,
    team: Team,
    cycle: Cycle,
    user_id: str,
    answer: Answer,
    *,
    now: datetime,
    edit: bool = False,
) -> Recorded:
    """Store the week's answer; a second answer without `edit` keeps the first (double clicks)."""
    validate(answer)
    if cycle.closed_at is not None or now >= cycle.closes_at:
        raise Conflict(
            f"Week {cycle.week} has closed, so its answer can't change. "
            "`/oneness checkin` records how you are now."
        )
    existing = store.weekly_answer(session, cycle.id, user_id)
    if existing is not None and not edit:
        return Recorded(existing, new=False)
    if existing is not None:
        existing.superseded_at = now
    try:
        with session.begin_nested():
            row = store.add_checkin(session, _row(team, user_id, cycle, answer, now))
    except IntegrityError:
        # Another click or edit stored this week's answer a moment ago.
        if edit:
            raise Conflict("Another edit arrived at the same moment; press Edit again.") from None
        winner = store.weekly_answer(session, cycle.id, user_id)
        assert winner is not None
        return Recorded(winner, new=False)
    return Recorded(row, new=True)


def record_pulse(
    session: Session, team: Team, user_id: str, answer: Answer, *, now: datetime
) -> Recorded:
    """Store a check-in outside the weekly prompt."""
    validate(answer)
    return Recorded(store.add_checkin(session, _row(team, user_id, None, answer, now)), new=True)
