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
from bot.platform.blocks import (
    MESSAGE_BLOCKS,
    MESSAGE_CHARS,
    SECTION_LIMIT,
    Block,
    Reply,
    context,
    cut_to_fit,
    divider,
    header,
    paginate,
    section,
)
from bot.platform.escape import escape
from bot.promise.rules import PromiseLine
from bot.schedule.calendar import SkipReason
from bot.summary.figures import (
    BLIND_SPOT,
    MIN_ANSWERS,
    MIN_SPREAD,
    STRAIN,
    ChannelRally,
    Comparison,
    MemberLine,
    NamedLines,
    RallyRow,
    Summary,
)
from bot.summary.status import WeekStatus

MAX_BLOCKS = MESSAGE_BLOCKS
NOTE_PREVIEW = 300
# The leads' summary is split into at most this many numbered DMs; past that, per-person lines
# lose their notes, then the rest is cut with a pointer to `export`.
MAX_LEADS_PAGES = 4
CUT_NOTE = "…cut to fit one message; `/oneness export` has every answer."
PRIVACY_FOOTNOTE = (
    f"Scores 1-10. So that nobody's score can be worked out: no figures below {MIN_ANSWERS} "
    f"answers, the spread (standard deviation) only from {MIN_SPREAD}, and never the lowest or "
    "highest score. Only those who chose “team” visibility are named."
)
_SLACK_ID = re.compile(r"[UW][A-Z0-9]{2,}")
_VISIBILITY_TAGS = {"team": "named", "anonymous": "anonymous", "leads": "leads only"}


def mention(user_id: str) -> str:
    """`<@U…>` for a Slack user id; anything else is escaped text."""
    return f"<@{user_id}>" if _SLACK_ID.fullmatch(user_id) else escape(user_id)


def too_few_text(answered: int) -> str:
    """What the channel says instead of figures when fewer than 3 answered."""
    return f"Too few answers ({answered}) to show without identifying anyone."


_SKIP_WORDS = {
    SkipReason.OFFLINE: "the bot was offline at the prompt time",
    SkipReason.SCHEDULE_CHANGED: "the schedule changed after this week's prompt time",
}


def skip_words(reason: str | None) -> str:
    """Why prompts did not go out, in words (a stored reason; offline when unknown)."""
    return _SKIP_WORDS[SkipReason(reason) if reason in _SKIP_WORDS else SkipReason.OFFLINE]


def _not_sent(count: int, reason: str | None) -> str:
    prompts = "prompt" if count == 1 else "prompts"
    return f"{count} {prompts} did not go out: {skip_words(reason)}."


def _nothing_sent(summary: Summary) -> str:
    if summary.skipped:
        return f"No prompts went out this week: {skip_words(summary.skip_reason)}."
    return "Nobody was prompted this week."


def _rate(summary: Summary) -> str:
    if summary.expected == 0:
        return _nothing_sent(summary)
    rate = f"*Answered:* {summary.answered}/{summary.expected}"
    if summary.response_rate is not None:
        rate += f" ({round(summary.response_rate * 100)}%)"
    if summary.skipped:
        rate += "\n" + _not_sent(summary.skipped, summary.skip_reason)
    return rate


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
    if summary.expected == 0:
        return []  # nobody was asked: `_rate` says so, and there is nothing to count
    if summary.too_few or summary.mean is None:
        if leads:
            return [f"Too few answers ({summary.answered}) for team figures; each one is below."]
        return [too_few_text(summary.answered)]
    spread = (
        f"±{summary.spread.stdev:.1f}"
        if summary.spread is not None
        else f"shown from {MIN_SPREAD} answers"
    )
    lines = [f"*Team mean:* {mean_text(summary)}\n*Spread:* {spread}"]
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


def _cap(blocks: list[Block], text: str = "") -> list[Block]:
    """Blocks within Slack's limits for one message with `text` (count and total size)."""
    return cut_to_fit(text, blocks, CUT_NOTE, max_blocks=MAX_BLOCKS)


def summary_text(summary: Summary) -> str:
    """Fallback text for notifications: no aggregate, no name."""
    return f"Weekly summary for {escape(summary.team_name)}, {summary.week}: {_count_text(summary)}"


def _count_text(summary: Summary) -> str:
    if summary.expected == 0:
        return _nothing_sent(summary).rstrip(".").lower()
    return f"{summary.answered}/{summary.expected} answered"


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
    blocks.append(context(PRIVACY_FOOTNOTE))
    return _cap(blocks, summary_text(summary))


def progress_blocks(summary: Summary) -> list[Block]:
    """A lead's `/oneness summary` while the week is open: progress only, no figures."""
    blocks: list[Block] = [
        header(f"The week so far · {summary.week}"),
        section(f"*{escape(summary.team_name)}*\n{_rate(summary)}"),
        section(
            "The team's figures are shared when the week closes, so that no one's score can be "
            "read from figures that move as answers arrive."
        ),
        divider(),
    ]
    rallies = summary.channel_rallies
    if rallies:
        blocks += _sections("*Open rallies*", (_channel_rally_line(r) for r in rallies))
    else:
        blocks.append(section("*Open rallies:* none to show"))
    return _cap(blocks, summary_text(summary))


def _note(note: str) -> str:
    text = note.strip()
    if len(text) > NOTE_PREVIEW:
        text = text[: NOTE_PREVIEW - 1] + "…"
    return "\n".join(f">{escape(part)}" for part in text.splitlines() if part.strip())


def _member_line(line: MemberLine, *, with_note: bool = True) -> str:
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
    note = _note(line.note) if with_note else ""
    return f"{text}\n{note}" if note else text


def _leads_rally_line(rally: RallyRow) -> str:
    owner = f"owned by {mention(rally.owner_id)}" if rally.owner_id else "no owner yet"
    tag = _VISIBILITY_TAGS.get(rally.visibility, escape(rally.visibility))
    return f"• {mention(rally.user_id)} {_ask(rally.help)} ({tag}): {owner}"


def leads_summary_text(summary: Summary, part: int = 1, parts: int = 1) -> str:
    """Fallback text for the leads' DM (numbered when it comes in several)."""
    number = f" ({part}/{parts})" if parts > 1 else ""
    return (
        f"Leads' summary for {escape(summary.team_name)}, {summary.week}{number}: "
        f"{_count_text(summary)}"
    )


def _leads_body(summary: Summary, named: NamedLines, *, notes: bool) -> list[Block]:
    """Everything the leads' summary shows after its header, in order."""
    blocks: list[Block] = [section(f"*{escape(summary.team_name)}*\n{_rate(summary)}")]
    if summary.promise is not None:
        blocks.append(section(promise_text(summary.promise)))
    blocks += [section(line) for line in _figures(summary, leads=True)]
    blocks.append(divider())
    if named.members:
        title = "*Answers* (lowest first)"
        if not notes:
            title += " · notes left out to fit; `/oneness export` has them"
        blocks += _sections(title, (_member_line(m, with_note=notes) for m in named.members))
    if named.missing:
        blocks += _sections(
            f"*Not answered ({len(named.missing)}):*",
            (mention(user_id) for user_id, _name in named.missing),
            sep=", ",
        )
    if named.skipped:
        blocks += _sections(
            f"*Not prompted ({len(named.skipped)}), {skip_words(summary.skip_reason)}:*",
            (mention(user_id) for user_id, _name in named.skipped),
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
    return blocks


# Room kept on every page for its header, its text and a closing "cut" line.
_PAGE_RESERVE = 600


def leads_summary_pages(summary: Summary, named: NamedLines) -> list[Reply]:
    """The leads' DM: the figures, each member's score and change, notes, who has not answered.

    A big team's summary does not fit one message (Slack refuses blocks past ~12,000
    characters), so it comes as numbered DMs ("1/3" …), at most MAX_LEADS_PAGES; when even
    that is too little, notes are left out, then the rest is cut and points to `export`.
    """
    chars = MESSAGE_CHARS - _PAGE_RESERVE
    pages: list[list[Block]] = []
    for notes in (True, False):
        pages = paginate(
            _leads_body(summary, named, notes=notes), chars=chars, max_blocks=MAX_BLOCKS - 2
        )
        if len(pages) <= MAX_LEADS_PAGES:
            break
    else:
        pages = pages[:MAX_LEADS_PAGES]
        pages[-1] = [*pages[-1], context(CUT_NOTE.replace("one message", "these messages"))]
    total = len(pages)
    replies: list[Reply] = []
    for number, page in enumerate(pages, start=1):
        title = f"Leads' summary · {summary.week}" + (f" ({number}/{total})" if total > 1 else "")
        text = leads_summary_text(summary, number, total)
        replies.append(Reply(text, _cap([header(title), *page], text)))
    return replies


def leads_summary_blocks(summary: Summary, named: NamedLines) -> list[Block]:
    """The first (often the only) message of the leads' summary."""
    return leads_summary_pages(summary, named)[0].blocks


def status_reply(status: WeekStatus, *, as_lead: bool) -> Reply:
    """This week: names and the live mean for leads; for members only how many have answered.

    A live mean that moves as each answer arrives gives each score away, so members see counts
    until the closing summary (docs/PRIVACY.md).
    """
    name = escape(status.team_name)
    if status.week is None:
        return Reply(
            f"{name}: no week is open.",
            [
                section(
                    f"*{name}*: no week is open right now. Prompts go out on "
                    "schedule, or a lead can `/oneness send` them now."
                )
            ],
        )
    answered, expected = len(status.answered), status.expected
    lines = [f"*{name} · {status.week}*"]
    text = f"{name}: {answered} of {expected} have answered"
    why = skip_words(status.skip_reason)
    if status.none_went_out:
        lines.append(f"No prompts went out this week: {why}.")
        if not expected:
            text = f"{name}: no prompts went out this week ({why})"
    elif status.skipped:
        lines.append(_not_sent(len(status.skipped), status.skip_reason))
    counted = bool(expected) or not status.none_went_out
    if as_lead:
        mean = f"{status.mean:.1f}" if status.mean is not None else "–"
        if counted:
            lines.append(f"Answered: *{answered}/{expected}* · live mean *{mean}* (leads only)")
        if status.answered:
            lines.append("Answered: " + ", ".join(f"<@{u}>" for u in status.answered))
        if status.missing:
            lines.append("Not yet: " + ", ".join(f"<@{u}>" for u in status.missing))
        if status.paused:
            lines.append("Paused: " + ", ".join(f"<@{u}>" for u in status.paused))
        if status.skipped:
            lines.append("Not prompted: " + ", ".join(f"<@{u}>" for u in status.skipped))
            lines.append("`/oneness send` sends the prompts that did not go out.")
    elif counted:
        lines.append(f"{answered} of {expected} have answered.")
        lines.append(
            "_The team's figures are shared in the summary when the week closes, so that no "
            "one's score can be read from them while answers arrive._"
        )
    return Reply(text=text, blocks=[section("\n".join(lines))])
