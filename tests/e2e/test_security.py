"""Secrets stay out of logs; SQL is never built from strings; buttons check who clicks."""

from __future__ import annotations

import re
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
