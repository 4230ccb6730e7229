"""The outgoing-message ledger: one row per unique key. Functions never commit."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from storage.kinds import DeliveryStatus
from storage.models import Delivery


def get(session: Session, key: str) -> Delivery | None:
    """The delivery recorded under a key."""
    return session.scalar(select(Delivery).where(Delivery.key == key))


def claim(
    session: Session,
    key: str,
    *,
    kind: str,
    user_id: str | None,
    cycle_id: int | None,
    now: datetime,
) -> tuple[Delivery, bool]:
    """The row for `key`, and True when this call created it (a new delivery to attempt)."""
    existing = get(session, key)
    if existing is not None:
        return existing, False
    try:
        with session.begin_nested():
            row = Delivery(
                key=key,
                kind=kind,
                user_id=user_id,
                cycle_id=cycle_id,
                status=DeliveryStatus.PENDING,
                created_at=now,
                attempts=0,
            )
            session.add(row)
        return row, True
    except IntegrityError:
        found = get(session, key)
        assert found is not None
        return found, False


def for_cycle(session: Session, cycle_id: int, kind: str) -> Sequence[Delivery]:
    """Deliveries of one kind in a cycle."""
    return session.scalars(
        select(Delivery).where(Delivery.cycle_id == cycle_id, Delivery.kind == kind)
    ).all()


def reopen_skipped(session: Session, key: str) -> bool:
    """Make a skipped delivery pending again (a lead's `send`); False when it was not skipped."""
    row = get(session, key)
    if row is None or row.status != DeliveryStatus.SKIPPED:
        return False
    row.status, row.error = DeliveryStatus.PENDING, None
    return True
