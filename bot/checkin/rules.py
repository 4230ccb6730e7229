"""Check-ins: reading answers typed in a DM, recording weekly answers, edits and pulses."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.platform.errors import UsageError
from bot.platform.text import strip_nul

HELP_KINDS = ("none", "tools", "specialist", "mentorship", "other")
HELP_LABELS = {
    "none": "No help needed",
    "tools": "Tools",
    "specialist": "A specialist",
    "mentorship": "Mentorship",
    "other": "Something else",
}
# Option texts (at most 75 characters, Slack's limit): each says who sees the name.
VISIBILITY_LABELS = {
    "team": "Team: teammates see my name, score and note",
    "anonymous": "Anonymous: teammates see “a teammate”; your leads see your name",
    "leads": "Leads only: nothing in the channel; your leads see it all",
}
NOTE_LIMIT = 1000
SCORE_RANGE = "Scores go from 1 to 10"

_DECIMAL = re.compile(r"^\s*-?\d+[.,]\d")
_TEXT_ANSWER = re.compile(r"^\s*(-?\d+)(?:\s*/\s*10)?(?:$|[\s,.:;!\-–—]+(.*))", re.DOTALL)
_HELP_WORDS = (
    ("specialist", "specialist"),
    ("expert", "specialist"),
    ("mentor", "mentorship"),
    ("coach", "mentorship"),
    ("tool", "tools"),
)


@dataclass(frozen=True)
class Answer:
    """A check-in as given, before it is stored."""

    score: int
    deliverables: int | None = None
    customers: int | None = None
    note: str = ""
    help: str = "none"
    visibility: str | None = None
    source: str = "button"
    message_ts: str | None = None  # the DM message a typed answer came from


def read_text_answer(text: str) -> Answer | None:
    """`7`, `7/10`, `7 - tough week` as an Answer; None when the text is not a check-in.

    A number outside 1-10 raises UsageError so nothing is stored and the member is told why.
    """
    text = strip_nul(text or "")
    if _DECIMAL.match(text):
        raise UsageError(
            "Scores are whole numbers from 1 to 10; pick the nearest, like `7` or `8`."
        )
    match = _TEXT_ANSWER.match(text)
    if not match:
        return None
    score = int(match.group(1))
    if not 1 <= score <= 10:
        raise UsageError(f"{SCORE_RANGE}; you sent {score}. Try again with, say, `6 rough week`.")
    note = (match.group(2) or "").strip()
    if len(note) > NOTE_LIMIT:
        raise UsageError(
            f"That note is {len(note)} characters; the limit is {NOTE_LIMIT}. "
            "Shorten it, or use Add details."
        )
    return Answer(score=score, note=note, help=guess_help(note), source="text")


def guess_help(note: str) -> str:
    """The kind of help a note asks for, when it names one plainly."""
    lowered = note.lower()
    if "need" not in lowered and "help" not in lowered:
        return "none"
    for word, kind in _HELP_WORDS:
        if word in lowered:
            return kind
    return "other" if "help" in lowered else "none"


def validate(answer: Answer) -> Answer:
    """Refuse an answer outside the ranges, with the reason."""
    if not 1 <= answer.score <= 10:
        raise UsageError(f"{SCORE_RANGE}.")
    for value in (answer.deliverables, answer.customers):
        if value is not None and not 1 <= value <= 10:
            raise UsageError(f"{SCORE_RANGE}.")
    if len(answer.note) > NOTE_LIMIT:
        raise UsageError(f"A note can be at most {NOTE_LIMIT} characters.")
    if answer.help not in HELP_KINDS:
        raise UsageError(f"Help must be one of {', '.join(HELP_KINDS)}.")
    if answer.visibility is not None and answer.visibility not in VISIBILITY_LABELS:
        raise UsageError("Visibility must be team, anonymous or leads.")
    return answer


def sparkline(scores: list[int]) -> str:
    """Scores 1-10 as a row of block characters, oldest first."""
    bars = "▁▂▃▄▅▆▇█"
    return "".join(bars[min(7, (s - 1) * 8 // 10)] for s in scores)
