"""Who runs the scheduled work: one process at a time.

PostgreSQL: a session-level advisory lock held on a dedicated connection; when the holder dies
its connection closes and the lock is free at once, so a standby takes over at its next try.
SQLite: an exclusive lock on a file beside the database; a second process on the same file
does not run the scheduler and says so.
"""

from __future__ import annotations

import fcntl
import logging
import os
from pathlib import Path
from typing import IO, Protocol

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import DBAPIError

from storage.locks import LEADER_NAMESPACE, try_advisory

log = logging.getLogger("oneness.leader")

LEADER_KEY = "oneness-scheduler"


class Leadership(Protocol):
    """Decides whether this process may run the scheduled work right now."""

    def holds(self) -> bool:
        """True when this process leads (taking the lead if it is free)."""
        ...

    def release(self) -> None:
        """Give the lead up."""
        ...


class PostgresLeadership:
    """An advisory lock on a connection of its own."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._conn: Connection | None = None

    def holds(self) -> bool:
        """Check the held connection is alive, or try to take the lock."""
        if self._conn is not None:
            try:
                self._conn.execute(text("SELECT 1"))
                self._conn.commit()
                return True
            except DBAPIError:
                log.warning("lost the database connection that held the scheduler lock")
                self._drop()
        try:
            conn = self._engine.connect()
        except DBAPIError:
            return False
        try:
            if try_advisory(conn, LEADER_NAMESPACE, LEADER_KEY):
                self._conn = conn
                log.info("this process now runs the scheduler")
                return True
        except DBAPIError:
            pass
        conn.close()
        return False

    def _drop(self) -> None:
        if self._conn is not None:
            try:
                self._conn.invalidate()
                self._conn.close()
            except DBAPIError:
                pass
            self._conn = None

    def release(self) -> None:
        """Close the connection, which frees the lock."""
        self._drop()


class SqliteLeadership:
    """An exclusive flock on `<database>.scheduler.lock`."""

    def __init__(self, database_path: str) -> None:
        self._path = Path(f"{database_path}.scheduler.lock")
        self._file: IO[str] | None = None
        self._warned = False

    def holds(self) -> bool:
        """Hold the file lock, or say once that another process has it."""
        if self._file is not None:
            return True
        handle = self._path.open("a+")
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            if not self._warned:
                self._warned = True
                log.warning(
                    "another oneness process is already running the scheduler on %s; this one "
                    "will not (SQLite serves one process: use PostgreSQL for several replicas)",
                    self._path.with_suffix("").with_suffix(""),
                )
            return False
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        self._file = handle
        log.info("this process runs the scheduler (lock %s)", self._path)
        return True

    def release(self) -> None:
        """Unlock and close the file."""
        if self._file is not None:
            fcntl.flock(self._file.fileno(), fcntl.LOCK_UN)
            self._file.close()
            self._file = None


class AlwaysLeader:
    """For an in-memory SQLite database, which no other process can open."""

    def holds(self) -> bool:
        """Always."""
        return True

    def release(self) -> None:
        """Nothing to release."""


def leadership_for(engine: Engine) -> Leadership:
    """The leadership mechanism that fits the engine's database."""
    if engine.dialect.name == "postgresql":
        return PostgresLeadership(engine)
    database = engine.url.database
    if not database or database == ":memory:":
        return AlwaysLeader()
    return SqliteLeadership(os.path.abspath(database))
