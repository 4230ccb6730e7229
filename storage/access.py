"""Channel access and delivery health: what waits for the bot to be invited, what failed.

Functions take the session first and never commit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, func, or_, select, update
from sqlalchemy.orm import Session

from storage.jobs import MAX_ATTEMPTS
from storage.kinds import DeliveryStatus
from storage.models import Cycle, Delivery, Job, Lead, Member, Team


def teams_in_channel(session: Session, channel_id: str) -> Sequence[Team]:
    """The teams bound to a channel (one; a sequence so a missing one is simply empty)."""
    return session.scalars(select(Team).where(Team.channel_id == channel_id)).all()


def set_access(session: Session, channel_id: str, present: bool, now: datetime) -> None:
    """Remember whether the bot is in a channel, for every team bound to it; once it is in,
    a later loss of access is told to the leads again."""
    for team in teams_in_channel(session, channel_id):
        team.bot_in_channel, team.access_checked_at = present, now
        if present:
            team.access_told_at = None


def note_present(session: Session, channel_id: str, now: datetime) -> None:
    """A post went through: the bot is in the channel (written only when that is news)."""
    for team in teams_in_channel(session, channel_id):
        if team.bot_in_channel is not True:
            set_access(session, channel_id, True, now)
            return


def fail_waiting(session: Session, channel_id: str, reason: str) -> int:
    """The channel is out of reach for good (archived, or not found by conversations.info):
    what waited for it has failed. Returns how many."""
    rows = waiting(session, channel_id)
    for row in rows:
        row.status, row.error = DeliveryStatus.FAILED, reason
    return len(rows)


def claim_telling(session: Session, team_id: int, now: datetime) -> bool:
    """True for exactly one caller per wait (an atomic compare-and-set on the team's row):
    that caller tells the leads; concurrent refusals do not tell them again."""
    result = session.execute(
        update(Team)
        .where(Team.id == team_id, Team.access_told_at.is_(None))
        .values(access_told_at=now)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0) == 1)


def waiting(session: Session, channel_id: str | None = None) -> Sequence[Delivery]:
    """Deliveries waiting for access (to one channel), oldest first."""
    query = select(Delivery).where(Delivery.status == DeliveryStatus.WAITING_ACCESS)
    if channel_id is not None:
        query = query.where(Delivery.channel_id == channel_id)
    return session.scalars(query.order_by(Delivery.id)).all()


def waiting_channels(session: Session) -> list[str]:
    """Channels that have deliveries waiting for access."""
    query = (
        select(Delivery.channel_id)
        .where(Delivery.status == DeliveryStatus.WAITING_ACCESS)
        .group_by(Delivery.channel_id)
    )
    return [c for c in session.scalars(query) if c]


def oldest_waiting(session: Session, channel_id: str) -> Delivery | None:
    """The first delivery of the current wait for a channel: it names the leads' one DM."""
    return session.scalar(
        select(Delivery)
        .where(Delivery.status == DeliveryStatus.WAITING_ACCESS, Delivery.channel_id == channel_id)
        .order_by(Delivery.id)
        .limit(1)
    )


def take_waiting(session: Session, key: str) -> Delivery | None:
    """Make a waiting delivery pending again, so exactly one caller re-posts it; None when it
    was not waiting (another event or process took it)."""
    row = session.scalar(
        select(Delivery).where(
            Delivery.key == key, Delivery.status == DeliveryStatus.WAITING_ACCESS
        )
    )
    if row is None:
        return None
    row.status, row.error = DeliveryStatus.PENDING, None
    session.flush()
    return row


def put_back(session: Session, key: str, channel_id: str) -> None:
    """A re-post that failed for a passing reason waits again for the next chance."""
    row = session.scalar(select(Delivery).where(Delivery.key == key))
    if row is not None and row.status == DeliveryStatus.PENDING:
        row.status, row.channel_id = DeliveryStatus.WAITING_ACCESS, channel_id


@dataclass(frozen=True)
class Health:
    """A team's delivery health for its leads: counts only, nothing personal."""

    prompts_skipped: int
    failed: int
    waiting: int
    unreachable: int
    dead_jobs: int


def team_health(session: Session, team: Team, cycle_id: int | None, since: datetime) -> Health:
    """Counts for the lead's App Home: prompts skipped in the cycle, deliveries of the team
    failed since `since` or waiting for access, people whose prompt or reminder could not be
    delivered since `since`, and jobs of the team's people given up on (dead)."""
    cycles = select(Cycle.id).where(Cycle.team_id == team.id)
    members = select(Member.user_id).where(Member.team_id == team.id, Member.active.is_(True))
    mine = or_(Delivery.cycle_id.in_(cycles), Delivery.channel_id == team.channel_id)
    recent = Delivery.created_at >= since

    def count(*where: ColumnElement[bool]) -> int:
        return int(session.scalar(select(func.count()).select_from(Delivery).where(*where)) or 0)

    skipped = (
        count(
            Delivery.cycle_id == cycle_id,
            Delivery.kind == "prompt",
            Delivery.status == DeliveryStatus.SKIPPED,
        )
        if cycle_id is not None
        else 0
    )
    # Members the bot could not DM (their account is gone: they are no longer prompted).
    unreachable = int(
        session.scalar(
            select(func.count(func.distinct(Delivery.user_id))).where(
                Delivery.cycle_id.in_(cycles),
                Delivery.kind.in_(("prompt", "reminder")),
                Delivery.status == DeliveryStatus.FAILED,
                recent,
            )
        )
        or 0
    )
    people = members.union(select(Lead.user_id).where(Lead.team_id == team.id))
    dead = session.scalar(
        select(func.count())
        .select_from(Job)
        .where(Job.attempts >= MAX_ATTEMPTS, Job.user_id.in_(people))
    )
    return Health(
        dead_jobs=int(dead or 0),
        prompts_skipped=skipped,
        failed=count(mine, recent, Delivery.status == DeliveryStatus.FAILED),
        waiting=count(
            Delivery.channel_id == team.channel_id,
            Delivery.status == DeliveryStatus.WAITING_ACCESS,
        ),
        unreachable=unreachable,
    )
