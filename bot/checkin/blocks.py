"""The weekly prompt, the reminder, the recorded answer and the check-in modal."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.checkin import ids
from bot.checkin.history import trend_line
from bot.checkin.rules import (
    HELP_KINDS,
    HELP_LABELS,
    NOTE_LIMIT,
    VISIBILITY_LABELS,
    Answer,
    sparkline,
)
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
from bot.platform.respond import Via
from bot.platform.text import strip_nul
from bot.promise.blocks import PromiseAsk, ask_blocks
from storage.models import CheckIn

QUESTION = (
    "How one were you with your work and your customers this week? "
    "*1* = lots of discord, *10* = fully in tune."
)


def score_rows(cycle_id: int) -> list[Block]:
    """Ten score buttons in two rows of five."""
    return [
        actions(
            *(
                button(str(s), f"{ids.SCORE_PREFIX}{s}", f"{cycle_id}:{s}")
                for s in range(lo, lo + 5)
            ),
            block_id=f"scores_{lo}",
        )
        for lo in (1, 6)
    ]


def prompt_message(
    *, team_name: str, cycle_id: int, week: str, promise: PromiseAsk | None = None
) -> Reply:
    """The weekly check-in DM; with `promise`, also "Did we keep our promise this week?"."""
    return Reply(
        text=f"Weekly check-in for {escape(team_name)}: how one were you this week? Reply 1-10.",
        blocks=[
            section(f"*Weekly check-in · {escape(team_name)} · {week}*\n{QUESTION}"),
            *score_rows(cycle_id),
            actions(button("Add details", ids.CHECKIN_DETAILS, str(cycle_id)), block_id="details"),
            context(
                "Or reply here with a number and a note, like `6 rough week, need a specialist`."
            ),
            *(ask_blocks(promise) if promise else []),
        ],
    )


def reminder_message(*, team_name: str, cycle_id: int) -> Reply:
    """The one reminder to those who have not answered."""
    return Reply(
        text=f"A gentle reminder: {escape(team_name)}'s check-in is still open.",
        blocks=[
            section(
                f"A gentle reminder: *{escape(team_name)}*'s check-in is still open. "
                "It takes under 30 seconds."
            ),
            *score_rows(cycle_id),
            actions(button("Add details", ids.CHECKIN_DETAILS, str(cycle_id)), block_id="details"),
        ],
    )


def describe(answer: Answer | Any) -> str:
    """One line of an answer as its author sees it."""
    parts = [f"*{answer.score}/10*"]
    if answer.deliverables is not None:
        parts.append(f"deliverables {answer.deliverables}")
    if answer.customers is not None:
        parts.append(f"customers {answer.customers}")
    if answer.help and answer.help != "none":
        parts.append(f"help: {HELP_LABELS[answer.help].lower()}")
    line = " · ".join(parts)
    if answer.note:
        line += f"\n> {escape(answer.note)}"
    return line


def recorded_message(
    *,
    team_name: str,
    week: str,
    cycle_id: int,
    answer: Any,
    open_: bool,
    promise: PromiseAsk | None = None,
) -> Reply:
    """The prompt after it was answered: the answer, Edit while the week is open, and the
    promise question (or its answer) when the team has a promise."""
    blocks: list[Block] = [
        section(
            f"*Weekly check-in · {escape(team_name)} · {week}*\n:white_check_mark: "
            f"Recorded {describe(answer)}"
        ),
        context(f"Shared as: {VISIBILITY_LABELS[answer.visibility]}"),
    ]
    if open_:
        blocks.append(actions(button("Edit", ids.CHECKIN_EDIT, str(cycle_id)), block_id="edit"))
    if promise is not None:
        blocks += ask_blocks(promise)
    return Reply(text=f"Recorded {answer.score}/10 for {escape(team_name)}, {week}.", blocks=blocks)


def _score_select(block_id: str, label: str, initial: int | None, optional: bool) -> Block:
    element: Block = {
        "type": "static_select",
        "action_id": block_id,
        "options": [option(str(s), str(s)) for s in range(1, 11)],
    }
    if initial is not None:
        element["initial_option"] = option(str(initial), str(initial))
    return input_block(block_id, label, element, optional=optional)


def _radio(block_id: str, label: str, labels: dict[str, str], initial: str) -> Block:
    return input_block(
        block_id,
        label,
        {
            "type": "radio_buttons",
            "action_id": block_id,
            "options": [option(text, value) for value, text in labels.items()],
            "initial_option": option(labels[initial], initial),
        },
    )


@dataclass(frozen=True)
class CheckinContext:
    """What the modal is answering: a team, and a cycle for a weekly answer (None: a pulse)."""

    team_id: int
    cycle_id: int | None
    edit: bool = False
    # The response_url of the click that opened the form ("Add details", "Edit") and the prompt
    # it replaces: the submit confirms through it instead of a rate-limited chat.update.
    via: Via | None = None

    def dump(self) -> str:
        """As private_metadata."""
        data: dict[str, Any] = {"team": self.team_id, "cycle": self.cycle_id, "edit": self.edit}
        if self.via is not None:
            data["via"] = [self.via.url, self.via.message_ts]
        return json.dumps(data)

    @staticmethod
    def load(text: str) -> CheckinContext | None:
        """From private_metadata; None when it is not ours."""
        try:
            data = json.loads(text or "")
            cycle = data.get("cycle")
            via = data.get("via")
            return CheckinContext(
                int(data["team"]),
                int(cycle) if cycle is not None else None,
                bool(data.get("edit")),
                Via(str(via[0]), str(via[1])) if via else None,
            )
        except (ValueError, KeyError, TypeError, AttributeError, IndexError):
            return None


def checkin_modal(
    ctx: CheckinContext, *, team_name: str, default_visibility: str, current: Any | None = None
) -> Block:
    """The check-in form, prefilled with the current answer when editing."""
    title = "Edit check-in" if ctx.edit else ("Weekly check-in" if ctx.cycle_id else "Check in now")
    note_element: Block = {
        "type": "plain_text_input",
        "action_id": ids.CI_NOTE,
        "multiline": True,
        "max_length": NOTE_LIMIT,
    }
    if current is not None and current.note:
        note_element["initial_value"] = current.note
    return modal(
        ids.CHECKIN_VIEW,
        title,
        [
            section(f"*{escape(team_name)}*: how one were you with your work and customers?"),
            _score_select(
                ids.CI_SCORE, "Overall (1-10)", current.score if current else None, False
            ),
            _score_select(
                ids.CI_DELIVERABLES,
                "Deliverables (1-10)",
                current.deliverables if current else None,
                True,
            ),
            _score_select(
                ids.CI_CUSTOMERS,
                "Customer interactions (1-10)",
                current.customers if current else None,
                True,
            ),
            input_block(ids.CI_NOTE, "What is causing discord?", note_element, optional=True),
            _radio(ids.CI_HELP, "Help wanted", HELP_LABELS, current.help if current else "none"),
            _radio(
                ids.CI_VISIBILITY,
                "Who may see this",
                VISIBILITY_LABELS,
                current.visibility if current else default_visibility,
            ),
        ],
        submit="Save",
        private_metadata=ctx.dump(),
    )


def _selected(state: dict[str, Any], block_id: str) -> str | None:
    value = (state.get(block_id) or {}).get(block_id) or {}
    chosen = value.get("selected_option")
    if isinstance(chosen, dict) and isinstance(chosen.get("value"), str):
        return str(chosen["value"])
    return None


def read_checkin(state: dict[str, Any]) -> Answer | dict[str, str]:
    """The submitted answer, or errors by block_id."""
    errors: dict[str, str] = {}

    def score(block_id: str, required: bool) -> int | None:
        raw = _selected(state, block_id)
        if raw is None:
            if required:
                errors[block_id] = "Pick a score from 1 to 10."
            return None
        if not raw.isdigit() or not 1 <= int(raw) <= 10:
            errors[block_id] = "Scores go from 1 to 10."
            return None
        return int(raw)

    overall = score(ids.CI_SCORE, True)
    deliverables = score(ids.CI_DELIVERABLES, False)
    customers = score(ids.CI_CUSTOMERS, False)
    note_value = ((state.get(ids.CI_NOTE) or {}).get(ids.CI_NOTE) or {}).get("value") or ""
    note = strip_nul(note_value).strip() if isinstance(note_value, str) else ""
    if len(note) > NOTE_LIMIT:
        errors[ids.CI_NOTE] = f"At most {NOTE_LIMIT} characters ({len(note)} now)."
    help_kind = _selected(state, ids.CI_HELP) or "none"
    if help_kind not in HELP_KINDS:
        errors[ids.CI_HELP] = "Pick one of the options."
    visibility = _selected(state, ids.CI_VISIBILITY)
    if visibility not in VISIBILITY_LABELS:
        errors[ids.CI_VISIBILITY] = "Pick who may see this."
    if errors or overall is None:
        return errors
    return Answer(overall, deliverables, customers, note, help_kind, visibility, source="modal")


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
    return Reply(text=f"A member's trend in {escape(team_name)}", blocks=blocks)


@dataclass(frozen=True)
class PickTeam:
    """One choice of team for a DM answer that could belong to several."""

    team_id: int
    team_name: str
    cycle_id: int | None
    channel: str
    ts: str | None

    def value(self) -> str:
        """The button's value: team, week (0: a pulse), and the message to read again."""
        return f"{self.team_id}:{self.cycle_id or 0}:{self.channel}:{self.ts or ''}"

    @staticmethod
    def load(value: str) -> PickTeam | None:
        """From a button value; None when it is not ours (never an overflow)."""
        parts = (value or "").split(":")
        if len(parts) != 4 or not all(p.isdigit() and len(p) <= 18 for p in parts[:2]):
            return None
        team, cycle, channel, ts = parts
        if not team.strip("0") or len(channel) > 32 or len(ts) > 32:
            return None
        return PickTeam(int(team), "", int(cycle) or None, channel, ts or None)


def pick_team_message(score: int, choices: list[PickTeam], *, weekly: bool) -> Reply:
    """Which team is this answer for? Nothing is stored until one is picked."""
    what = "this week's check-in" if weekly else "a check-in"
    return Reply(
        text=f"Which team is this {score}/10 for?",
        blocks=[
            section(
                f"You are in several teams, so tell me which one this *{score}/10* is "
                f"{what} for. Nothing is saved until you pick."
            ),
            actions(
                *(
                    button(c.team_name, f"{ids.PICK_TEAM}_{i}", c.value())
                    for i, c in enumerate(choices[:25])
                ),
                block_id="pick_team",
            ),
        ],
    )


def visibility_phrase(visibility: str) -> str:
    """How an answer is shared, in a few words."""
    return {
        "team": "named to your team",
        "anonymous": "anonymously (teammates see “a teammate”; your leads see your name)",
        "leads": "with your leads only",
    }.get(visibility, visibility)


def text_recorded_message(
    *, team_name: str, checkin_id: int, score: int, weekly: bool, visibility: str
) -> Reply:
    """The reply to a typed answer: what was recorded, how it is shared, Change, and undo."""
    kind = "this week's check-in" if weekly else "a check-in (outside the weekly prompt)"
    others = [v for v in ("team", "anonymous", "leads") if v != visibility]
    short = {"team": "Team", "anonymous": "Anonymous", "leads": "Leads only"}
    return Reply(
        text=f"Thanks. Recorded {score}/10 as {kind} for {escape(team_name)}.",
        blocks=[
            section(
                f":white_check_mark: Thanks. Recorded *{score}/10* as {kind} for "
                f"*{escape(team_name)}*."
            ),
            context(f"Shared {visibility_phrase(visibility)} · Change:"),
            actions(
                *(button(short[v], f"{ids.SHARE_AS}_{v}", f"{checkin_id}:{v}") for v in others),
                button("That wasn't a score", ids.NOT_A_SCORE_TEXT, str(checkin_id)),
                block_id="shared_as",
            ),
        ],
    )
