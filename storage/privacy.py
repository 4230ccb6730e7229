"""Deleting everything stored about one person (`/oneness forget me`)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from storage.models import (
    CheckIn,
    CustomerRating,
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


def forget(session: Session, user_id: str) -> dict[str, int]:
    """Delete the person's answers, rallies, offers, ratings, deliveries and memberships.

    Rows that other people own keep existing but lose the reference (a team the person created,
    a rally they owned, a rating they logged). Returns how many rows each step removed.
    """
    counts: dict[str, int] = {}
    own_rallies = select(Rally.id).where(Rally.user_id == user_id)
    counts["offers"] = session.execute(
        delete(Offer).where((Offer.helper_id == user_id) | Offer.rally_id.in_(own_rallies))
    ).rowcount
    counts["rallies"] = session.execute(delete(Rally).where(Rally.user_id == user_id)).rowcount
    session.execute(update(Rally).where(Rally.owner_id == user_id).values(owner_id=None))
    counts["checkins"] = session.execute(delete(CheckIn).where(CheckIn.user_id == user_id)).rowcount
    counts["ratings"] = session.execute(
        delete(CustomerRating).where(CustomerRating.user_id == user_id)
    ).rowcount
    session.execute(
        update(CustomerRating)
        .where(CustomerRating.logged_by == user_id)
        .values(logged_by=FORGOTTEN)
    )
    # Delivery keys name the recipient (prompt:<cycle>:<user>, rally:<id>:owner:<user>).
    counts["deliveries"] = session.execute(
        delete(Delivery).where(
            (Delivery.user_id == user_id) | Delivery.key.contains(user_id, autoescape=True)
        )
    ).rowcount
    counts["memberships"] = session.execute(
        delete(Member).where(Member.user_id == user_id)
    ).rowcount
    counts["lead_roles"] = session.execute(delete(Lead).where(Lead.user_id == user_id)).rowcount
    # Their weekly "did we keep our promise?" answers go; breaks they reported or owned stay
    # the team's record (customers see their counts) but no longer name them.
    counts["promise_answers"] = session.execute(
        delete(PromiseAnswer).where(PromiseAnswer.user_id == user_id)
    ).rowcount
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
    counts["jobs"] = session.execute(delete(Job).where(Job.user_id == user_id)).rowcount
    session.execute(update(Team).where(Team.created_by == user_id).values(created_by=FORGOTTEN))
    return counts


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
