"""A lead's change of summary time or schedule, applied to the weeks already under way."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import Session, sessionmaker

from bot.schedule.service import ThisWeek, move_open_weeks, this_week
from storage.db import make_engine, make_session_factory, transaction
from storage.models import Team
from tests.schedule.test_tick import FRIDAY_3PM, MONDAY_9AM, cycles, decide, make_team, record


@pytest.fixture
def sessions(db_url: str) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(db_url)
    yield make_session_factory(engine)
    engine.dispose()


def change(sessions: sessionmaker[Session], team_id: int, now: datetime, **fields: str) -> object:
    """Change the team's columns as the command does, then apply it to the open weeks."""
    with transaction(sessions) as session:
        team = session.get(Team, team_id)
        assert team is not None
        for name, value in fields.items():
            setattr(team, name, value)
        if "summary_time" in fields:
            return move_open_weeks(session, team, now)
        team.schedule_changed_at = now
        session.flush()
        return this_week(session, team, now)


def test_summary_time_moves_the_open_week_never_before_now(sessions: sessionmaker[Session]) -> None:
    team_id = make_team(sessions, {"UANN": None})
    record(sessions, decide(sessions, FRIDAY_3PM), FRIDAY_3PM)
    saturday = FRIDAY_3PM + timedelta(hours=20)
    tuesday_5pm = datetime(2026, 12, 1, 17, tzinfo=UTC)
    moved = change(sessions, team_id, saturday, summary_weekday="tue", summary_time="17:00")
    assert moved == [("2026-W48", tuesday_5pm)]
    assert cycles(sessions)[0].closes_at == tuesday_5pm
    assert decide(sessions, MONDAY_9AM).closed == []  # the old time closes nothing now
    # Friday 16:00 has passed by Saturday: the week closes at the next tick.
    moved = change(sessions, team_id, saturday, summary_weekday="fri", summary_time="16:00")
    assert moved == [("2026-W48", saturday)]
    assert decide(sessions, saturday).closed == [cycles(sessions)[0].id]


def test_summary_time_with_no_open_week_moves_nothing(sessions: sessionmaker[Session]) -> None:
    team_id = make_team(sessions, {"UANN": None})
    wednesday = datetime(2026, 11, 25, 9, tzinfo=UTC)
    assert change(sessions, team_id, wednesday, summary_weekday="sun", summary_time="18:00") == []
    assert cycles(sessions) == []


def test_what_a_new_schedule_does_to_this_week(sessions: sessionmaker[Session]) -> None:
    team_id = make_team(sessions, {"UANN": None, "UBOB": None})
    thursday = datetime(2026, 11, 26, 10, tzinfo=UTC)
    # Still to come this week.
    assert change(sessions, team_id, thursday, prompt_weekday="fri") == ThisWeek(False, 0, 0)
    # Passed less than a day ago: the prompts go out at the next tick, late.
    late = change(sessions, team_id, thursday, prompt_weekday="wed", prompt_time="12:00")
    assert late == ThisWeek(False, 2, 0)
    # Passed more than a day ago: skipped, which `send` recovers.
    skipped = change(sessions, team_id, thursday, prompt_weekday="wed", prompt_time="09:00")
    assert skipped == ThisWeek(False, 0, 2)
    # Once this week's prompts went out, a new time waits for next week.
    record(sessions, decide(sessions, thursday, team_id=team_id, force=True), thursday)
    assert change(sessions, team_id, thursday, prompt_weekday="sat") == ThisWeek(True, 0, 0)
