"""Queries over rallies and offers. Functions take the session first and never commit."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from storage.kinds import RallyStatus
from storage.models import Offer, Rally


def open_rally(session: Session, team_id: int, user_id: str) -> Rally | None:
    """The member's open rally in a team."""
    return session.scalar(
        select(Rally).where(
            Rally.team_id == team_id, Rally.user_id == user_id, Rally.status == RallyStatus.OPEN
        )
    )


def rally_by_id(session: Session, rally_id: int) -> Rally | None:
    """A rally by id."""
    return session.get(Rally, rally_id)


def add_rally(session: Session, row: Rally) -> Rally:
    """Insert a rally."""
    session.add(row)
    session.flush()
    return row


def open_rallies(session: Session, team_id: int | None = None) -> Sequence[Rally]:
    """Open rallies, oldest first (one team, or all)."""
    query = select(Rally).where(Rally.status == RallyStatus.OPEN)
    if team_id is not None:
        query = query.where(Rally.team_id == team_id)
    return session.scalars(query.order_by(Rally.id)).all()


def offers(session: Session, rally_id: int) -> Sequence[Offer]:
    """Offers on a rally, first first."""
    return session.scalars(select(Offer).where(Offer.rally_id == rally_id).order_by(Offer.id)).all()


def offer_count(session: Session, rally_id: int) -> int:
    """How many offered."""
    return session.scalar(select(func.count()).where(Offer.rally_id == rally_id)) or 0


def offer_by_id(session: Session, offer_id: int) -> Offer | None:
    """An offer by id."""
    return session.get(Offer, offer_id)


def add_offer(session: Session, rally_id: int, helper_id: str, now: datetime) -> Offer | None:
    """Record an offer; None when this helper already offered."""
    try:
        with session.begin_nested():
            row = Offer(rally_id=rally_id, helper_id=helper_id, created_at=now)
            session.add(row)
        return row
    except IntegrityError:
        return None


def rallies_helped_by(session: Session, user_id: str) -> Sequence[Rally]:
    """Open rallies the person owns or offered on."""
    offered = select(Offer.rally_id).where(Offer.helper_id == user_id)
    return session.scalars(
        select(Rally)
        .where(
            Rally.status == RallyStatus.OPEN, or_(Rally.owner_id == user_id, Rally.id.in_(offered))
        )
        .order_by(Rally.id)
    ).all()


def rally_for_checkin(session: Session, checkin_id: int) -> Rally | None:
    """The rally a check-in opened or last updated."""
    return session.scalar(select(Rally).where(Rally.checkin_id == checkin_id))


def rallies_owned_by(session: Session, user_id: str, team_id: int | None = None) -> Sequence[Rally]:
    """Open rallies the person owns (in one team, or in all when None)."""
    query = select(Rally).where(Rally.status == RallyStatus.OPEN, Rally.owner_id == user_id)
    if team_id is not None:
        query = query.where(Rally.team_id == team_id)
    return session.scalars(query.order_by(Rally.id)).all()
