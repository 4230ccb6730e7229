"""Queries over cycles and check-ins. Functions take the session first and never commit."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from storage.kinds import CheckinKind
from storage.models import CheckIn, Cycle, ProcessedRequest


def cycle(session: Session, team_id: int, week: str) -> Cycle | None:
    """A team's cycle for an ISO week."""
    return session.scalar(select(Cycle).where(Cycle.team_id == team_id, Cycle.week == week))


def cycle_by_id(session: Session, cycle_id: int) -> Cycle | None:
    """A cycle by id."""
    return session.get(Cycle, cycle_id)


def ensure_cycle(
    session: Session, team_id: int, week: str, opens_at: datetime, closes_at: datetime
) -> Cycle:
    """The cycle for the week, created if missing (safe against a concurrent creator)."""
    existing = cycle(session, team_id, week)
    if existing is not None:
        return existing
    try:
        with session.begin_nested():
            row = Cycle(team_id=team_id, week=week, opens_at=opens_at, closes_at=closes_at)
            session.add(row)
        return row
    except IntegrityError:
        found = cycle(session, team_id, week)
        assert found is not None
        return found


def open_cycles(session: Session, now: datetime) -> Sequence[Cycle]:
    """Cycles that have opened and not yet closed."""
    return session.scalars(
        select(Cycle).where(Cycle.closed_at.is_(None), Cycle.opens_at <= now).order_by(Cycle.id)
    ).all()


def team_open_cycles(session: Session, team_id: int, now: datetime) -> Sequence[Cycle]:
    """A team's cycles that have opened and whose close has not come, oldest first."""
    return session.scalars(
        select(Cycle)
        .where(
            Cycle.team_id == team_id,
            Cycle.closed_at.is_(None),
            Cycle.opens_at <= now,
            Cycle.closes_at > now,
        )
        .order_by(Cycle.opens_at, Cycle.id)
    ).all()


def weekly_answer(session: Session, cycle_id: int, user_id: str) -> CheckIn | None:
    """The member's current weekly answer for a cycle."""
    return session.scalar(
        select(CheckIn).where(
            CheckIn.cycle_id == cycle_id,
            CheckIn.user_id == user_id,
            CheckIn.kind == CheckinKind.WEEKLY,
            CheckIn.superseded_at.is_(None),
        )
    )


def answered_user_ids(session: Session, cycle_id: int) -> set[str]:
    """Who has a weekly answer in a cycle."""
    return set(
        session.scalars(
            select(CheckIn.user_id).where(
                CheckIn.cycle_id == cycle_id,
                CheckIn.kind == CheckinKind.WEEKLY,
                CheckIn.superseded_at.is_(None),
            )
        )
    )


def current_answers(session: Session, cycle_id: int) -> Sequence[CheckIn]:
    """Every member's current weekly answer in a cycle."""
    return session.scalars(
        select(CheckIn).where(
            CheckIn.cycle_id == cycle_id,
            CheckIn.kind == CheckinKind.WEEKLY,
            CheckIn.superseded_at.is_(None),
        )
    ).all()


def add_checkin(session: Session, row: CheckIn) -> CheckIn:
    """Append a check-in."""
    session.add(row)
    session.flush()
    return row


def recent_checkins(
    session: Session, team_id: int | None, user_id: str, *, limit: int
) -> Sequence[CheckIn]:
    """A person's latest current check-ins, newest first (one team, or all when None)."""
    query = select(CheckIn).where(CheckIn.user_id == user_id, CheckIn.superseded_at.is_(None))
    if team_id is not None:
        query = query.where(CheckIn.team_id == team_id)
    return session.scalars(
        query.order_by(CheckIn.created_at.desc(), CheckIn.id.desc()).limit(limit)
    ).all()


def claim_request(session: Session, key: str, now: datetime) -> bool:
    """Record that a Slack delivery (event, click, submission) is handled; False if seen before."""
    try:
        with session.begin_nested():
            session.add(ProcessedRequest(key=key[:200], created_at=now))
        return True
    except IntegrityError:
        return False


def previous_scores(session: Session, checkin: CheckIn, *, limit: int) -> list[int]:
    """The member's current scores in the team before this check-in, newest first."""
    rows = session.scalars(
        select(CheckIn.score)
        .where(
            CheckIn.team_id == checkin.team_id,
            CheckIn.user_id == checkin.user_id,
            CheckIn.superseded_at.is_(None),
            CheckIn.id != checkin.id,
            CheckIn.created_at <= checkin.created_at,
        )
        .order_by(CheckIn.created_at.desc(), CheckIn.id.desc())
        .limit(limit)
    )
    return list(rows)


def checkin_by_id(session: Session, checkin_id: int) -> CheckIn | None:
    """One check-in."""
    return session.get(CheckIn, checkin_id)


def by_message(session: Session, user_id: str, message_ts: str) -> CheckIn | None:
    """The current check-in read from one of the person's DM messages."""
    return session.scalar(
        select(CheckIn).where(
            CheckIn.user_id == user_id,
            CheckIn.message_ts == message_ts,
            CheckIn.superseded_at.is_(None),
        )
    )


def delete_checkin(session: Session, row: CheckIn) -> None:
    """Delete a check-in and the versions it superseded (a number that was not a score)."""
    if row.message_ts:
        session.execute(
            delete(CheckIn).where(
                CheckIn.user_id == row.user_id, CheckIn.message_ts == row.message_ts
            )
        )
    else:
        session.delete(row)
    session.flush()
