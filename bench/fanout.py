# ruff: noqa: E402 - the repository root goes on sys.path before the bot is imported
"""Fan-out benchmark: one scheduler tick prompting N members through a rate-limited local Slack.

    .venv/bin/python bench/fanout.py [--members N] [--rate R] [--post-rate P]
                                     [--db sqlite|postgresql] [--variant bot|unpaced]

The local Slack limits chat.postMessage to one message a second per channel and `--rate`
messages a second workspace-wide, answering 429 with Retry-After past either. The bot is the
real one (`bot.app.build_deps`, `bot.schedule.tick.tick`) on a fresh, migrated database and a
FakeClock set to the team's prompt time (Friday 15:00 UTC), its client built by
`make_client` as `oneness run` builds it: `bot` paces chat.postMessage at `--post-rate`
(ONENESS_POST_RATE; default: the workspace's `--rate`), `unpaced` leaves pacing out and
relies on Retry-After alone. The figures are printed as `name: value` lines; the script
reports and always exits 0.
"""

from __future__ import annotations

import argparse
import itertools
import logging
import resource
import sys
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

# Run as a script, sys.path[0] is bench/; the editable install alone does not find `handlers`.
ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.databases import database
from bot.app import build_deps
from bot.platform.clock import FakeClock
from bot.platform.config import Settings
from bot.platform.deps import Deps
from bot.platform.directory import Person
from bot.schedule.tick import TickReport, tick
from bot.teams.service import TeamSettings, add_members, setup_team
from localslack import ApiCall, Channel, LocalSlack, RateLimit, User
from storage.db import transaction

# A Wednesday; the team is created then, and the default schedule prompts on Friday 15:00 UTC.
CREATED_AT = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
PROMPT_AT = datetime(2026, 11, 27, 15, 0, tzinfo=UTC)
TEAM_CHANNEL = "CTEAM"
ZONES = (
    "UTC",
    "Europe/London",
    "Europe/Berlin",
    "America/New_York",
    "America/Los_Angeles",
    "Asia/Kolkata",
    "Asia/Tokyo",
    "Australia/Sydney",
)
TARGET_RATIO = 1.01
TARGET_429 = 0
TARGET_RSS_MB = 200.0


@dataclass(frozen=True)
class Figures:
    """What one run measured."""

    members: int
    rate: float
    post_rate: float | None
    elapsed: float
    duplicates: int
    misses: int
    ratelimited: int
    post_calls: int
    retry_gap: float | None
    slow_gaps: int
    slow_seconds: float
    report: TickReport
    setup_seconds: float

    @property
    def floor(self) -> float:
        """The least time N messages can take at the workspace rate."""
        return self.members / self.rate

    @property
    def ratio(self) -> float:
        """Elapsed over the floor."""
        return self.elapsed / self.floor


def user_id(index: int) -> str:
    """U000001, U000002, ..."""
    return f"U{index:06d}"


def start_slack(members: int, rate: float) -> LocalSlack:
    """A local Slack with `members` people, one team channel and chat.postMessage limits."""
    users = [
        User(
            id=user_id(i),
            name=f"user{i}",
            real_name=f"User {i}",
            tz=ZONES[i % len(ZONES)],
        )
        for i in range(1, members + 1)
    ]
    channel = Channel(id=TEAM_CHANNEL, name="team", members=[u.id for u in users] + ["UBOT"])
    limits = {"chat.postMessage": RateLimit(per_second=rate, per_channel_per_second=1)}
    return LocalSlack(users=users, channels=[channel], rate_limits=limits).start()


def seed_team(deps: Deps, members: int) -> None:
    """The team (created Wednesday, schedule Friday 15:00 UTC) and its members."""
    people = [
        Person(id=user_id(i), name=f"User {i}", tz=ZONES[i % len(ZONES)])
        for i in range(1, members + 1)
    ]
    with transaction(deps.sessions) as session:
        team = setup_team(
            session,
            TeamSettings(name="bench", channel_id=TEAM_CHANNEL, timezone="UTC"),
            creator=people[0].id,
            now=CREATED_AT,
        )
        result = add_members(session, team, people, now=CREATED_AT)
    if len(result.done) != members:
        raise RuntimeError(f"added {len(result.done)} of {members} members")


def prompt_counts(slack: LocalSlack, members: int) -> Counter[str]:
    """How many weekly prompts each member's DM holds."""
    counts: Counter[str] = Counter()
    for i in range(1, members + 1):
        uid = user_id(i)
        for message in slack.dms(uid):
            payload = (message.metadata or {}).get("event_payload") or {}
            if message.user != uid and str(payload.get("key", "")).startswith("prompt:"):
                counts[uid] += 1
    return counts


def run(members: int, rate: float, url: str, post_rate: float | None) -> Figures:
    """Seed, tick once at the prompt time (timed), and read the local Slack's record."""
    started = time.perf_counter()
    slack = start_slack(members, rate)
    clock = FakeClock(CREATED_AT)
    settings = Settings(
        bot_token=slack.bot_token,
        signing_secret="bench-signing-secret",
        api_url=slack.api_url,
        database_url=url,
        post_rate=post_rate,
    )
    deps = build_deps(settings, clock=clock, workers=2)
    try:
        seed_team(deps, members)
        clock.set(PROMPT_AT)
        setup_seconds = time.perf_counter() - started
        t0 = time.perf_counter()
        report = tick(deps)
        elapsed = time.perf_counter() - t0
        counts = prompt_counts(slack, members)
        posts = slack.calls_to("chat.postMessage")
    finally:
        deps.close()
        slack.stop()
    return Figures(
        members=members,
        rate=rate,
        post_rate=post_rate,
        elapsed=elapsed,
        duplicates=sum(1 for n in counts.values() if n > 1),
        misses=sum(1 for i in range(1, members + 1) if counts[user_id(i)] == 0),
        ratelimited=sum(1 for c in posts if c.status == 429),
        post_calls=len(posts),
        retry_gap=retry_gap(posts),
        slow_gaps=len(slow := slow_gaps(posts, post_rate or rate)),
        slow_seconds=sum(slow),
        report=report,
        setup_seconds=setup_seconds,
    )


def slow_gaps(posts: list[ApiCall], rate: float) -> list[float]:
    """Time lost where the bot was slower than the pace: the part of each gap between posts
    beyond twice the interval (a burst of 1 saves no time up, so it is not made good)."""
    interval = 1.0 / rate
    gaps = (b.at - a.at for a, b in itertools.pairwise(posts))
    return [gap - interval for gap in gaps if gap > 2 * interval]


def retry_gap(posts: list[ApiCall]) -> float | None:
    """Mean seconds from a 429 to the next chat.postMessage call (the retry), or None."""
    gaps = [b.at - a.at for a, b in itertools.pairwise(posts) if a.status == 429]
    return sum(gaps) / len(gaps) if gaps else None


def peak_rss_mb() -> float:
    """Peak resident set size of this process (ru_maxrss is KiB on Linux, bytes on macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def verdict(figures: Figures, rss_mb: float) -> str:
    """`met`, or `NOT met (...)` naming every missed target."""
    missed: list[str] = []
    if figures.ratio > TARGET_RATIO:
        missed.append(f"ratio {figures.ratio:.3f} > {TARGET_RATIO}")
    if figures.ratelimited > TARGET_429:
        missed.append(f"{figures.ratelimited} 429s > {TARGET_429}")
    if figures.duplicates:
        missed.append(f"{figures.duplicates} duplicates")
    if figures.misses:
        missed.append(f"{figures.misses} misses")
    if rss_mb >= TARGET_RSS_MB:
        missed.append(f"peak RSS {rss_mb:.1f} MB >= {TARGET_RSS_MB:.0f} MB")
    return "met" if not missed else f"NOT met ({'; '.join(missed)})"


def report_lines(figures: Figures, rss_mb: float, db: str, variant: str) -> list[str]:
    """The printed figures, `name: value` each."""
    gap = "-" if figures.retry_gap is None else f"{figures.retry_gap:.3f}"
    return [
        f"variant: {variant}",
        f"db: {db}",
        f"members: {figures.members}",
        f"rate: {figures.rate:g}",
        f"post_rate: {'-' if figures.post_rate is None else f'{figures.post_rate:g}'}",
        f"setup_seconds: {figures.setup_seconds:.2f}",
        f"elapsed_seconds: {figures.elapsed:.2f}",
        f"floor_seconds: {figures.floor:.2f}",
        f"ratio: {figures.ratio:.3f}",
        f"duplicates: {figures.duplicates}",
        f"misses: {figures.misses}",
        f"ratelimited_429: {figures.ratelimited}",
        f"post_calls: {figures.post_calls}",
        f"mean_wait_after_429_seconds: {gap}",
        f"gaps_over_twice_the_interval: {figures.slow_gaps} ({figures.slow_seconds:.2f} s lost)",
        f"tick_prompts: {figures.report.prompts}",
        f"tick_failed: {figures.report.failed}",
        f"peak_rss_mb: {rss_mb:.1f}",
        f"targets: {verdict(figures, rss_mb)}",
    ]


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, run once, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--members", type=int, default=2000, help="members to prompt")
    parser.add_argument("--rate", type=float, default=20.0, help="workspace messages a second")
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument(
        "--post-rate",
        type=float,
        default=None,
        help="ONENESS_POST_RATE for the bot (default: the workspace's --rate)",
    )
    parser.add_argument(
        "--variant",
        choices=("bot", "unpaced"),
        default="bot",
        help="bot: chat.postMessage paced at --post-rate; unpaced: Retry-After alone",
    )
    args = parser.parse_args(argv)
    if args.members < 1 or args.rate <= 0 or (args.post_rate is not None and args.post_rate <= 0):
        parser.error("--members must be at least 1, --rate and --post-rate positive")
    post_rate = None if args.variant == "unpaced" else (args.post_rate or args.rate)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    with database(args.db) as url:
        figures = run(args.members, args.rate, url, post_rate)
    for line in report_lines(figures, peak_rss_mb(), args.db, args.variant):
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
