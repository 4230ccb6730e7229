"""Posting the weekly summary: figures and chart in the channel, the named version to leads."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from bot.access.post import post_in_channel, upload_in_channel
from bot.platform.blocks import Reply, section
from bot.platform.delivery import Outgoing, deliver
from bot.platform.deps import Deps
from bot.promise.service import summary_line
from bot.schedule.calendar import (
    is_paused,
    shift_week,
    team_clock,
    week_label,
    week_monday,
    week_skip_reason,
    zone,
)
from bot.summary.blocks import (
    leads_summary_pages,
    leads_summary_text,
    progress_blocks,
    summary_blocks,
    summary_text,
)
from bot.summary.chart import render_trend_chart
from bot.summary.figures import (
    AnswerRow,
    NamedLines,
    RallyRow,
    RatingRow,
    Summary,
    WeekInput,
    build_summary,
    named_lines,
)
from bot.teams.service import member_clocks
from storage import checkin as checkin_store
from storage import summary as store
from storage import teams as team_store
from storage.db import transaction
from storage.models import Cycle, Team

log = logging.getLogger("oneness.summary")

TREND_WEEKS = 8


@dataclass(frozen=True)
class Gathered:
    """Everything one summary shows."""

    team_id: int
    team_name: str
    channel_id: str
    leads: list[str]
    summary: Summary
    named: NamedLines


def gather(session: Session, team: Team, cycle: Cycle, *, now: datetime | None = None) -> Gathered:
    """Read the last eight weeks of a team in a handful of queries and summarise them (`now`,
    by default the week's close, decides which remedies are overdue)."""
    cycles = store.recent_cycles(session, team.id, cycle.week, TREND_WEEKS)
    ids = [c.id for c in cycles]
    answers: dict[int, list[AnswerRow]] = {i: [] for i in ids}
    week_of = {c.id: c.week for c in cycles}
    for row in store.current_weekly_answers(session, ids):
        assert row.cycle_id is not None
        answers[row.cycle_id].append(
            AnswerRow(
                row.user_id,
                week_of[row.cycle_id],
                row.score,
                row.deliverables,
                row.customers,
                row.help,
                row.visibility,
                row.note,
            )
        )
    expected: dict[int, set[str]] = {i: set() for i in ids}
    for cycle_id, user_id in store.prompted(session, ids):
        expected[cycle_id].add(user_id)
    # A member paused when a week closes (the pause set after their prompt) is not expected.
    clock = team_clock(team)
    members = {m.user_id: m for m in member_clocks(session, team.id) if m.paused_until}
    for c in cycles:
        expected[c.id] -= {
            u for u in expected[c.id] if u in members and is_paused(clock, members[u], c.closes_at)
        }
    skipped = store.skipped_prompts(session, cycle.id)
    weeks = [WeekInput(c.week, tuple(sorted(expected[c.id])), tuple(answers[c.id])) for c in cycles]
    weeks[-1] = WeekInput(
        cycle.week,
        weeks[-1].expected,
        weeks[-1].answers,
        tuple(sorted(u for u, _why in skipped)),
        week_skip_reason([why for _u, why in skipped]),
    )
    tz = zone(team.timezone)
    since = datetime.combine(week_monday(shift_week(cycle.week, -4)), datetime.min.time(), tz)
    ratings = [
        RatingRow(r.user_id, r.score, week_label(r.created_at, tz), r.source)
        for r in store.ratings_since(session, team.id, since)
    ]
    rallies = [
        RallyRow(r.user_id, r.visibility, r.owner_id, r.help)
        for r in store.open_team_rallies(session, team.id)
    ]
    names = team_store.member_names(session, team.id)
    return Gathered(
        team.id,
        team.name,
        team.channel_id,
        team_store.lead_ids(session, team.id),
        build_summary(
            team.name,
            weeks,
            ratings,
            rallies,
            promise=summary_line(session, team, cycle, now or cycle.closes_at),
        ),
        named_lines(weeks, names),
    )


def post_summary(deps: Deps, cycle_id: int, *, manual: bool = False) -> Gathered | None:
    """Post a week's summary once (a lead's `/oneness summary` posts a fresh one each time).

    While the week is still open, the channel gets only its progress (how many answered, the
    open rallies): figures that move with each answer would give each score away. The leads
    get the named version either way.
    """
    now = deps.clock.now()
    with transaction(deps.sessions) as session:
        cycle = checkin_store.cycle_by_id(session, cycle_id)
        team = team_store.team_by_id(session, cycle.team_id) if cycle else None
        if cycle is None or team is None:
            return None
        final = not manual or cycle.closed_at is not None or now >= cycle.closes_at
        gathered = gather(session, team, cycle, now=now)
    # Each `/oneness summary` is a new post; the automatic one is posted once per week.
    key = f"summary:{cycle_id}" + (f":manual:{uuid.uuid4().hex}" if manual else "")
    _post_channel_summary(deps, gathered, key, cycle_id, final=final)
    if final:
        _post_chart(deps, gathered, key, cycle_id)
    _send_to_leads(deps, gathered, key)
    return gathered


def _post_chart(deps: Deps, gathered: Gathered, key: str, cycle_id: int) -> None:
    s = gathered.summary
    png = render_trend_chart(s.trend, title=f"{gathered.team_name}: the last {len(s.trend)} weeks")
    file_id = upload_in_channel(
        deps,
        f"{key}:chart",
        channel=gathered.channel_id,
        content=png,
        filename=f"oneness-{s.week}.png",
        title=f"{gathered.team_name} · {s.week}",
        cycle_id=cycle_id,
    )
    if file_id:
        with transaction(deps.sessions) as session:
            row = checkin_store.cycle_by_id(session, cycle_id)
            if row is not None:
                row.chart_file_id = file_id


def leads_key(key: str, lead: str, part: int) -> str:
    """The delivery key of one part of a lead's summary DM (the first keeps the plain key)."""
    return f"{key}:leads:{lead}" + (f":part{part}" if part > 1 else "")


def _part_of(key: str) -> int:
    tail = key.rsplit(":", 1)[-1]
    return int(tail[4:]) if tail.startswith("part") and tail[4:].isdigit() else 1


def _send_to_leads(deps: Deps, gathered: Gathered, key: str) -> None:
    # A big team's summary comes as numbered DMs, each delivered once under its own key.
    pages = leads_summary_pages(gathered.summary, gathered.named)
    for lead in gathered.leads:
        for part, page in enumerate(pages, start=1):
            deliver(
                deps,
                Outgoing(
                    key=leads_key(key, lead, part),
                    kind="summary",
                    channel=lead,
                    text=page.text,
                    blocks=page.blocks,
                    user_id=lead,
                ),
            )


def render_again(deps: Deps, key: str, cycle_id: int | None) -> Reply | None:
    """A posted summary as it would read now (after someone was forgotten); None when its
    week is gone. The delivery key says which version it was: the leads' or the channel's."""
    if cycle_id is None:
        return None
    now = deps.clock.now()
    with transaction(deps.sessions) as session:
        cycle = checkin_store.cycle_by_id(session, cycle_id)
        team = team_store.team_by_id(session, cycle.team_id) if cycle else None
        if cycle is None or team is None:
            return None
        closed = cycle.closed_at is not None or now >= cycle.closes_at
        gathered = gather(session, team, cycle, now=now)
    s = gathered.summary
    if ":leads:" in key:
        pages = leads_summary_pages(s, gathered.named)
        part = _part_of(key)
        if part <= len(pages):
            return pages[part - 1]
        return Reply(
            leads_summary_text(s),
            [section("_This part of the leads' summary has nothing left to show._")],
        )
    return Reply(summary_text(s), summary_blocks(s) if closed else progress_blocks(s))


def repost_waiting(deps: Deps, key: str, cycle_id: int | None) -> None:
    """Post a channel summary or its chart that waited for the bot to be invited, as the week
    reads now (under its own key, so once)."""
    if cycle_id is None:
        return
    now = deps.clock.now()
    with transaction(deps.sessions) as session:
        cycle = checkin_store.cycle_by_id(session, cycle_id)
        team = team_store.team_by_id(session, cycle.team_id) if cycle else None
        if cycle is None or team is None:
            return
        closed = cycle.closed_at is not None or now >= cycle.closes_at
        gathered = gather(session, team, cycle, now=now)
    if key.endswith(":chart"):
        _post_chart(deps, gathered, key.removesuffix(":chart"), cycle_id)
        return
    _post_channel_summary(deps, gathered, key, cycle_id, final=closed)


def _post_channel_summary(
    deps: Deps, gathered: Gathered, key: str, cycle_id: int, *, final: bool
) -> None:
    """The channel's summary under `key`: the figures once the week is over, else progress."""
    s = gathered.summary
    post_in_channel(
        deps,
        Outgoing(
            key=key,
            kind="summary",
            channel=gathered.channel_id,
            text=summary_text(s),
            blocks=summary_blocks(s) if final else progress_blocks(s),
            cycle_id=cycle_id,
        ),
    )


def close_week(deps: Deps, cycle_id: int) -> None:
    """Post the automatic summary, then close the week (a crash in between posts it once)."""
    post_summary(deps, cycle_id)
    with transaction(deps.sessions) as session:
        cycle = checkin_store.cycle_by_id(session, cycle_id)
        if cycle is not None and cycle.closed_at is None:
            cycle.closed_at = deps.clock.now()


def latest_cycle(session: Session, team_id: int, now: datetime) -> Cycle | None:
    """The open cycle, else the most recent one."""
    for cycle in checkin_store.open_cycles(session, now):
        if cycle.team_id == team_id:
            return cycle
    recent = store.recent_cycles(session, team_id, "9999-W99", 1)
    return recent[-1] if recent else None


def chart_of_latest(session: Session, team_id: int) -> str | None:
    """The file id of the team's latest summary chart."""
    for cycle in reversed(store.recent_cycles(session, team_id, "9999-W99", 3)):
        if cycle.chart_file_id:
            return cycle.chart_file_id
    return None
