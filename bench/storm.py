# ruff: noqa: E402 - the repository root goes on sys.path before the bot is imported
"""Storm benchmark: N members answer their Friday prompt within T minutes, at Slack's limits.

    .venv/bin/python bench/storm.py [--members N] [--minutes T] [--scales 1,2,4]
                                    [--db postgresql|sqlite] [--processes P] [--workers W]
                                    [--work-processes K] [--drain-seconds S] [--kill-work]
                                    [--seed X]

One workspace, one team of N members (default 10,000) whose week is open and whose prompts
went out (through the real bot, before the clock starts). Then `oneness run` (HTTP mode, as
`bench/ack.py` starts it: `--processes` × `--workers`, `--work-processes` work processes,
ONENESS_POST_RATE at its default) serves the storm. The local Slack runs in a child process
with every method's documented rate limit switched on for the storm (Tier 3 = 50 a minute,
Tier 4 = 100 a minute, chat.postMessage 1 a second per channel and 300 a minute, each answered
429 with Retry-After past its bucket; localslack/limits.py).

Each member answers once within T minutes (default 5), front-loaded: arrivals fall linearly
from twice the mean rate at the prompt to zero at T. The mix: 60% click a score button on the
prompt, 25% write their score in the DM (`7`), 15% open the modal with "Add details" and
submit it 5 s later; a quarter of the DM and modal answers carry a note (10% of all); 5% of
the clickers click twice, 150 ms apart; 2% of the clickers come back 30 s later, press Edit
and submit another score. Scores lean to 6-8; about 8% are at or under the drop floor and
start a rally in the team channel.

Measured:
- ack: from writing a request to reading Slack's acknowledgement, every request;
- time to confirmation: from the answer (click, DM, modal submit) to the moment the member's
  Slack shows it recorded: the first later `chat.update` of their prompt or post to a
  response_url of theirs (clicks, modals, edits), or the first later bot message in their DM
  (DM text). Answers not confirmed when the drain ends count at the drain's end, so p99 and
  max are then lower bounds (marked `>=`);
- work throughput (answers stored a second, first to last) and CPU ms per answer stored
  (work processes and serving processes, over the storm and its drain; idle polling
  included, so a run cut off with work still queued counts it too);
- peak backlog: the most rows in the `jobs` table (work stored, not yet done), sampled
  every 0.25 s;
- Web API calls per answer stored, by method, and 429 answers by method, during the storm and
  drain;
- answers lost (not stored, and no work left for them), still queued at the cut-off, and
  duplicated (more weekly rows than the member gave answers); the RSS of every process.

The drain lasts until the backlog is empty and every answer is confirmed, or `--drain-seconds`
(default 180) after the last answer, whichever comes first. `--kill-work` SIGKILLs the work
processes halfway through the storm (`oneness run` starts new ones within 5 s). `--scales`
repeats the storm at multiples of N. The verdict line holds each run against the storm targets
of issue 13: confirmation p99 < 2 s and max < 10 s; at most 1 Web API call per answer and
none of Tier 3; no 429s; at most 5 ms of work CPU per answer; none lost or duplicated. The
script always exits 0.

`--monday` runs the Monday 09:00 benchmark instead (bench/monday.py: 100 teams closing their
week in the same minute); the options after it are that script's.
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import math
import multiprocessing
import os
import random
import signal
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

# Run as a script, sys.path[0] is bench/; the editable install alone does not find `handlers`.
ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from slack_sdk.signature import SignatureVerifier
from sqlalchemy import create_engine, select, text
from sqlalchemy.exc import OperationalError

from bench.ack import (
    LEAD,
    SECRET,
    TEAM_CHANNEL,
    _CapturingDriver,
    _read_response,
    _SlackSide,
    children_of,
    raw_request,
    role_of,
    rss_of,
    seed,
    start_server,
    user_id,
)
from bench.databases import database
from bot.checkin import ids as checkin_ids
from localslack import Channel, LocalSlack, User, field_values
from localslack.limits import METHOD_TIERS, Tier, slack_rate_limits
from localslack.payloads import find_element
from storage.models import CheckIn

KIND_WEIGHTS = (("click", 0.60), ("dm", 0.25), ("modal", 0.15))
NOTE_SHARE = 0.40  # of the DM and modal answers: 10% of all answers carry a note
DOUBLE_SHARE = 0.05 / 0.60  # of the clickers: 5% of all members
EDIT_SHARE = 0.02  # of the clickers
SCORES = (1, 2, 3, 4, 5, 6, 7, 8, 9, 10)
SCORE_WEIGHTS = (1, 1, 2, 4, 8, 16, 24, 22, 12, 6)
DOUBLE_GAP = 0.15
FILL_SECONDS = 5.0
EDIT_AFTER = 30.0
TRIGGER_SECONDS = 3.0
REQUEST_TIMEOUT = 10.0
SAMPLE_SECONDS = 0.25
ATTEMPTS = 3

TARGET_P99 = 2.0
TARGET_MAX = 10.0
TARGET_CALLS = 1.0
TARGET_CPU_MS = 5.0


# ---------------------------------------------------------------------------------------------
# The local Slack, in a child process.


class _StormSide(_SlackSide):
    """The child's state, with the storm's requests and the record of what members saw."""

    def dm_body(self, user: str, text_: str) -> tuple[bytes, str]:
        self.driver.captured.clear()
        self.driver.dm(user, text_, event_id=f"EvSTORM{next(self.events):09d}")
        return self.driver.captured[0]

    def click_current(self, user: str, action_id: str) -> tuple[bytes, str] | None:
        """A click on `action_id` of the member's prompt as it is now, or None if it has none."""
        prompt = self.prompts[user]
        ws = self.slack.workspace
        with ws.lock:
            current = ws.find_message(prompt.channel, prompt.ts)
        if current is None:
            return None
        try:
            find_element(current.blocks, action_id)
        except (KeyError, ValueError):
            return None
        self.driver.captured.clear()
        self.driver.click(user, current, action_id)
        return self.driver.captured[0]

    def open_views(self, user: str) -> int:
        return len(self.slack.open_views(user))

    def submit_body(self, user: str, score: int, note: str | None) -> tuple[bytes, str] | None:
        """Submit the member's newest open modal with `score` (and `note`)."""
        views = self.slack.open_views(user)
        if not views:
            return None
        view = views[-1]
        values: dict[str, Any] = {checkin_ids.CI_SCORE: str(score)}
        if note:
            values[checkin_ids.CI_NOTE] = note
        self.driver.captured.clear()
        self.driver.submit_view(user, view, field_values(view, **values))
        return self.driver.captured[0]

    def limits_on(self) -> float:
        """Every method's documented limit, with full buckets from now."""
        for method, limit in slack_rate_limits().items():
            self.slack.set_rate_limit(method, limit)
        return time.time()

    def observe(self, entries: list[tuple[str, str, float]], since: float) -> dict[str, Any]:
        """When each (user, kind, sent_at) answer was first shown recorded, and the calls."""
        ws = self.slack.workspace
        with ws.lock:
            calls = [c for c in ws.calls if c.at >= since]
            posts = [(p.token, p.at) for p in ws.response_posts if p.at >= since]
            targets = {token: ws.response_urls[token].user for token, _ in posts}
            dm_ids = {user: ws.dm_id(user) for user, _, _ in entries}
        updates: dict[tuple[str, str], list[float]] = defaultdict(list)
        messages: dict[str, list[float]] = defaultdict(list)
        responses: dict[str, list[float]] = defaultdict(list)
        by_method: Counter[str] = Counter()
        limited: Counter[str] = Counter()
        failed: Counter[str] = Counter()
        for call in calls:
            by_method[call.method] += 1
            if call.status == 429:
                limited[call.method] += 1
            elif not call.ok:
                failed[f"{call.method}:{call.error}"] += 1
            if not call.ok:
                continue
            channel = str(call.params.get("channel", ""))
            if call.method == "chat.update":
                updates[(channel, str(call.params.get("ts", "")))].append(call.at)
            elif call.method == "chat.postMessage":
                messages[channel].append(call.at)
        for token, at in posts:
            responses[targets[token]].append(at)
        for series in (*updates.values(), *messages.values(), *responses.values()):
            series.sort()

        def first_after(series: list[float], at: float) -> float | None:
            i = bisect.bisect_left(series, at)
            return series[i] if i < len(series) else None

        shown: list[float | None] = []
        for user, kind, at in entries:
            if kind == "dm":
                found = [first_after(messages[c], at) for c in (user, dm_ids[user])]
            else:
                prompt = self.prompts[user]
                found = [
                    first_after(updates[(prompt.channel, prompt.ts)], at),
                    first_after(responses[user], at),
                ]
            times = [t for t in found if t is not None]
            shown.append(min(times) if times else None)
        return {
            "shown": shown,
            "calls": dict(by_method),
            "limited": dict(limited),
            "failed": dict(failed),
        }


def _storm_child(conn: Connection, members: int) -> None:
    """Serve the local Slack and answer the parent's commands until "stop"."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    users = [User(id=LEAD, name="lead", real_name="Lead")] + [
        User(id=user_id(i), name=f"user{i}", real_name=f"User {i}", tz="UTC")
        for i in range(1, members + 1)
    ]
    channel = Channel(id=TEAM_CHANNEL, name="team", members=[u.id for u in users] + ["UBOT"])
    # No limits while the team is set up and prompted (that is bench/fanout.py's subject); the
    # storm switches Slack's documented limits on with full buckets.
    slack = LocalSlack(users=users, channels=[channel], slack_limits=False).start()
    side = _StormSide(slack, _CapturingDriver(slack))
    conn.send({"api_url": slack.api_url, "bot_token": slack.bot_token})
    try:
        while True:
            command, arg = conn.recv()
            if command == "stop":
                break
            try:
                if command == "prompts":
                    result: Any = side.find_prompts(members)
                elif command == "limits_on":
                    result = side.limits_on()
                elif command == "click":
                    result = (side.click_body(arg[0], arg[1]), "application/x-www-form-urlencoded")
                elif command == "dm":
                    result = side.dm_body(*arg)
                elif command == "press":
                    result = side.click_current(*arg)
                elif command == "views":
                    result = side.open_views(arg)
                elif command == "submit":
                    result = side.submit_body(*arg)
                elif command == "observe":
                    result = side.observe(*arg)
                else:
                    result = ValueError(f"unknown command {command!r}")
            except Exception as error:  # reported to the parent, which decides
                result = error
            conn.send(result)
    finally:
        slack.stop()


class StormSlack:
    """The parent's handle on the local Slack child (one caller at a time)."""

    def __init__(self, members: int) -> None:
        context = multiprocessing.get_context("fork")
        self._conn, child = context.Pipe()
        self._process = context.Process(
            target=_storm_child, args=(child, members), name="localslack", daemon=True
        )
        self._process.start()
        info = self._conn.recv()
        self.api_url: str = info["api_url"]
        self.bot_token: str = info["bot_token"]
        self._lock = threading.Lock()

    def ask(self, command: str, arg: Any = None) -> Any:
        with self._lock:
            self._conn.send((command, arg))
            result = self._conn.recv()
        if isinstance(result, Exception):
            raise result
        return result

    def pid(self) -> int:
        return int(self._process.pid or 0)

    def stop(self) -> None:
        if self._process.is_alive():
            self._conn.send(("stop", None))
            self._process.join(timeout=10)
        if self._process.is_alive():
            self._process.kill()


# ---------------------------------------------------------------------------------------------
# The plan: who answers when, and how.


@dataclass(frozen=True)
class Member:
    """One member's part in the storm."""

    user: str
    at: float
    kind: str
    score: int
    note: str | None = None
    double: bool = False
    edit_score: int | None = None


def plan(members: int, minutes: float, rng: random.Random) -> list[Member]:
    """Each member's answer: front-loaded arrival, kind, score, note, double click, edit."""
    span = minutes * 60.0
    kinds = [k for k, _ in KIND_WEIGHTS]
    weights = [w for _, w in KIND_WEIGHTS]
    out: list[Member] = []
    for i in range(1, members + 1):
        # Density falling linearly from 2/span at 0 to 0 at span (inverse CDF of it).
        at = span * (1.0 - math.sqrt(1.0 - rng.random()))
        kind = rng.choices(kinds, weights)[0]
        score = rng.choices(SCORES, SCORE_WEIGHTS)[0]
        note = None
        if kind != "click" and rng.random() < NOTE_SHARE:
            note = "rough week, waiting on access"
        double = kind == "click" and rng.random() < DOUBLE_SHARE
        edit = kind == "click" and not double and rng.random() < EDIT_SHARE
        edit_score = rng.choices(SCORES, SCORE_WEIGHTS)[0] if edit else None
        out.append(Member(user_id(i), at, kind, score, note, double, edit_score))
    return out


# ---------------------------------------------------------------------------------------------
# The storm: one asyncio loop, a connection per request, signed when sent.


@dataclass
class Storm:
    """What the client saw."""

    acks: list[tuple[str, float, int]] = field(default_factory=list)  # kind, seconds, status
    answers: list[tuple[str, str, float]] = field(default_factory=list)  # user, kind, sent at
    given: Counter[str] = field(default_factory=Counter)  # answers each member gave
    modals_not_opened: int = 0
    edits_without_button: int = 0
    started: float = 0.0
    last_sent: float = 0.0


async def _post(port: int, body: bytes, content_type: str) -> tuple[float, int]:
    """Sign and send one request on a fresh connection; (seconds to the ack, status)."""
    stamp = str(int(time.time()))
    signature = SignatureVerifier(SECRET).generate_signature(timestamp=stamp, body=body.decode())
    headers = {"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": str(signature)}
    started = time.perf_counter()
    try:
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection("127.0.0.1", port), REQUEST_TIMEOUT
        )
        try:
            writer.write(raw_request(port, body, content_type, headers))
            status, _ = await asyncio.wait_for(_read_response(reader), REQUEST_TIMEOUT)
        finally:
            writer.close()
    except (TimeoutError, OSError, asyncio.IncompleteReadError):
        status = 0
    return time.perf_counter() - started, status


async def _storm(slack: StormSlack, port: int, members: list[Member], storm: Storm) -> None:
    async def ask(command: str, arg: Any) -> Any:
        return await asyncio.to_thread(slack.ask, command, arg)

    async def send(kind: str, prepared: tuple[bytes, str]) -> float:
        sent = time.time()
        seconds, status = await _post(port, *prepared)
        storm.acks.append((kind, seconds, status))
        storm.last_sent = max(storm.last_sent, sent)
        return sent

    async def modal(member: Member, action_id: str, score: int, kind: str) -> None:
        pressed = await ask("press", (member.user, action_id))
        if pressed is None:
            storm.edits_without_button += 1
            return
        await send(f"{kind}_open", pressed)
        deadline = time.monotonic() + TRIGGER_SECONDS
        while not await ask("views", member.user):
            if time.monotonic() > deadline:
                storm.modals_not_opened += 1
                return
            await asyncio.sleep(0.2)
        await asyncio.sleep(FILL_SECONDS)
        body = await ask("submit", (member.user, score, member.note))
        if body is None:
            storm.modals_not_opened += 1
            return
        storm.given[member.user] += 1
        sent = await send(f"{kind}_submit", body)
        storm.answers.append((member.user, kind, sent))

    async def one(member: Member) -> None:
        await asyncio.sleep(max(0.0, storm.started + member.at - time.time()))
        if member.kind == "click":
            first = await ask("click", (member.user, member.score))
            second = await ask("click", (member.user, member.score)) if member.double else None
            storm.given[member.user] += 1
            task = asyncio.ensure_future(send("click", first))
            if second is not None:
                await asyncio.sleep(DOUBLE_GAP)
                await send("click_again", second)
            storm.answers.append((member.user, "click", await task))
            if member.edit_score is not None:
                await asyncio.sleep(EDIT_AFTER)
                await modal(member, checkin_ids.CHECKIN_EDIT, member.edit_score, "edit")
        elif member.kind == "dm":
            words = f"{member.score} {member.note}" if member.note else str(member.score)
            body = await ask("dm", (member.user, words))
            storm.given[member.user] += 1
            storm.answers.append((member.user, "dm", await send("dm", body)))
        else:
            await modal(member, checkin_ids.CHECKIN_DETAILS, member.score, "modal")

    storm.started = time.time()
    await asyncio.gather(*(one(m) for m in members))


# ---------------------------------------------------------------------------------------------
# Around the storm: the backlog, CPU, RSS, the database's record.


class Backlog(threading.Thread):
    """Samples the number of stored, unfinished jobs."""

    def __init__(self, url: str) -> None:
        super().__init__(name="backlog", daemon=True)
        self.engine = create_engine(url)
        self.samples: list[tuple[float, int]] = []
        self._halt = threading.Event()

    def count(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(text("SELECT count(*) FROM jobs")).scalar_one())

    def run(self) -> None:
        while not self._halt.wait(SAMPLE_SECONDS):
            try:
                self.samples.append((time.time(), self.count()))
            except Exception:  # a busy SQLite file: skip the sample
                continue

    def stop(self) -> None:
        self._halt.set()
        if self.is_alive():
            self.join(5)

    @property
    def peak(self) -> int:
        return max((n for _, n in self.samples), default=0)

    def left_for(self) -> set[str]:
        with self.engine.connect() as conn:
            rows = conn.execute(text("SELECT DISTINCT user_id FROM jobs"))
            return {str(r[0]) for r in rows if r[0]}


def stored_answers(url: str) -> tuple[dict[str, int], dict[str, int], list[float]]:
    """Per member: current weekly answers, all weekly rows; and when each row was stored."""
    engine = create_engine(url)
    current: Counter[str] = Counter()
    rows: Counter[str] = Counter()
    created: list[float] = []
    query = select(CheckIn.user_id, CheckIn.superseded_at, CheckIn.created_at).where(
        CheckIn.kind == "weekly"
    )
    try:
        with engine.connect() as conn:
            for user, superseded, created_at in conn.execute(query):
                rows[user] += 1
                current[user] += superseded is None
                created.append(created_at.timestamp())
    finally:
        engine.dispose()
    return dict(current), dict(rows), created


def percentile(values: list[float], p: float) -> float:
    """Nearest rank."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[max(1, math.ceil(p / 100 * len(ordered))) - 1]


@dataclass
class Result:
    """One storm's figures."""

    members: int
    minutes: float
    storm: Storm
    shown: list[float | None]
    cut_off: float
    drain_seconds: float
    drained: bool
    calls: dict[str, int]
    limited: dict[str, int]
    failed: dict[str, int]
    cpu: dict[str, float]
    wall: float
    peak_backlog: int
    stored: int
    lost: int
    queued: int
    duplicated: int
    stored_rate: float
    rss: list[tuple[str, float]]
    killed: int = 0
    load: tuple[float, float] = (math.nan, math.nan)

    @property
    def confirm_seconds(self) -> list[float]:
        """Seconds to confirmation; unconfirmed answers count until the cut-off."""
        return [
            (shown if shown is not None else self.cut_off) - sent
            for (_, _, sent), shown in zip(self.storm.answers, self.shown, strict=True)
        ]

    @property
    def unconfirmed(self) -> int:
        return sum(1 for s in self.shown if s is None)

    @property
    def answers(self) -> int:
        return len(self.storm.answers)

    def per_answer(self, count: float) -> float:
        """Per answer done: stored (the work of the answers still queued is not done yet)."""
        return count / self.stored if self.stored else math.nan

    def verdict(self) -> str:
        missed: list[str] = []
        conf = self.confirm_seconds
        bound = ">=" if self.unconfirmed else ""
        p99, top = percentile(conf, 99), max(conf, default=math.nan)
        if not p99 < TARGET_P99:
            missed.append(f"confirmation p99 {bound}{p99:.2f} s >= {TARGET_P99:g} s")
        if not top < TARGET_MAX:
            missed.append(f"max {bound}{top:.1f} s >= {TARGET_MAX:g} s")
        total = sum(self.calls.values())
        if not self.per_answer(total) <= TARGET_CALLS:
            missed.append(f"{self.per_answer(total):.2f} Web API calls per answer > 1")
        tier3 = sum(n for m, n in self.calls.items() if METHOD_TIERS.get(m) == Tier.TIER_3)
        if tier3:
            missed.append(f"{tier3} Tier 3 calls")
        if sum(self.limited.values()):
            missed.append(f"{sum(self.limited.values())} 429s")
        work_ms = self.per_answer(self.cpu["work"]) * 1000
        if not work_ms <= TARGET_CPU_MS:
            missed.append(f"work CPU {work_ms:.1f} ms per answer > {TARGET_CPU_MS:g}")
        if self.lost or self.duplicated:
            missed.append(f"{self.lost} lost, {self.duplicated} duplicated")
        if self.queued:
            missed.append(f"{self.queued} answers still queued at the cut-off")
        if self.storm.modals_not_opened:
            missed.append(f"{self.storm.modals_not_opened} modals never opened")
        return "met" if not missed else f"NOT met ({'; '.join(missed)})"


def run_storm(args: argparse.Namespace, members: int, logs: Path) -> Result:
    """Set up, storm, drain, observe, for one size."""
    slack = StormSlack(members)
    try:
        with database(args.db) as url:
            prompted = seed(url, slack, members)  # type: ignore[arg-type]
            found = slack.ask("prompts")
            if prompted != members or found != members:
                raise RuntimeError(f"{prompted} prompts sent, {found} found; {members} members")
            server = start_server(
                "oneness",
                slack,  # type: ignore[arg-type]
                url,
                args.workers,
                logs,
                None,
                args.work_processes,
                args.processes,
            )
            try:
                backlog = Backlog(url)
                try:
                    return _measure(args, members, slack, server, backlog, url)
                finally:
                    backlog.stop()
                    backlog.engine.dispose()
            finally:
                server.stop()
    finally:
        slack.stop()


def _measure(
    args: argparse.Namespace,
    members: int,
    slack: StormSlack,
    server: Any,
    backlog: Backlog,
    url: str,
) -> Result:
    load_start = os.getloadavg()[0]
    pids = [server.process.pid, *children_of(server.process.pid)]
    the_plan = plan(members, args.minutes, random.Random(args.seed))
    since = time.time() if args.unlimited else slack.ask("limits_on")
    cpu0 = server.cpu_by_role()
    wall0 = time.time()
    backlog.start()
    storm = Storm()
    killed = 0
    killer = None
    if args.kill_work:

        def kill() -> None:
            nonlocal killed
            for pid in children_of(server.process.pid):
                if role_of(pid) == "work":
                    os.kill(pid, signal.SIGKILL)
                    killed += 1

        killer = threading.Timer(args.minutes * 30.0, kill)
        killer.start()
    asyncio.run(_storm(slack, server.port, the_plan, storm))
    # The drain: until the backlog is empty and every answer shows, or the time is up.
    deadline = storm.last_sent + args.drain_seconds
    drained = False
    while time.time() < deadline:
        time.sleep(1.0)
        if backlog.count() == 0:
            seen = slack.ask("observe", (storm.answers, since))["shown"]
            if all(s is not None for s in seen):
                drained = True
                break
    cut_off = time.time()
    cpu1 = server.cpu_by_role()
    wall = cut_off - wall0
    if killer is not None:
        killer.cancel()
    pids = [server.process.pid, *children_of(server.process.pid)]
    rss = [(role_of(pid), rss_of(pid)) for pid in pids]
    observed = slack.ask("observe", (storm.answers, since))
    left = backlog.left_for()
    current, rows, created = stored_answers(url)
    answered = set(storm.given)
    missing = {u for u in answered if current.get(u, 0) == 0}
    queued = len(missing & left)
    lost = len(missing - left)
    duplicated = sum(1 for u in answered if rows.get(u, 0) > storm.given[u])
    stored_times = [t for t in created if t >= wall0]
    rate = (
        len(stored_times) / (max(stored_times) - min(stored_times))
        if len(stored_times) > 1
        else math.nan
    )
    return Result(
        members=members,
        minutes=args.minutes,
        storm=storm,
        shown=observed["shown"],
        cut_off=cut_off,
        drain_seconds=cut_off - storm.last_sent,
        drained=drained,
        calls=observed["calls"],
        limited=observed["limited"],
        failed=observed["failed"],
        cpu={k: cpu1[k] - cpu0[k] for k in cpu1},
        wall=wall,
        peak_backlog=backlog.peak,
        stored=len(answered) - len(missing),
        lost=lost,
        queued=queued,
        duplicated=duplicated,
        stored_rate=rate,
        rss=rss,
        killed=killed,
        load=(load_start, os.getloadavg()[0]),
    )


# ---------------------------------------------------------------------------------------------
# The report.


def report_lines(result: Result, args: argparse.Namespace, scale: int) -> list[str]:
    storm = result.storm
    acks = [s for _, s, _ in storm.acks]
    conf = result.confirm_seconds
    bound = ">=" if result.unconfirmed else ""
    kinds = Counter(k for _, k, _ in storm.answers)
    non200 = sum(1 for _, _, status in storm.acks if status != 200)
    p = f"x{scale}_"
    out = [
        f"{p}members: {result.members}",
        f"{p}minutes: {result.minutes:g}",
        f"{p}answers: {result.answers} ({', '.join(f'{k} {n}' for k, n in sorted(kinds.items()))})",
        f"{p}requests: {len(storm.acks)} (non-200: {non200})",
        f"{p}ack_p50_ms: {percentile(acks, 50) * 1000:.1f}",
        f"{p}ack_p99_ms: {percentile(acks, 99) * 1000:.1f}",
        f"{p}confirmed: {result.answers - result.unconfirmed}/{result.answers}",
        f"{p}confirm_p50_s: {'>=' if result.unconfirmed > result.answers / 2 else ''}"
        f"{percentile(conf, 50):.2f}",
        f"{p}confirm_p99_s: {bound}{percentile(conf, 99):.2f}",
        f"{p}confirm_max_s: {bound}{max(conf, default=math.nan):.2f}",
    ]
    for kind in sorted(kinds):
        mine = [c for (_, k, _), c in zip(storm.answers, conf, strict=True) if k == kind]
        out.append(
            f"{p}confirm_{kind}_p50_p99_s: {percentile(mine, 50):.2f} / {percentile(mine, 99):.2f}"
        )
    out += [
        f"{p}drain_after_last_answer_s: {result.drain_seconds:.1f} "
        f"({'drained' if result.drained else 'cut off'})",
        f"{p}stored_per_second: {result.stored_rate:.1f}",
        f"{p}work_cpu_ms_per_stored_answer: {result.per_answer(result.cpu['work']) * 1000:.1f}",
        f"{p}serving_cpu_ms_per_stored_answer: "
        f"{result.per_answer(result.cpu['serving']) * 1000:.1f}",
        f"{p}wall_seconds_storm_and_drain: {result.wall:.1f}",
        f"{p}peak_backlog_jobs: {result.peak_backlog}",
        f"{p}web_api_calls_per_stored_answer: {result.per_answer(sum(result.calls.values())):.2f}",
    ]
    for method, count in sorted(result.calls.items(), key=lambda kv: -kv[1]):
        tier = METHOD_TIERS.get(method)
        label = tier.name if tier is not None else "special"
        out.append(
            f"  {method} ({label}): {count} calls, {result.per_answer(count):.2f} per stored "
            f"answer, {result.limited.get(method, 0)} 429s"
        )
    out += [
        f"{p}429s: {sum(result.limited.values())}",
        f"{p}other_failed_calls: "
        + (", ".join(f"{k} {n}" for k, n in sorted(result.failed.items())) or "0"),
        f"{p}answers_stored: {result.stored}",
        f"{p}answers_queued_at_cut_off: {result.queued}",
        f"{p}answers_lost: {result.lost}",
        f"{p}answers_duplicated: {result.duplicated}",
        f"{p}modals_not_opened: {storm.modals_not_opened}",
        f"{p}edits_without_an_edit_button: {storm.edits_without_button}",
        f"{p}work_processes_killed: {result.killed}",
        f"{p}rss_mb: " + ", ".join(f"{role} {mb:.1f}" for role, mb in result.rss),
        f"{p}load_1min_start_end: {result.load[0]:.2f} / {result.load[1]:.2f}",
        f"{p}targets: {result.verdict()}",
    ]
    return out


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if "--monday" in argv:
        from bench.monday import main as monday

        return monday([a for a in argv if a != "--monday"])
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--minutes", type=float, default=5.0, help="answers arrive within T")
    parser.add_argument("--scales", default="1", help="multiples of N to run, e.g. 1,2,4")
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="postgresql")
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--work-processes", type=int, default=1)
    parser.add_argument("--drain-seconds", type=float, default=180.0)
    parser.add_argument("--kill-work", action="store_true", help="SIGKILL the work processes")
    parser.add_argument(
        "--unlimited",
        action="store_true",
        help="leave the local Slack's rate limits off (the bot's own capacity, without Slack's)",
    )
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument(
        "--monday", action="store_true", help="run bench/monday.py instead (its options follow)"
    )
    args = parser.parse_args(argv)
    try:
        scales = [int(s) for s in args.scales.split(",") if s.strip()]
    except ValueError:
        parser.error("--scales takes numbers like 1,2,4")
    if args.members < 1 or args.minutes <= 0 or not scales or min(scales) < 1:
        parser.error("--members, --minutes and --scales must be positive")
    print(f"db: {args.db}")
    print(
        f"layout: {args.processes} processes x {args.workers} threads, "
        f"{args.work_processes} work processes"
    )
    print(f"cpus: {os.cpu_count()}")
    print(f"slack_limits: {'off' if args.unlimited else 'documented tiers'}")
    for scale in scales:
        result = None
        for attempt in range(1, ATTEMPTS + 1):
            try:
                with tempfile.TemporaryDirectory(prefix="oneness-storm-") as tmp:
                    result = run_storm(args, args.members * scale, Path(tmp))
                break
            except OperationalError as error:
                # The machine's PostgreSQL is shared, and restarted by the e2e fault tests;
                # a run that met a restart is started again from scratch.
                print(f"x{scale}_attempt_{attempt}_database_error: {str(error).splitlines()[0]}")
                time.sleep(15)
            except Exception as error:  # a report, not a crash
                print(f"x{scale}_error: {type(error).__name__}: {error}")
                break
        if result is None:
            print(f"x{scale}_targets: NOT met (the benchmark could not finish)")
            continue
        for line in report_lines(result, args, scale):
            print(line, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
