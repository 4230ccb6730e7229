"""The weekly summary in the channel and to leads, the chart, export, and lead-only commands."""

from __future__ import annotations

import csv
import io
import struct
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from storage.db import transaction
from storage.models import Base, Cycle
from tests.checkin.test_weekly import FRIDAY_3PM_LONDON, make_team
from tests.harness import Oneness

MONDAY_9AM = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


def answer(o: Oneness, scores: dict[str, str]) -> None:
    for user, text in scores.items():
        o.driver.dm(user, text)
    o.settle()


def channel_posts(o: Oneness) -> list[str]:
    return [m.all_text() for m in o.slack.messages("CTEAM") if m.user == "UBOT"]


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_week_closes_with_a_summary_chart_and_a_named_leads_dm(oneness: Oneness) -> None:
    o = oneness
    make_team(o, "UANN", "UBOB", "UCAT", "UDAN")
    o.advance_to(FRIDAY_3PM_LONDON)
    answer(o, {"UANN": "6", "UBOB": "8 good week", "UCAT": "7 need tools <!here>"})
    o.slash("ULEAD", "csat team 4", channel="CTEAM")
    report = o.advance_to(MONDAY_9AM)
    assert len(report.closed) == 1
    [summary] = [t for t in channel_posts(o) if "Weekly summary" in t]
    assert "3/4" in summary and "7.0" in summary  # mean of 6, 8, 7
    assert "UDAN" not in summary and "good week" not in summary  # nothing named in the channel
    [chart] = o.slack.files
    assert chart.channels == ["CTEAM"] and png_size(chart.content) == (1000, 500)
    [leads_dm] = [m.all_text() for m in o.dms("ULEAD") if "Leads' summary" in m.all_text()]
    assert "<@UDAN>" in leads_dm and "good week" in leads_dm
    assert "<!here>" not in leads_dm
    with transaction(o.deps.sessions) as session:
        cycle = session.scalar(select(Cycle))
        assert cycle is not None and cycle.closed_at is not None
        assert cycle.chart_file_id == chart.id
    assert o.advance_to(MONDAY_9AM + timedelta(hours=1)).closed == []
    assert len([t for t in channel_posts(o) if "Weekly summary" in t]) == 1


def test_too_few_answers_show_no_aggregates(oneness: Oneness) -> None:
    o = oneness
    make_team(o, "UANN", "UBOB", "UCAT")
    o.advance_to(FRIDAY_3PM_LONDON)
    answer(o, {"UANN": "9", "UBOB": "5"})
    o.advance_to(MONDAY_9AM)
    [summary] = [t for t in channel_posts(o) if "Weekly summary" in t]
    assert "2/3" in summary and "Too few answers" in summary
    assert "7.0" not in summary and "9" not in summary.replace("2/3", "")


def test_summary_now_keeps_the_week_open_and_lead_dashboard_shows_chart(oneness: Oneness) -> None:
    o = oneness
    make_team(o, "UANN", "UBOB", "UCAT")
    o.advance_to(FRIDAY_3PM_LONDON)
    answer(o, {"UANN": "6", "UBOB": "7", "UCAT": "8"})
    seen = o.slash("ULEAD", "summary", channel="CTEAM")
    assert "Posted Rocket's the week so far" in seen and "figures come when the week" in seen
    # While the week is open the channel sees progress only: no mean, no chart.
    [progress] = [t for t in channel_posts(o) if "The week so far" in t]
    assert "3/3" in progress and "7.0" not in progress and "Team mean" not in progress
    assert o.slack.files == []
    assert any("7.0" in m.all_text() for m in o.dms("ULEAD"))  # the leads get the figures
    with transaction(o.deps.sessions) as session:
        cycle = session.scalar(select(Cycle))
        assert cycle is not None and cycle.closed_at is None
    o.advance_to(MONDAY_9AM)
    o.files_processed()  # the lead opens the Home after Slack has processed the chart
    o.driver.app_home_opened("ULEAD")
    o.settle()
    home = o.slack.home_view("ULEAD")
    assert home is not None
    images = [b for b in home["blocks"] if b["type"] == "image"]
    assert images and images[0]["slack_file"]["id"] == o.slack.files[-1].id


def test_export_sends_csv_by_dm_and_takes_a_range(oneness: Oneness) -> None:
    o = oneness
    make_team(o, "UANN", "UBOB")
    o.advance_to(FRIDAY_3PM_LONDON)
    answer(o, {"UANN": '6 rough, "really", rough', "UBOB": "8"})
    o.clock.set(FRIDAY_3PM_LONDON + timedelta(days=10))
    answer(o, {"UANN": "5 later pulse"})
    seen = o.slash("ULEAD", "export", channel="CTEAM")
    assert "3 rows" in seen
    export = o.slack.files[-1]
    assert export.channels == [o.slack.dm_id("ULEAD")]
    rows = list(csv.DictReader(io.StringIO(export.content.decode())))
    assert list(rows[0]) == [
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
    ]
    assert sorted((r["user_id"], r["kind"], r["cycle_week"], r["score"]) for r in rows) == [
        ("UANN", "pulse", "", "5"),
        ("UANN", "weekly", "2026-W48", "6"),
        ("UBOB", "weekly", "2026-W48", "8"),
    ]
    [ann] = [r for r in rows if r["kind"] == "weekly" and r["user_id"] == "UANN"]
    assert ann["note"] == 'rough, "really", rough'
    assert ann["created_at"].startswith("2026-11-27T15:00")
    o.slash("ULEAD", "export 2026-11-01..2026-11-30", channel="CTEAM")
    ranged = list(csv.DictReader(io.StringIO(o.slack.files[-1].content.decode())))
    assert len(ranged) == 2


LEAD_COMMANDS = [
    "trend <@UANN>",
    "add <@UBOB>",
    "remove <@UANN>",
    "lead <@UBOB>",
    "schedule mon 10:00",
    "summary-at tue 09:00",
    "rule floor 2 drop 5",
    "pause <@UCAT> until 2026-12-24",
    "remind off",
    "send",
    "summary",
    "csat <@UANN> 4",
    "csat team 2",
    "export",
]


def snapshot(o: Oneness) -> list[tuple[str, tuple[object, ...]]]:
    with transaction(o.deps.sessions) as session:
        return [
            (t.name, tuple(r))
            for t in Base.metadata.sorted_tables
            for r in session.execute(t.select())
        ]


@pytest.mark.parametrize("text", LEAD_COMMANDS)
def test_every_lead_command_refuses_members_and_changes_nothing(
    oneness: Oneness, text: str
) -> None:
    o = oneness
    make_team(o, "UANN", "UCAT")
    before = snapshot(o)
    seen = o.slash("UANN", text, channel="CTEAM")
    assert "Only leads of Rocket can" in seen
    assert snapshot(o) == before
    assert o.slack.files == []
