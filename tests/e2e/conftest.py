"""A fresh PostgreSQL database per fault test."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest

from tests.harness import fresh_postgres, pg_available


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A new, migrated PostgreSQL database (required under CI)."""
    if not pg_available():
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("PostgreSQL is required under CI but is not reachable")
        pytest.skip("PostgreSQL not reachable on 127.0.0.1:5432")
    with fresh_postgres(f"oneness_fault_{uuid.uuid4().hex[:8]}") as url:
        yield url
