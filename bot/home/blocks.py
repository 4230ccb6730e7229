"""The App Home tab and the `me`/`status` replies."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.checkin.blocks import describe
from bot.checkin.rules import sparkline
from bot.platform import ids
from bot.platform.blocks import Block, actions, button, context, divider, header, section
from bot.platform.escape import escape
from bot.platform.replies import Reply
from bot.summary.status import WeekStatus, trend_line
from storage.models import CheckIn


def _when(at: datetime, tz: str | None) -> str:
    try:
        local = at.astimezone(ZoneInfo(tz or "UTC"))
    except (KeyError, ValueError):
        local = at
    return local.strftime("%a %d %b")


def history_lines(rows: list[CheckIn], tz: str | None) -> str:
    """One line per check-in, newest last."""
    return "\n".join(
        f"`{_when(r.created_at, tz)}` {r.kind:<6} {describe(r).splitlines()[0]}" for r in rows
    )


def me_reply(rows: list[CheckIn], tz: str | None) -> Reply:
    """My last weeks, to me only."""
    if not rows:
        return Reply(
            "No check-ins yet.",
            [
                section(
                    "You have no check-ins yet. Answer your weekly prompt, "
                    "or `/oneness checkin` now."
                )
            ],
        )
    return Reply(
        text=f"Your last {len(rows)} check-ins: {sparkline([r.score for r in rows])}",
        blocks=[
            section(f"*Your trend* (only you see this)\n{trend_line(rows)}"),
            section(history_lines(rows, tz)),
            context("Leads of your team see your scores; the channel only with “team” visibility."),
        ],
    )


def status_reply(status: WeekStatus, *, as_lead: bool) -> Reply:
    """This week: who answered (names for leads, counts for members) and the mean."""
    if status.week is None:
        return Reply(
            f"{status.team_name}: no week is open.",
            [
                section(
                    f"*{escape(status.team_name)}*: no week is open right now. Prompts go out on "
                    "schedule, or a lead can `/oneness send` them now."
                )
            ],
        )
    mean = f"{status.mean:.1f}" if status.mean is not None else "–"
    lines = [
        f"*{escape(status.team_name)} · {status.week}*",
        f"Answered: *{len(status.answered)}/{status.expected}* · team mean *{mean}*",
    ]
    if as_lead:
        if status.answered:
            lines.append("Answered: " + ", ".join(f"<@{u}>" for u in status.answered))
        if status.missing:
            lines.append("Not yet: " + ", ".join(f"<@{u}>" for u in status.missing))
        if status.paused:
            lines.append("Paused: " + ", ".join(f"<@{u}>" for u in status.paused))
    return Reply(
        text=f"{status.team_name}: {len(status.answered)}/{status.expected} answered",
        blocks=[section("\n".join(lines))],
    )


def home_view(
    *,
    rows: list[CheckIn],
    tz: str | None,
    pending: list[tuple[str, int]],
    led: list[WeekStatus],
    extra: list[Block] | None = None,
) -> dict:  # type: ignore[type-arg]
    """The App Home: my trend, a Check in now button, my pending prompt, my teams' rates."""
    blocks: list[Block] = [
        header("Oneness"),
        section("*Your last weeks* (only you see this)\n" + trend_line(rows)),
    ]
    if rows:
        blocks.append(section(history_lines(rows, tz)))
    blocks.append(
        actions(
            button("Check in now", ids.HOME_CHECKIN, "", style="primary"), block_id="home_actions"
        )
    )
    for team_name, cycle_id in pending:
        blocks.append(
            section(
                f"Your weekly check-in for *{escape(team_name)}* is waiting.",
                accessory=button("Answer", ids.CHECKIN_DETAILS, str(cycle_id)),
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
            blocks.append(section(f"*{escape(status.team_name)}*: {rate}"))
    blocks.extend(extra or [])
    return {"type": "home", "blocks": blocks[:100]}


def trend_reply(
    user_id: str, team_name: str, rows: list[CheckIn], ratings: list[Any], tz: str | None
) -> Reply:
    """A lead's view of one member's history, with customer ratings beside it."""
    blocks: list[Block] = [
        section(f"*<@{user_id}> in {escape(team_name)}* (leads only)\n{trend_line(rows)}")
    ]
    if rows:
        blocks.append(section(history_lines(rows, tz)))
    if ratings:
        lines = [
            f"`{_when(r.created_at, tz)}` customers *{r.score}/5*"
            + (f" · {escape(r.note)}" if r.note else "")
            for r in ratings[-8:]
        ]
        blocks.append(section("*Customer ratings*\n" + "\n".join(lines)))
    return Reply(text=f"{user_id}'s trend in {team_name}", blocks=blocks)


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
