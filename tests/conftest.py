"""Fixtures: every test that touches the database runs on SQLite and on PostgreSQL."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from storage.db import upgrade
from tests.harness import Oneness, fresh_postgres, pg_available, running_oneness, wipe

_PG = pg_available()
_REQUIRE_PG = os.environ.get("CI", "").lower() == "true" or os.environ.get("ONENESS_REQUIRE_PG")


def pytest_report_header(config: pytest.Config) -> str:
    """Say plainly whether the PostgreSQL half runs."""
    if _PG:
        return "oneness: database tests run on SQLite and PostgreSQL"
    return "oneness: PostgreSQL not reachable: the PostgreSQL half is SKIPPED (SQLite only)"


@pytest.fixture(scope="session")
def _pg_url() -> Iterator[str | None]:
    if not _PG:
        if _REQUIRE_PG:
            pytest.fail("PostgreSQL is required under CI but is not reachable on 127.0.0.1:5432")
        yield None
        return
    with fresh_postgres(f"oneness_test_{os.getpid()}") as url:
        yield url


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("db") / "template.db"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(
    request: pytest.FixtureRequest, tmp_path: Path, _sqlite_template: Path, _pg_url: str | None
) -> str:
    """A migrated, empty database of each kind."""
    if request.param == "sqlite":
        path = tmp_path / "oneness.db"
        path.write_bytes(_sqlite_template.read_bytes())
        return f"sqlite:///{path}"
    if _pg_url is None:
        pytest.skip("PostgreSQL not reachable on 127.0.0.1:5432")
    wipe(_pg_url)
    return _pg_url


@pytest.fixture
def oneness(db_url: str) -> Iterator[Oneness]:
    """The real app over HTTP, a local Slack, a fake clock."""
    with running_oneness(db_url) as running:
        yield running
