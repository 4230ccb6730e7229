"""Storing check-ins: the week's answer (once, or as an edit) and pulses."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.checkin.rules import Answer, validate
from bot.platform.errors import Conflict
from storage import checkin as store
from storage import teams as team_store
from storage.kinds import CheckinKind, CheckinSource
from storage.models import CheckIn, Cycle, Team


def visibility_for(session: Session, team: Team, user_id: str, answer: Answer) -> str:
    """The answer's own choice, else the member's last explicit one, else the team's default."""
    if answer.visibility is not None:
        return answer.visibility
    member = team_store.member(session, team.id, user_id)
    if member is not None and member.visibility:
        return member.visibility
    return team.default_visibility


def remember_visibility(session: Session, team: Team, user_id: str, answer: Answer) -> None:
    """An explicit choice sticks: later answers without one use it."""
    if answer.visibility is None:
        return
    member = team_store.member(session, team.id, user_id)
    if member is not None:
        member.visibility = answer.visibility


def _row(
    session: Session, team: Team, user_id: str, cycle: Cycle | None, answer: Answer, now: datetime
) -> CheckIn:
    return CheckIn(
        team_id=team.id,
        user_id=user_id,
        cycle_id=cycle.id if cycle else None,
        kind=CheckinKind.WEEKLY if cycle else CheckinKind.PULSE,
        score=answer.score,
        deliverables=answer.deliverables,
        customers=answer.customers,
        note=answer.note,
        help=answer.help,
        visibility=visibility_for(session, team, user_id, answer),
        source=answer.source,
        message_ts=answer.message_ts,
        created_at=now,
    )


@dataclass(frozen=True)
class Recorded:
    """A stored check-in and whether this call stored it (False: it was already there)."""

    checkin: CheckIn
    new: bool


def record_weekly(
    session: Session,
    team: Team,
    cycle: Cycle,
    user_id: str,
    answer: Answer,
    *,
    now: datetime,
    edit: bool = False,
) -> Recorded:
    """Store the week's answer; a second answer without `edit` keeps the first (double clicks)."""
    validate(answer)
    remember_visibility(session, team, user_id, answer)
    if cycle.closed_at is not None or now >= cycle.closes_at:
        raise Conflict(
            f"Week {cycle.week} has closed, so its answer can't change. "
            "`/oneness checkin` records how you are now."
        )
    existing = store.weekly_answer(session, cycle.id, user_id)
    if existing is not None and not edit:
        return Recorded(existing, new=False)
    if existing is not None:
        existing.superseded_at = now
    # Built before the savepoint: on SQLite a read inside it would pin a snapshot that a
    # concurrent writer can make stale, and the insert would then fail at once as "locked".
    fresh = _row(session, team, user_id, cycle, answer, now)
    try:
        with session.begin_nested():
            row = store.add_checkin(session, fresh)
    except IntegrityError:
        # Another click or edit stored this week's answer a moment ago.
        if edit:
            raise Conflict("Another edit arrived at the same moment; press Edit again.") from None
        winner = store.weekly_answer(session, cycle.id, user_id)
        assert winner is not None
        return Recorded(winner, new=False)
    return Recorded(row, new=True)


def record_pulse(
    session: Session, team: Team, user_id: str, answer: Answer, *, now: datetime
) -> Recorded:
    """Store a check-in outside the weekly prompt."""
    validate(answer)
    remember_visibility(session, team, user_id, answer)
    return Recorded(
        store.add_checkin(session, _row(session, team, user_id, None, answer, now)), new=True
    )


def record_click(
    session: Session, team: Team, cycle: Cycle, user_id: str, score: int, *, now: datetime
) -> Recorded:
    """A score button: the week's answer, or a new score for it (the last click wins); the
    details given earlier (note, help, visibility) are kept. The same score again is a
    double click and changes nothing."""
    existing = store.weekly_answer(session, cycle.id, user_id)
    if existing is None:
        return record_weekly(session, team, cycle, user_id, Answer(score), now=now)
    if existing.score == score:
        return Recorded(existing, new=False)
    kept = Answer(
        score=score,
        deliverables=existing.deliverables,
        customers=existing.customers,
        note=existing.note,
        help=existing.help,
        visibility=existing.visibility,
        source=CheckinSource.BUTTON,
    )
    return record_weekly(session, team, cycle, user_id, kept, now=now, edit=True)


def reshare(session: Session, row: CheckIn, visibility: str, *, now: datetime) -> CheckIn:
    """The same answer under another visibility: a new row supersedes it (history is kept)."""
    row.superseded_at = now
    session.flush()
    copy = CheckIn(
        team_id=row.team_id,
        user_id=row.user_id,
        cycle_id=row.cycle_id,
        kind=row.kind,
        score=row.score,
        deliverables=row.deliverables,
        customers=row.customers,
        note=row.note,
        help=row.help,
        visibility=visibility,
        source=row.source,
        message_ts=row.message_ts,
        created_at=row.created_at,
    )
    return store.add_checkin(session, copy)


def revise(session: Session, row: CheckIn, answer: Answer) -> CheckIn:
    """An edited DM answer takes the message's new score and words in place: the message is
    the answer, and words the person took back are not kept (its week, visibility and
    dimension scores stay)."""
    validate(answer)
    row.score, row.note, row.help = answer.score, answer.note, answer.help
    session.flush()
    return row
