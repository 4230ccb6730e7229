"""Locks that keep two workers from doing the same thing at once.

`key_lock` guards one delivery key: within a process by a set of keys in flight, across
processes on PostgreSQL by a session-level advisory lock held on its own connection, which
the server releases the moment that connection dies (a crashed or killed replica).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, Engine, text

# Advisory lock namespaces (the first of pg_try_advisory_lock's two int4 keys).
DELIVERY_NAMESPACE = 0x0E0E
LEADER_NAMESPACE = 0x0E0F

_inflight: set[str] = set()
_inflight_lock = threading.Lock()


@contextmanager
def _local(key: str) -> Iterator[bool]:
    with _inflight_lock:
        if key in _inflight:
            mine = False
        else:
            _inflight.add(key)
            mine = True
    try:
        yield mine
    finally:
        if mine:
            with _inflight_lock:
                _inflight.discard(key)


def try_advisory(conn: Connection, namespace: int, key: str) -> bool:
    """Take a session-level advisory lock without waiting; True when taken."""
    got = conn.execute(
        text("SELECT pg_try_advisory_lock(:ns, hashtext(:key))"), {"ns": namespace, "key": key}
    ).scalar()
    conn.commit()
    return bool(got)


def release_advisory(conn: Connection, namespace: int, key: str) -> None:
    """Give an advisory lock back."""
    conn.execute(
        text("SELECT pg_advisory_unlock(:ns, hashtext(:key))"), {"ns": namespace, "key": key}
    )
    conn.commit()


@contextmanager
def key_lock(engine: Engine, key: str) -> Iterator[bool]:
    """Yield True when this worker alone may act on `key` now, False when another one is."""
    with _local(key) as mine:
        if not mine or engine.dialect.name != "postgresql":
            yield mine
            return
        with engine.connect() as conn:
            if not try_advisory(conn, DELIVERY_NAMESPACE, key):
                yield False
                return
            try:
                yield True
            finally:
                release_advisory(conn, DELIVERY_NAMESPACE, key)
