"""Engines, the one session factory, and migrations."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import CursorResult, Engine, Result, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS = Path(__file__).parent / "migrations"


def make_engine(url: str, *, durable_commits: bool = True) -> Engine:
    """An engine configured for the URL's database (SQLite pragmas, PostgreSQL pooling).

    `durable_commits=False` (PostgreSQL only) returns from COMMIT before the WAL reaches disk.
    Only `oneness work` asks for it: everything it writes is redone from a job row that was
    committed durably, and a crash of PostgreSQL loses only the newest WAL, so a lost write
    always leaves its job behind to run again (storage/jobs.py).
    """
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # type: ignore[no-untyped-def]
            cursor = dbapi_conn.cursor()
            # WAL lets the scheduler write while listeners read; foreign keys make cascades real.
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            # Deleted rows are overwritten with zeros, so `forget me` leaves no text on disk.
            cursor.execute("PRAGMA secure_delete=ON")
            cursor.close()

        return engine
    engine = create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)
    if not durable_commits:

        @event.listens_for(engine, "connect")
        def _async_commit(dbapi_conn, _record):  # type: ignore[no-untyped-def]
            with dbapi_conn.cursor() as cursor:
                cursor.execute("SET synchronous_commit = off")
            dbapi_conn.commit()

    return engine


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """The process's one session factory."""
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session whose transaction commits on success and rolls back on error."""
    with factory() as session, session.begin():
        yield session


def alembic_config(url: str) -> Config:
    """Alembic configuration pointing at our migrations and `url`."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(url: str, revision: str = "head") -> None:
    """Apply migrations up to `revision`."""
    command.upgrade(alembic_config(url), revision)


def downgrade(url: str, revision: str) -> None:
    """Revert migrations down to `revision`."""
    command.downgrade(alembic_config(url), revision)


def affected(result: Result[Any]) -> int:
    """How many rows an UPDATE or DELETE changed (its result is a cursor result)."""
    assert isinstance(result, CursorResult)
    return int(result.rowcount)
