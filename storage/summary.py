"""Reading what a weekly summary and an export need, in a few set-based queries."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.kinds import CheckinKind, DeliveryStatus, RallyStatus
from storage.models import CheckIn, CustomerRating, Cycle, Delivery, Rally, Team


def recent_cycles(session: Session, team_id: int, upto_week: str, limit: int) -> list[Cycle]:
    """A team's cycles up to and including a week, oldest first."""
    rows = session.scalars(
        select(Cycle)
        .where(Cycle.team_id == team_id, Cycle.week <= upto_week)
        .order_by(Cycle.week.desc())
        .limit(limit)
    ).all()
    return list(reversed(rows))


class AnswerColumns(NamedTuple):
    """The columns of a weekly answer that a summary reads (whole rows cost 3x as much)."""

    cycle_id: int
    user_id: str
    score: int
    deliverables: int | None
    customers: int | None
    help: str
    visibility: str
    note: str


def current_weekly_answers(session: Session, cycle_ids: Sequence[int]) -> list[AnswerColumns]:
    """The current weekly answers of several cycles at once."""
    if not cycle_ids:
        return []
    rows = session.execute(
        select(
            CheckIn.cycle_id,
            CheckIn.user_id,
            CheckIn.score,
            CheckIn.deliverables,
            CheckIn.customers,
            CheckIn.help,
            CheckIn.visibility,
            CheckIn.note,
        ).where(
            CheckIn.cycle_id.in_(cycle_ids),
            CheckIn.kind == CheckinKind.WEEKLY,
            CheckIn.superseded_at.is_(None),
        )
    )
    return [AnswerColumns(*row) for row in rows]  # type: ignore[arg-type]


def prompted(session: Session, cycle_ids: Sequence[int]) -> Sequence[tuple[int, str]]:
    """(cycle id, user id) of everyone whose prompt was delivered in these cycles."""
    if not cycle_ids:
        return []
    rows = session.execute(
        select(Delivery.cycle_id, Delivery.user_id).where(
            Delivery.cycle_id.in_(cycle_ids),
            Delivery.kind == "prompt",
            Delivery.status == DeliveryStatus.SENT,
        )
    )
    return [(c, u) for c, u in rows if c is not None and u is not None]


def prompt_outcomes(session: Session, cycle_id: int) -> dict[str, tuple[str, str | None]]:
    """Each member's prompt in a cycle: (status, error) by user id (three columns, no rows)."""
    rows = session.execute(
        select(Delivery.user_id, Delivery.status, Delivery.error).where(
            Delivery.cycle_id == cycle_id, Delivery.kind == "prompt"
        )
    )
    return {u: (status, error) for u, status, error in rows if u is not None}


def skipped_prompts(session: Session, cycle_id: int) -> list[tuple[str, str]]:
    """(user id, why) of everyone whose prompt in a cycle was skipped rather than sent."""
    rows = session.execute(
        select(Delivery.user_id, Delivery.error).where(
            Delivery.cycle_id == cycle_id,
            Delivery.kind == "prompt",
            Delivery.status == DeliveryStatus.SKIPPED,
        )
    )
    return [(u, e or "") for u, e in rows if u is not None]


def ratings_since(session: Session, team_id: int, since: datetime) -> Sequence[CustomerRating]:
    """Customer ratings of a team logged since a moment."""
    return session.scalars(
        select(CustomerRating).where(
            CustomerRating.team_id == team_id, CustomerRating.created_at >= since
        )
    ).all()


def open_team_rallies(session: Session, team_id: int) -> Sequence[Rally]:
    """A team's open rallies."""
    return session.scalars(
        select(Rally)
        .where(Rally.team_id == team_id, Rally.status == RallyStatus.OPEN)
        .order_by(Rally.id)
    ).all()


def export_rows(
    session: Session, team_id: int, start: datetime | None, end: datetime | None
) -> Sequence[tuple[CheckIn, str | None, str]]:
    """Every check-in of a team (edits included) with its cycle's week and the team name."""
    query = (
        select(CheckIn, Cycle.week, Team.name)
        .join(Team, Team.id == CheckIn.team_id)
        .outerjoin(Cycle, Cycle.id == CheckIn.cycle_id)
        .where(CheckIn.team_id == team_id)
    )
    if start is not None:
        query = query.where(CheckIn.created_at >= start)
    if end is not None:
        query = query.where(CheckIn.created_at < end)
    return [
        (c, w, n) for c, w, n in session.execute(query.order_by(CheckIn.created_at, CheckIn.id))
    ]
