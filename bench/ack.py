# ruff: noqa: E402 - the repository root goes on sys.path before the bot is imported
"""Ack benchmark: concurrent signed requests against `oneness run` in HTTP mode, beside a floor.

    .venv/bin/python bench/ack.py [--requests N] [--clients 1,10,50] [--db sqlite|postgresql]
                                  [--processes P] [--workers W] [--work-processes K]
                                  [--members M] [--pause-work]

Three servers run side by side, each as gunicorn with `--processes` worker processes (default 2)
of `--workers` threads (default 8, gthread workers): the layout of
`oneness run --processes P --workers W`, given to all three alike.

- null: a WSGI app that answers 200 and nothing else. It shows what this client and gunicorn
  manage on this machine, so that the client is seen not to be the bottleneck of the others;
- floor: a minimal Bolt app with Bolt's defaults (process_before_response=False) whose
  listeners only call ack(), served through slack_bolt.adapter.wsgi.SlackRequestHandler;
- oneness: the real `python -m bot.cli run` (HTTP mode, LOG_LEVEL=WARNING) on a migrated
  database holding a team, its members and an open week whose prompts went out, with
  `--work-processes` (default 1) `oneness work` processes running the work after the acks.

Level by level, each server gets a warm-up and then `--requests` timed requests while the others
are idle; Oneness then finishes its work after the acks before the next server's turn. The
local Slack runs in a child process of its own, so its threads (answering the bot's calls after
the acks) do not share the client's interpreter lock. The client is one asyncio loop with a
keep-alive connection per concurrent client; every request is built and signed before the
clock starts. The mix cycles `/oneness status` (in the team channel), a DM check-in ("7", a
message.im event with a unique event_id) and a click on a score button of the member's real
prompt. Latency runs from writing a request to reading the whole acknowledgement. CPU columns
are CPU time over wall time (100% = one core): client_cpu this script, slack_cpu the local
Slack, server_cpu the serving processes, work_cpu Oneness's work processes, all during the
timed requests. Oneness gets at least 10,000 requests in all (the last level is topped up),
and the RSS of each of its processes is read from /proc after them.

`--pause-work` stops the work processes (SIGSTOP) during each timed level, as if they ran on
machines of their own, and lets them catch up afterwards. `--profile DIR` samples each timed
level with py-spy (`--gil`, raw format, one file per server and level; `pip install py-spy`
into the venv). `--oneness-entry SCRIPT` runs a prototype instead of `-m bot.cli`. The
figures are printed as a table and `name: value` lines; the script always exits 0.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import http.client
import itertools
import json
import logging
import math
import multiprocessing
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

# Run as a script, sys.path[0] is bench/; the editable install alone does not find `handlers`.
ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.databases import database
from bot.checkin import ids as checkin_ids
from localslack import Channel, LocalSlack, Message, Reply, SlackDriver, User
from localslack.payloads import action, find_element

SECRET = "bench-ack-signing-secret"
TEAM_CHANNEL = "CTEAM"
LEAD = "ULEAD"
KINDS = ("status", "dm", "click")
EVENTS_PATH = "/slack/events"
REQUEST_TIMEOUT = 10.0
RSS_AFTER = 10_000
TARGET_P99_MS = 50.0
TARGET_RSS_MB = 120.0
TARGET_CLIENTS = 50
TARGET_NAMES = ("null", "floor", "oneness")


def user_id(index: int) -> str:
    """U000001, U000002, ..."""
    return f"U{index:06d}"


def free_port() -> int:
    """A free loopback port."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# ---------------------------------------------------------------------------------------------
# The local Slack, in a child process: it answers the bot and builds the signed requests.


class _CapturingDriver(SlackDriver):
    """The SlackDriver's own payloads, captured instead of sent."""

    def __init__(self, slack: LocalSlack) -> None:
        super().__init__(slack, bot_url="http://127.0.0.1:9/unused", signing_secret=SECRET)
        self.captured: list[tuple[bytes, str]] = []

    def _deliver(
        self,
        kind: str,
        payload: dict[str, Any],
        body: bytes,
        content_type: str,
        headers: dict[str, str],
        retry_attempt: int = 0,
        retry_reason: str = "",
    ) -> Reply:
        self.captured.append((body, content_type))
        return Reply(200, None)


@dataclass
class _SlackSide:
    """The child's state: the local Slack, the driver and each member's original prompt."""

    slack: LocalSlack
    driver: _CapturingDriver
    prompts: dict[str, Message] = field(default_factory=dict)
    events: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    def find_prompts(self, members: int) -> int:
        """Remember each member's weekly prompt as sent (the bot later edits it)."""
        for i in range(1, members + 1):
            uid = user_id(i)
            for message in self.slack.dms(uid):
                payload = (message.metadata or {}).get("event_payload") or {}
                if message.user != uid and str(payload.get("key", "")).startswith("prompt:"):
                    self.prompts[uid] = message
        return len(self.prompts)

    def click_body(self, user: str, score: int) -> bytes:
        """A block_actions payload for a score button on the member's prompt (as driver.click)."""
        prompt = self.prompts[user]
        ws = self.slack.workspace
        block_id, element = find_element(prompt.blocks, f"{checkin_ids.SCORE_PREFIX}{score}")
        payload: dict[str, Any] = {
            "type": "block_actions",
            "user": {"id": user, "username": user.lower(), "name": user.lower()},
            "api_app_id": ws.identity.app_id,
            "token": "localslack-verification-token",
            "container": {
                "type": "message",
                "message_ts": prompt.ts,
                "channel_id": prompt.channel,
                "is_ephemeral": False,
            },
            "trigger_id": self.slack.issue_trigger(user),
            "team": {"id": ws.identity.team_id, "domain": ws.identity.team_domain},
            "enterprise": None,
            "is_enterprise_install": False,
            "channel": {"id": prompt.channel, "name": "directmessage"},
            "state": {"values": {}},
            "response_url": self.slack.issue_response_url(
                user, prompt.channel, message_ts=prompt.ts
            ),
            "actions": [action(element, block_id, None)],
            "message": prompt.to_api(),
        }
        return urlencode({"payload": json.dumps(payload)}).encode()

    def prepare(self, plan: list[tuple[str, str]]) -> list[tuple[bytes, str, dict[str, str]]]:
        """Signed bodies for (kind, user) pairs, in order."""
        out: list[tuple[bytes, str, dict[str, str]]] = []
        for kind, user in plan:
            self.driver.captured.clear()
            if kind == "status":
                self.driver.slash(user, "status", channel=TEAM_CHANNEL)
                body, content_type = self.driver.captured[0]
            elif kind == "dm":
                self.driver.dm(user, "7", event_id=f"EvBENCH{next(self.events):09d}")
                body, content_type = self.driver.captured[0]
            else:
                body, content_type = self.click_body(user, 7), "application/x-www-form-urlencoded"
            out.append((body, content_type, self.driver.sign(body)))
        return out

    def completed(self) -> dict[str, int]:
        """How much of the work after the acks has reached Slack, and how much failed."""
        ws = self.slack.workspace
        with ws.lock:
            publishes = sum(1 for c in ws.calls if c.method == "views.publish")
            failed = sum(1 for c in ws.calls if not c.ok)
            return {
                "response_posts": len(ws.response_posts),
                "views_publish": publishes,
                "calls": len(ws.calls),
                "failed_calls": failed,
            }


def _slack_child(conn: Connection, members: int) -> None:
    """Serve the local Slack and answer the parent's commands until "stop"."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when to stop
    users = [User(id=LEAD, name="lead", real_name="Lead")] + [
        User(id=user_id(i), name=f"user{i}", real_name=f"User {i}", tz="UTC")
        for i in range(1, members + 1)
    ]
    channel = Channel(id=TEAM_CHANNEL, name="team", members=[u.id for u in users] + ["UBOT"])
    # The benchmark measures serving; at Slack's per-method limits the work after 10,000 acks
    # would take hours (views.publish is Tier 4, 100 a minute), so the local Slack sets none.
    slack = LocalSlack(users=users, channels=[channel], slack_limits=False).start()
    side = _SlackSide(slack, _CapturingDriver(slack))
    conn.send({"api_url": slack.api_url, "bot_token": slack.bot_token})
    try:
        while True:
            command, arg = conn.recv()
            if command == "stop":
                break
            if command == "prompts":
                conn.send(side.find_prompts(members))
            elif command == "prepare":
                conn.send(side.prepare(arg))
            elif command == "completed":
                conn.send(side.completed())
    finally:
        slack.stop()


class SlackProcess:
    """The parent's handle on the local Slack child."""

    def __init__(self, members: int) -> None:
        context = multiprocessing.get_context("fork")
        self._conn, child = context.Pipe()
        self._process = context.Process(
            target=_slack_child, args=(child, members), name="localslack", daemon=True
        )
        self._process.start()
        info = self._conn.recv()
        self.api_url: str = info["api_url"]
        self.bot_token: str = info["bot_token"]

    def _ask(self, command: str, arg: Any = None) -> Any:
        self._conn.send((command, arg))
        return self._conn.recv()

    def find_prompts(self) -> int:
        """How many members' prompts the child found."""
        return int(self._ask("prompts"))

    def prepare(self, plan: list[tuple[str, str]]) -> list[tuple[bytes, str, dict[str, str]]]:
        """Signed request bodies for the plan."""
        result: list[tuple[bytes, str, dict[str, str]]] = self._ask("prepare", plan)
        return result

    def cpu_seconds(self) -> float:
        """The child's CPU time so far."""
        fields = Path(f"/proc/{self._process.pid}/stat").read_text().rpartition(")")[2].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def completed(self) -> dict[str, int]:
        """The child's counts of finished post-ack work."""
        result: dict[str, int] = self._ask("completed")
        return result

    def stop(self) -> None:
        """Stop the child."""
        if self._process.is_alive():
            self._conn.send(("stop", None))
            self._process.join(timeout=10)
        if self._process.is_alive():
            self._process.kill()


# ---------------------------------------------------------------------------------------------
# The database: a team, its members and a week whose prompts went out (through the real bot).


def seed(url: str, slack: SlackProcess, members: int) -> int:
    """Create the team and its members, open this week now and prompt everyone; prompts sent."""
    from bot.app import build_deps
    from bot.platform.config import Settings
    from bot.platform.directory import Person
    from bot.schedule.tick import tick
    from bot.teams.service import TeamSettings, add_members, setup_team
    from storage.db import transaction

    settings = Settings(
        bot_token=slack.bot_token,
        signing_secret=SECRET,
        api_url=slack.api_url,
        database_url=url,
    )
    deps = build_deps(settings, workers=2)
    earlier = datetime.now(UTC) - timedelta(days=1)
    people = [Person(id=user_id(i), name=f"User {i}", tz="UTC") for i in range(1, members + 1)]
    try:
        with transaction(deps.sessions) as session:
            team = setup_team(
                session,
                TeamSettings(name="bench", channel_id=TEAM_CHANNEL, timezone="UTC"),
                creator=LEAD,
                now=earlier,
            )
            added = add_members(session, team, people, now=earlier)
        if len(added.done) != members:
            raise RuntimeError(f"added {len(added.done)} of {members} members")
        report = tick(deps, force=True)
    finally:
        deps.close()
    return report.prompts


# ---------------------------------------------------------------------------------------------
# The servers under test, each in its own process.


def _null_wsgi(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
    """200 with an empty body, after reading the request body."""
    stream = environ.get("wsgi.input")
    length = int(environ.get("CONTENT_LENGTH") or 0)
    if stream is not None and length:
        stream.read(length)
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "0")])
    return [b""]


def _floor_wsgi() -> Any:
    """A Bolt app with Bolt's defaults whose listeners only acknowledge the benchmark's kinds."""
    from slack_bolt import Ack, App
    from slack_bolt.adapter.wsgi import SlackRequestHandler
    from slack_sdk import WebClient

    # Bolt would also read SLACK_BOT_TOKEN itself; the client (pointed at the local Slack) has it.
    token = os.environ.pop("SLACK_BOT_TOKEN")
    client = WebClient(token=token, base_url=os.environ["SLACK_API_URL"])
    app = App(client=client, signing_secret=os.environ["SLACK_SIGNING_SECRET"])
    os.environ["SLACK_BOT_TOKEN"] = token  # for the copies of this server it starts

    def only_ack(ack: Ack) -> None:
        ack()

    app.command("/oneness")(only_ack)
    app.event("message")(only_ack)
    app.action(re.compile(rf"^{checkin_ids.SCORE_PREFIX}(10|[1-9])$"))(only_ack)
    return SlackRequestHandler(app, path=EVENTS_PATH)


def serve(kind: str, port: int, threads: int, processes: int) -> int:
    """`--serve-null` / `--serve-floor`: served as `oneness run` serves, by gunicorn with
    `processes` gthread workers of `threads` threads, until SIGTERM."""
    from bot.platform.serving import GunicornServer, Served

    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")

    def build() -> Served:
        return Served(_null_wsgi if kind == "null" else _floor_wsgi())

    GunicornServer(
        build,
        host="127.0.0.1",
        port=port,
        processes=processes,
        threads=threads,
        log_level="warning",
    ).run()
    return 0


def children_of(pid: int) -> list[int]:
    """Live child processes of `pid` (the work processes of `oneness run`), from /proc."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rpartition(")")[2].split()
            except OSError:
                continue
            if int(fields[1]) == pid and fields[0] != "Z":
                found.append(int(entry.name))
    return found


def role_of(pid: int) -> str:
    """ "work" for an `oneness work` process, else "serving"."""
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return "serving"
    return "work" if b"work" in argv else "serving"


def rss_of(pid: int) -> float:
    """VmRSS of a process in MB, from /proc."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return math.nan


@dataclass
class Server:
    """A server process under test."""

    name: str
    process: subprocess.Popen[bytes]
    port: int
    log_path: Path

    def rss_mb(self, field_name: str = "VmRSS") -> float:
        """A memory figure of the process from /proc (kB there)."""
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith(f"{field_name}:"):
                return int(line.split()[1]) / 1024
        return math.nan

    def cpu_seconds(self) -> float:
        """User and system CPU time so far of the process and its children (serving and work
        processes), all threads."""
        return sum(self.cpu_by_role().values())

    def cpu_by_role(self) -> dict[str, float]:
        """CPU seconds so far of the serving processes and of the work processes."""
        roles = {"serving": 0.0, "work": 0.0}
        for pid in [self.process.pid, *children_of(self.process.pid)]:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
            except OSError:
                continue
            seconds = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
            roles[role_of(pid)] += seconds
        return roles

    def stop(self) -> None:
        """SIGTERM, then SIGKILL if it lingers."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


def start_server(
    name: str,
    slack: SlackProcess,
    url: str,
    workers: int,
    logs: Path,
    entry_script: str | None = None,
    work_processes: int = 0,
    processes: int = 1,
) -> Server:
    """Start one server process and wait until it answers."""
    port = free_port()
    env = {
        "PATH": os.environ.get("PATH", ""),
        "SLACK_BOT_TOKEN": slack.bot_token,
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": slack.api_url,
        "DATABASE_URL": url,
        "PORT": str(port),
        "LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(ROOT),
    }
    if name == "oneness":
        entry = ["-m", "bot.cli"] if entry_script is None else [entry_script]
        argv = [sys.executable, *entry, "run", "--workers", str(workers)]
        argv += ["--work-processes", str(work_processes), "--processes", str(processes)]
    else:
        argv = [
            sys.executable,
            str(Path(__file__).resolve()),
            f"--serve-{name}",
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--processes",
            str(processes),
        ]
    log_path = logs / f"{name}.log"
    with log_path.open("wb") as out:
        # cwd is the scratch folder: a developer's .env in the repository must not apply.
        process = subprocess.Popen(argv, cwd=logs, env=env, stdout=out, stderr=subprocess.STDOUT)
    server = Server(name, process, port, log_path)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited: {log_path.read_text()[-2000:]}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            status = conn.getresponse().status
            conn.close()
            if name != "oneness" or status == 200:
                return server
        except OSError:
            pass
        time.sleep(0.1)
    server.stop()
    raise RuntimeError(f"{name} did not answer within 60 s")


# ---------------------------------------------------------------------------------------------
# The client: one asyncio loop, one keep-alive connection per concurrent client.


def raw_request(port: int, body: bytes, content_type: str, signed: dict[str, str]) -> bytes:
    """A complete HTTP/1.1 POST to the events path."""
    lines = [
        f"POST {EVENTS_PATH} HTTP/1.1",
        f"Host: 127.0.0.1:{port}",
        f"Content-Type: {content_type}",
        f"Content-Length: {len(body)}",
        *(f"{k}: {v}" for k, v in signed.items()),
        "",
        "",
    ]
    return "\r\n".join(lines).encode() + body


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bool]:
    """Read one response; (status, whether the server will close the connection)."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {
        k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])
    }
    if "content-length" in headers:
        await reader.readexactly(int(headers["content-length"]))
    elif headers.get("transfer-encoding", "").lower() == "chunked":
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    else:
        await reader.read()
        return status, True
    return status, headers.get("connection", "").lower() == "close"


@dataclass
class Run:
    """One timed level against one server."""

    target: str
    clients: int
    latencies: list[float]
    statuses: list[int]
    seconds: float
    client_cpu: float
    server_cpu_seconds: float = math.nan
    slack_cpu_seconds: float = math.nan
    work_cpu_seconds: float = math.nan

    @property
    def server_cpu(self) -> float:
        """The server's CPU time over the wall time (1.0 = one core busy throughout)."""
        return self.server_cpu_seconds / self.seconds if self.seconds else math.nan

    @property
    def work_cpu(self) -> float:
        """The work processes' CPU over wall time."""
        return self.work_cpu_seconds / self.seconds if self.seconds else math.nan

    @property
    def slack_cpu(self) -> float:
        """The local Slack's CPU over wall time (answering the work's calls meanwhile)."""
        return self.slack_cpu_seconds / self.seconds if self.seconds else math.nan

    @property
    def requests(self) -> int:
        return len(self.latencies)

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else math.nan

    @property
    def errors(self) -> int:
        return sum(1 for s in self.statuses if s != 200)

    def percentile_ms(self, p: float) -> float:
        """Nearest-rank percentile, in milliseconds."""
        ordered = sorted(self.latencies)
        rank = max(1, math.ceil(p / 100 * len(ordered)))
        return ordered[rank - 1] * 1000


async def _drive(
    port: int, requests: Sequence[bytes], clients: int
) -> tuple[list[float], list[int]]:
    latencies = [math.nan] * len(requests)
    statuses = [0] * len(requests)
    order = iter(range(len(requests)))

    async def client() -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            for i in order:
                started = time.perf_counter()
                try:
                    writer.write(requests[i])
                    status, closing = await asyncio.wait_for(
                        _read_response(reader), REQUEST_TIMEOUT
                    )
                except (TimeoutError, OSError, asyncio.IncompleteReadError):
                    status, closing = 0, True
                latencies[i] = time.perf_counter() - started
                statuses[i] = status
                if closing:
                    writer.close()
                    reader, writer = await asyncio.open_connection("127.0.0.1", port)
        finally:
            writer.close()

    await asyncio.gather(*(client() for _ in range(clients)))
    return latencies, statuses


def drive(target: str, port: int, requests: Sequence[bytes], clients: int) -> Run:
    """Send every request over `clients` connections, each waiting for its answer."""
    cpu0, wall0 = time.process_time(), time.perf_counter()
    latencies, statuses = asyncio.run(_drive(port, requests, clients))
    wall = time.perf_counter() - wall0
    cpu = time.process_time() - cpu0
    return Run(target, clients, latencies, statuses, wall, cpu / wall)


# ---------------------------------------------------------------------------------------------
# The run.


@dataclass
class Drain:
    """Post-ack work of one Oneness level: how long it took to reach Slack after the last ack."""

    clients: int
    jobs: int
    done: int
    seconds_after_acks: float
    work_rate: float


@dataclass
class Bench:
    """Everything measured."""

    runs: list[Run] = field(default_factory=list)
    drains: list[Drain] = field(default_factory=list)
    oneness_requests: int = 0
    rss_after: int = RSS_AFTER
    load_start: float = math.nan
    load_end: float = math.nan
    jobs_baseline: int = 0
    rss_start_mb: float = math.nan
    rss_mb: float = math.nan
    rss_drained_mb: float = math.nan
    hwm_mb: float = math.nan
    child_rss_mb: list[tuple[str, float]] = field(default_factory=list)
    failed_calls: int = 0
    logs: dict[str, list[str]] = field(default_factory=dict)


class Planner:
    """Round-robin (kind, member) pairs; every Oneness request counts towards the RSS reading."""

    def __init__(self, members: int) -> None:
        self._members = members
        self._seq = itertools.count()

    def plan(self, n: int) -> list[tuple[str, str]]:
        out: list[tuple[str, str]] = []
        for _ in range(n):
            i = next(self._seq)
            out.append((KINDS[i % len(KINDS)], user_id(i // len(KINDS) % self._members + 1)))
        return out


def finished_jobs(counts: dict[str, int]) -> int:
    """Every request of the mix ends in exactly one response_url post or views.publish."""
    return counts["response_posts"] + counts["views_publish"]


def wait_drained(slack: SlackProcess, expected: int, timeout: float = 180) -> tuple[int, float]:
    """Poll until `expected` jobs reached Slack, or no progress for 15 s; (done, seconds)."""
    started = last_change = time.monotonic()
    done = finished_jobs(slack.completed())
    while done < expected and time.monotonic() - started < timeout:
        time.sleep(0.1)
        now_done = finished_jobs(slack.completed())
        if now_done != done:
            done, last_change = now_done, time.monotonic()
        elif time.monotonic() - last_change > 15:
            break
    return done, time.monotonic() - started


def timed_level(
    server: Server, slack: SlackProcess, planner: Planner, args: argparse.Namespace, clients: int
) -> tuple[Run, int]:
    """Warm up, then time `--requests` requests at `clients`; (the run, requests sent in all)."""
    warm = max(clients * 4, min(200, args.requests // 10))
    plan = planner.plan(warm + args.requests)
    raws = [raw_request(server.port, *p) for p in slack.prepare(plan)]
    drive(server.name, server.port, raws[:warm], clients)
    paused = work_paused(server) if args.pause_work else contextlib.nullcontext()
    with paused, profiled(server, args.profile, f"{server.name}-c{clients}"):
        cpu, slack_cpu = server.cpu_by_role(), slack.cpu_seconds()
        run = drive(server.name, server.port, raws[warm:], clients)
        after = server.cpu_by_role()
        run.server_cpu_seconds = after["serving"] - cpu["serving"]
        run.work_cpu_seconds = after["work"] - cpu["work"]
        run.slack_cpu_seconds = slack.cpu_seconds() - slack_cpu
    return run, len(plan)


def oneness_level(
    server: Server,
    slack: SlackProcess,
    planner: Planner,
    bench: Bench,
    run: Run,
    sent: int,
    last: bool,
) -> None:
    """After a timed Oneness level: top up to `--rss-after` requests if last, then drain."""
    before = bench.oneness_requests
    bench.oneness_requests += sent
    if last:
        bench.oneness_requests += top_up(server, slack, planner, bench, run.clients)
        bench.rss_mb = server.rss_mb()
    done, seconds = wait_drained(slack, bench.jobs_baseline + bench.oneness_requests)
    level_done = done - bench.jobs_baseline - before
    bench.drains.append(
        Drain(
            clients=run.clients,
            jobs=bench.oneness_requests - before,
            done=level_done,
            seconds_after_acks=seconds,
            work_rate=level_done / (run.seconds + seconds),
        )
    )


def measure(
    slack: SlackProcess, url: str, args: argparse.Namespace, levels: list[int], logs: Path
) -> Bench:
    """Start every server, then per level measure each in turn (Oneness drained after its turn).

    Interleaving by level keeps the servers' figures for one level close in time, so a change
    in the machine's load between levels affects them alike. Only one server is busy at a time:
    the others are idle, and Oneness's work after the acks is finished before the next turn.
    """
    bench = Bench(load_start=os.getloadavg()[0], rss_after=args.rss_after)
    servers: dict[str, Server] = {}
    planners = {name: Planner(args.members) for name in args.targets}
    try:
        for name in args.targets:
            servers[name] = start_server(
                name,
                slack,
                url,
                args.workers,
                logs,
                args.oneness_entry,
                args.work_processes,
                args.processes,
            )
        if "oneness" in servers:
            bench.rss_start_mb = servers["oneness"].rss_mb()
            bench.jobs_baseline = finished_jobs(slack.completed())
        for clients in levels:
            for name, server in servers.items():
                run, sent = timed_level(server, slack, planners[name], args, clients)
                bench.runs.append(run)
                if name == "oneness":
                    last = clients == levels[-1]
                    oneness_level(server, slack, planners[name], bench, run, sent, last)
        if "oneness" in servers:
            bench.rss_drained_mb = servers["oneness"].rss_mb()
            bench.hwm_mb = servers["oneness"].rss_mb("VmHWM")
            bench.child_rss_mb = [
                (role_of(pid), rss_of(pid)) for pid in children_of(servers["oneness"].process.pid)
            ]
            bench.failed_calls = slack.completed()["failed_calls"]
        bench.load_end = os.getloadavg()[0]
    finally:
        for name, server in servers.items():
            server.stop()
            bench.logs[name] = [
                line
                for line in server.log_path.read_text(errors="replace").splitlines()
                if line.strip() and "listening on" not in line
            ]
    return bench


QUEUE_DEPTH = re.compile(r"Task queue depth is (\d+)")


def log_lines(bench: Bench) -> list[str]:
    """Per server: waitress's queue-depth warnings counted, anything else quoted (5 at most)."""
    out: list[str] = []
    for name, lines in bench.logs.items():
        depths = [int(m.group(1)) for line in lines if (m := QUEUE_DEPTH.search(line))]
        other = [line for line in lines if not QUEUE_DEPTH.search(line)]
        out.append(
            f"{name}_log_queue_depth_warnings: {len(depths)} (max depth {max(depths, default=0)})"
        )
        out.append(f"{name}_log_other_lines: {len(other)}")
        out += [f"  {line[:200]}" for line in other[:5]]
    return out


@contextmanager
def work_paused(server: Server) -> Iterator[None]:
    """SIGSTOP the server's work processes meanwhile, as if they ran on other machines."""
    work = [pid for pid in children_of(server.process.pid) if role_of(pid) == "work"]
    for pid in work:
        os.kill(pid, signal.SIGSTOP)
    try:
        yield
    finally:
        for pid in work:
            os.kill(pid, signal.SIGCONT)


@contextmanager
def profiled(server: Server, folder: str | None, label: str) -> Iterator[None]:
    """With --profile DIR: py-spy samples the server (GIL holders, by thread) meanwhile."""
    if not folder:
        yield
        return
    spy = Path(sys.executable).with_name("py-spy")
    out = Path(folder) / f"{label}.txt"
    out.parent.mkdir(parents=True, exist_ok=True)
    argv = [str(spy), "record", "-p", str(server.process.pid), "-r", "250", "--threads"]
    argv += ["--gil", "-f", "raw", "-o", str(out)]
    recorder = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(1.0)  # attached before the timed requests start
    try:
        yield
    finally:
        recorder.send_signal(signal.SIGINT)
        recorder.wait(timeout=60)


def top_up(
    server: Server, slack: SlackProcess, planner: Planner, bench: Bench, clients: int
) -> int:
    """Untimed requests until Oneness has had `--rss-after` in all; how many were sent."""
    missing = bench.rss_after - bench.oneness_requests
    if missing <= 0:
        return 0
    prepared = slack.prepare(planner.plan(missing))
    drive("oneness", server.port, [raw_request(server.port, *p) for p in prepared], clients)
    return missing


def run_bench(args: argparse.Namespace, levels: list[int]) -> Bench:
    """Start the local Slack and the database, then measure null, floor and Oneness in turn."""
    slack = SlackProcess(args.members)
    try:
        with (
            database(args.db) as url,
            tempfile.TemporaryDirectory(prefix="oneness-ack-logs-") as tmp,
        ):
            prompts = seed(url, slack, args.members)
            found = slack.find_prompts()
            if prompts != args.members or found != args.members:
                raise RuntimeError(f"{prompts} prompts sent, {found} found; {args.members} members")
            return measure(slack, url, args, levels, Path(tmp))
    finally:
        slack.stop()


# ---------------------------------------------------------------------------------------------
# The report.


def find_run(bench: Bench, target: str, clients: int) -> Run | None:
    return next((r for r in bench.runs if r.target == target and r.clients == clients), None)


def verdict(bench: Bench, levels: list[int]) -> str:
    """`met`, or `NOT met (...)` naming every missed target."""
    missed: list[str] = []
    top = TARGET_CLIENTS if TARGET_CLIENTS in levels else levels[-1]
    oneness = find_run(bench, "oneness", top)
    if oneness is not None and oneness.percentile_ms(99) >= TARGET_P99_MS:
        missed.append(f"p99 {oneness.percentile_ms(99):.1f} ms >= {TARGET_P99_MS:.0f} ms at {top}")
    for clients in levels:
        mine, floor = find_run(bench, "oneness", clients), find_run(bench, "floor", clients)
        if mine is not None and floor is not None and mine.rps < floor.rps:
            missed.append(f"{mine.rps:.0f} req/s < floor {floor.rps:.0f} at {clients}")
    for run in bench.runs:
        if run.target != "null" and run.errors:
            missed.append(f"{run.errors} non-200 answers from {run.target} at {run.clients}")
    if not math.isnan(bench.rss_mb) and max(bench.rss_mb, bench.rss_drained_mb) >= TARGET_RSS_MB:
        rss = max(bench.rss_mb, bench.rss_drained_mb)
        missed.append(
            f"RSS {rss:.1f} MB after {bench.oneness_requests} requests >= {TARGET_RSS_MB:.0f} MB"
        )
    return "met" if not missed else f"NOT met ({'; '.join(missed)})"


def report_lines(bench: Bench, args: argparse.Namespace, levels: list[int]) -> list[str]:
    """A table, then `name: value` lines."""
    out = [
        f"db: {args.db}",
        f"processes: {args.processes}",
        f"workers: {args.workers}",
        f"members: {args.members}",
        f"requests_per_level: {args.requests}",
        f"cpus: {os.cpu_count()}",
        f"load_average_1min_at_start: {bench.load_start:.2f}",
        f"load_average_1min_at_end: {bench.load_end:.2f}",
        "",
        f"{'target':<8} {'clients':>7} {'requests':>8} {'req/s':>8} {'p50_ms':>7} "
        f"{'p95_ms':>7} {'p99_ms':>7} {'max_ms':>7} {'non200':>6} {'client_cpu':>10} "
        f"{'slack_cpu':>9} {'server_cpu':>10} {'work_cpu':>8}",
    ]
    for clients in levels:
        for target in args.targets:
            run = find_run(bench, target, clients)
            if run is None:
                continue
            out.append(
                f"{run.target:<8} {run.clients:>7} {run.requests:>8} {run.rps:>8.0f} "
                f"{run.percentile_ms(50):>7.2f} {run.percentile_ms(95):>7.2f} "
                f"{run.percentile_ms(99):>7.2f} {run.percentile_ms(100):>7.2f} "
                f"{run.errors:>6} {run.client_cpu:>10.0%} {run.slack_cpu:>9.0%} "
                f"{run.server_cpu:>10.0%} {run.work_cpu:>8.0%}"
            )
    out.append("")
    for run in bench.runs:
        prefix = f"{run.target}_c{run.clients}"
        out += [
            f"{prefix}_rps: {run.rps:.1f}",
            f"{prefix}_p50_ms: {run.percentile_ms(50):.2f}",
            f"{prefix}_p95_ms: {run.percentile_ms(95):.2f}",
            f"{prefix}_p99_ms: {run.percentile_ms(99):.2f}",
        ]
    for drain in bench.drains:
        prefix = f"oneness_c{drain.clients}"
        out += [
            f"{prefix}_post_ack_jobs: {drain.done}/{drain.jobs}",
            f"{prefix}_post_ack_drain_seconds_after_last_ack: {drain.seconds_after_acks:.2f}",
            f"{prefix}_post_ack_work_per_second: {drain.work_rate:.1f}",
        ]
    out += [
        f"oneness_requests_before_rss: {bench.oneness_requests}",
        f"oneness_rss_mb_at_start: {bench.rss_start_mb:.1f}",
        f"oneness_rss_mb: {bench.rss_mb:.1f}",
        f"oneness_rss_mb_after_drain: {bench.rss_drained_mb:.1f}",
        f"oneness_peak_rss_mb: {bench.hwm_mb:.1f}",
        f"oneness_work_processes: {args.work_processes}",
        "oneness_child_process_rss_mb: "
        + (", ".join(f"{role} {mb:.1f}" for role, mb in bench.child_rss_mb) or "-"),
        f"oneness_failed_slack_calls: {bench.failed_calls}",
        *log_lines(bench),
        f"targets: {verdict(bench, levels)}",
    ]
    return out


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, run once (or serve, for the child modes), print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--requests", type=int, default=3500, help="timed requests per level")
    parser.add_argument("--clients", default="1,10,50", help="concurrency levels, comma-separated")
    parser.add_argument(
        "--workers", type=int, default=8, help="threads per serving process, every server"
    )
    parser.add_argument("--members", type=int, default=50, help="team members sending requests")
    parser.add_argument(
        "--work-processes",
        type=int,
        default=1,
        help="`oneness run --work-processes`: processes running the work after the acks "
        "(0: the serving process runs it)",
    )
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument(
        "--rss-after",
        type=int,
        default=RSS_AFTER,
        help="requests Oneness gets in all before its RSS is read (the last level is topped up)",
    )
    parser.add_argument(
        "--targets",
        default=",".join(TARGET_NAMES),
        help="servers to measure, in order (null,floor,oneness)",
    )
    parser.add_argument(
        "--profile", metavar="DIR", help="record each timed level with py-spy (--gil) into DIR"
    )
    parser.add_argument(
        "--oneness-entry",
        metavar="SCRIPT",
        help="run SCRIPT instead of `-m bot.cli` (a prototype); it gets `run --workers W`",
    )
    parser.add_argument(
        "--processes",
        type=int,
        default=2,
        help="processes serving HTTP on one port, every server (`oneness run --processes`)",
    )
    parser.add_argument(
        "--pause-work",
        action="store_true",
        help="stop Oneness's work processes during each timed level (as if they ran on other "
        "machines); they catch up afterwards",
    )
    parser.add_argument("--serve-null", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--serve-floor", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve_null or args.serve_floor:
        kind = "null" if args.serve_null else "floor"
        return serve(kind, args.port, args.workers, args.processes)
    try:
        levels = [int(c) for c in args.clients.split(",") if c.strip()]
    except ValueError:
        parser.error("--clients takes numbers like 1,10,50")
    args.targets = [t.strip() for t in args.targets.split(",") if t.strip()]
    if not levels or min(levels) < 1 or args.requests < 1 or args.members < 1:
        parser.error("--clients, --requests and --members must be positive")
    if set(args.targets) - set(TARGET_NAMES):
        parser.error(f"--targets takes {','.join(TARGET_NAMES)}")
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        bench = run_bench(args, levels)
    except Exception as error:  # a report, not a crash: the script always exits 0
        print(f"error: {type(error).__name__}: {error}")
        print("targets: NOT met (the benchmark could not finish)")
        return 0
    for line in report_lines(bench, args, levels):
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
