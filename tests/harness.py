"""A running Oneness (the real app over real HTTP) wired to a local Slack and a fake clock."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from slack_bolt import App
from sqlalchemy import create_engine

from bot.app import build_deps, create_app
from bot.platform.clock import FakeClock
from bot.platform.config import Settings
from bot.platform.deps import Deps
from bot.platform.server import HttpServer, OnenessWSGI
from bot.schedule.tick import TickReport, tick
from localslack import Channel, LocalSlack, Message, SlackDriver, User
from storage import scratch
from storage.models import Base

SECRET = "test-signing-secret"
PG_ADMIN_URL = os.environ.get(
    "ONENESS_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)

# A Wednesday; the default schedule prompts on Friday 15:00.
START = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)

PEOPLE = [
    User(id="ULEAD", name="lee", real_name="Lee Lead", tz="Europe/London"),
    User(id="UANN", name="ann", real_name="Ann Archer", tz="Europe/London"),
    User(id="UBOB", name="bob", real_name="Bob Baker", tz="America/New_York"),
    User(id="UCAT", name="cat", real_name="Cat Cole", tz="Europe/London"),
    User(id="UDAN", name="dan", real_name="Dan Dale", tz="Asia/Kolkata"),
    User(id="UROBOT", name="robot", real_name="Robot", is_bot=True),
    User(id="UGONE", name="gone", real_name="Gone Person", deleted=True),
]
TEAM_CHANNEL = Channel(id="CTEAM", name="team", members=["ULEAD", "UANN", "UBOT"])
OTHER_CHANNEL = Channel(id="COTHER", name="other", members=["ULEAD", "UBOT"])


def pg_available() -> bool:
    """True when the test PostgreSQL answers."""
    try:
        engine = create_engine(PG_ADMIN_URL, connect_args={"connect_timeout": 3})
        with engine.connect():
            pass
        engine.dispose()
        return True
    except Exception:
        return False


@contextmanager
def fresh_postgres(name: str) -> Iterator[str]:
    """A new, migrated PostgreSQL database beside the admin one, dropped afterwards."""
    with scratch.fresh_postgres(PG_ADMIN_URL, name) as url:
        yield url


def wipe(url: str) -> None:
    """Empty every table (faster than a new database per test)."""
    engine = create_engine(url)
    with engine.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(table.delete())
    engine.dispose()


@dataclass
class Oneness:
    """Everything a test needs: the local Slack, a driver, the bot's deps and its clock."""

    slack: LocalSlack
    driver: SlackDriver
    deps: Deps
    clock: FakeClock
    server: HttpServer
    server_app: App

    def settle(self) -> None:
        """Wait until the work after every ack has finished."""
        assert self.deps.executor.wait_idle(15), "background work did not finish"

    def slash(self, user: str, text: str, channel: str | None = None) -> str:
        """Run `/oneness text` and return everything the user saw, ack and follow-ups."""
        before = len(self.slack.ephemerals(user))
        kwargs: dict[str, Any] = {"channel": channel} if channel else {}
        reply = self.driver.slash(user, text, **kwargs)
        assert reply.status == 200, reply
        self.settle()
        return "\n".join(e.all_text() for e in self.slack.ephemerals(user)[before:])

    def files_processed(self) -> None:
        """Wait until Slack has processed every upload, as a person who looks later would.

        Slack finishes an upload a moment after files.completeUploadExternal answers; until
        then a slack_file block showing it is refused (the local Slack does the same).
        """
        self.slack.wait_for(lambda: all(self.slack.file_processed(f.id) for f in self.slack.files))

    def tick(self, *, force: bool = False, team_id: int | None = None) -> TickReport:
        """Run the scheduler's tick now."""
        report = tick(self.deps, force=force, team_id=team_id)
        self.settle()
        return report

    def advance_to(self, when: datetime) -> TickReport:
        """Move the clock and tick."""
        self.clock.set(when)
        return self.tick()

    def dms(self, user: str, *, welcomes: bool = False) -> list[Message]:
        """The bot's messages in a person's DM (not the person's own); the welcome DMs sent on
        joining a team only when asked for (tests of other things ignore them)."""
        return [
            m
            for m in self.slack.dms(user)
            if m.user != user and (welcomes or not _key(m).startswith("welcome:"))
        ]

    def welcomes(self, user: str) -> list[Message]:
        """The welcome DMs a person was sent on being added to teams."""
        return [m for m in self.slack.dms(user) if _key(m).startswith("welcome:")]

    def prompt(self, user: str) -> Message:
        """The newest weekly prompt in a DM."""
        prompts = [m for m in self.dms(user) if _key(m).startswith("prompt:")]
        assert prompts, f"no prompt for {user}"
        return prompts[-1]


def _key(message: Message) -> str:
    """The delivery key the bot put in a message's metadata ("" when none)."""
    return str((message.metadata or {}).get("event_payload", {}).get("key", ""))


@contextmanager
def running_oneness(
    url: str, *, clock: FakeClock | None = None, work_mode: str = "local"
) -> Iterator[Oneness]:
    """Start a local Slack and the real app over HTTP on `url`.

    `work_mode="queue"` stores the work after each ack and runs none of it: the test claims it.
    """
    slack = LocalSlack(users=PEOPLE, channels=[TEAM_CHANNEL, OTHER_CHANNEL]).start()
    clock = clock or FakeClock(START)
    settings = Settings(
        bot_token=slack.bot_token, signing_secret=SECRET, api_url=slack.api_url, database_url=url
    )
    deps = build_deps(settings, clock=clock, workers=4, work_mode=work_mode)
    app = create_app(deps)
    server = HttpServer(OnenessWSGI(app, deps.engine), host="127.0.0.1", port=0, threads=4)
    server.start_in_thread()
    driver = SlackDriver(
        slack, bot_url=f"http://127.0.0.1:{server.port}/slack/events", signing_secret=SECRET
    )
    try:
        yield Oneness(slack, driver, deps, clock, server, app)
    finally:
        deps.executor.wait_idle(10)
        server.close()
        deps.close()
        slack.stop()
