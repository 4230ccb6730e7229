"""The benchmarks' scratch databases."""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from storage.db import upgrade
from storage.scratch import fresh_postgres

PG_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


@contextmanager
def database(kind: str) -> Iterator[str]:
    """A fresh migrated database, removed afterwards: SQLite in a temporary directory
    (`kind` "sqlite"), or a new PostgreSQL database beside PG_ADMIN_URL's."""
    if kind == "sqlite":
        with tempfile.TemporaryDirectory(prefix="oneness-bench-") as tmp:
            url = f"sqlite:///{Path(tmp) / 'bench.db'}"
            upgrade(url)
            yield url
    else:
        with fresh_postgres(PG_ADMIN_URL, f"oneness_bench_{uuid.uuid4().hex[:8]}") as url:
            yield url
