"""bot/promise/rules.py: validation, deadlines, the record and the summary's figures, by hand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.promise.rules import (
    ESCALATE_AFTER,
    RECORD_WEEKS,
    BreakFact,
    Draft,
    PromiseLine,
    Record,
    Verdict,
    WeekTally,
    build_record,
    check_answer,
    check_break,
    check_draft,
    check_rating,
    clean,
    escalate_at,
    on_time,
    promise_line,
    record_weeks,
    remedy_due,
    reminder_at,
    window_end,
    window_text,
)

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)  # a Wednesday in 2026-W49


def draft(**changes: object) -> Draft:
    fields: dict[str, object] = {
        "pledge": "A reply within a day.",
        "customer_must": "Open a ticket.",
        "remedy": "A call from a senior engineer",
        "remedy_hours": 24,
    }
    fields.update(changes)
    return Draft(**fields)  # type: ignore[arg-type]


def test_a_good_draft_has_no_errors() -> None:
    assert check_draft(draft()) == {}


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"pledge": ""}, "pledge", "Please fill this in."),
        ({"pledge": "x" * 281}, "pledge", "At most 280 characters (281 now)."),
        ({"customer_must": "y" * 501}, "customer_must", "At most 500 characters (501 now)."),
        ({"remedy": ""}, "remedy", "Please fill this in."),
        ({"remedy_hours": 3}, "remedy_hours", "Pick how soon the remedy lands."),
    ],
)
def test_draft_errors_name_the_field(changes: dict[str, object], field: str, message: str) -> None:
    assert check_draft(draft(**changes)) == {field: message}


def test_the_limits_are_inclusive() -> None:
    assert check_draft(draft(pledge="x" * 280, customer_must="y" * 500, remedy="z" * 500)) == {}
    assert check_break("w" * 1000, "c" * 200) == {}
    assert set(check_break("w" * 1001, "c" * 201)) == {"what", "contact"}
    assert check_break("", "") == {"what": "Please fill this in."}


def test_ratings_are_one_digit_from_one_to_five() -> None:
    assert check_rating("4", "") == (4, {})
    for bad in ("0", "6", "", "4.5", "04", "four", "٤"):
        score, errors = check_rating(bad, "")
        assert score is None and "score" in errors, bad
    assert "comment" in check_rating("3", "c" * 501)[1]


def test_a_broken_answer_says_how_often() -> None:
    assert check_answer(1, "") == {} and check_answer(10, "n" * 280) == {}
    assert set(check_answer(0, "n" * 281)) == {"times", "note"}
    assert "times" in check_answer(11, "")


def test_clean_trims_and_unifies_line_ends() -> None:
    assert clean("  a\r\nb  ") == "a\nb" and clean(None) == ""


@pytest.mark.parametrize(
    ("hours", "text"),
    [(1, "1 hour"), (8, "8 hours"), (24, "1 day"), (72, "3 days"), (168, "1 week")],
)
def test_window_text(hours: int, text: str) -> None:
    assert window_text(hours) == text


def test_deadline_reminder_and_escalation() -> None:
    due = remedy_due(NOW, 24)
    assert due == NOW + timedelta(hours=24)
    assert reminder_at(NOW, due) == NOW + timedelta(hours=18)
    assert reminder_at(NOW, remedy_due(NOW, 1)) == NOW + timedelta(minutes=45)
    assert escalate_at(NOW) == NOW + ESCALATE_AFTER == NOW + timedelta(hours=4)


def fact(
    status: str,
    *,
    due: datetime,
    closed: datetime | None = None,
    source: str = "team",
    week: str = "2026-W49",
) -> BreakFact:
    return BreakFact(source, week, status, due, closed)


def test_on_time_is_delivered_by_the_deadline() -> None:
    due = NOW
    assert on_time(fact("delivered", due=due, closed=due), NOW) is True
    assert on_time(fact("delivered", due=due, closed=due + timedelta(seconds=1)), NOW) is False
    assert on_time(fact("missed", due=due, closed=due - timedelta(hours=1)), NOW) is False
    assert on_time(fact("open", due=due + timedelta(hours=1)), NOW) is None  # not due yet
    assert on_time(fact("open", due=due - timedelta(seconds=1)), NOW) is False  # overdue


def test_record_weeks_end_with_this_week_across_a_year_end() -> None:
    weeks = record_weeks("2027-W02")
    assert len(weeks) == RECORD_WEEKS == 12
    assert weeks[-1] == "2027-W02" and weeks[-3] == "2026-W53" and weeks[0] == "2026-W44"


def test_a_week_is_broken_by_any_broken_answer_or_any_break() -> None:
    assert WeekTally("w", kept=5).verdict == Verdict.KEPT
    assert WeekTally("w", kept=5, broken=1).verdict == Verdict.BROKEN
    assert WeekTally("w", kept=5, customer_breaks=1).verdict == Verdict.BROKEN
    assert WeekTally("w", team_breaks=1).verdict == Verdict.BROKEN
    assert WeekTally("w").verdict == Verdict.UNKNOWN


def test_build_record_by_hand() -> None:
    weeks = record_weeks("2026-W49")
    answers = {"2026-W47": (4, 0), "2026-W48": (3, 1), "2026-W49": (2, 0), "2026-W30": (9, 9)}
    facts = [
        fact(
            "delivered",
            due=NOW - timedelta(days=9),
            closed=NOW - timedelta(days=10),
            week="2026-W48",
        ),
        fact(
            "missed",
            due=NOW - timedelta(days=8),
            closed=NOW - timedelta(days=8),
            source="customer",
            week="2026-W48",
        ),
        fact("open", due=NOW + timedelta(hours=3), source="customer"),
        fact("open", due=NOW - timedelta(hours=1)),  # overdue: counts as not on time
        fact("delivered", due=NOW, closed=NOW, week="2026-W30"),  # outside the 12 weeks
    ]
    record = build_record(weeks, answers, facts, NOW)
    assert [w.week for w in record.weeks] == weeks
    by_week = {w.week: w for w in record.weeks}
    assert by_week["2026-W47"].verdict == Verdict.KEPT
    assert by_week["2026-W48"].verdict == Verdict.BROKEN
    assert (by_week["2026-W48"].team_breaks, by_week["2026-W48"].customer_breaks) == (1, 1)
    assert by_week["2026-W49"].verdict == Verdict.BROKEN
    assert by_week["2026-W40"].verdict == Verdict.UNKNOWN
    assert (record.kept_weeks, record.broken_weeks) == (1, 2)
    assert (record.team_breaks, record.customer_breaks) == (2, 2)
    assert (record.on_time, record.decided, record.on_time_percent) == (1, 3, 33)


def test_no_breaks_due_means_no_percentage() -> None:
    assert Record(()).on_time_percent is None


def test_the_summary_shows_the_kept_share_only_from_three_answers() -> None:
    record = build_record(["2026-W49"], {"2026-W49": (2, 0)}, [], NOW)
    line = promise_line("p", "r", 24, record, "2026-W49")
    assert isinstance(line, PromiseLine)
    assert (line.week.kept, line.week.answers, line.kept_share_shown, line.kept_percent) == (
        2,
        2,
        False,
        None,
    )
    record = build_record(["2026-W49"], {"2026-W49": (2, 1)}, [], NOW)
    assert promise_line("p", "r", 24, record, "2026-W49").kept_percent == 67
    assert promise_line("p", "r", 24, record, "2026-W50").week == WeekTally("2026-W50")


def test_rate_windows_are_fixed_and_shared_by_every_process() -> None:
    window = timedelta(minutes=10)
    assert window_end(datetime(2026, 12, 2, 12, 3, tzinfo=UTC), window) == datetime(
        2026, 12, 2, 12, 10, tzinfo=UTC
    )
    assert window_end(datetime(2026, 12, 2, 12, 10, tzinfo=UTC), window) == datetime(
        2026, 12, 2, 12, 20, tzinfo=UTC
    )
