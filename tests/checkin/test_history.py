"""`due_week`: which open week a member's answer belongs to, straight from the database."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.orm import Session, sessionmaker

from bot.checkin.history import due_week
from storage import teams as team_store
from storage.db import make_engine, make_session_factory, transaction
from storage.models import Team
from tests.schedule.test_tick import FRIDAY_3PM, answer, cycles, decide, make_team, record


@pytest.fixture
def sessions(db_url: str) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(db_url)
    yield make_session_factory(engine)
    engine.dispose()


def due(sessions: sessionmaker[Session], team_id: int, user_id: str, now: datetime) -> str | None:
    with transaction(sessions) as session:
        team = session.get(Team, team_id)
        assert team is not None
        cycle = due_week(session, team, user_id, now)
        return cycle.week if cycle else None


def test_due_once_prompted_until_answered_or_closed(sessions: sessionmaker[Session]) -> None:
    team_id = make_team(sessions, {"UANN": None, "UBOB": None})
    assert due(sessions, team_id, "UANN", FRIDAY_3PM) is None  # no week open yet
    record(sessions, decide(sessions, FRIDAY_3PM), FRIDAY_3PM)
    assert due(sessions, team_id, "UANN", FRIDAY_3PM) == "2026-W48"
    [cycle] = cycles(sessions)
    answer(sessions, cycle.id, "UANN", FRIDAY_3PM)
    assert due(sessions, team_id, "UANN", FRIDAY_3PM) is None
    assert due(sessions, team_id, "UBOB", cycle.closes_at) is None  # closed: a pulse then
    assert due(sessions, team_id, "UNOT", FRIDAY_3PM) is None  # not a member


def test_due_when_the_prompt_was_skipped_or_not_sent_yet(sessions: sessionmaker[Session]) -> None:
    team_id = make_team(sessions, {"UANN": None, "UBOB": None})
    saturday = FRIDAY_3PM + timedelta(days=1, hours=1)
    # Ann's prompt was skipped (the bot was offline); Bob's tick has not run yet at all.
    decided = decide(sessions, saturday)
    decided.skip = [(out, why) for out, why in decided.skip if out.user_id == "UANN"]
    record(sessions, decided, saturday)
    assert due(sessions, team_id, "UANN", saturday) == "2026-W48"
    assert due(sessions, team_id, "UBOB", saturday) == "2026-W48"


def test_not_due_while_paused_before_the_prompt(sessions: sessionmaker[Session]) -> None:
    team_id = make_team(sessions, {"UANN": None, "UBOB": None})
    with transaction(sessions) as session:
        ann = team_store.member(session, team_id, "UANN")
        assert ann is not None
        ann.paused_until, ann.paused_at = date(2026, 12, 24), FRIDAY_3PM - timedelta(days=1)
    record(sessions, decide(sessions, FRIDAY_3PM), FRIDAY_3PM)
    assert due(sessions, team_id, "UANN", FRIDAY_3PM) is None
    assert due(sessions, team_id, "UBOB", FRIDAY_3PM) == "2026-W48"


def test_the_newest_of_two_open_weeks(sessions: sessionmaker[Session]) -> None:
    # Team in Los Angeles, `mon 09:00 local`: Sydney's Monday prompt opens the new week while
    # the old one is still open; a DM number answers the prompt just received.
    team_id = make_team(
        sessions,
        {"USYD": "Australia/Sydney"},
        created=FRIDAY_3PM - timedelta(days=14),
        timezone="America/Los_Angeles",
        member_local=True,
        prompt_weekday="mon",
        prompt_time="09:00",
    )
    sydney_monday = datetime(2026, 11, 30, 9, tzinfo=ZoneInfo("Australia/Sydney"))
    last_week = sydney_monday - timedelta(days=7)
    record(sessions, decide(sessions, last_week), last_week)
    assert due(sessions, team_id, "USYD", sydney_monday - timedelta(minutes=1)) == "2026-W48"
    record(sessions, decide(sessions, sydney_monday), sydney_monday)
    assert due(sessions, team_id, "USYD", sydney_monday) == "2026-W49"
