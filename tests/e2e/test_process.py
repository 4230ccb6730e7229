"""Whole-process tests: `oneness run` in HTTP mode and Socket Mode, SIGTERM, kill and restart."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.localslack import Channel, LocalSlack, RateLimit, SlackDriver, User
from bot.schedule import WEEKDAY_INDEX
from storage.db import make_engine, make_session_factory, transaction, upgrade
from storage.models import Member, Team

ROOT = Path(__file__).resolve().parents[2]
SECRET = "process-secret"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def oneness_process(env: dict[str, str], cwd: Path) -> Iterator[subprocess.Popen[str]]:
    full = {"PATH": os.environ.get("PATH", ""), "LOG_LEVEL": "INFO", **env}
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "run"],
        cwd=cwd,
        env=full,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=10)


def wait_healthy(port: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise AssertionError("oneness run never became healthy")


def slack_env(slack: LocalSlack, db: Path, port: int) -> dict[str, str]:
    return {
        "SLACK_BOT_TOKEN": slack.bot_token,
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": slack.api_url,
        "DATABASE_URL": f"sqlite:///{db}",
        "PORT": str(port),
        "ONENESS_TICK_SECONDS": "0.2",
    }


PEOPLE = [User(id="ULEAD", name="lee"), User(id="UANN", name="ann")]


def test_http_mode_answers_healthz_and_a_command_and_stops_on_sigterm(tmp_path: Path) -> None:
    with LocalSlack(users=PEOPLE, channels=[Channel(id="CTEAM", name="team")]) as slack:
        port = free_port()
        with oneness_process(slack_env(slack, tmp_path / "o.db", port), tmp_path) as proc:
            wait_healthy(port)
            driver = SlackDriver(
                slack, bot_url=f"http://127.0.0.1:{port}/slack/events", signing_secret=SECRET
            )
            reply = driver.slash("ULEAD", "help")
            assert reply.status == 200 and "/oneness checkin" in reply.ephemeral_text
            driver.slash("ULEAD", "setup <#CTEAM|team> Rocket", channel="CTEAM")
            seen = slack.wait_for(
                lambda: [e for e in slack.ephemerals("ULEAD") if "Rocket" in e.all_text()],
                timeout=10,
            )
            assert "set up in" in seen[0].all_text()
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(timeout=20) == 0
            assert proc.stdout is not None and "Traceback" not in proc.stdout.read()


def test_socket_mode_answers_a_command(tmp_path: Path) -> None:
    with LocalSlack(users=PEOPLE) as slack:
        env = slack_env(slack, tmp_path / "o.db", free_port())
        env["SLACK_APP_TOKEN"] = slack.app_token
        del env["SLACK_SIGNING_SECRET"]
        with oneness_process(env, tmp_path) as proc:
            slack.wait_for_socket(timeout=30)
            reply = SlackDriver(slack, socket=True).slash("UANN", "help")
            assert reply.status == 200 and "/oneness checkin" in reply.ephemeral_text
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(timeout=20) == 0


def _team_due_now(db: Path, members: list[str]) -> None:
    url = f"sqlite:///{db}"
    upgrade(url)
    engine = make_engine(url)
    now = datetime.now(UTC)
    weekday = next(k for k, v in WEEKDAY_INDEX.items() if v == now.weekday())
    due = now - timedelta(minutes=1)
    if due.date() != now.date():
        pytest.skip("too close to midnight UTC for a same-day schedule")
    with transaction(make_session_factory(engine)) as session:
        team = Team(
            name="Rocket",
            channel_id="CTEAM",
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


def test_killed_mid_prompting_restarts_without_doubles_or_misses(tmp_path: Path) -> None:
    members = [f"U{i:04d}" for i in range(40)]
    db = tmp_path / "o.db"
    _team_due_now(db, members)
    users = [User(id=u, name=u.lower()) for u in members]
    with LocalSlack(
        users=users, rate_limits={"chat.postMessage": RateLimit(per_second=10)}
    ) as slack:
        env = slack_env(slack, db, free_port())

        def prompted() -> list[str]:
            return [
                str(c.params.get("channel")) for c in slack.calls_to("chat.postMessage") if c.ok
            ]

        with oneness_process(env, tmp_path) as proc:
            slack.wait_for(lambda: len(prompted()) >= 12, timeout=30)
            proc.kill()
            proc.wait(timeout=10)
        first_run = len(prompted())
        assert first_run < len(members)
        env["PORT"] = str(free_port())
        with oneness_process(env, tmp_path):
            slack.wait_for(lambda: all(len(slack.dms(u)) >= 1 for u in members), timeout=60)
            time.sleep(1)  # a few more ticks: nothing more may be sent
        for user in members:
            assert len(slack.dms(user)) == 1, f"{user} got {len(slack.dms(user))} prompts"
