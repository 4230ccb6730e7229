"""The CSV export round-trips through csv.DictReader with DESIGN.md's header."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta, timezone

import pytest

from bot.summary._csv import EXPORT_COLUMNS, ExportRow, export_csv, iso_utc, safe_cell

HEADER = "team,user_id,kind,cycle_week,score,deliverables,customers,help,visibility,note,created_at"
NOTE = 'late, again; the "new" tool\nbroke twice, so: help'


def row(**changes: object) -> ExportRow:
    fields: dict[str, object] = dict(
        team="Support",
        user_id="U0A1",
        kind="weekly",
        cycle_week="2026-W48",
        score=6,
        deliverables=7,
        customers=None,
        help="tools",
        visibility="anonymous",
        note=NOTE,
        created_at=datetime(2026, 11, 27, 14, 3, 5, 123456, tzinfo=UTC),
    )
    fields.update(changes)
    return ExportRow(**fields)  # type: ignore[arg-type]


def read(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text, newline="")))


def test_header_matches_the_design() -> None:
    assert ",".join(EXPORT_COLUMNS) == HEADER
    assert export_csv([]).splitlines()[0] == HEADER


def test_round_trip_with_commas_quotes_and_newlines() -> None:
    pulse_at = datetime(2026, 11, 28, 9, 0, tzinfo=timezone(timedelta(hours=2)))
    text = export_csv(
        [
            row(),
            row(
                kind="pulse",
                cycle_week=None,
                score=3,
                deliverables=None,
                note="",
                help="none",
                created_at=pulse_at,
            ),
        ]
    )
    reader = csv.DictReader(io.StringIO(text, newline=""))
    assert tuple(reader.fieldnames or ()) == EXPORT_COLUMNS
    weekly, pulse = list(reader)
    assert weekly == {
        "team": "Support",
        "user_id": "U0A1",
        "kind": "weekly",
        "cycle_week": "2026-W48",
        "score": "6",
        "deliverables": "7",
        "customers": "",
        "help": "tools",
        "visibility": "anonymous",
        "note": NOTE,
        "created_at": "2026-11-27T14:03:05Z",
    }
    assert pulse["kind"] == "pulse"
    assert pulse["cycle_week"] == "" and pulse["deliverables"] == "" and pulse["note"] == ""
    assert pulse["created_at"] == "2026-11-28T07:00:00Z"  # converted to UTC


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_formula_injection_is_defused(start: str) -> None:
    evil = f'{start}HYPERLINK("https://evil.example","x")'
    (parsed,) = read(export_csv([row(note=evil, team=f"{start}team")]))
    assert parsed["note"] == "'" + evil
    assert parsed["team"] == f"'{start}team"


def test_harmless_cells_are_untouched() -> None:
    assert safe_cell("fine - really") == "fine - really"
    assert safe_cell(None) == ""
    assert safe_cell(10) == "10"


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError):
        iso_utc(datetime(2026, 1, 1))
