"""Running real `oneness run` processes for whole-process tests, their output drained."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.schedule.calendar import WEEKDAY_INDEX
from localslack import LocalSlack
from storage.db import make_engine, make_session_factory, transaction
from storage.models import Member, Team

SECRET = "process-secret"


def free_port() -> int:
    """A free TCP port on loopback."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Replica:
    """One `oneness run` process whose output is read continuously (a full pipe would block)."""

    def __init__(self, env: dict[str, str], cwd: Path, args: list[str] | None = None) -> None:
        full = {"PATH": os.environ.get("PATH", ""), "LOG_LEVEL": "INFO", **env}
        self.port = int(env.get("PORT", "0") or 0)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "run", *(args or [])],
            cwd=cwd,
            env=full,
            text=True,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))

    @property
    def output(self) -> str:
        """Everything printed so far."""
        return "\n".join(self.lines)

    def wait_healthy(self, timeout: float = 30) -> None:
        """Until GET /healthz answers 200."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"oneness run exited early:\n{self.output}")
            try:
                url = f"http://127.0.0.1:{self.port}/healthz"
                with urllib.request.urlopen(url, timeout=2) as r:
                    if r.status == 200:
                        return
            except OSError:
                time.sleep(0.2)
        raise AssertionError(f"oneness run never became healthy:\n{self.output}")

    def terminate(self, timeout: float = 20) -> int:
        """SIGTERM, and the exit code."""
        self.proc.send_signal(signal.SIGTERM)
        code = self.proc.wait(timeout=timeout)
        self._reader.join(timeout=5)
        return code

    def kill(self) -> None:
        """SIGKILL: no chance to clean up."""
        self.proc.kill()
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        """Make sure the process is gone."""
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=10)


@contextmanager
def replica(env: dict[str, str], cwd: Path, args: list[str] | None = None) -> Iterator[Replica]:
    """A running `oneness run` (with `args`), killed afterwards if still alive."""
    process = Replica(env, cwd, args)
    try:
        yield process
    finally:
        process.stop()


def slack_env(slack: LocalSlack, database_url: str, port: int) -> dict[str, str]:
    """The environment of a bot pointed at the local Slack."""
    return {
        "SLACK_BOT_TOKEN": slack.bot_token,
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": slack.api_url,
        "DATABASE_URL": database_url,
        "PORT": str(port),
        "ONENESS_TICK_SECONDS": "0.2",
        # Paced at the production default (5 posts a second), the fault tests' fan-outs with
        # retries took 53 s of their 120 s on a quiet machine and ran out on a loaded one;
        # pacing itself is tested in tests/platform/test_pacing.py.
        "ONENESS_POST_RATE": "50",
    }


def team_due_now(url: str, members: list[str], *, channel: str = "CTEAM") -> None:
    """A team whose weekly prompt was due a minute ago (the database is migrated already)."""
    engine = make_engine(url)
    now = datetime.now(UTC)
    weekday = next(k for k, v in WEEKDAY_INDEX.items() if v == now.weekday())
    due = now - timedelta(minutes=1)
    if due.date() != now.date():
        pytest.skip("too close to midnight UTC for a same-day schedule")
    with transaction(make_session_factory(engine)) as session:
        team = Team(
            name="Rocket",
            channel_id=channel,
            created_by="ULEAD",
            created_at=now - timedelta(days=30),
            prompt_weekday=weekday,
            prompt_time=due.strftime("%H:%M"),
            timezone="UTC",
            summary_weekday=weekday,
            summary_time="23:59",
        )
        session.add(team)
        session.flush()
        for user in members:
            session.add(
                Member(
                    team_id=team.id,
                    user_id=user,
                    display_name=user,
                    joined_at=now - timedelta(days=30),
                )
            )
    engine.dispose()
