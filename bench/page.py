# ruff: noqa: E402 - the repository root goes on sys.path before the bot is imported
"""Promise page benchmark: `GET /p/<token>` for a team with two years of history.

    .venv/bin/python bench/page.py [--db sqlite|postgresql|both] [--teams T] [--members N]
                                   [--weeks W] [--requests R]

Each database gets `--teams` teams (default 20) of `--members` people (default 25) with
`--weeks` weeks of history (default 104, two years), written as the bot stores them: a cycle
a week, a weekly check-in and a "did we keep our promise?" answer per member and week (about
one in eight says broken), three breaks a week (one in three from customers, most delivered
on time, some missed, the last few open), ten customer ratings a week, three versions of the
promise, and the page switched on. The measured team is the middle one.

The real WSGI app (`OnenessWSGI` with the promise pages, as `oneness run` serves them in HTTP
mode) runs on waitress in this process, and one client sends `--requests` (default 500)
sequential requests on a kept-alive connection after 50 warm-up requests, for each of:

- `page`: GET /p/<token> (the promise, the record of 12 weeks, both forms),
- `healthz`: GET /healthz on the same server (one small query): the floor,
- `css`: GET /p/promise.css (no database at all): the floor without a query.

It prints the median, p95 and p99 in ms of each, side by side, and the page's verdict against
its target: p95 under 50 ms. Always exits 0.
"""

from __future__ import annotations

import argparse
import gc
import http.client
import os
import random
import statistics
import sys
import time
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import Engine, insert, select, update

from bench.databases import database
from bot.app import build_deps, create_app
from bot.platform.config import Settings
from bot.platform.server import HttpServer, OnenessWSGI
from bot.promise.page import PromisePage
from bot.schedule.calendar import shift_week, week_monday
from storage.db import make_engine
from storage.models import (
    CheckIn,
    CustomerRating,
    Cycle,
    Lead,
    Member,
    Promise,
    PromiseAnswer,
    PromiseBreak,
    Team,
)
from storage.models import (
    PromisePage as PageRow,
)

LATEST_WEEK = "2026-W48"
NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)  # Friday of the latest week
TARGET_MS = 50.0
CHUNK = 5_000


def _chunks(rows: list[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    for start in range(0, len(rows), CHUNK):
        yield rows[start : start + CHUNK]


def fill(engine: Engine, *, teams: int, members: int, weeks: int) -> str:
    """Write the history; returns the token of the middle team's page."""
    rng = random.Random(7)
    labels = [shift_week(LATEST_WEEK, -n) for n in range(weeks - 1, -1, -1)]
    started = NOW - timedelta(weeks=weeks + 1)
    tokens: list[str] = []
    with engine.begin() as conn:
        for t in range(teams):
            team_id = conn.execute(
                insert(Team).values(
                    name=f"Team {t:03d}",
                    channel_id=f"C{t:06d}",
                    created_by="ULEAD",
                    created_at=started,
                    timezone="Europe/London",
                )
            ).inserted_primary_key[0]
            conn.execute(insert(Lead).values(team_id=team_id, user_id="ULEAD", added_at=started))
            users = [f"U{t:03d}{m:04d}" for m in range(members)]
            conn.execute(
                insert(Member),
                [
                    {"team_id": team_id, "user_id": u, "display_name": u, "joined_at": started}
                    for u in users
                ],
            )
            promise_id = 0
            for version in range(3):
                set_at = started + timedelta(weeks=version * weeks // 3)
                if version:
                    conn.execute(
                        update(Promise).where(Promise.id == promise_id).values(superseded_at=set_at)
                    )
                promise_id = conn.execute(
                    insert(Promise).values(
                        team_id=team_id,
                        pledge=f"A reply to every ticket within one working day (v{version + 1}).",
                        customer_must="Open a ticket with your order number.",
                        remedy="A senior engineer calls you and the month is free",
                        remedy_hours=24,
                        set_by="ULEAD",
                        created_at=set_at,
                    )
                ).inserted_primary_key[0]
            token = f"bench-token-{t:03d}-" + "x" * 24
            tokens.append(token)
            conn.execute(
                insert(PageRow).values(
                    team_id=team_id,
                    token=token,
                    enabled=True,
                    created_at=started,
                    updated_at=started,
                )
            )
            checkins: list[dict[str, Any]] = []
            answers: list[dict[str, Any]] = []
            breaks: list[dict[str, Any]] = []
            ratings: list[dict[str, Any]] = []
            for label in labels:
                monday = datetime.combine(week_monday(label), datetime.min.time(), UTC)
                friday = monday + timedelta(days=4, hours=15)
                cycle_id = conn.execute(
                    insert(Cycle).values(
                        team_id=team_id,
                        week=label,
                        opens_at=friday,
                        closes_at=friday + timedelta(days=2, hours=18),
                        closed_at=None if label == LATEST_WEEK else friday + timedelta(days=3),
                    )
                ).inserted_primary_key[0]
                for user in users:
                    at = friday + timedelta(minutes=rng.randrange(600))
                    checkins.append(
                        {
                            "team_id": team_id,
                            "user_id": user,
                            "cycle_id": cycle_id,
                            "kind": "weekly",
                            "score": rng.randint(3, 10),
                            "note": "",
                            "help": "none",
                            "visibility": "anonymous",
                            "source": "button",
                            "created_at": at,
                        }
                    )
                    kept = rng.random() > 0.125
                    answers.append(
                        {
                            "team_id": team_id,
                            "cycle_id": cycle_id,
                            "user_id": user,
                            "promise_id": promise_id,
                            "kept": kept,
                            "times": 0 if kept else 1,
                            "note": "",
                            "created_at": at,
                            "updated_at": at,
                        }
                    )
                for n in range(3):
                    at = monday + timedelta(days=n * 2, hours=10)
                    due = at + timedelta(hours=24)
                    late = label >= shift_week(LATEST_WEEK, -1)
                    status = "open" if late else ("missed" if rng.random() < 0.1 else "delivered")
                    breaks.append(
                        {
                            "team_id": team_id,
                            "promise_id": promise_id,
                            "source": "customer" if n == 2 else "team",
                            "origin": "page" if n == 2 else "command",
                            "reported_by": None if n == 2 else users[n],
                            "what": "A customer waited three days for a reply.",
                            "contact": "customer@example.com" if n == 2 else None,
                            "status": status,
                            "owner_id": users[-1],
                            "created_at": at,
                            "remedy_due_at": due,
                            "closed_at": None if status == "open" else at + timedelta(hours=20),
                        }
                    )
                for n in range(10):
                    ratings.append(
                        {
                            "team_id": team_id,
                            "user_id": None,
                            "score": rng.randint(2, 5),
                            "note": "",
                            "logged_by": "",
                            "source": "customer" if n % 2 else "lead",
                            "created_at": monday + timedelta(hours=n * 7),
                        }
                    )
            for table, rows in (
                (CheckIn, checkins),
                (PromiseAnswer, answers),
                (PromiseBreak, breaks),
                (CustomerRating, ratings),
            ):
                for chunk in _chunks(rows):
                    conn.execute(insert(table), chunk)
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE")
    return tokens[teams // 2]


def _time(port: int, path: str, count: int, warmup: int = 50) -> list[float]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    timings: list[float] = []
    try:
        for n in range(warmup + count):
            started = time.perf_counter()
            conn.request("GET", path)
            response = conn.getresponse()
            response.read()
            elapsed = (time.perf_counter() - started) * 1000
            if response.status != 200:
                raise SystemExit(f"{path} answered {response.status}")
            if n >= warmup:
                timings.append(elapsed)
    finally:
        conn.close()
    return timings


def _quantile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def run(kind: str, args: argparse.Namespace) -> None:
    """Fill one database, serve it, time the page beside the floors, print a table."""
    with database(kind) as url:
        engine = make_engine(url)
        fill_started = time.perf_counter()
        token = fill(engine, teams=args.teams, members=args.members, weeks=args.weeks)
        filled = time.perf_counter() - fill_started
        with engine.connect() as conn:
            answers = len(conn.execute(select(PromiseAnswer.id)).all())
            breaks = len(conn.execute(select(PromiseBreak.id)).all())
        engine.dispose()
        settings = Settings(bot_token="xoxb-bench", signing_secret="bench", database_url=url)
        deps = build_deps(settings, clock=_Fixed(NOW), workers=4)
        app = create_app(deps, verify_token=False)
        server = HttpServer(
            OnenessWSGI(app, deps.engine, pages=PromisePage(deps)),
            host="127.0.0.1",
            port=0,
            threads=4,
        ).start_in_thread()
        gc.collect()
        gc.freeze()  # as `oneness run` does once started
        try:
            results = {
                "page": _time(server.port, f"/p/{token}", args.requests),
                "healthz (floor)": _time(server.port, "/healthz", args.requests),
                "css (floor, no query)": _time(server.port, "/p/promise.css", args.requests),
            }
        finally:
            server.close()
            deps.close()
    print(
        f"\n{kind}: {args.teams} teams × {args.members} members × {args.weeks} weeks "
        f"({answers:,} promise answers, {breaks:,} breaks; filled in {filled:.1f}s), "
        f"{args.requests} sequential requests each, load {os.getloadavg()[0]:.1f}"
    )
    print(f"{'request':<24}{'median ms':>10}{'p95 ms':>10}{'p99 ms':>10}")
    for name, timings in results.items():
        print(
            f"{name:<24}{statistics.median(timings):>10.2f}{_quantile(timings, 0.95):>10.2f}"
            f"{_quantile(timings, 0.99):>10.2f}"
        )
    p95 = _quantile(results["page"], 0.95)
    verdict = "met" if p95 < TARGET_MS else "NOT met"
    print(f"target: page p95 under {TARGET_MS:.0f} ms: {verdict} ({p95:.2f} ms)")


class _Fixed:
    """The benchmark's clock: the Friday of the latest week."""

    def __init__(self, at: datetime) -> None:
        self.at = at

    def now(self) -> datetime:
        """Always the same moment."""
        return self.at


def main(argv: Sequence[str] | None = None) -> int:
    """Parse arguments and run each database."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--teams", type=int, default=20)
    parser.add_argument("--members", type=int, default=25)
    parser.add_argument("--weeks", type=int, default=104)
    parser.add_argument("--requests", type=int, default=500)
    args = parser.parse_args(argv)
    kinds = ("sqlite", "postgresql") if args.db == "both" else (args.db,)
    for kind in kinds:
        run(kind, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
