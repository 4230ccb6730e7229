# ruff: noqa: E402 - the repository root goes on sys.path before the bot is imported
"""Monday 09:00: T teams close their week in the same minute, at Slack's posting and upload
limits (also `bench/storm.py --monday`).

    .venv/bin/python bench/monday.py [--teams T] [--members M] [--leads L]
                                     [--db sqlite|postgresql] [--post-rate P]

T teams (default 100) of M members (default 10) and L leads (default 2), each bound to its own
channel, with the default schedule: prompts Friday 15:00 UTC, summary Monday 09:00 UTC. The
bot is the real one (`bot.app.build_deps`, `bot.schedule.tick.tick`) on a fresh, migrated
database and a FakeClock. The week is set up with the local Slack unlimited: the teams are
created Wednesday, prompted Friday 15:00 and 80% of the members answer with a score button.
Then every method's documented limit is switched on (localslack/limits.py: chat.postMessage
300 a minute and 1 a second per channel, files.getUploadURLExternal and
files.completeUploadExternal Tier 4, 100 a minute) and, with the clock at Monday 09:00, one
tick is timed: it closes every week, posting each team's summary to its channel, uploading its
chart and DMing its leads. The bot paces chat.postMessage at `--post-rate`
(ONENESS_POST_RATE; default the bot's default).

The floor is the time Slack's sustained rates need for the calls the closing must make:
for each method, calls / (calls a second), the largest of them (bursts left out: Slack does
not promise them). Target: elapsed ≤ floor × 1.2. Then a second tick runs at 09:01: it must
post nothing. Every team must have exactly one summary in its channel and one chart, and every
lead exactly one leads' summary: none twice, none lost. The script always exits 0.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.databases import database
from bot.app import build_deps
from bot.checkin.service import answer_button
from bot.platform.clock import FakeClock
from bot.platform.config import DEFAULT_POST_RATE, Settings
from bot.platform.deps import Deps
from bot.platform.directory import Person
from bot.schedule.tick import tick
from bot.teams.service import TeamSettings, add_members, make_leads, setup_team
from localslack import Channel, LocalSlack, User
from localslack.limits import POST_MESSAGE_PER_MINUTE, Tier, slack_rate_limits
from storage import checkin as checkin_store
from storage.db import transaction

CREATED_AT = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)  # a Wednesday
PROMPT_AT = datetime(2026, 11, 27, 15, 0, tzinfo=UTC)  # Friday 15:00 UTC
MONDAY_AT = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)  # Monday 09:00 UTC: every week closes
ANSWER_SHARE = 0.8
TARGET_RATIO = 1.2
# Sustained calls a second of the methods a closing week uses (bursts left out).
SUSTAINED = {
    "chat.postMessage": POST_MESSAGE_PER_MINUTE / 60.0,
    "files.getUploadURLExternal": Tier.TIER_4 / 60.0,
    "files.completeUploadExternal": Tier.TIER_4 / 60.0,
}


def member_id(team: int, index: int) -> str:
    return f"UM{team:03d}{index:04d}"


def lead_id(team: int, index: int) -> str:
    return f"UL{team:03d}{index:02d}"


def channel_id(team: int) -> str:
    return f"CT{team:04d}"


@dataclass
class Figures:
    """What one Monday measured."""

    teams: int
    elapsed: float
    floor: float
    floor_method: str
    calls: Counter[str]
    limited: Counter[str]
    summaries: Counter[str]  # channel -> summary messages
    charts: Counter[str]  # channel -> files shared
    leads_dms: Counter[str]  # lead -> leads' summaries
    second_tick_calls: int
    answered: int
    closed: int

    @property
    def ratio(self) -> float:
        return self.elapsed / self.floor if self.floor else float("nan")


def start_slack(teams: int, members: int, leads: int) -> LocalSlack:
    users: list[User] = []
    channels: list[Channel] = []
    for t in range(1, teams + 1):
        people = [member_id(t, i) for i in range(1, members + 1)]
        heads = [lead_id(t, i) for i in range(1, leads + 1)]
        users += [User(id=u, name=u.lower(), real_name=u, tz="UTC") for u in people + heads]
        channels.append(
            Channel(id=channel_id(t), name=f"team{t}", members=[*people, *heads, "UBOT"])
        )
    return LocalSlack(users=users, channels=channels, slack_limits=False).start()


def settings_for(slack: LocalSlack, url: str, post_rate: float | None) -> Settings:
    return Settings(
        bot_token=slack.bot_token,
        signing_secret="bench-signing-secret",
        api_url=slack.api_url,
        database_url=url,
        post_rate=post_rate,
    )


def set_up_week(deps: Deps, clock: FakeClock, teams: int, members: int, leads: int) -> int:
    """Teams, members and leads; Friday's prompts; 80% answered. Returns the answers."""
    with transaction(deps.sessions) as session:
        for t in range(1, teams + 1):
            team = setup_team(
                session,
                TeamSettings(name=f"team {t}", channel_id=channel_id(t), timezone="UTC"),
                creator=lead_id(t, 1),
                now=CREATED_AT,
            )
            people = [
                Person(id=member_id(t, i), name=member_id(t, i), tz="UTC")
                for i in range(1, members + 1)
            ]
            add_members(session, team, people, now=CREATED_AT)
            others = [
                Person(id=lead_id(t, i), name=lead_id(t, i), tz="UTC") for i in range(2, leads + 1)
            ]
            make_leads(session, team, others, now=CREATED_AT)
    clock.set(PROMPT_AT)
    tick(deps)
    clock.set(PROMPT_AT + timedelta(hours=1))
    answered = 0
    with transaction(deps.sessions) as session:
        cycles = [(c.id, c.team_id) for c in checkin_store.open_cycles(session, clock.now())]
    by_team = {team_id: cycle_id for cycle_id, team_id in cycles}
    for t, team_id in enumerate(sorted(by_team), start=1):
        for i in range(1, members + 1):
            if (i - 1) % 10 < ANSWER_SHARE * 10:
                answer_button(deps, member_id(t, i), by_team[team_id], 4 + (i * 7 + t) % 6)
                answered += 1
    return answered


def run(args: argparse.Namespace, url: str) -> Figures:
    slack = start_slack(args.teams, args.members, args.leads)
    clock = FakeClock(CREATED_AT)
    setup = build_deps(settings_for(slack, url, None), clock=clock, workers=2)
    try:
        answered = set_up_week(setup, clock, args.teams, args.members, args.leads)
    finally:
        setup.close()
    deps = build_deps(settings_for(slack, url, args.post_rate), clock=clock, workers=2)
    try:
        for method, limit in slack_rate_limits().items():
            slack.set_rate_limit(method, limit)
        clock.set(MONDAY_AT)
        since = time.time()
        t0 = time.perf_counter()
        report = tick(deps)
        elapsed = time.perf_counter() - t0
        middle = time.time()
        clock.set(MONDAY_AT + timedelta(minutes=1))
        tick(deps)
        calls = [c for c in slack.calls if since <= c.at < middle]
        second = [c for c in slack.calls if c.at >= middle and c.ok]
        summaries: Counter[str] = Counter()
        charts: Counter[str] = Counter()
        leads_dms: Counter[str] = Counter()
        files = slack.files
        for t in range(1, args.teams + 1):
            for message in slack.messages(channel_id(t)):
                key = str(((message.metadata or {}).get("event_payload") or {}).get("key", ""))
                if key.startswith("summary:"):
                    summaries[channel_id(t)] += 1
            charts[channel_id(t)] = sum(1 for f in files if channel_id(t) in f.channels)
            for i in range(1, args.leads + 1):
                for message in slack.dms(lead_id(t, i)):
                    payload = (message.metadata or {}).get("event_payload") or {}
                    if ":leads:" in str(payload.get("key", "")):
                        leads_dms[lead_id(t, i)] += 1
    finally:
        deps.close()
        slack.stop()
    ok = Counter(c.method for c in calls if c.ok)
    floors = {m: ok[m] / rate for m, rate in SUSTAINED.items()}
    floor_method = max(floors, key=lambda m: floors[m])
    return Figures(
        teams=args.teams,
        elapsed=elapsed,
        floor=floors[floor_method],
        floor_method=floor_method,
        calls=Counter(c.method for c in calls),
        limited=Counter(c.method for c in calls if c.status == 429),
        summaries=summaries,
        charts=charts,
        leads_dms=leads_dms,
        second_tick_calls=len([c for c in second if c.method in SUSTAINED]),
        answered=answered,
        closed=len(report.closed),
    )


def verdict(f: Figures, args: argparse.Namespace) -> str:
    missed: list[str] = []
    if not f.ratio <= TARGET_RATIO:
        missed.append(f"elapsed/floor {f.ratio:.2f} > {TARGET_RATIO}")
    twice = sum(
        1 for n in [*f.summaries.values(), *f.charts.values(), *f.leads_dms.values()] if n > 1
    )
    lost = (
        sum(1 for t in range(1, f.teams + 1) if f.summaries[channel_id(t)] == 0)
        + sum(1 for t in range(1, f.teams + 1) if f.charts[channel_id(t)] == 0)
        + sum(
            1
            for t in range(1, f.teams + 1)
            for i in range(1, args.leads + 1)
            if f.leads_dms[lead_id(t, i)] == 0
        )
    )
    if twice or f.second_tick_calls:
        missed.append(f"{twice} posted twice, {f.second_tick_calls} posts by the second tick")
    if lost:
        missed.append(f"{lost} summaries, charts or leads' DMs missing")
    return "met" if not missed else f"NOT met ({'; '.join(missed)})"


def report_lines(f: Figures, args: argparse.Namespace) -> list[str]:
    out = [
        f"db: {args.db}",
        f"teams: {f.teams} x {args.members} members, {args.leads} leads",
        f"post_rate: {args.post_rate:g}",
        f"answers_before_monday: {f.answered}",
        f"weeks_closed_by_the_tick: {f.closed}",
        f"elapsed_seconds: {f.elapsed:.2f}",
        f"floor_seconds: {f.floor:.2f} ({f.floor_method} at its sustained rate)",
        f"ratio: {f.ratio:.3f}",
        "calls (429s):",
    ]
    for method, n in sorted(f.calls.items(), key=lambda kv: -kv[1]):
        out.append(f"  {method}: {n} ({f.limited[method]})")
    out += [
        f"429s: {sum(f.limited.values())}",
        f"channel_summaries: {sum(f.summaries.values())} in {len(+f.summaries)} channels",
        f"charts: {sum(f.charts.values())} in {len(+f.charts)} channels",
        f"leads_summaries: {sum(f.leads_dms.values())} to {len(+f.leads_dms)} leads",
        f"posts_by_the_second_tick: {f.second_tick_calls}",
        f"targets: {verdict(f, args)}",
    ]
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--teams", type=int, default=100)
    parser.add_argument("--members", type=int, default=10)
    parser.add_argument("--leads", type=int, default=2)
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="postgresql")
    parser.add_argument("--post-rate", type=float, default=DEFAULT_POST_RATE)
    args = parser.parse_args(argv)
    if min(args.teams, args.members, args.leads) < 1 or args.post_rate <= 0:
        parser.error("--teams, --members, --leads and --post-rate must be positive")
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        with database(args.db) as url:
            figures = run(args, url)
    except Exception as error:  # a report, not a crash
        print(f"error: {type(error).__name__}: {error}")
        print("targets: NOT met (the benchmark could not finish)")
        return 0
    for line in report_lines(figures, args):
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
