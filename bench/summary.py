# ruff: noqa: E402 - the repository root goes on sys.path before the bot is imported
"""Summary benchmark: the weekly summary, `status`, `trend` and the chart on a long history.

    .venv/bin/python bench/summary.py [--db sqlite|postgresql|both] [--org]
                                      [--members N] [--weeks W] [--teams T] [--runs R]
                                      [--explain] [--no-gc-freeze] [--index SQL]...

A team is `--members` people (default 1,000) answering once a week for `--weeks` weeks
(default 104, two years): one weekly check-in per member and cycle (about 5% skip a week,
about 2% edit their answer, which leaves a superseded row), one sent prompt delivery
(`prompt:<cycle>:<user>`) per member and cycle, ten customer ratings a week, two leads and a
few rallies, as the bot stores them. Rows are written in the order they arrive (week by
week, teams interleaved): SQLAlchemy Core `insert()` in chunks on SQLite; on PostgreSQL
`COPY` through psycopg, with the secondary indexes and constraints of the three big tables
dropped during the load and rebuilt after it, then VACUUM ANALYZE (as autovacuum would).

Each database is filled step by step and measured after each step, so the table shows how
the cost grows with the rows:

- team: one team of `--members // 10` and one of `--members`, each at `--weeks // 4` and
  `--weeks` weeks, on each `--db`;
- `--org` (PostgreSQL only): `--teams` teams (default 100) of `--members`, at `--weeks // 8`,
  `--weeks // 2` and `--weeks` weeks; the measured team is the middle one.

Measured, in a fresh session each time (what a request does), the median of `--runs` runs
after one warm-up: `summary` is `bot.summary.service.gather` for the open (latest) cycle,
`status` is `bot.summary.status.week_status`, `trend` is
`bot.checkin.history.my_history(session, user, team, 12)`, `chart` is
`bot.summary.chart.render_trend_chart` on the summary's trend. Each cell is the wall time,
then in brackets the time spent in `cursor.execute` (SQLite steps rows lazily, so there it
undercounts) and this process's CPU time; the 1-minute load average is printed beside, as
other work on the machine inflates the wall time. Targets: summary, status and trend under
100 ms for one team and under 500 ms inside the organisation; the chart under 300 ms.

Before timing, the script calls gc.collect() and gc.freeze(), as `oneness run` does once it
has started, so the garbage collector's full collections no longer walk the ~150,000 objects
the imports leave; `--no-gc-freeze` times without it. The database is migrated to the head
revision, so it has the shipped indexes (0002 adds ix_checkins_user_created,
ix_deliveries_prompt_sent and ix_customer_ratings_team_created).

After the last step of each database: `--explain` prints the plan of every statement the
three operations run (EXPLAIN (ANALYZE, BUFFERS) on PostgreSQL, EXPLAIN QUERY PLAN on
SQLite); `--index SQL` (repeatable) runs SQL, e.g. a CREATE INDEX to try, in the benchmark
database only and times them again (`+index` rows, which the verdict ignores). The script
reports and always exits 0.
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, cast

# Run as a script, sys.path[0] is bench/; the editable install alone does not find `handlers`.
ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import psycopg
from sqlalchemy import Connection, Engine, event, insert, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from bench.databases import database
from bot.checkin.history import my_history
from bot.checkin.rules import HELP_KINDS
from bot.schedule.calendar import next_occurrence, occurrence, shift_week, zone
from bot.summary import service as bot_summaries
from bot.summary.chart import render_trend_chart
from bot.summary.service import Gathered
from bot.summary.status import week_status
from storage.db import make_engine, make_session_factory
from storage.models import Base, Cycle, Team

LATEST_WEEK = "2026-W48"
UTC_ZONE = zone("UTC")
VISIBILITIES = ("anonymous", "team", "leads")
NOTE = "Shipped the importer; the review queue is long and a second pair of eyes would help."
RATINGS_PER_WEEK = 10
TREND_LIMIT = 12
CHUNK = 5_000
OPERATIONS = ("summary", "status", "trend")
BULK_TABLES = ("checkins", "deliveries", "customer_ratings")
MAINTENANCE_WORK_MEM = "512MB"
TARGET_TEAM_MS = 100.0
TARGET_ORG_MS = 500.0
TARGET_CHART_MS = 300.0

Row = tuple[Any, ...]

CHECKIN_COLUMNS = (
    "team_id",
    "user_id",
    "cycle_id",
    "kind",
    "score",
    "deliverables",
    "customers",
    "note",
    "help",
    "visibility",
    "source",
    "created_at",
    "superseded_at",
)
DELIVERY_COLUMNS = (
    "key",
    "kind",
    "user_id",
    "cycle_id",
    "status",
    "channel_id",
    "message_ts",
    "error",
    "attempts",
    "created_at",
    "sent_at",
)
RATING_COLUMNS = ("team_id", "user_id", "score", "note", "logged_by", "created_at")
CYCLE_COLUMNS = ("team_id", "week", "opens_at", "closes_at", "closed_at", "chart_file_id")
MEMBER_COLUMNS = (
    "team_id",
    "user_id",
    "display_name",
    "tz",
    "active",
    "paused_until",
    "joined_at",
    "left_at",
)
LEAD_COLUMNS = ("team_id", "user_id", "added_at")
RALLY_COLUMNS = (
    "team_id",
    "user_id",
    "checkin_id",
    "status",
    "visibility",
    "help",
    "channel_id",
    "message_ts",
    "owner_id",
    "opened_at",
    "updated_at",
    "followup_at",
    "escalated_at",
    "closed_at",
)


# --- the data -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Week:
    """One weekly cycle: its ordinal from the oldest, ISO label, opening and closing."""

    ordinal: int
    label: str
    opens_at: datetime
    closes_at: datetime


def weeks_of(total: int) -> list[Week]:
    """`total` consecutive weeks ending with LATEST_WEEK; prompts Friday 15:00 UTC."""
    first = shift_week(LATEST_WEEK, -(total - 1))
    weeks: list[Week] = []
    for ordinal in range(total):
        label = shift_week(first, ordinal)
        opens = occurrence(label, "fri", "15:00", UTC_ZONE)
        weeks.append(Week(ordinal, label, opens, next_occurrence(opens, "mon", "09:00", UTC_ZONE)))
    return weeks


def user_id(team: int, member: int) -> str:
    """Member `member` (1-based) of team ordinal `team` (0-based): U00000001, ..."""
    return f"U{team:03d}{member:05d}"


def checkin_rows(
    teams: Sequence[int], members: int, cycles: Mapping[int, int], week: Week
) -> Iterator[Row]:
    """A week's weekly answers in arrival order, teams interleaved (CHECKIN_COLUMNS)."""
    w = week.ordinal
    for m in range(1, members + 1):
        for t, team_id in enumerate(teams):
            if (m * 7 + w * 13 + t * 3) % 20 == 0:
                continue  # about 5% skip the week
            uid = user_id(t, m)
            at = week.opens_at + timedelta(minutes=(m * 17 + w * 29 + t * 5) % 3600)
            score = 4 + (m * 37 + w * 11 + t * 7) % 7
            wants = HELP_KINDS[1 + (m + w) % 4] if (m * 3 + w) % 8 == 0 else "none"
            visibility = VISIBILITIES[(m + t) % 3]
            note = NOTE if (m + w * 3) % 4 == 0 else ""
            head = (team_id, uid, cycles[team_id], "weekly")
            extra = (1 + (m + w) % 5, 1 + (m * 3 + w) % 5)
            if (m * 11 + w * 5 + t) % 50 == 0:  # about 2% edit: the first answer is superseded
                earlier = at - timedelta(minutes=30)
                yield (
                    *head,
                    max(1, score - 2),
                    *extra,
                    "",
                    "none",
                    visibility,
                    "button",
                    earlier,
                    at,
                )
            source = "modal" if note else "button"
            yield (*head, score, *extra, note, wants, visibility, source, at, None)


def delivery_rows(
    teams: Sequence[int], members: int, cycles: Mapping[int, int], week: Week
) -> Iterator[Row]:
    """Every member's sent weekly prompt (DELIVERY_COLUMNS), sent at 20 a second."""
    for m in range(1, members + 1):
        for t, team_id in enumerate(teams):
            uid = user_id(t, m)
            cycle_id = cycles[team_id]
            sent = week.opens_at + timedelta(seconds=((m - 1) * len(teams) + t) / 20)
            ts = f"{sent.timestamp():.6f}"
            key = f"prompt:{cycle_id}:{uid}"
            yield (key, "prompt", uid, cycle_id, "sent", "D" + uid[1:], ts, None, 1, sent, sent)


def rating_rows(teams: Sequence[int], members: int, week: Week) -> Iterator[Row]:
    """Ten customer ratings per team and week, one for the team (RATING_COLUMNS)."""
    w = week.ordinal
    for k in range(RATINGS_PER_WEEK):
        for t, team_id in enumerate(teams):
            rated = None if k == 0 else user_id(t, 1 + (w * 31 + k * 97) % members)
            at = week.opens_at + timedelta(hours=1 + k)
            yield (team_id, rated, 1 + (w + k + t) % 5, "", user_id(t, 1), at)


def cycle_rows(teams: Sequence[int], weeks: Sequence[Week], open_label: str) -> Iterator[Row]:
    """Cycles of these weeks, all closed but `open_label` (CYCLE_COLUMNS)."""
    for week in weeks:
        for team_id in teams:
            closed = None if week.label == open_label else week.closes_at
            yield (team_id, week.label, week.opens_at, week.closes_at, closed, None)


def member_rows(teams: Sequence[int], members: int, joined: datetime) -> Iterator[Row]:
    """Active, unpaused members (MEMBER_COLUMNS)."""
    zones = ("UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata")
    for t, team_id in enumerate(teams):
        for m in range(1, members + 1):
            uid = user_id(t, m)
            yield (team_id, uid, f"Member {t}-{m}", zones[m % 4], True, None, joined, None)


def lead_rows(teams: Sequence[int], joined: datetime) -> Iterator[Row]:
    """Members 1 and 2 lead each team (LEAD_COLUMNS)."""
    for t, team_id in enumerate(teams):
        yield (team_id, user_id(t, 1), joined)
        yield (team_id, user_id(t, 2), joined)


def rally_rows(teams: Sequence[int], members: int, opened: datetime) -> Iterator[Row]:
    """Three open rallies and ten resolved ones per team (RALLY_COLUMNS)."""
    for t, team_id in enumerate(teams):
        for m in range(3, min(members, 15) + 1):
            is_open = m <= 5
            owner = user_id(t, 2) if m == 3 else None
            closed = None if is_open else opened + timedelta(days=3)
            yield (
                team_id,
                user_id(t, m),
                None,
                "open" if is_open else "resolved",
                VISIBILITIES[m % 3],
                HELP_KINDS[1 + m % 4],
                f"C{t:06d}",
                f"{opened.timestamp():.6f}",
                owner,
                opened,
                opened,
                opened + timedelta(days=3),
                None,
                closed,
            )


# --- writing rows -------------------------------------------------------------------------


def write_rows(conn: Connection, table: str, columns: Sequence[str], rows: Iterable[Row]) -> int:
    """Bulk-insert rows: COPY on PostgreSQL, Core insert() in chunks elsewhere; the count."""
    if conn.dialect.name == "postgresql":
        raw = cast(psycopg.Connection[Any], conn.connection.dbapi_connection)
        written = 0
        statement = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
        with raw.cursor() as cursor, cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row(row)
                written += 1
        return written
    target = Base.metadata.tables[table]
    written = 0
    chunk: list[dict[str, Any]] = []
    for row in rows:
        chunk.append(dict(zip(columns, row, strict=True)))
        if len(chunk) == CHUNK:
            conn.execute(insert(target), chunk)
            written += len(chunk)
            chunk = []
    if chunk:
        conn.execute(insert(target), chunk)
        written += len(chunk)
    return written


@dataclass
class Filled:
    """What a database holds so far."""

    teams: list[int]
    members: int
    weeks: list[Week] = field(default_factory=list)
    checkins: int = 0
    deliveries: int = 0
    fill_seconds: float = 0.0


def seed(engine: Engine, teams: int, members: int, first: Week) -> Filled:
    """Teams, members, leads and rallies, created a week before the first prompt."""
    joined = first.opens_at - timedelta(days=7)
    team_table = Base.metadata.tables["teams"]
    with engine.begin() as conn:
        conn.execute(
            insert(team_table),
            [
                {
                    "workspace_id": "TBENCH",
                    "name": f"team-{t:03d}",
                    "channel_id": f"C{t:06d}",
                    "created_by": user_id(t, 1),
                    "created_at": joined,
                    "timezone": "UTC",
                }
                for t in range(teams)
            ],
        )
        ids = list(conn.scalars(select(team_table.c.id).order_by(team_table.c.name)))
        write_rows(conn, "members", MEMBER_COLUMNS, member_rows(ids, members, joined))
        write_rows(conn, "leads", LEAD_COLUMNS, lead_rows(ids, joined))
        write_rows(conn, "rallies", RALLY_COLUMNS, rally_rows(ids, members, first.opens_at))
    return Filled(ids, members)


def grow(engine: Engine, filled: Filled, weeks: Sequence[Week]) -> str:
    """Add these weeks (the last one open, earlier ones closed); how long each part took."""
    started = time.perf_counter()
    postgres = engine.dialect.name == "postgresql"
    restore: list[str] = []
    with engine.begin() as conn:
        if postgres:
            restore = drop_secondary(conn)
        conn.exec_driver_sql("UPDATE cycles SET closed_at = closes_at WHERE closed_at IS NULL")
        write_rows(conn, "cycles", CYCLE_COLUMNS, cycle_rows(filled.teams, weeks, weeks[-1].label))
    cycles: dict[str, dict[int, int]] = {}
    with engine.connect() as conn:
        labels = {w.label for w in weeks}
        for cycle_id, team_id, label in conn.execute(select(Cycle.id, Cycle.team_id, Cycle.week)):
            if label in labels:
                cycles.setdefault(label, {})[team_id] = cycle_id
    for week in weeks:
        with engine.begin() as conn:
            if postgres:
                conn.exec_driver_sql("SET LOCAL synchronous_commit = off")
            by_team = cycles[week.label]
            filled.checkins += write_rows(
                conn,
                "checkins",
                CHECKIN_COLUMNS,
                checkin_rows(filled.teams, filled.members, by_team, week),
            )
            filled.deliveries += write_rows(
                conn,
                "deliveries",
                DELIVERY_COLUMNS,
                delivery_rows(filled.teams, filled.members, by_team, week),
            )
            write_rows(
                conn,
                "customer_ratings",
                RATING_COLUMNS,
                rating_rows(filled.teams, filled.members, week),
            )
    copied = time.perf_counter()
    parts = f"insert {copied - started:.1f} s"
    if postgres:
        with engine.begin() as conn:
            conn.exec_driver_sql(f"SET LOCAL maintenance_work_mem = '{MAINTENANCE_WORK_MEM}'")
            for statement in restore:
                conn.exec_driver_sql(statement)
        indexed = time.perf_counter()
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE")
        vacuumed = time.perf_counter()
        parts += f", indexes {indexed - copied:.1f} s, vacuum analyze {vacuumed - indexed:.1f} s"
    filled.weeks.extend(weeks)
    seconds = time.perf_counter() - started
    filled.fill_seconds += seconds
    return f"{seconds:.1f} s ({parts})"


def drop_secondary(conn: Connection) -> list[str]:
    """Drop BULK_TABLES' foreign keys, unique constraints and indexes (not their primary keys).

    Loading first and indexing after is PostgreSQL's advice for populating a database. The
    returned statements put back exactly what was dropped, under the same names.
    """
    tables = list(BULK_TABLES)
    constraints = conn.execute(
        text(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid), contype "
            "FROM pg_constraint WHERE conrelid::regclass::text = ANY(:tables) "
            "AND contype IN ('f', 'u') ORDER BY contype, conname"
        ),
        {"tables": tables},
    ).all()
    indexes = conn.execute(
        text(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = ANY(:tables) "
            "AND indexname NOT IN (SELECT conname FROM pg_constraint WHERE contype IN ('p', 'u')) "
            "ORDER BY indexname"
        ),
        {"tables": tables},
    ).all()
    for table, name, _definition, _kind in constraints:  # foreign keys first ('f' < 'u')
        conn.exec_driver_sql(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
    for name, _definition in indexes:
        conn.exec_driver_sql(f'DROP INDEX "{name}"')
    restore = [definition for _name, definition in indexes]
    restore += [
        f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}'
        for table, name, definition, _kind in reversed(constraints)  # unique before foreign
    ]
    return restore


# --- measuring ----------------------------------------------------------------------------


class QueryClock:
    """Time spent in cursor.execute, and optionally the statements run."""

    def __init__(self, engine: Engine) -> None:
        self.seconds = 0.0
        self.count = 0
        self.statements: list[tuple[str, Any]] | None = None
        event.listen(engine, "before_cursor_execute", self._before)
        event.listen(engine, "after_cursor_execute", self._after)

    def reset(self) -> None:
        """Start counting from zero."""
        self.seconds, self.count = 0.0, 0
        if self.statements is not None:
            self.statements.clear()

    def _before(
        self, conn: Connection, cursor: Any, statement: str, parameters: Any, *_: Any
    ) -> None:
        conn.info["bench_started"] = time.perf_counter()
        if self.statements is not None:
            self.statements.append((statement, parameters))

    def _after(self, conn: Connection, *_: Any) -> None:
        started = conn.info.pop("bench_started", None)
        if started is not None:
            self.seconds += time.perf_counter() - started
            self.count += 1


@dataclass(frozen=True)
class Sample:
    """One run: wall seconds, this process's CPU seconds, seconds in the driver, statements."""

    wall: float
    cpu: float
    sql: float
    queries: int


@dataclass(frozen=True)
class Timing:
    """Medians in milliseconds: wall time, this process's CPU time, time in the driver."""

    ms: float
    cpu_ms: float
    sql_ms: float
    queries: int


@dataclass(frozen=True)
class Target:
    """What is measured: a team, its open cycle, one of its members, and the moment."""

    team_id: int
    cycle_id: int
    user_id: str
    now: datetime


@dataclass(frozen=True)
class Result:
    """One line of the table."""

    db: str
    scope: str
    teams: int
    members: int
    weeks: int
    checkins: int
    deliveries: int
    fill_seconds: float
    timings: dict[str, Timing]
    load: float


def target_of(sessions: sessionmaker[Session], filled: Filled) -> Target:
    """The middle team, its open cycle, its middle member, the Saturday after the prompt."""
    t = len(filled.teams) // 2
    team_id = filled.teams[t]
    week = filled.weeks[-1]
    with sessions() as session:
        cycle_id = session.scalar(
            select(Cycle.id).where(Cycle.team_id == team_id, Cycle.week == week.label)
        )
    if cycle_id is None:
        raise RuntimeError(f"no cycle {week.label} for team {team_id}")
    member = user_id(t, filled.members // 2 + 1)
    return Target(team_id, cycle_id, member, week.opens_at + timedelta(days=1))


def run_operation(
    sessions: sessionmaker[Session], clock: QueryClock, name: str, target: Target
) -> tuple[Sample, Any]:
    """One run of an operation in a fresh session: what it took and its result."""
    with sessions() as session, session.begin():
        team = session.get(Team, target.team_id)
        cycle = session.get(Cycle, target.cycle_id)
        assert team is not None and cycle is not None
        clock.reset()
        cpu = time.process_time()
        started = time.perf_counter()
        result: Any
        if name == "summary":
            result = bot_summaries.gather(session, team, cycle)
        elif name == "status":
            result = week_status(session, team, target.now)
        else:
            result = my_history(session, target.user_id, team, TREND_LIMIT)
        wall = time.perf_counter() - started
        sample = Sample(wall, time.process_time() - cpu, clock.seconds, clock.count)
        return sample, result


def median_timing(runs: int, once: Callable[[], Sample]) -> Timing:
    """The medians of `runs` runs after one warm-up."""
    once()
    samples = [once() for _ in range(runs)]
    return Timing(
        statistics.median(s.wall for s in samples) * 1000,
        statistics.median(s.cpu for s in samples) * 1000,
        statistics.median(s.sql for s in samples) * 1000,
        samples[-1].queries,
    )


@dataclass(frozen=True)
class How:
    """How to time: runs after the warm-up, and whether to gc.freeze() what is alive first."""

    runs: int
    gc_freeze: bool


def measure(
    sessions: sessionmaker[Session], clock: QueryClock, target: Target, how: How
) -> tuple[dict[str, Timing], str]:
    """Timings of the three operations and the chart, and a line to check the data by."""
    if how.gc_freeze:
        # As `oneness run` does after startup: what is alive now is never scanned again.
        gc.collect()
        gc.freeze()
    runs = how.runs
    timings: dict[str, Timing] = {}
    results: dict[str, Any] = {}
    for name in OPERATIONS:

        def once(name: str = name) -> Sample:
            sample, results[name] = run_operation(sessions, clock, name, target)
            return sample

        timings[name] = median_timing(runs, once)
    gathered = cast(Gathered, results["summary"])
    summary = gathered.summary
    title = f"{gathered.team_name}: the last {len(summary.trend)} weeks"

    def chart() -> Sample:
        cpu = time.process_time()
        started = time.perf_counter()
        png = render_trend_chart(summary.trend, title=title)
        assert png.startswith(b"\x89PNG")
        return Sample(time.perf_counter() - started, time.process_time() - cpu, 0.0, 0)

    timings["chart"] = median_timing(runs, chart)
    status = results["status"]
    history = results["trend"]
    check = (
        f"check: week {summary.week} answered {summary.answered}/{summary.expected}, "
        f"mean {summary.mean}, trend {len(summary.trend)} weeks; "
        f"status {len(status.answered)} answered {len(status.missing)} missing; "
        f"trend {len(history)} check-ins of {target.user_id}"
    )
    return timings, check


def explain(
    engine: Engine, sessions: sessionmaker[Session], clock: QueryClock, target: Target
) -> None:
    """Print the plan of every statement the three operations run."""
    for name in OPERATIONS:
        clock.statements = []
        run_operation(sessions, clock, name, target)
        statements, clock.statements = clock.statements, None
        for statement, parameters in statements:
            flat = " ".join(statement.split())
            print(f"explain {name}: ... {flat[flat.find(' FROM ') + 1 :][:240]}")
            with engine.connect() as conn:
                if engine.dialect.name == "postgresql":
                    prefix = "EXPLAIN (ANALYZE, BUFFERS) "
                else:
                    prefix = "EXPLAIN QUERY PLAN "
                for row in conn.exec_driver_sql(prefix + statement, parameters):
                    print("  | " + " ".join(str(v) for v in row))


# --- one database, step by step -------------------------------------------------------------


@dataclass(frozen=True)
class Ladder:
    """A database filled with `teams` × `members` and measured at each week count in `steps`."""

    db: str
    scope: str
    teams: int
    members: int
    steps: tuple[int, ...]


def climb(ladder: Ladder, how: How, explain_last: bool, indexes: Sequence[str]) -> list[Result]:
    """Fill step by step, measuring after each step; then with the extra indexes, if any."""
    total = ladder.steps[-1]
    weeks = weeks_of(total)
    results: list[Result] = []
    with database(ladder.db) as url:
        engine = make_engine(url)
        try:
            sessions = make_session_factory(engine)
            clock = QueryClock(engine)
            started = time.perf_counter()
            filled = seed(engine, ladder.teams, ladder.members, weeks[0])
            filled.fill_seconds += time.perf_counter() - started
            done = 0
            target: Target | None = None
            for step in ladder.steps:
                took = grow(engine, filled, weeks[done:step])
                done = step
                print(
                    f"fill: {ladder.db} {ladder.teams} x {ladder.members} x {step} weeks: "
                    f"{filled.checkins:,} check-ins, {filled.deliveries:,} deliveries in total; "
                    f"this step {took}; {filled.fill_seconds:.1f} s so far",
                    flush=True,
                )
                target = target_of(sessions, filled)
                timings, check = measure(sessions, clock, target, how)
                print(check, flush=True)
                results.append(result_of(ladder, filled, timings))
                print(table_line(results[-1]), flush=True)
            assert target is not None
            if explain_last:
                explain(engine, sessions, clock, target)
            if indexes:
                added = add_indexes(engine, indexes)
                print(f"index: built in {added:.1f} s")
                results.append(timed_row(sessions, clock, target, how, ladder, filled, "+index"))
                if explain_last:
                    explain(engine, sessions, clock, target)
        finally:
            engine.dispose()
    return results


def timed_row(
    sessions: sessionmaker[Session],
    clock: QueryClock,
    target: Target,
    how: How,
    ladder: Ladder,
    filled: Filled,
    suffix: str,
) -> Result:
    """Measure once more (after a change such as extra indexes); print the row."""
    timings, check = measure(sessions, clock, target, how)
    print(check)
    result = result_of(ladder, filled, timings, ladder.scope + suffix)
    print(table_line(result), flush=True)
    return result


def add_indexes(engine: Engine, statements: Sequence[str]) -> float:
    """Run the extra SQL (and ANALYZE); the seconds it took."""
    started = time.perf_counter()
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        for statement in statements:
            print(f"index: {statement}")
            try:
                conn.execute(text(statement))
            except DBAPIError as error:  # e.g. PostgreSQL-only syntax on SQLite: report, go on
                print(f"index: failed on {engine.dialect.name}: {error.orig}")
        conn.exec_driver_sql("ANALYZE" if engine.dialect.name == "postgresql" else "SELECT 1")
    return time.perf_counter() - started


def result_of(
    ladder: Ladder, filled: Filled, timings: dict[str, Timing], scope: str | None = None
) -> Result:
    """A table line from the filled database and its timings."""
    return Result(
        ladder.db,
        scope or ladder.scope,
        ladder.teams,
        ladder.members,
        len(filled.weeks),
        filled.checkins,
        filled.deliveries,
        filled.fill_seconds,
        dict(timings),
        os.getloadavg()[0],
    )


# --- reporting ----------------------------------------------------------------------------

HEADER = (
    f"{'db':<10} {'scope':<16} {'teams':>5} {'members':>7} {'weeks':>5} {'checkins':>11} "
    f"{'deliveries':>11} {'fill_s':>7}  {'summary ms (sql cpu)':>21} {'status ms (sql cpu)':>20} "
    f"{'trend ms (sql cpu)':>19} {'chart ms (cpu)':>15} {'load':>5}"
)


def table_line(r: Result) -> str:
    """One row of the table."""

    def cell(name: str, width: int) -> str:
        t = r.timings[name]
        return f"{f'{t.ms:.1f} ({t.sql_ms:.1f} {t.cpu_ms:.0f})':>{width}}"

    chart = r.timings["chart"]
    return (
        f"{r.db:<10} {r.scope:<16} {r.teams:>5} {r.members:>7} {r.weeks:>5} {r.checkins:>11,} "
        f"{r.deliveries:>11,} {r.fill_seconds:>7.1f}  {cell('summary', 21)} {cell('status', 20)} "
        f"{cell('trend', 19)} {f'{chart.ms:.1f} ({chart.cpu_ms:.0f})':>15} {r.load:>5.1f}"
    )


def verdict(results: Sequence[Result]) -> str:
    """`met`, or `NOT met (...)` naming every missed target."""
    missed: list[str] = []
    for r in results:
        if "+" in r.scope:
            continue  # the extra indexes are experiments, not the shipped schema
        limit = TARGET_ORG_MS if r.teams > 1 else TARGET_TEAM_MS
        where = f"{r.db} {r.teams}x{r.members}x{r.weeks}"
        for name in OPERATIONS:
            if r.timings[name].ms >= limit:
                missed.append(f"{name} {r.timings[name].ms:.0f} ms >= {limit:.0f} ms on {where}")
        if r.timings["chart"].ms >= TARGET_CHART_MS:
            missed.append(f"chart {r.timings['chart'].ms:.0f} ms >= {TARGET_CHART_MS:.0f} ms")
    return "met" if not missed else f"NOT met ({'; '.join(missed)})"


def ladders(args: argparse.Namespace) -> list[Ladder]:
    """The databases to fill and their steps."""
    dbs = ("sqlite", "postgresql") if args.db == "both" else (args.db,)
    small = max(1, args.members // 10)
    team_steps = tuple(sorted({max(1, args.weeks // 4), args.weeks}))
    out = [
        Ladder(db, "team", 1, members, team_steps)
        for db in dbs
        for members in sorted({small, args.members})
    ]
    if args.org:
        org_steps = tuple(sorted({max(1, args.weeks // 8), max(1, args.weeks // 2), args.weeks}))
        out.append(Ladder("postgresql", "org", args.teams, args.members, org_steps))
    return out


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, fill and measure each database, print the table and the verdict."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--org", action="store_true", help="also an organisation on PostgreSQL")
    parser.add_argument("--members", type=int, default=1000, help="members of a team")
    parser.add_argument("--weeks", type=int, default=104, help="weeks of history")
    parser.add_argument("--teams", type=int, default=100, help="teams in the organisation")
    parser.add_argument("--runs", type=int, default=5, help="timed runs after one warm-up")
    parser.add_argument("--explain", action="store_true", help="print query plans at the end")
    parser.add_argument(
        "--no-gc-freeze",
        dest="gc_freeze",
        action="store_false",
        help="do not gc.freeze() before timing (`oneness run` freezes after startup)",
    )
    parser.add_argument(
        "--index", action="append", default=[], help="SQL run after the last step, then timed"
    )
    args = parser.parse_args(argv)
    if min(args.members, args.weeks, args.teams, args.runs) < 1 or args.members > 99_999:
        parser.error("--members (at most 99,999), --weeks, --teams and --runs must be positive")
    started = time.perf_counter()
    plan = ladders(args)
    print(f"machine: {os.cpu_count()} CPUs; load average {os.getloadavg()[0]:.1f} at the start")
    if args.org and args.db == "sqlite":
        print("note: the organisation runs on PostgreSQL only")
    results: list[Result] = []
    for i, ladder in enumerate(plan):
        last_of_db = all(later.db != ladder.db for later in plan[i + 1 :])
        results += climb(
            ladder,
            How(args.runs, args.gc_freeze),
            explain_last=args.explain and last_of_db,
            indexes=args.index if last_of_db else [],
        )
    print()
    print(
        f"runs: median of {args.runs} after one warm-up, wall ms; sql = ms in cursor.execute, "
        "cpu = CPU ms of this process; load = 1-minute load average when measured"
        + ("; gc.freeze() before timing" if args.gc_freeze else "; no gc.freeze()")
    )
    print(HEADER)
    for r in results:
        print(table_line(r))
    print(f"elapsed: {time.perf_counter() - started:.0f} s")
    print(f"targets: {verdict(results)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
