"""The weekly summary in Block Kit: the channel's version and the leads' named version.

The channel version names only members whose rally is "team" visibility, says "a teammate"
for anonymous rallies (the owner is then not named either, only whether there is one), and
leaves leads-only rallies out entirely. When too few answered it shows no aggregate at all.
Every text a user wrote (team name, names, notes) goes through `escape()`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from bot.checkin.rules import HELP_LABELS
from bot.platform.blocks import SECTION_LIMIT, Block, Reply, context, divider, header, section
from bot.platform.escape import escape
from bot.promise.rules import PromiseLine
from bot.summary.figures import (
    BLIND_SPOT,
    STRAIN,
    ChannelRally,
    Comparison,
    MemberLine,
    NamedLines,
    RallyRow,
    Summary,
)
from bot.summary.status import WeekStatus

MAX_BLOCKS = 50
NOTE_PREVIEW = 300
_SLACK_ID = re.compile(r"[UW][A-Z0-9]{2,}")
_VISIBILITY_TAGS = {"team": "named", "anonymous": "anonymous", "leads": "leads only"}


def mention(user_id: str) -> str:
    """`<@U…>` for a Slack user id; anything else is escaped text."""
    return f"<@{user_id}>" if _SLACK_ID.fullmatch(user_id) else escape(user_id)


def too_few_text(answered: int) -> str:
    """What the channel says instead of figures when fewer than 3 answered."""
    return f"Too few answers ({answered}) to show without identifying anyone."


def _rate(summary: Summary) -> str:
    if summary.response_rate is None:
        return f"*Answered:* {summary.answered}/{summary.expected}"
    return (
        f"*Answered:* {summary.answered}/{summary.expected} ({round(summary.response_rate * 100)}%)"
    )


def _signed(change: float, digits: int = 1) -> str:
    if change > 0:
        return f"▲{change:.{digits}f}"
    if change < 0:
        return f"▼{-change:.{digits}f}"
    return "no change"


def mean_text(summary: Summary) -> str:
    """`6.4 (▲0.3 from last week)`, or why there is no comparison; "" when too few."""
    if summary.mean is None:
        return ""
    text = f"{summary.mean:.1f}"
    if summary.mean_change is not None:
        change = _signed(summary.mean_change)
        return f"{text} ({change} from last week)"
    if len(summary.trend) >= 2 and summary.trend[-2].too_few:
        return f"{text} (last week had too few answers to compare)"
    return f"{text} (no earlier week to compare)"


def _help_label(kind: str) -> str:
    return HELP_LABELS.get(kind, escape(kind))


def _ask(kind: str) -> str:
    if kind == "none":
        return "is having a rough week"
    return f"asked for {_help_label(kind).lower()}"


def _comparison_text(comparison: Comparison, who: str) -> str:
    line = (
        f"{who}: self {comparison.self_score:.1f} · customers {comparison.customer_score:.1f} "
        f"({comparison.ratings} rating{'s' if comparison.ratings != 1 else ''}, "
        f"{comparison.window}) · gap {comparison.gap:+.1f}"
    )
    if comparison.verdict == BLIND_SPOT:
        return f"{line}: :eyes: *blind spot*: rated higher by self than by customers"
    if comparison.verdict == STRAIN:
        return f"{line}: :warning: *strain*: rated lower by self than by customers"
    return f"{line}: in line"


def _figures(summary: Summary, *, leads: bool = False) -> list[str]:
    """Mean, spread, help counts, self vs customer: only ever when enough answered."""
    if summary.too_few or summary.mean is None or summary.spread is None:
        if leads:
            return [f"Too few answers ({summary.answered}) for team figures; each one is below."]
        return [too_few_text(summary.answered)]
    spread = summary.spread
    lines = [
        f"*Team mean:* {mean_text(summary)}\n"
        f"*Spread:* ±{spread.stdev:.1f} (lowest {spread.low}, highest {spread.high})"
    ]
    if summary.help_counts:
        asked = " · ".join(f"{_help_label(k)} ({n})" for k, n in summary.help_counts)
        lines.append(f"*Help asked for most:* {asked}")
    else:
        lines.append("*Help asked for:* none this week")
    comparisons = [
        _comparison_text(comparison, who)
        for comparison, who in (
            (summary.self_vs_customer, "Team, ratings logged by leads"),
            (summary.self_vs_page, "Team, ratings customers gave on the promise page"),
        )
        if comparison is not None
    ]
    if comparisons:
        lines.append(
            "*Self vs customers* (1-5 scale; a self score counts half):\n" + "\n".join(comparisons)
        )
    return lines


def promise_text(line: PromiseLine) -> str:
    """The promise at the top of a summary: its words, this week's answers and breaks, and
    remedies on time. The share of "kept" answers only from 3 answers (as every aggregate)."""
    week = line.week
    if line.kept_percent is not None:
        kept = f"{week.kept} of {week.answers} answers ({line.kept_percent}%)"
    elif week.answers:
        kept = f"too few answers ({week.answers}) to show"
    else:
        kept = "no answers"
    on_time = (
        f"{line.on_time} of {line.decided} ({line.on_time_percent}%)"
        if line.on_time_percent is not None
        else "none due yet"
    )
    return (
        f"*Our promise:* “{escape(line.pledge)}”\n"
        f"*Kept this week:* {kept}\n"
        f"*Breaks this week:* {week.team_breaks} reported by the team · "
        f"{week.customer_breaks} by customers\n"
        f"*Remedies on time* (last {line.record_weeks} weeks): {on_time}"
    )


def _channel_rally_line(rally: ChannelRally) -> str:
    if rally.visibility == "team" and rally.user_id is not None:
        owner = f"owned by {mention(rally.owner_id)}" if rally.owner_id else "no owner yet"
        return f"• {mention(rally.user_id)} {_ask(rally.help)}: {owner}"
    owner = "someone owns it" if rally.has_owner else "no owner yet"
    return f"• A teammate {_ask(rally.help)}: {owner}"


def _sections(title: str, lines: Iterable[str], sep: str = "\n") -> list[Block]:
    """Lines packed into as few sections as fit Slack's section limit, the title on the first."""
    blocks: list[Block] = []
    current = title
    first = True
    for line in lines:
        joiner = "\n" if first else sep
        first = False
        candidate = f"{current}{joiner}{line}" if current else line
        if len(candidate) > SECTION_LIMIT and current:
            blocks.append(section(current))
            current = line
        else:
            current = candidate
    if current:
        blocks.append(section(current))
    return blocks


def _cap(blocks: list[Block]) -> list[Block]:
    if len(blocks) <= MAX_BLOCKS:
        return blocks
    kept = blocks[: MAX_BLOCKS - 1]
    return [*kept, context("…cut to fit one message; `/oneness export` has every answer.")]


def summary_text(summary: Summary) -> str:
    """Fallback text for notifications: no aggregate, no name."""
    return (
        f"Weekly summary for {escape(summary.team_name)}, {summary.week}: "
        f"{summary.answered}/{summary.expected} answered"
    )


def summary_blocks(summary: Summary) -> list[Block]:
    """The channel's summary: safe to show everyone on the team."""
    blocks: list[Block] = [
        header(f"Weekly summary · {summary.week}"),
        section(f"*{escape(summary.team_name)}*\n{_rate(summary)}"),
    ]
    if summary.promise is not None:
        blocks.append(section(promise_text(summary.promise)))
    blocks += [section(line) for line in _figures(summary)]
    blocks.append(divider())
    rallies = summary.channel_rallies
    if rallies:
        blocks += _sections("*Open rallies*", (_channel_rally_line(r) for r in rallies))
    else:
        blocks.append(section("*Open rallies:* none to show"))
    blocks.append(
        context(
            "Scores 1-10; the spread is the standard deviation. "
            "Only those who chose “team” visibility are named."
        )
    )
    return _cap(blocks)


def _note(note: str) -> str:
    text = note.strip()
    if len(text) > NOTE_PREVIEW:
        text = text[: NOTE_PREVIEW - 1] + "…"
    return "\n".join(f">{escape(part)}" for part in text.splitlines() if part.strip())


def _member_line(line: MemberLine) -> str:
    change = ""
    if line.change is not None:
        change = f" {_signed(line.change, 0)} from {line.previous_week}"
    else:
        change = " (first answer)"
    parts = [f"• {mention(line.user_id)} *{line.score}*{change}"]
    if line.help != "none":
        parts.append(f"wants {_help_label(line.help).lower()}")
    parts.append(_VISIBILITY_TAGS.get(line.visibility, escape(line.visibility)))
    text = " · ".join(parts)
    note = _note(line.note)
    return f"{text}\n{note}" if note else text


def _leads_rally_line(rally: RallyRow) -> str:
    owner = f"owned by {mention(rally.owner_id)}" if rally.owner_id else "no owner yet"
    tag = _VISIBILITY_TAGS.get(rally.visibility, escape(rally.visibility))
    return f"• {mention(rally.user_id)} {_ask(rally.help)} ({tag}): {owner}"


def leads_summary_text(summary: Summary) -> str:
    """Fallback text for the leads' DM."""
    return (
        f"Leads' summary for {escape(summary.team_name)}, {summary.week}: "
        f"{summary.answered}/{summary.expected} answered"
    )


def leads_summary_blocks(summary: Summary, named: NamedLines) -> list[Block]:
    """The leads' DM: the figures, each member's score and change, notes, who has not answered."""
    blocks: list[Block] = [
        header(f"Leads' summary · {summary.week}"),
        section(f"*{escape(summary.team_name)}*\n{_rate(summary)}"),
    ]
    if summary.promise is not None:
        blocks.append(section(promise_text(summary.promise)))
    blocks += [section(line) for line in _figures(summary, leads=True)]
    blocks.append(divider())
    if named.members:
        blocks += _sections("*Answers* (lowest first)", (_member_line(m) for m in named.members))
    if named.missing:
        blocks += _sections(
            f"*Not answered ({len(named.missing)}):*",
            (mention(user_id) for user_id, _name in named.missing),
            sep=", ",
        )
    if summary.rallies:
        blocks += _sections("*Open rallies*", (_leads_rally_line(r) for r in summary.rallies))
    if summary.member_comparisons:
        blocks += _sections(
            "*Self vs customers by member* (1-5 scale)",
            (
                f"• {_comparison_text(c, mention(c.user_id or ''))}"
                for c in summary.member_comparisons
            ),
        )
    blocks.append(context("Only you and the other leads see this message."))
    return _cap(blocks)


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
