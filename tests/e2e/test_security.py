"""Secrets stay out of logs; SQL is never built from strings; buttons check who clicks."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from localslack import Channel, LocalSlack, SlackDriver, User
from tests.e2e.processes import SECRET, free_port, replica, slack_env

ROOT = Path(__file__).resolve().parents[2]
PEOPLE = [User(id="ULEAD", name="lee"), User(id="UANN", name="ann")]


def test_debug_logs_never_show_a_token_or_the_signing_secret(tmp_path: Path) -> None:
    bot_token, app_token = "xoxb-SECRET-bot-token-1234", "xapp-SECRET-app-token-5678"
    with LocalSlack(
        users=PEOPLE,
        channels=[Channel(id="CTEAM", name="team")],
        bot_token=bot_token,
        app_token=app_token,
    ) as slack:
        port = free_port()
        env = slack_env(slack, f"sqlite:///{tmp_path / 'o.db'}", port)
        env["LOG_LEVEL"] = "DEBUG"
        with replica(env, tmp_path) as bot:
            bot.wait_healthy()
            driver = SlackDriver(
                slack, bot_url=f"http://127.0.0.1:{port}/slack/events", signing_secret=SECRET
            )
            for n, command in enumerate(["setup <#CTEAM|team> Rocket", "add <@UANN>"], 1):
                driver.slash("ULEAD", command, channel="CTEAM")
                slack.wait_for(lambda n=n: len(slack.ephemerals("ULEAD")) >= n, timeout=15)
            driver.dm("UANN", "7 fine")
            slack.wait_for(
                lambda: any("Recorded" in m.all_text() for m in slack.dms("UANN")), timeout=15
            )
            bot.terminate()
        logs = bot.output
    assert "DEBUG" in logs  # the run really logged at DEBUG
    for secret in (bot_token, app_token, SECRET, "SECRET-bot", "SECRET-app"):
        assert secret not in logs


def test_no_sql_is_built_by_string_formatting() -> None:
    offenders = []
    for path in [
        *ROOT.glob("bot/**/*.py"),
        *ROOT.glob("handlers/**/*.py"),
        *ROOT.glob("storage/**/*.py"),
    ]:
        if path.name == "scratch.py":
            continue  # test databases: names made by code, not by users
        source = path.read_text()
        for pattern in (
            r"(?<![\w])text\(\s*f[\"']",
            r"execute\(\s*f[\"']",
            r"(?<![\w])text\([^)]*%\s",
            r"(?<![\w])text\([^)]*\.format\(",
            r"execute\([^)]*\.format\(",
        ):
            offenders += [
                f"{path.relative_to(ROOT)}: {m.group(0)}" for m in re.finditer(pattern, source)
            ]
    assert offenders == []


DEMO_NOTES = (
    "Release slipped; a customer is waiting on a fix.",
    "rough week, need a specialist",
    "stuck on the migration",
    "happy with the release",
)
DEMO_NAMES = ("Ann Archer", "Bob Baker", "Cat Cole", "Dan Dale", "Lee Lead")


def test_the_demo_at_debug_logs_no_note_score_name_or_secret(tmp_path: Path) -> None:
    env = {**os.environ, "LOG_LEVEL": "DEBUG"}
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", "demo", "--out", str(tmp_path / "demo")],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    logs = done.stderr
    # It logged at DEBUG, Bolt and SQLAlchemy included, and the notes really were sent.
    assert " DEBUG oneness.bolt" in logs and " INFO sqlalchemy.engine" in logs
    assert "stuck on the migration" in done.stdout
    for private in (*DEMO_NOTES, *DEMO_NAMES):
        assert private not in logs
    assert re.findall(r"\b\d{1,2}/10\b", logs) == []
    assert "xoxb-" not in logs and "xapp-" not in logs
    # The demo's signing secret is 32 random hex digits; nothing of that shape is logged.
    assert re.findall(r"(?<![0-9a-f])[0-9a-f]{32}(?![0-9a-f])", logs) == []
