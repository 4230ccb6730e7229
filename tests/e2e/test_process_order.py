"""One person's burst of messages, handled in order by real processes on PostgreSQL: two serving
processes sharing the port and two work processes claiming the jobs."""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy import select

from localslack import LocalSlack, RateLimit, SlackDriver, User
from storage.db import make_engine, make_session_factory, transaction
from storage.models import CheckIn
from tests.e2e.processes import SECRET, free_port, replica, slack_env, team_due_now

BURST = [(7, "first"), (4, "second"), (6, "third"), (3, "fourth"), (8, "fifth")]
RECORDED = re.compile(r"Thanks\. Recorded (\d+)/10")


def test_work_processes_and_serving_processes_keep_a_persons_order(
    tmp_path: Path, pg_url: str
) -> None:
    team_due_now(pg_url, ["UANN", "UBOB"])
    # One message a second per DM, no burst: each reply after the first waits out a 429.
    limits = {"chat.postMessage": RateLimit(per_channel_per_second=1, channel_burst=1)}
    users = [User(id="ULEAD", name="lee"), User(id="UANN", name="ann"), User(id="UBOB", name="bob")]
    with LocalSlack(users=users, rate_limits=limits) as slack:
        port = free_port()
        args = ["--processes", "2", "--work-processes", "2"]
        with replica(slack_env(slack, pg_url, port), tmp_path, args) as bot:
            bot.wait_healthy()
            slack.wait_for(lambda: slack.dms("UANN") and slack.dms("UBOB"), timeout=30)
            driver = SlackDriver(
                slack, bot_url=f"http://127.0.0.1:{port}/slack/events", signing_secret=SECRET
            )
            for score, note in BURST:
                assert driver.dm("UANN", f"{score} {note}").status == 200
            assert driver.dm("UBOB", "9 fine").status == 200

            def told(user: str) -> list[int]:
                texts = [m.all_text() for m in slack.dms(user) if m.user != user]
                return [int(found.group(1)) for t in texts if (found := RECORDED.search(t))]

            try:
                slack.wait_for(lambda: len(told("UANN")) >= len(BURST), timeout=60)
            except TimeoutError:
                raise AssertionError(f"the burst was not answered:\n{bot.output}") from None
            assert told("UANN") == [score for score, _ in BURST]
            assert told("UBOB") == [9]
            assert bot.terminate() == 0
    engine = make_engine(pg_url)
    with transaction(make_session_factory(engine)) as session:
        rows = session.scalars(
            select(CheckIn).where(CheckIn.user_id == "UANN").order_by(CheckIn.id)
        )
        assert [(r.score, r.note) for r in rows] == BURST
    engine.dispose()
    assert "Traceback" not in bot.output
