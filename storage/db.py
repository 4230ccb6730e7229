"""Engines, the one session factory, and migrations."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, CursorResult, Engine, Result, create_engine, event
from sqlalchemy.engine import ExceptionContext
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
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": 30}, hide_parameters=True
        )
        _strip_nul_from_binds(engine)

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
    engine = create_engine(
        url, pool_pre_ping=True, pool_size=10, max_overflow=20, hide_parameters=True
    )
    _strip_nul_from_binds(engine)
    _withhold_error_details(engine)
    if not durable_commits:

        @event.listens_for(engine, "connect")
        def _async_commit(dbapi_conn, _record):  # type: ignore[no-untyped-def]
            with dbapi_conn.cursor() as cursor:
                cursor.execute("SET synchronous_commit = off")
            dbapi_conn.commit()

    return engine


def _strip_nul_from_binds(engine: Engine) -> None:
    """Remove NUL characters from every string bound to a statement, the last guard behind
    the parsers (bot.platform.text): PostgreSQL refuses them in text, and SQLite should store
    what PostgreSQL would."""

    @event.listens_for(engine, "before_cursor_execute", retval=True)
    def _strip(
        conn: Connection,
        cursor: Any,
        statement: str,
        parameters: Any,
        context: Any,
        executemany: bool,
    ) -> tuple[str, Any]:
        if executemany and isinstance(parameters, list):
            return statement, [_without_nul(p) for p in parameters]
        return statement, _without_nul(parameters)


def _without_nul(parameters: Any) -> Any:
    """One statement's parameters (a dict, tuple or list), NULs removed from its strings."""
    if isinstance(parameters, dict):
        if any(isinstance(v, str) and "\x00" in v for v in parameters.values()):
            return {k: _clean(v) for k, v in parameters.items()}
        return parameters
    if isinstance(parameters, tuple | list) and any(
        isinstance(v, str) and "\x00" in v for v in parameters
    ):
        return type(parameters)(_clean(v) for v in parameters)
    return parameters


def _clean(value: Any) -> Any:
    return value.replace("\x00", "") if isinstance(value, str) else value


def _withhold_error_details(engine: Engine) -> None:
    """PostgreSQL's DETAIL line can quote the values of a row ("Failing row contains (…, a
    note, …)"); an error's message keeps everything else, so a logged error names no data.
    The detail stays readable in code (`error.orig.diag.message_detail`)."""

    @event.listens_for(engine, "handle_error")
    def _withhold(context: ExceptionContext) -> None:
        original = context.original_exception
        detail = getattr(getattr(original, "diag", None), "message_detail", None)
        if not detail:
            return
        for error in (original, context.sqlalchemy_exception):
            if error is not None and error.args and isinstance(error.args[0], str):
                error.args = (error.args[0].replace(detail, "[withheld]"), *error.args[1:])


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
