"""Faults on real processes and real PostgreSQL: a killed leader, a flaky Slack, a DB restart."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest

from localslack import Channel, Faults, LocalSlack, Message, RateLimit, SlackDriver, User
from localslack.ratelimit import FAULT_KINDS
from tests.e2e.processes import SECRET, Replica, free_port, replica, slack_env, team_due_now

pytestmark = pytest.mark.slow


def key_of(message: Message) -> str:
    return str(((message.metadata or {}).get("event_payload") or {}).get("key", ""))


def prompts_per_member(slack: LocalSlack, members: list[str]) -> dict[str, int]:
    return {u: len([m for m in slack.dms(u) if m.user != u]) for u in members}


def test_killing_the_scheduling_replica_mid_prompting_loses_and_doubles_nothing(
    tmp_path: Path, pg_url: str
) -> None:
    members = [f"U{i:04d}" for i in range(500)]
    team_due_now(pg_url, members)
    users = [User(id=u, name=u.lower()) for u in members]
    limits = {"chat.postMessage": RateLimit(per_second=50)}
    with LocalSlack(users=users, rate_limits=limits) as slack:
        a = Replica(slack_env(slack, pg_url, free_port()), tmp_path)
        b = Replica(slack_env(slack, pg_url, free_port()), tmp_path)
        try:
            a.wait_healthy()
            b.wait_healthy()
            slack.wait_for(
                lambda: sum(prompts_per_member(slack, members).values()) >= 100, timeout=60
            )
            leader, standby = (a, b) if "runs the scheduler" in a.output else (b, a)
            assert "runs the scheduler" in leader.output
            assert "runs the scheduler" not in standby.output
            leader.kill()
            killed_at = time.monotonic()
            assert sum(prompts_per_member(slack, members).values()) < len(members)
            slack.wait_for(lambda: "runs the scheduler" in standby.output, timeout=60)
            assert time.monotonic() - killed_at < 60
            slack.wait_for(
                lambda: min(prompts_per_member(slack, members).values()) >= 1, timeout=120
            )
            time.sleep(2)  # more ticks: nothing more may go out
            counts = prompts_per_member(slack, members)
            assert set(counts.values()) == {1}, {u: n for u, n in counts.items() if n != 1}
        finally:
            a.stop()
            b.stop()


def test_flaky_slack_still_delivers_every_prompt_and_nudge_once(
    tmp_path: Path, pg_url: str
) -> None:
    members = [f"U{i:04d}" for i in range(60)]
    team_due_now(pg_url, members)
    users = [User(id=u, name=u.lower()) for u in [*members, "ULEAD"]]
    team = Channel(id="CTEAM", name="team", members=["UBOT"])
    with LocalSlack(users=users, channels=[team]) as slack:
        slack.faults = Faults(
            ratio=0.2,
            kinds=FAULT_KINDS,  # "processed, then failed" included
            seed=7,
            methods={"chat.postMessage", "chat.update"},
            timeout_seconds=0.3,
        )
        port = free_port()
        with replica(slack_env(slack, pg_url, port), tmp_path) as bot:
            bot.wait_healthy()
            slack.wait_for(
                lambda: min(prompts_per_member(slack, members).values()) >= 1, timeout=120
            )
            driver = SlackDriver(
                slack, bot_url=f"http://127.0.0.1:{port}/slack/events", signing_secret=SECRET
            )
            low = members[:10]
            for user in low:  # the first answer at or below the floor rallies the team
                assert driver.dm(user, "2 everything is on fire").status == 200

            def nudges() -> list[str]:
                return [
                    key_of(m) for m in slack.messages("CTEAM") if key_of(m).startswith("rally:")
                ]

            slack.wait_for(lambda: len(nudges()) >= len(low), timeout=120)
            time.sleep(3)
            prompts = {
                u: len([m for m in slack.dms(u) if key_of(m).startswith("prompt:")])
                for u in members
            }
            assert set(prompts.values()) == {1}, {u: n for u, n in prompts.items() if n != 1}
            assert sorted(key_of(m) for m in slack.messages("CTEAM")) == sorted(
                set(key_of(m) for m in slack.messages("CTEAM"))
            )
            assert len(nudges()) == len(low)
            faults = [c for c in slack.calls_to("chat.postMessage") if not c.ok]
            assert faults, "the fault injection did not fire"
            # Some posts were stored and then failed (a reset leaves no HTTP status).
            assert [c for c in faults if c.status == 0], "no processed-then-failed fault fired"


def test_postgres_restart_while_answers_arrive(tmp_path: Path, pg_url: str) -> None:
    members = [f"U{i:04d}" for i in range(20)]
    team_due_now(pg_url, members)
    with LocalSlack(users=[User(id=u, name=u.lower()) for u in members]) as slack:
        port = free_port()
        with replica(slack_env(slack, pg_url, port), tmp_path) as bot:
            bot.wait_healthy()
            slack.wait_for(
                lambda: min(prompts_per_member(slack, members).values()) >= 1, timeout=60
            )
            driver = SlackDriver(
                slack, bot_url=f"http://127.0.0.1:{port}/slack/events", signing_secret=SECRET
            )
            cluster = subprocess.run(
                ["ls", "/etc/postgresql"], capture_output=True, text=True, check=True
            ).stdout.split()[0]
            restart = subprocess.Popen(
                ["pg_ctlcluster", "--skip-systemctl-redirect", cluster, "main", "restart"]
            )
            for user in members:
                assert driver.dm(user, "6").status == 200
                time.sleep(0.05)
            assert restart.wait(timeout=120) == 0

            def replied(user: str) -> bool:
                return any(
                    "Recorded" in m.all_text() or "couldn't save" in m.all_text()
                    for m in slack.dms(user)
                    if m.user != user
                )

            slack.wait_for(lambda: all(replied(u) for u in members), timeout=60)
            # Recovered without a restart of the bot: a new answer is stored.
            late = members[0]
            slack.wait_for(lambda: bot.proc.poll() is None, timeout=1)
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                before = len(slack.dms(late))
                driver.dm(late, "8 back on track")
                slack.wait_for(lambda n=before: len(slack.dms(late)) >= n + 2, timeout=20)
                if "Recorded 8/10" in slack.dms(late)[-1].all_text():
                    break
                time.sleep(1)
            assert "Recorded 8/10" in slack.dms(late)[-1].all_text()
