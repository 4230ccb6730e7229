"""The engine's guards: NUL bytes never reach the database, failing statements never show
their parameters."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from storage import jobs
from storage.db import make_engine, make_session_factory, transaction
from storage.models import Job

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def test_nul_bytes_are_stripped_from_every_bound_string(db_url: str) -> None:
    engine = make_engine(db_url)
    sessions = make_session_factory(engine)
    # Core, one row and several (as the group writer stores them), and the ORM.
    jobs.add(engine, "core\x00one", '{"note": "a\x00b"}', user_id="U\x001", now=NOW)
    with engine.begin() as conn:
        conn.execute(
            insert(Job),
            [
                {"name": f"many\x00{i}", "body": "\x00", "attempts": 0, "created_at": NOW}
                for i in range(3)
            ],
        )
    with transaction(sessions) as session:
        session.add(Job(name="orm\x00", body="x\x00y", attempts=0, created_at=NOW))
    with transaction(sessions) as session:
        rows = [(j.name, j.body, j.user_id) for j in session.scalars(select(Job).order_by(Job.id))]
    assert rows == [
        ("coreone", '{"note": "ab"}', "U1"),
        ("many0", "", None),
        ("many1", "", None),
        ("many2", "", None),
        ("orm", "xy", None),
    ]
    engine.dispose()


def test_a_failing_statement_does_not_show_its_parameters(db_url: str) -> None:
    engine = make_engine(db_url)
    with pytest.raises(IntegrityError) as failed, engine.begin() as conn:
        # No body (NOT NULL): refused, with a note-like name among the parameters.
        conn.execute(insert(Job).values(name="my manager shouts", attempts=0, created_at=NOW))
    assert "my manager shouts" not in str(failed.value)
    assert "parameters hidden" in str(failed.value)
    engine.dispose()
