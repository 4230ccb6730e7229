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
    # Work the person sent that has not run yet carries their words; it goes too.
    counts["jobs"] = session.execute(delete(Job).where(Job.user_id == user_id)).rowcount
    session.execute(update(Team).where(Team.created_by == user_id).values(created_by=FORGOTTEN))
    return counts
