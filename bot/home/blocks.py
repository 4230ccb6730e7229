"""The App Home tab."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.access.blocks import access_line
from bot.checkin import ids as checkin_ids
from bot.checkin.blocks import history_lines
from bot.checkin.history import trend_line
from bot.platform.blocks import VIEW_BLOCKS, Block, actions, button, divider, header, section
from bot.platform.escape import escape
from bot.summary.status import WeekStatus
from storage.access import Health
from storage.models import CheckIn


@dataclass(frozen=True)
class TeamHealth:
    """What a lead's App Home says about one team's deliveries (counts, no one named)."""

    team_name: str
    channel_id: str
    bot_in_channel: bool | None
    health: Health


def health_blocks(teams: list[TeamHealth]) -> list[Block]:
    """The leads' health section: channel access, prompts skipped this week, deliveries failed
    (last 7 days) or waiting for access, dead jobs, members unreachable."""
    if not teams:
        return []
    blocks: list[Block] = [section("*Health* (only leads see this)")]
    for t in teams:
        h = t.health
        counts = [
            f"prompts skipped this week: {h.prompts_skipped}",
            f"deliveries failed (7 days): {h.failed}",
            f"waiting for access: {h.waiting}",
            f"dead jobs: {h.dead_jobs}",
            f"members unreachable: {h.unreachable}",
        ]
        fine = not (h.prompts_skipped or h.failed or h.waiting or h.dead_jobs or h.unreachable)
        mark = ":large_green_circle:" if fine and t.bot_in_channel is not False else ":warning:"
        blocks.append(
            section(
                f"{mark} *{escape(t.team_name)}*\n"
                + access_line(t.channel_id, t.bot_in_channel, h.waiting)
                + "\n"
                + " · ".join(counts)
            )
        )
    return blocks


def home_view(
    *,
    rows: list[CheckIn],
    tz: str | None,
    pending: list[tuple[str, int]],
    led: list[WeekStatus],
    teams: list[tuple[int, str]] | None = None,
    extra: list[Block] | None = None,
    health: list[TeamHealth] | None = None,
) -> dict[str, Any]:
    """The App Home: my trend, a Check in now button per team, my pending prompts, and the rates
    of the teams I lead."""
    teams = teams or []
    blocks: list[Block] = [
        header("Oneness"),
        section("*Your last weeks* (only you see this)\n" + trend_line(rows)),
    ]
    if rows:
        blocks.append(section(history_lines(rows, tz)))
    if len(teams) == 1:
        blocks.append(
            actions(
                button("Check in now", checkin_ids.HOME_CHECKIN, str(teams[0][0]), style="primary"),
                block_id="home_actions",
            )
        )
    elif teams:
        # One button per team: an answer belongs to exactly one team.
        blocks.append(
            actions(
                *(
                    button(f"Check in: {name}", f"{checkin_ids.HOME_CHECKIN}_{i}", str(team_id))
                    for i, (team_id, name) in enumerate(teams[:25])
                ),
                block_id="home_actions",
            )
        )
    for team_name, cycle_id in pending:
        blocks.append(
            section(
                f"Your weekly check-in for *{escape(team_name)}* is waiting.",
                accessory=button("Answer", checkin_ids.CHECKIN_DETAILS, str(cycle_id)),
            )
        )
    if led:
        blocks.append(divider())
        blocks.append(section("*Teams you lead*"))
        for status in led:
            rate = (
                f"{len(status.answered)}/{status.expected} answered ({status.week})"
                if status.week
                else "no week open"
            )
            if status.week and status.none_went_out and not status.expected:
                rate = f"no prompts went out this week ({status.week}); `/oneness send` sends them"
            blocks.append(section(f"*{escape(status.team_name)}*: {rate}"))
    # Before the dashboards, so that a Home cut to Slack's 100 blocks keeps it.
    blocks.extend(health_blocks(health or []))
    blocks.extend(extra or [])
    return {"type": "home", "blocks": blocks[:VIEW_BLOCKS]}


def dashboard_blocks(
    team_name: str, summary_lines: list[Block], chart_file_id: str | None
) -> list[Block]:
    """A led team's dashboard on the App Home: the latest summary and its chart."""
    blocks: list[Block] = [divider(), header(f"Dashboard · {team_name}"[:150])]
    blocks.extend(b for b in summary_lines if b.get("type") != "header")
    if chart_file_id:
        blocks.append(
            {
                "type": "image",
                "slack_file": {"id": chart_file_id},
                "alt_text": f"{team_name}: weekly mean, spread and response rate, last 8 weeks",
            }
        )
    return blocks
