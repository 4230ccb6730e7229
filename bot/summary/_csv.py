"""The CSV export of a team's answers (DESIGN.md's columns), as a pure writer.

- RFC 4180 CSV: comma separated, `\\r\\n` line ends, fields with commas, quotes or newlines
  quoted by the `csv` module.
- `created_at` is ISO 8601 in UTC with a `Z` and whole seconds: `2026-11-27T14:03:05Z`.
- None becomes an empty cell (`cycle_week` is empty for pulses).
- A text cell starting with `=`, `+`, `-`, `@`, a tab or a carriage return gets a leading `'`,
  so a spreadsheet never runs it as a formula (OWASP's CSV injection advice). Scores are 1-10,
  so no number is ever touched.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

EXPORT_COLUMNS = (
    "team",
    "user_id",
    "kind",
    "cycle_week",
    "score",
    "deliverables",
    "customers",
    "help",
    "visibility",
    "note",
    "created_at",
)
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class ExportRow:
    """One check-in as exported; kind is "weekly" or "pulse", cycle_week None for pulses."""

    team: str
    user_id: str
    kind: str
    cycle_week: str | None
    score: int
    deliverables: int | None
    customers: int | None
    help: str
    visibility: str
    note: str
    created_at: datetime


def iso_utc(at: datetime) -> str:
    """An aware datetime as `YYYY-MM-DDTHH:MM:SSZ` in UTC; a naive one is refused."""
    if at.tzinfo is None:
        raise ValueError("naive datetime in export; pass an aware UTC datetime")
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def safe_cell(value: object) -> str:
    """A cell's text: None empty, numbers as they are, text defused against formula injection."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return iso_utc(value)
    if isinstance(value, bool | int | float):
        return str(value)
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def export_csv(rows: Iterable[ExportRow]) -> str:
    """The header row, then one row per check-in."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(EXPORT_COLUMNS)
    for row in rows:
        writer.writerow([safe_cell(getattr(row, column)) for column in EXPORT_COLUMNS])
    return buffer.getvalue()


# Documented additions (README, "Export"): extra files in the same DM, each with a header row,
# sent when they have rows. The check-ins file above is the contract and never changes.
PROMISE_ANSWER_COLUMNS = (
    "team",
    "user_id",
    "cycle_week",
    "answer",
    "times",
    "note",
    "promise",
    "created_at",
    "updated_at",
)
BREAK_COLUMNS = (
    "team",
    "break_id",
    "source",
    "origin",
    "reported_by",
    "what",
    "contact",
    "status",
    "owner_id",
    "reported_at",
    "remedy_due_at",
    "closed_at",
    "on_time",
)
RATING_COLUMNS = ("team", "user_id", "source", "score", "note", "logged_by", "created_at")


def table_csv(columns: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """A header row, then the rows, with the same cell rules as the check-ins export."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        if len(row) != len(columns):
            raise ValueError(f"a row of {len(row)} cells for {len(columns)} columns")
        writer.writerow([safe_cell(value) for value in row])
    return buffer.getvalue()
