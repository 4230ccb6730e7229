"""Queries over teams, members and leads. Functions take the session first and never commit."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from storage.models import CustomerRating, Lead, Member, Team


def team_by_channel(session: Session, channel_id: str) -> Team | None:
    """The team bound to a channel."""
    return session.scalar(select(Team).where(Team.channel_id == channel_id))


def team_by_name(session: Session, name: str) -> Team | None:
    """A team by name, case-insensitively."""
    return session.scalar(select(Team).where(func.lower(Team.name) == name.lower()))


def team_by_id(session: Session, team_id: int) -> Team | None:
    """A team by its id."""
    return session.get(Team, team_id)


def teams_of(session: Session, user_id: str) -> Sequence[Team]:
    """Teams the person is an active member or a lead of, by name."""
    member_of = select(Member.team_id).where(Member.user_id == user_id, Member.active.is_(True))
    lead_of = select(Lead.team_id).where(Lead.user_id == user_id)
    return session.scalars(
        select(Team).where(or_(Team.id.in_(member_of), Team.id.in_(lead_of))).order_by(Team.name)
    ).all()


def all_teams(session: Session) -> Sequence[Team]:
    """Every team, by id."""
    return session.scalars(select(Team).order_by(Team.id)).all()


def create_team(session: Session, **fields: object) -> Team:
    """Insert a team."""
    team = Team(**fields)
    session.add(team)
    session.flush()
    return team


def member(session: Session, team_id: int, user_id: str) -> Member | None:
    """The membership row, active or not."""
    return session.scalar(
        select(Member).where(Member.team_id == team_id, Member.user_id == user_id)
    )


def add_member(
    session: Session,
    team_id: int,
    user_id: str,
    *,
    display_name: str,
    tz: str | None,
    now: datetime,
) -> Member:
    """Insert or reactivate a membership."""
    row = member(session, team_id, user_id)
    if row is None:
        row = Member(
            team_id=team_id,
            user_id=user_id,
            display_name=display_name,
            tz=tz,
            joined_at=now,
            active=True,
        )
        session.add(row)
    else:
        row.active, row.left_at, row.display_name, row.tz = True, None, display_name, tz
        row.joined_at = now
    session.flush()
    return row


def deactivate_member(session: Session, row: Member, now: datetime) -> None:
    """Mark a membership as left (history stays)."""
    row.active = False
    row.left_at = now


def lead_ids(session: Session, team_id: int) -> list[str]:
    """User ids of a team's leads."""
    return list(
        session.scalars(select(Lead.user_id).where(Lead.team_id == team_id).order_by(Lead.id))
    )


def is_lead(session: Session, team_id: int, user_id: str) -> bool:
    """True when the person leads the team."""
    return (
        session.scalar(select(Lead.id).where(Lead.team_id == team_id, Lead.user_id == user_id))
        is not None
    )


def add_lead(session: Session, team_id: int, user_id: str, now: datetime) -> bool:
    """Make someone a lead; False when they already were."""
    if is_lead(session, team_id, user_id):
        return False
    session.add(Lead(team_id=team_id, user_id=user_id, added_at=now))
    session.flush()
    return True


def remove_lead(session: Session, team_id: int, user_id: str) -> None:
    """Take away someone's lead role."""
    row = session.scalar(select(Lead).where(Lead.team_id == team_id, Lead.user_id == user_id))
    if row is not None:
        session.delete(row)
        session.flush()


def add_rating(session: Session, row: CustomerRating) -> CustomerRating:
    """Log a customer rating."""
    session.add(row)
    session.flush()
    return row


def ratings_for(session: Session, team_id: int, user_id: str | None) -> Sequence[CustomerRating]:
    """A member's (or the team's, for None) customer ratings, oldest first."""
    query = select(CustomerRating).where(CustomerRating.team_id == team_id)
    query = query.where(
        CustomerRating.user_id == user_id if user_id else CustomerRating.user_id.is_(None)
    )
    return session.scalars(query.order_by(CustomerRating.created_at)).all()


def member_names(session: Session, team_id: int) -> dict[str, str]:
    """Active members' display names by user id (two columns, not whole rows)."""
    rows = session.execute(
        select(Member.user_id, Member.display_name).where(
            Member.team_id == team_id, Member.active.is_(True)
        )
    )
    return {user: name or user for user, name in rows}


def member_schedules(
    session: Session, team_id: int
) -> list[tuple[str, str | None, datetime, date | None, datetime | None]]:
    """(user id, tz, joined at, paused until, paused at) of active members, by join time."""
    rows = session.execute(
        select(Member.user_id, Member.tz, Member.joined_at, Member.paused_until, Member.paused_at)
        .where(Member.team_id == team_id, Member.active.is_(True))
        .order_by(Member.joined_at, Member.id)
    )
    return [(u, tz, joined, until, since) for u, tz, joined, until, since in rows]
