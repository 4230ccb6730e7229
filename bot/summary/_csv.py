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
from collections.abc import Iterable
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
