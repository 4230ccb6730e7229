"""Whole-process tests: `oneness run` in HTTP mode and Socket Mode, SIGTERM, kill and restart."""

from __future__ import annotations

import json
import os
import signal
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from localslack import Channel, LocalSlack, RateLimit, SlackDriver, User
from storage.db import upgrade
from tests.e2e.processes import (
    SECRET,
    Replica,
    free_port,
    replica,
    slack_env,
    team_due_now,
)
from tests.platform.test_request_size import TWO_MB, post

PEOPLE = [User(id="ULEAD", name="lee"), User(id="UANN", name="ann")]


def test_http_mode_answers_healthz_and_a_command_and_stops_on_sigterm(tmp_path: Path) -> None:
    with LocalSlack(users=PEOPLE, channels=[Channel(id="CTEAM", name="team")]) as slack:
        port = free_port()
        with replica(slack_env(slack, f"sqlite:///{tmp_path / 'o.db'}", port), tmp_path) as bot:
            bot.wait_healthy()
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
            # Gunicorn serves it; the bound on request bodies holds there too.
            big = b"x" * TWO_MB
            assert post(port, big, {"Content-Type": "application/json"}) == 413
            assert post(port, big, {"Content-Type": "application/json"}, chunked=True) == 413
            assert bot.terminate() == 0
            assert "Traceback" not in bot.output


def test_socket_mode_answers_a_command(tmp_path: Path) -> None:
    with LocalSlack(users=PEOPLE) as slack:
        env = slack_env(slack, f"sqlite:///{tmp_path / 'o.db'}", free_port())
        env["SLACK_APP_TOKEN"] = slack.app_token
        del env["SLACK_SIGNING_SECRET"]
        with replica(env, tmp_path) as bot:
            slack.wait_for_socket(timeout=30)
            reply = SlackDriver(slack, socket=True).slash("UANN", "help")
            assert reply.status == 200 and "/oneness checkin" in reply.ephemeral_text
            assert bot.terminate() == 0


def test_killed_mid_prompting_restarts_without_doubles_or_misses(tmp_path: Path) -> None:
    members = [f"U{i:04d}" for i in range(40)]
    url = f"sqlite:///{tmp_path / 'o.db'}"
    upgrade(url)
    team_due_now(url, members)
    users = [User(id=u, name=u.lower()) for u in members]
    limits = {"chat.postMessage": RateLimit(per_second=10)}
    with LocalSlack(users=users, rate_limits=limits) as slack:
        env = slack_env(slack, url, free_port())

        def prompted() -> int:
            return len([c for c in slack.calls_to("chat.postMessage") if c.ok])

        with replica(env, tmp_path) as bot:
            slack.wait_for(lambda: prompted() >= 12, timeout=30)
            bot.kill()
        assert prompted() < len(members)
        env["PORT"] = str(free_port())
        with replica(env, tmp_path):
            slack.wait_for(lambda: all(len(slack.dms(u)) >= 1 for u in members), timeout=60)
            time.sleep(1)  # a few more ticks: nothing more may be sent
        for user in members:
            assert len(slack.dms(user)) == 1, f"{user} got {len(slack.dms(user))} prompts"


def test_second_process_on_the_same_sqlite_file_refuses_the_scheduler(tmp_path: Path) -> None:
    with LocalSlack(users=PEOPLE) as slack:
        url = f"sqlite:///{tmp_path / 'o.db'}"
        with replica(slack_env(slack, url, free_port()), tmp_path) as first:
            first.wait_healthy()
            with replica(slack_env(slack, url, free_port()), tmp_path) as second:
                second.wait_healthy()
                assert "another oneness process is already running the scheduler" in (second.output)
                assert "serves requests only" in second.output or "will not" in second.output
            assert "this process runs the scheduler" in first.output


@contextmanager
def serving(tmp_path: Path, args: list[str]) -> Iterator[tuple[LocalSlack, Replica, SlackDriver]]:
    """`oneness run ARGS` on SQLite over HTTP, healthy, with a driver signing its requests."""
    with LocalSlack(users=PEOPLE, channels=[Channel(id="CTEAM", name="team")]) as slack:
        port = free_port()
        env = slack_env(slack, f"sqlite:///{tmp_path / 'o.db'}", port)
        with replica(env, tmp_path, args) as bot:
            bot.wait_healthy()
            url = f"http://127.0.0.1:{port}/slack/events"
            yield slack, bot, SlackDriver(slack, bot_url=url, signing_secret=SECRET)


def children_of(pid: int) -> list[int]:
    """The live child processes of `pid` (from /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[1]) == pid and fields[0] != "Z":
            found.append(int(entry.name))
    return found


def work_children(pid: int) -> list[int]:
    """The `oneness work` children of `pid`."""
    found = []
    for child in children_of(pid):
        try:
            argv = Path(f"/proc/{child}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"work" in argv:
            found.append(child)
    return found


def jobs_in_hand(port: int) -> int:
    """Jobs stored and not yet done, from GET /healthz."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as reply:
        jobs = json.loads(reply.read())["jobs"]
    return int(jobs["waiting"]) + int(jobs["running"])


def test_work_processes_run_the_work_and_are_replaced_when_they_die(tmp_path: Path) -> None:
    with serving(tmp_path, ["--work-processes", "1"]) as (slack, bot, driver):

        def answered(text: str) -> None:
            try:
                slack.wait_for(
                    lambda: [e for e in slack.ephemerals("ULEAD") if text in e.all_text()],
                    timeout=20,
                )
            except TimeoutError:
                raise AssertionError(f"no {text!r}:\n{bot.output}") from None

        # Gunicorn's serving worker is a child too; the work process is the `oneness work` one.
        workers = slack.wait_for(lambda: work_children(bot.proc.pid), timeout=20)
        driver.slash("ULEAD", "setup <#CTEAM|team> Rocket", channel="CTEAM")
        answered("set up in")
        # Killed once idle: a job it held would hold back this person's next one until its
        # lease lapsed (one person's work runs in order), which is not what this test is about.
        slack.wait_for(lambda: jobs_in_hand(bot.port) == 0, timeout=20)
        os.kill(workers[0], signal.SIGKILL)
        replaced = slack.wait_for(
            lambda: [p for p in work_children(bot.proc.pid) if p not in workers], timeout=20
        )
        driver.slash("ULEAD", "add <@UANN>", channel="CTEAM")
        answered("Added")
        assert "work process" in bot.output and "starting another" in bot.output
        assert bot.terminate() == 0
        assert not children_of(bot.proc.pid) and not Path(f"/proc/{replaced[0]}").exists()
        assert "Traceback" not in bot.output


def test_serving_processes_share_the_port_and_stop_together(tmp_path: Path) -> None:
    with serving(tmp_path, ["--processes", "2"]) as (slack, bot, driver):
        port = bot.port
        child = slack.wait_for(lambda: children_of(bot.proc.pid), timeout=20)[0]
        slack.wait_for(lambda: driver.slash("ULEAD", "help").status == 200, timeout=20)
        # With the first process frozen, the kernel still hands some new connections to
        # the other one, which answers them.
        os.kill(bot.proc.pid, signal.SIGSTOP)
        try:
            answered = 0
            for _ in range(12):
                try:
                    url = f"http://127.0.0.1:{port}/healthz"
                    with urllib.request.urlopen(url, timeout=1) as r:
                        answered += r.status == 200
                except OSError:
                    pass
        finally:
            os.kill(bot.proc.pid, signal.SIGCONT)
        assert answered >= 1
        assert bot.terminate() == 0, bot.output[-9000:]
        assert not Path(f"/proc/{child}").exists() or "Z" in stat_of(child)
        assert "Traceback" not in bot.output


def stat_of(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return ""


def test_a_refused_token_stops_http_mode_in_one_line_before_gunicorn_starts(
    tmp_path: Path,
) -> None:
    with LocalSlack(users=PEOPLE) as slack:
        env = slack_env(slack, f"sqlite:///{tmp_path / 'o.db'}", free_port())
        env["SLACK_BOT_TOKEN"] = "xoxb-not-a-token-of-this-workspace"
        with replica(env, tmp_path) as bot:
            assert bot.proc.wait(timeout=30) == 2
            bot._reader.join(timeout=5)
        assert "SLACK_BOT_TOKEN was refused by Slack" in bot.output
        assert "Traceback" not in bot.output and "gunicorn" not in bot.output.lower()
