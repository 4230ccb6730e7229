"""The promise in Block Kit: the lead's modal, the channel post, the weekly question, breaks and
their remedies, the page link, the App Home lines. Every text a person typed goes through
`escape()`, fallbacks included."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from bot.platform.blocks import (
    Block,
    Reply,
    actions,
    button,
    context,
    input_block,
    modal,
    option,
    section,
)
from bot.platform.escape import escape
from bot.promise import ids
from bot.promise.rules import (
    MUST_LIMIT,
    NOTE_LIMIT,
    PLEDGE_LIMIT,
    REMEDY_LIMIT,
    REMEDY_WINDOWS,
    TIMES_MAX,
    WHAT_LIMIT,
    Draft,
    Record,
    check_answer,
    check_break,
    check_draft,
    clean,
    window_text,
)
from storage.kinds import BreakSource, BreakStatus

QUESTION = "Did we keep our promise this week?"
FIELD_BLOCKS = {
    "pledge": ids.P_PLEDGE,
    "customer_must": ids.P_MUST,
    "remedy": ids.P_REMEDY,
    "remedy_hours": ids.P_HOURS,
}


@dataclass(frozen=True)
class PromiseView:
    """A promise as the builders show it."""

    team_name: str
    pledge: str
    customer_must: str
    remedy: str
    remedy_hours: int
    set_by: str
    created_at: datetime


def when(at: datetime) -> str:
    """A moment each reader sees in their own zone (Slack's date token), UTC as the fallback."""
    fallback = at.astimezone(UTC).strftime("%a %d %b %H:%M UTC")
    return f"<!date^{int(at.timestamp())}^{{date_short_pretty}} at {{time}}|{fallback}>"


def _by(user_id: str) -> str:
    """Who set the promise; nobody named once they asked to be forgotten."""
    return f"<@{user_id}>" if user_id else "a former lead"


def _quote(text: str) -> str:
    return "\n".join(f"> {escape(line)}" if line.strip() else ">" for line in text.splitlines())


def _terms(view: PromiseView) -> str:
    return (
        f"{_quote(view.pledge)}\n"
        f"*For it to apply, the customer:* {escape(view.customer_must)}\n"
        f"*When we break it:* {escape(view.remedy)}, within {window_text(view.remedy_hours)}."
    )


# the lead's modal


def _text_input(action_id: str, limit: int, initial: str | None, *, multiline: bool) -> Block:
    element: Block = {
        "type": "plain_text_input",
        "action_id": action_id,
        "multiline": multiline,
        "max_length": limit,
    }
    if initial:
        element["initial_value"] = initial[:limit]
    return element


def _or_none(view: PromiseView | None, name: str) -> str | None:
    return None if view is None else str(getattr(view, name))


def promise_modal(team_id: int, team_name: str, current: PromiseView | None) -> Block:
    """The lead's form, prefilled with the promise in force."""
    hours = current.remedy_hours if current else 24
    select: Block = {
        "type": "static_select",
        "action_id": ids.P_HOURS,
        "options": [option(window_text(h), str(h)) for h in REMEDY_WINDOWS],
        "initial_option": option(window_text(hours), str(hours)),
    }
    return modal(
        ids.PROMISE_VIEW,
        "Our promise",
        [
            section(
                f"*{escape(team_name)}*: what can your customers count on? Saving posts it in "
                "the team channel and, when the promise page is on, shows it there. A change "
                "starts a new record; the old one is kept."
            ),
            input_block(
                ids.P_PLEDGE,
                "What customers can count on",
                _text_input(
                    ids.P_PLEDGE, PLEDGE_LIMIT, _or_none(current, "pledge"), multiline=True
                ),
                hint="Specific and checkable: “A reply to every ticket within one working day.”",
            ),
            input_block(
                ids.P_MUST,
                "What the customer must do for it to apply",
                _text_input(
                    ids.P_MUST, MUST_LIMIT, _or_none(current, "customer_must"), multiline=True
                ),
            ),
            input_block(
                ids.P_REMEDY,
                "When we break it, what we do",
                _text_input(
                    ids.P_REMEDY, REMEDY_LIMIT, _or_none(current, "remedy"), multiline=True
                ),
            ),
            input_block(ids.P_HOURS, "Within", select),
        ],
        submit="Save",
        private_metadata=json.dumps({"team": team_id}),
    )


def _value(state: Mapping[str, Any], block_id: str) -> str:
    value = ((state.get(block_id) or {}).get(block_id) or {}).get("value")
    return clean(value) if isinstance(value, str) else ""


def _selected(state: Mapping[str, Any], block_id: str) -> str:
    chosen = ((state.get(block_id) or {}).get(block_id) or {}).get("selected_option")
    if isinstance(chosen, dict) and isinstance(chosen.get("value"), str):
        return str(chosen["value"])
    return ""


def read_promise(state: Mapping[str, Any]) -> Draft | dict[str, str]:
    """The submitted promise, or errors by block_id."""
    hours = _selected(state, ids.P_HOURS)
    draft = Draft(
        pledge=_value(state, ids.P_PLEDGE),
        customer_must=_value(state, ids.P_MUST),
        remedy=_value(state, ids.P_REMEDY),
        remedy_hours=int(hours) if hours.isdigit() else 0,
    )
    errors = check_draft(draft)
    if errors:
        return {FIELD_BLOCKS[name]: message for name, message in errors.items()}
    return draft


def team_of(view: Mapping[str, Any]) -> int | None:
    """The team id a promise or report modal was opened for."""
    try:
        team = json.loads(view.get("private_metadata") or "").get("team")
    except (ValueError, AttributeError):
        return None
    return team if isinstance(team, int) else None


def promise_posted(view: PromiseView, *, changed: bool) -> Reply:
    """The channel post when a lead sets or changes the promise."""
    title = "Our promise to customers has changed" if changed else "Our promise to customers"
    text = f"{title} · {escape(view.team_name)}"
    return Reply(
        text=text,
        blocks=[
            section(f":handshake: *{title}* · {escape(view.team_name)}\n{_terms(view)}"),
            context(
                f"Set by {_by(view.set_by)}. Each week's check-in asks whether we kept it; "
                "report a break any day with `/oneness broke <what happened>`."
            ),
        ],
    )


def promise_reply(
    view: PromiseView | None,
    *,
    team_name: str,
    record: Record | None,
    earlier: list[tuple[str, datetime]],
    link: str | None,
) -> Reply:
    """`/oneness promise` for those who do not lead the team: the promise, its record, and
    the words it had before (newest first, with when they were replaced)."""
    if view is None:
        text = (
            f"{escape(team_name)} has no promise to customers yet. "
            "A lead sets it with `/oneness promise`."
        )
        return Reply(text=text, blocks=[section(text)])
    blocks: list[Block] = [
        section(f"*Our promise to customers* · {escape(team_name)}\n{_terms(view)}")
    ]
    if record is not None:
        blocks.append(section(record_text(record)))
    if earlier:
        lines = [f"• “{escape(pledge)}” (until {when(until)})" for pledge, until in earlier[:3]]
        more = len(earlier) - 3
        if more > 0:
            lines.append(f"• and {more} earlier version{'s' if more != 1 else ''}")
        blocks.append(section("*Before:*\n" + "\n".join(lines)))
    notes = [f"Set by {_by(view.set_by)} on {when(view.created_at)}."]
    if link:
        notes.append(f"Public page: {link}")
    blocks.append(context(" ".join(notes)))
    return Reply(text=f"{escape(team_name)}'s promise to customers", blocks=blocks)


def record_text(record: Record) -> str:
    """The record in one paragraph: weeks kept, breaks by source, remedies on time."""
    counted = record.kept_weeks + record.broken_weeks
    lines = [
        f"*The last {len(record.weeks)} weeks:* kept {record.kept_weeks} of {counted} weeks "
        f"with answers · breaks reported by the team {record.team_breaks}, "
        f"by customers {record.customer_breaks}"
    ]
    share = record.on_time_percent
    if share is None:
        lines.append("*Remedies on time:* none due yet")
    else:
        lines.append(f"*Remedies on time:* {share}% ({record.on_time} of {record.decided})")
    return "\n".join(lines)


# the weekly question


@dataclass(frozen=True)
class PromiseAsk:
    """The prompt's promise question: the week, the promise, the member's answer if any."""

    cycle_id: int
    pledge: str
    kept: bool | None = None
    times: int = 0
    open_: bool = True


def ask_blocks(ask: PromiseAsk) -> list[Block]:
    """ "Did we keep our promise this week?" with Kept / Broken, or the answer given."""
    if ask.kept is None:
        line = f"*{QUESTION}*\n{_quote(ask.pledge)}"
    elif ask.kept:
        line = "*Our promise this week:* you said :white_check_mark: *kept*."
    else:
        times = f"{ask.times} time{'s' if ask.times != 1 else ''}"
        line = f"*Our promise this week:* you said :x: *broken* ({times})."
    blocks: list[Block] = [section(line, block_id="promise_ask")]
    if ask.open_:
        blocks.append(
            actions(
                button("Kept", ids.KEPT, str(ask.cycle_id), style="primary"),
                button("Broken", ids.BROKEN, str(ask.cycle_id), style="danger"),
                block_id="promise_answer",
            )
        )
    return blocks


def broken_modal(cycle_id: int, team_name: str) -> Block:
    """How many times the promise was broken this week, and a short note."""
    times: Block = {
        "type": "static_select",
        "action_id": ids.B_TIMES,
        "options": [
            option(str(n) if n < TIMES_MAX else f"{TIMES_MAX} or more", str(n))
            for n in range(1, TIMES_MAX + 1)
        ],
        "initial_option": option("1", "1"),
    }
    return modal(
        ids.BROKEN_VIEW,
        "Promise broken",
        [
            section(f"*{escape(team_name)}*: how often did we break our promise this week?"),
            input_block(ids.B_TIMES, "How many times", times),
            input_block(
                ids.B_NOTE,
                "What happened (short)",
                _text_input(ids.B_NOTE, NOTE_LIMIT, None, multiline=False),
                optional=True,
            ),
            context(
                "So that someone owns each remedy, also report a break the team has not heard "
                "of with `/oneness broke <what happened>`."
            ),
        ],
        submit="Save",
        private_metadata=json.dumps({"cycle": cycle_id}),
    )


def read_broken(state: Mapping[str, Any]) -> tuple[int, str] | dict[str, str]:
    """(times, note) from the Broken modal, or errors by block_id."""
    raw = _selected(state, ids.B_TIMES)
    times = int(raw) if raw.isdigit() else 0
    note = _value(state, ids.B_NOTE)
    errors = check_answer(times, note)
    if errors:
        blocks = {"times": ids.B_TIMES, "note": ids.B_NOTE}
        return {blocks[name]: message for name, message in errors.items()}
    return times, note


def cycle_of(view: Mapping[str, Any]) -> int | None:
    """The week a Broken modal answers."""
    try:
        cycle = json.loads(view.get("private_metadata") or "").get("cycle")
    except (ValueError, AttributeError):
        return None
    return cycle if isinstance(cycle, int) else None


# reporting a break from a message


def report_modal(what: str, teams: list[tuple[int, str]], team_id: int | None) -> Block:
    """The shortcut's form: the message's words to edit, and the team when it is not clear."""
    blocks: list[Block] = [
        section(
            "*Report a broken promise.* It is posted in the team channel, where someone owns "
            "the remedy until it lands. Edit out anything that should not be shared there."
        ),
        input_block(
            ids.R_WHAT,
            "What happened",
            _text_input(ids.R_WHAT, WHAT_LIMIT, what, multiline=True),
        ),
    ]
    if team_id is None:
        blocks.append(
            input_block(
                ids.R_TEAM,
                "Which team's promise",
                {
                    "type": "static_select",
                    "action_id": ids.R_TEAM,
                    "options": [option(name, str(tid)) for tid, name in teams[:100]],
                },
            )
        )
    return modal(
        ids.REPORT_VIEW,
        "Broken promise",
        blocks,
        submit="Report",
        private_metadata=json.dumps({"team": team_id}),
    )


def read_report(
    state: Mapping[str, Any], view: Mapping[str, Any]
) -> tuple[int, str] | dict[str, str]:
    """(team id, what happened) from the shortcut's form, or errors by block_id."""
    what = _value(state, ids.R_WHAT)
    problem = check_break(what).get("what")
    errors = {ids.R_WHAT: problem} if problem else {}
    team_id = team_of(view)
    if team_id is None:
        chosen = _selected(state, ids.R_TEAM)
        if chosen.isdigit():
            team_id = int(chosen)
        else:
            errors[ids.R_TEAM] = "Pick the team whose promise was broken."
    if errors or team_id is None:
        return errors
    return team_id, what


# breaks


@dataclass(frozen=True)
class BreakCard:
    """A break as its messages show it."""

    break_id: int
    team_name: str
    source: str
    reported_by: str | None
    what: str
    remedy: str
    remedy_hours: int
    due_at: datetime
    owner_id: str | None
    status: str
    closed_at: datetime | None
    contact: str | None = None


def _reporter(card: BreakCard) -> str:
    if card.source == BreakSource.CUSTOMER:
        return "by a customer on the promise page"
    return f"by <@{card.reported_by}>" if card.reported_by else "by a teammate"


def _remedy(card: BreakCard) -> str:
    return f"*Remedy:* {escape(card.remedy)} · due {when(card.due_at)}"


def _closed_line(card: BreakCard) -> str:
    by = f" by <@{card.owner_id}>" if card.owner_id else ""
    if card.status == BreakStatus.DELIVERED:
        late = card.closed_at is not None and card.closed_at > card.due_at
        return (
            f":hourglass: Remedy delivered{by}, after its deadline."
            if late
            else f":white_check_mark: Remedy delivered{by}, on time."
        )
    return f":x: Remedy missed{by}."


def break_text(card: BreakCard) -> str:
    """The words of the channel post (never the customer's contact)."""
    return (
        f":broken_heart: *Broken promise* · {escape(card.team_name)}, reported {_reporter(card)}\n"
        f"{_quote(card.what)}\n{_remedy(card)}"
    )


def break_message(card: BreakCard) -> Reply:
    """The channel post: the break, the remedy, who owns it, and I'll own the remedy."""
    blocks: list[Block] = [section(break_text(card), block_id="break")]
    if card.status == BreakStatus.OPEN:
        owner = f"owned by <@{card.owner_id}>" if card.owner_id else "no owner yet"
        blocks.append(context(owner))
        if card.owner_id is None:
            blocks.append(
                actions(
                    button("I'll own the remedy", ids.OWN, str(card.break_id), style="primary"),
                    block_id="break_actions",
                )
            )
    else:
        blocks.append(context(_closed_line(card)))
    return Reply(text=f"Broken promise in {escape(card.team_name)}", blocks=blocks)


def _close_buttons(card: BreakCard, block_id: str) -> Block:
    return actions(
        button("Delivered", ids.DELIVERED, str(card.break_id), style="primary"),
        button("Missed", ids.MISSED, str(card.break_id)),
        block_id=block_id,
    )


def owner_message(card: BreakCard) -> Reply:
    """The owner's DM: what happened, the remedy and its deadline, Delivered / Missed."""
    return Reply(
        text=f"You own the remedy of a broken promise in {escape(card.team_name)}.",
        blocks=[
            section(
                f":handshake: You own this remedy until it lands · {escape(card.team_name)}\n"
                f"{_quote(card.what)}\n{_remedy(card)}"
            ),
            context("I'll remind you before the deadline. Close it when it lands, or if it won't."),
            _close_buttons(card, "owner_actions"),
        ],
    )


def reminder_message(card: BreakCard) -> Reply:
    """The owner's reminder before the deadline."""
    text = (
        f":alarm_clock: The remedy you own in *{escape(card.team_name)}* is due "
        f"{when(card.due_at)}."
    )
    return Reply(
        text=f"A remedy you own in {escape(card.team_name)} is due soon.",
        blocks=[section(f"{text}\n{_quote(card.what)}"), _close_buttons(card, "reminder_actions")],
    )


def due_message(card: BreakCard) -> Reply:
    """At the deadline: did the remedy land? (to the owner, or to the leads when nobody owns it)"""
    who = "" if card.owner_id else " Nobody owns it."
    text = (
        f":hourglass: The remedy of a broken promise in *{escape(card.team_name)}* is due now."
        f"{who} Did it land?"
    )
    elements = [] if card.owner_id else [button("I'll own the remedy", ids.OWN, str(card.break_id))]
    buttons = _close_buttons(card, "due_actions")
    buttons["elements"] = [*elements, *buttons["elements"]]
    return Reply(
        text=f"A remedy in {escape(card.team_name)} is due now.",
        blocks=[section(f"{text}\n{_quote(card.what)}"), buttons],
    )


def escalation_message(card: BreakCard) -> Reply:
    """The leads' DM when nobody owns a break 4 hours after it was reported."""
    text = (
        f":bell: Nobody has owned the remedy of a broken promise in *{escape(card.team_name)}* "
        f"for 4 hours (reported {_reporter(card)})."
    )
    return Reply(
        text=f"Nobody owns a broken promise in {escape(card.team_name)}.",
        blocks=[
            section(f"{text}\n{_quote(card.what)}\n{_remedy(card)}"),
            actions(
                button("I'll own the remedy", ids.OWN, str(card.break_id), style="primary"),
                block_id="escalation_actions",
            ),
        ],
    )


def leads_report_message(card: BreakCard) -> Reply:
    """The leads' DM for a customer's break: the customer's contact, seen by leads only."""
    contact = (
        f"*Contact (leads only):* {escape(card.contact)}"
        if card.contact
        else "*Contact:* none given"
    )
    return Reply(
        text=f"A customer reported a broken promise in {escape(card.team_name)}.",
        blocks=[
            section(
                f":lock: *Leads only* · a customer reported a broken promise in "
                f"*{escape(card.team_name)}* on the promise page.\n{_quote(card.what)}\n{contact}"
            ),
            context(
                "The channel post carries no contact details. `/oneness forget contact …` "
                "removes them when the customer asks."
            ),
        ],
    )


def reported_reply(channel_id: str) -> str:
    """What the reporter is told."""
    return (
        f"Thanks for saying so. It's posted in <#{channel_id}>, where someone can own the "
        "remedy; the leads hear of it if nobody does within 4 hours."
    )


# the page


def page_reply(team_name: str, link: str, *, enabled: bool, rotated: bool = False) -> Reply:
    """What `/oneness promise page …` answers: the page's state and its link."""
    if not enabled:
        text = (
            f"{escape(team_name)}'s promise page is *off*: its link shows nothing. "
            "`/oneness promise page on` switches it on again with the same link."
        )
        if rotated:
            text += " The link was replaced; the old one no longer works."
        return Reply(text=text, blocks=[section(text)])
    text = f"{escape(team_name)}'s promise page is *on*: {link}"
    if rotated:
        text += "\nThe old link no longer works."
    return Reply(
        text=text,
        blocks=[
            section(text),
            context(
                "Anyone with the link sees the promise and its record (no names, no scores), can "
                "report a break and rate the team. `/oneness promise page rotate` replaces the "
                "link; `off` hides the page."
            ),
        ],
    )


# the App Home


def home_blocks(views: list[PromiseView], owned: list[BreakCard]) -> list[Block]:
    """My teams' promises, and the remedies I own with their buttons."""
    blocks: list[Block] = []
    for view in views[:5]:
        blocks.append(section(f"*Our promise* · {escape(view.team_name)}\n{_terms(view)}"))
    if owned:
        blocks.append(section("*Remedies you own*"))
        for card in owned[:10]:
            blocks.append(
                section(
                    f"{escape(card.team_name)}: {escape(card.what[:200])}\n"
                    f"_due {when(card.due_at)}_",
                    accessory=button("Delivered", ids.DELIVERED, str(card.break_id)),
                )
            )
    return blocks
