"""Queries over promises, weekly answers, breaks, the public page, the shared secret and rate
counts. Functions take the session first and never commit."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import case, delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from storage.db import affected
from storage.kinds import BreakStatus
from storage.models import (
    CustomerRating,
    Cycle,
    Promise,
    PromiseAnswer,
    PromiseBreak,
    PromisePage,
    RateCount,
    ServerSecret,
    Team,
)

# promises


def current_promise(session: Session, team_id: int) -> Promise | None:
    """The team's promise in force."""
    return session.scalar(
        select(Promise).where(Promise.team_id == team_id, Promise.superseded_at.is_(None))
    )


def promise_by_id(session: Session, promise_id: int) -> Promise | None:
    """A promise (current or earlier) by id."""
    return session.get(Promise, promise_id)


def promise_history(session: Session, team_id: int, limit: int) -> Sequence[Promise]:
    """The team's promises, newest first."""
    return session.scalars(
        select(Promise)
        .where(Promise.team_id == team_id)
        .order_by(Promise.created_at.desc(), Promise.id.desc())
        .limit(limit)
    ).all()


def replace_promise(session: Session, row: Promise, now: datetime) -> Promise:
    """Make `row` the team's promise; the one before is superseded (its history stays).

    Raises IntegrityError when another save made a current promise at the same moment.
    """
    session.execute(
        update(Promise)
        .where(Promise.team_id == row.team_id, Promise.superseded_at.is_(None))
        .values(superseded_at=now)
    )
    with session.begin_nested():
        session.add(row)
    return row


# the page


def page_of_team(session: Session, team_id: int) -> PromisePage | None:
    """The team's page row, on or off."""
    return session.scalar(select(PromisePage).where(PromisePage.team_id == team_id))


class PageTarget(NamedTuple):
    """What a request to a page token needs: the page, its team's name, channel and zone."""

    page_id: int
    team_id: int
    team_name: str
    channel_id: str
    timezone: str


def page_by_token(session: Session, token: str) -> PageTarget | None:
    """The switched-on page with this token, in one query."""
    row = session.execute(
        select(PromisePage.id, Team.id, Team.name, Team.channel_id, Team.timezone)
        .join(Team, Team.id == PromisePage.team_id)
        .where(PromisePage.token == token, PromisePage.enabled.is_(True))
    ).first()
    return PageTarget(*row) if row else None


def save_page(session: Session, row: PromisePage) -> PromisePage:
    """Insert or keep a page row."""
    session.add(row)
    session.flush()
    return row


# weekly answers


def weekly_answer(session: Session, cycle_id: int, user_id: str) -> PromiseAnswer | None:
    """A member's answer for a week."""
    return session.scalar(
        select(PromiseAnswer).where(
            PromiseAnswer.cycle_id == cycle_id, PromiseAnswer.user_id == user_id
        )
    )


def add_answer(session: Session, row: PromiseAnswer) -> PromiseAnswer | None:
    """Insert an answer; None when one for that member and week arrived first."""
    try:
        with session.begin_nested():
            session.add(row)
        return row
    except IntegrityError:
        return None


def answer_counts(
    session: Session, team_id: int, weeks: Sequence[str]
) -> dict[str, tuple[int, int]]:
    """(kept, broken) answers by ISO week, for a team's cycles in `weeks`."""
    if not weeks:
        return {}
    kept = func.sum(case((PromiseAnswer.kept.is_(True), 1), else_=0))
    broken = func.sum(case((PromiseAnswer.kept.is_(False), 1), else_=0))
    rows = session.execute(
        select(Cycle.week, kept, broken)
        .join(PromiseAnswer, PromiseAnswer.cycle_id == Cycle.id)
        .where(Cycle.team_id == team_id, Cycle.week.in_(list(weeks)))
        .group_by(Cycle.week)
    )
    return {week: (int(k or 0), int(b or 0)) for week, k, b in rows}


# breaks


def add_break(session: Session, row: PromiseBreak) -> PromiseBreak:
    """Insert a break."""
    session.add(row)
    session.flush()
    return row


def break_by_id(session: Session, break_id: int) -> PromiseBreak | None:
    """A break by id."""
    return session.get(PromiseBreak, break_id)


def take_ownership(session: Session, break_id: int, user_id: str, now: datetime) -> bool:
    """Make `user_id` the owner unless the break already has one or is closed (one owner, even
    when two clicks race)."""
    done = session.execute(
        update(PromiseBreak)
        .where(
            PromiseBreak.id == break_id,
            PromiseBreak.owner_id.is_(None),
            PromiseBreak.status == BreakStatus.OPEN,
        )
        .values(owner_id=user_id, owned_at=now)
    )
    session.expire_all()
    return bool(affected(done))


def open_breaks(session: Session) -> Sequence[PromiseBreak]:
    """Every open break, soonest deadline first (the tick's work)."""
    return session.scalars(
        select(PromiseBreak)
        .where(PromiseBreak.status == BreakStatus.OPEN)
        .order_by(PromiseBreak.remedy_due_at, PromiseBreak.id)
    ).all()


def open_breaks_owned_by(session: Session, user_id: str) -> Sequence[PromiseBreak]:
    """Open breaks whose remedy this person owns."""
    return session.scalars(
        select(PromiseBreak)
        .where(PromiseBreak.owner_id == user_id, PromiseBreak.status == BreakStatus.OPEN)
        .order_by(PromiseBreak.remedy_due_at)
    ).all()


class BreakColumns(NamedTuple):
    """What the record reads of a break."""

    source: str
    created_at: datetime
    status: str
    remedy_due_at: datetime
    closed_at: datetime | None


def breaks_since(session: Session, team_id: int, since: datetime) -> list[BreakColumns]:
    """A team's breaks reported since a moment (five columns, not whole rows)."""
    rows = session.execute(
        select(
            PromiseBreak.source,
            PromiseBreak.created_at,
            PromiseBreak.status,
            PromiseBreak.remedy_due_at,
            PromiseBreak.closed_at,
        ).where(PromiseBreak.team_id == team_id, PromiseBreak.created_at >= since)
    )
    return [BreakColumns(*row) for row in rows]


# export


def export_answers(
    session: Session, team_id: int, start: datetime | None, end: datetime | None
) -> Sequence[tuple[PromiseAnswer, str]]:
    """A team's weekly promise answers with the week, oldest first."""
    query = (
        select(PromiseAnswer, Cycle.week)
        .join(Cycle, Cycle.id == PromiseAnswer.cycle_id)
        .where(PromiseAnswer.team_id == team_id)
    )
    if start is not None:
        query = query.where(PromiseAnswer.created_at >= start)
    if end is not None:
        query = query.where(PromiseAnswer.created_at < end)
    rows = session.execute(query.order_by(PromiseAnswer.created_at, PromiseAnswer.id))
    return [(a, w) for a, w in rows]


def export_breaks(
    session: Session, team_id: int, start: datetime | None, end: datetime | None
) -> Sequence[PromiseBreak]:
    """A team's breaks, oldest first."""
    query = select(PromiseBreak).where(PromiseBreak.team_id == team_id)
    if start is not None:
        query = query.where(PromiseBreak.created_at >= start)
    if end is not None:
        query = query.where(PromiseBreak.created_at < end)
    return session.scalars(query.order_by(PromiseBreak.created_at, PromiseBreak.id)).all()


def export_ratings(
    session: Session, team_id: int, start: datetime | None, end: datetime | None
) -> Sequence[CustomerRating]:
    """A team's customer ratings (leads' and customers'), oldest first."""
    query = select(CustomerRating).where(CustomerRating.team_id == team_id)
    if start is not None:
        query = query.where(CustomerRating.created_at >= start)
    if end is not None:
        query = query.where(CustomerRating.created_at < end)
    return session.scalars(query.order_by(CustomerRating.created_at, CustomerRating.id)).all()


# the shared secret and rate counts


def secret(session: Session, name: str) -> str | None:
    """A shared secret's value."""
    return session.scalar(select(ServerSecret.value).where(ServerSecret.name == name))


def add_secret(session: Session, name: str, value: str, now: datetime) -> str:
    """Store a secret unless another process stored one first; returns the one that stands."""
    try:
        with session.begin_nested():
            session.add(ServerSecret(name=name, value=value, created_at=now))
        return value
    except IntegrityError:
        found = secret(session, name)
        assert found is not None
        return found


def count_hit(session: Session, key: str, limit: int, window_ends_at: datetime) -> bool:
    """Count one request under `key` in its window; False when the window's limit was reached.

    The check and the count are one UPDATE (or the first INSERT), so processes and replicas
    sharing the database never let more than `limit` through between them.
    """
    bumped = affected(
        session.execute(
            update(RateCount)
            .where(RateCount.key == key, RateCount.count < limit)
            .values(count=RateCount.count + 1)
        )
    )
    if bumped:
        return True
    if session.scalar(select(RateCount.count).where(RateCount.key == key)) is not None:
        return False
    try:
        with session.begin_nested():
            session.add(RateCount(key=key, count=1, window_ends_at=window_ends_at))
        return limit >= 1
    except IntegrityError:
        # Another request created the window's row a moment ago: count against it.
        return count_hit(session, key, limit, window_ends_at)


def prune_rate_counts(session: Session, now: datetime) -> int:
    """Forget counts of windows that have ended."""
    return affected(session.execute(delete(RateCount).where(RateCount.window_ends_at < now)))
