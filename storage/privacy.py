"""Deleting everything stored about one person (`/oneness forget me`)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine, delete, or_, select, update
from sqlalchemy.orm import Session

from storage.db import affected
from storage.kinds import DeliveryStatus
from storage.models import (
    CheckIn,
    CustomerRating,
    Cycle,
    Delivery,
    Job,
    Lead,
    Member,
    Offer,
    Promise,
    PromiseAnswer,
    PromiseBreak,
    Rally,
    Team,
)

FORGOTTEN = ""


@dataclass(frozen=True)
class OpenNudge:
    """A channel message about the person's rally, to be edited to "withdrawn"."""

    channel_id: str
    message_ts: str


def nudges_about(session: Session, user_id: str) -> list[OpenNudge]:
    """Channel nudges of the person's rallies that are still shown."""
    rows = session.execute(
        select(Rally.channel_id, Rally.message_ts).where(
            Rally.user_id == user_id, Rally.message_ts.is_not(None)
        )
    )
    return [OpenNudge(c, t) for c, t in rows if c and t]


@dataclass(frozen=True)
class SentMessage:
    """A message the bot posted, where it is, and for what (its delivery key)."""

    key: str
    channel_id: str
    message_ts: str
    cycle_id: int | None


def messages_quoting(session: Session, user_id: str) -> list[SentMessage]:
    """DMs that showed the person's check-ins, rallies or name: those to other people about the
    person's rallies (leads-only, owner, escalation, follow-ups) and the person's own DMs.
    Channel nudges are left to `nudges_about`."""
    own_rallies = session.scalars(select(Rally.id).where(Rally.user_id == user_id)).all()
    about = or_(
        Delivery.user_id == user_id,
        *(Delivery.key.startswith(f"rally:{rid}:", autoescape=True) for rid in own_rallies),
    )
    rows = session.scalars(
        select(Delivery).where(
            about,
            Delivery.status == DeliveryStatus.SENT,
            Delivery.kind != "nudge",
            Delivery.channel_id.is_not(None),
            Delivery.message_ts.is_not(None),
            Delivery.kind != "file",
        )
    )
    return [SentMessage(d.key, d.channel_id or "", d.message_ts or "", d.cycle_id) for d in rows]


def summaries_showing(session: Session, user_id: str) -> list[SentMessage]:
    """Summary posts (the channel's and the leads') of weeks the person answered, or had a
    rally open in: they may name the person or quote their note."""
    cycles = set(
        session.scalars(
            select(CheckIn.cycle_id).where(
                CheckIn.user_id == user_id, CheckIn.cycle_id.is_not(None)
            )
        )
    )
    for rally in session.scalars(select(Rally).where(Rally.user_id == user_id)):
        during = [Cycle.team_id == rally.team_id, Cycle.closes_at >= rally.opened_at]
        if rally.closed_at is not None:
            during.append(Cycle.opens_at <= rally.closed_at)
        cycles |= set(session.scalars(select(Cycle.id).where(*during)))
    found: list[SentMessage] = []
    for cycle_id in sorted(c for c in cycles if c is not None):
        rows = session.scalars(
            select(Delivery).where(
                Delivery.kind == "summary",
                Delivery.status == DeliveryStatus.SENT,
                Delivery.channel_id.is_not(None),
                Delivery.message_ts.is_not(None),
                (Delivery.key == f"summary:{cycle_id}")
                | Delivery.key.startswith(f"summary:{cycle_id}:", autoescape=True),
            )
        )
        found += [
            SentMessage(d.key, d.channel_id or "", d.message_ts or "", cycle_id) for d in rows
        ]
    return found


def forget(session: Session, user_id: str) -> dict[str, int]:
    """Delete the person's answers, rallies, offers, ratings, deliveries and memberships.

    Rows that other people own keep existing but lose the reference (a team the person created,
    a rally they owned, a rating they logged). Returns how many rows each step removed.
    """
    counts: dict[str, int] = {}
    own_rallies = select(Rally.id).where(Rally.user_id == user_id)
    counts["offers"] = affected(
        session.execute(
            delete(Offer).where((Offer.helper_id == user_id) | Offer.rally_id.in_(own_rallies))
        )
    )
    counts["rallies"] = affected(session.execute(delete(Rally).where(Rally.user_id == user_id)))
    session.execute(update(Rally).where(Rally.owner_id == user_id).values(owner_id=None))
    counts["checkins"] = affected(
        session.execute(delete(CheckIn).where(CheckIn.user_id == user_id))
    )
    counts["ratings"] = affected(
        session.execute(delete(CustomerRating).where(CustomerRating.user_id == user_id))
    )
    session.execute(
        update(CustomerRating)
        .where(CustomerRating.logged_by == user_id)
        .values(logged_by=FORGOTTEN)
    )
    # Delivery keys name the recipient (prompt:<cycle>:<user>, rally:<id>:owner:<user>).
    counts["deliveries"] = affected(
        session.execute(
            delete(Delivery).where(
                (Delivery.user_id == user_id) | Delivery.key.contains(user_id, autoescape=True)
            )
        )
    )
    counts["memberships"] = affected(
        session.execute(delete(Member).where(Member.user_id == user_id))
    )
    counts["lead_roles"] = affected(session.execute(delete(Lead).where(Lead.user_id == user_id)))
    # Their weekly "did we keep our promise?" answers go; breaks they reported or owned stay
    # the team's record (customers see their counts) but no longer name them.
    counts["promise_answers"] = affected(
        session.execute(delete(PromiseAnswer).where(PromiseAnswer.user_id == user_id))
    )
    session.execute(
        update(PromiseBreak).where(PromiseBreak.reported_by == user_id).values(reported_by=None)
    )
    session.execute(
        update(PromiseBreak).where(PromiseBreak.owner_id == user_id).values(owner_id=None)
    )
    session.execute(
        update(PromiseBreak).where(PromiseBreak.closed_by == user_id).values(closed_by=None)
    )
    session.execute(update(Promise).where(Promise.set_by == user_id).values(set_by=FORGOTTEN))
    # Work the person sent that has not run yet carries their words; it goes too.
    counts["jobs"] = affected(session.execute(delete(Job).where(Job.user_id == user_id)))
    session.execute(update(Team).where(Team.created_by == user_id).values(created_by=FORGOTTEN))
    return counts


def scrub(engine: Engine) -> None:
    """After a forget: on SQLite, fold the write-ahead log into the (secure_delete) database
    file and empty it, so deleted text survives in neither file. PostgreSQL reuses the space
    of deleted rows at its next vacuum."""
    if engine.dialect.name != "sqlite":
        return
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")


def breaks_naming(session: Session, user_id: str) -> list[int]:
    """Breaks whose channel post names the person (as reporter or owner)."""
    return list(
        session.scalars(
            select(PromiseBreak.id).where(
                (PromiseBreak.reported_by == user_id) | (PromiseBreak.owner_id == user_id)
            )
        )
    )


def forget_contact(session: Session, team_id: int, contact: str) -> list[int]:
    """Remove a customer's contact from the team's breaks (a `forget` request); the ids of the
    breaks it was on, whose leads' DMs are then redone without it."""
    wanted = contact.strip().lower()
    rows = session.scalars(
        select(PromiseBreak).where(
            PromiseBreak.team_id == team_id, PromiseBreak.contact.is_not(None)
        )
    ).all()
    changed = [row for row in rows if (row.contact or "").strip().lower() == wanted]
    for row in changed:
        row.contact = None
    return [row.id for row in changed]
