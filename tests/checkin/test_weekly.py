"""The weekly check-in through the local Slack: prompts, every answer path, reminders."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from bot.checkin import ids as checkin_ids
from localslack import field_values
from storage.db import transaction
from storage.models import CheckIn, Delivery
from tests.harness import Oneness

FRIDAY_3PM_LONDON = datetime(2026, 11, 27, 15, 0, tzinfo=UTC)  # GMT in November


def make_team(oneness: Oneness, *members: str) -> None:
    oneness.slash("ULEAD", "setup <#CTEAM|team> Rocket")
    oneness.slash("ULEAD", "add " + " ".join(f"<@{m}>" for m in members), channel="CTEAM")
    oneness.slash("ULEAD", "schedule fri 15:00 Europe/London", channel="CTEAM")


def checkins(oneness: Oneness) -> list[CheckIn]:
    with transaction(oneness.deps.sessions) as session:
        return list(session.scalars(select(CheckIn).order_by(CheckIn.id)))


def test_prompts_go_out_at_the_scheduled_time_once(oneness: Oneness) -> None:
    make_team(oneness, "UANN", "UBOB")
    assert oneness.advance_to(FRIDAY_3PM_LONDON - timedelta(minutes=1)).prompts == 0
    assert oneness.dms("UANN") == []
    assert oneness.advance_to(FRIDAY_3PM_LONDON).prompts == 2
    assert oneness.advance_to(FRIDAY_3PM_LONDON + timedelta(minutes=5)).prompts == 0
    for user in ("UANN", "UBOB"):
        prompt = oneness.prompt(user)
        assert "Weekly check-in" in prompt.all_text()
        assert len([m for m in oneness.dms(user) if "Weekly check-in" in m.all_text()]) == 1
    assert oneness.dms("ULEAD") == []  # a lead is not prompted unless a member


def test_button_answer_is_stored_once_and_prompt_shows_it(oneness: Oneness) -> None:
    make_team(oneness, "UANN")
    oneness.advance_to(FRIDAY_3PM_LONDON)
    prompt = oneness.prompt("UANN")
    oneness.driver.click("UANN", prompt, f"{checkin_ids.SCORE_PREFIX}7")
    oneness.driver.click("UANN", prompt, f"{checkin_ids.SCORE_PREFIX}7")  # a double click
    oneness.settle()
    rows = checkins(oneness)
    assert [(r.user_id, r.score, r.kind) for r in rows] == [("UANN", 7, "weekly")]
    updated = oneness.prompt("UANN")
    assert "Recorded *7/10*" in updated.all_text()
    assert any(
        e.get("action_id") == checkin_ids.CHECKIN_EDIT
        for b in updated.blocks
        for e in b.get("elements", [])
    )


def test_text_answers_and_refusals(oneness: Oneness) -> None:
    make_team(oneness, "UANN", "UBOB")
    oneness.advance_to(FRIDAY_3PM_LONDON)
    oneness.driver.dm("UANN", "11")
    oneness.driver.dm("UANN", "hello there")
    oneness.settle()
    assert checkins(oneness) == []
    replies = [m.all_text() for m in oneness.dms("UANN")]
    assert any("Scores go from 1 to 10" in r for r in replies)
    assert any("reply with a number from 1 to 10" in r for r in replies)
    oneness.driver.dm("UANN", "6 rough week, need a specialist")
    oneness.driver.dm("UBOB", "7/10")
    oneness.settle()
    rows = {r.user_id: r for r in checkins(oneness)}
    assert (rows["UANN"].score, rows["UANN"].note, rows["UANN"].help) == (
        6,
        "rough week, need a specialist",
        "specialist",
    )
    assert rows["UANN"].kind == "weekly" and rows["UBOB"].score == 7
    # After the week is answered, a new number is a pulse stored beside it.
    oneness.driver.dm("UANN", "3 - client escalation")
    oneness.settle()
    kinds = [(r.user_id, r.kind, r.score) for r in checkins(oneness)]
    assert ("UANN", "pulse", 3) in kinds


def test_event_retry_stores_once(oneness: Oneness) -> None:
    make_team(oneness, "UANN")
    oneness.advance_to(FRIDAY_3PM_LONDON)
    oneness.driver.dm("UANN", "8", event_id="Ev1")
    oneness.driver.event(
        {
            "type": "message",
            "channel_type": "im",
            "user": "UANN",
            "text": "8",
            "channel": oneness.slack.dm_id("UANN"),
            "ts": "1.0",
        },
        event_id="Ev1",
        retry_num=1,
    )
    oneness.settle()
    assert [r.score for r in checkins(oneness)] == [8]


def test_modal_answer_and_edit(oneness: Oneness) -> None:
    make_team(oneness, "UBOB")
    oneness.advance_to(FRIDAY_3PM_LONDON)
    oneness.driver.click("UBOB", oneness.prompt("UBOB"), checkin_ids.CHECKIN_DETAILS)
    oneness.settle()
    view = oneness.slack.open_views("UBOB")[-1]
    values = {
        checkin_ids.CI_SCORE: "5",
        checkin_ids.CI_NOTE: "<!channel> waiting on access",
        checkin_ids.CI_HELP: "tools",
        checkin_ids.CI_VISIBILITY: "leads",
    }
    # Submitted twice at the same moment (a double press on Save).
    barrier = threading.Barrier(2)

    def submit() -> None:
        barrier.wait()
        reply = oneness.driver.submit_view("UBOB", view, field_values(view, **values))
        assert reply.status == 200 and reply.response_action is None

    threads = [threading.Thread(target=submit) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    oneness.settle()
    rows = checkins(oneness)
    assert [(r.score, r.help, r.visibility) for r in rows] == [(5, "tools", "leads")]
    text = oneness.prompt("UBOB").all_text()
    assert "&lt;!channel&gt;" in text and "<!channel>" not in text
    # Edit: a new row, the old one superseded.
    oneness.driver.click("UBOB", oneness.prompt("UBOB"), checkin_ids.CHECKIN_EDIT)
    oneness.settle()
    view = oneness.slack.open_views("UBOB")[-1]
    oneness.driver.submit_view(
        "UBOB", view, field_values(view, **{**values, checkin_ids.CI_SCORE: "8"})
    )
    oneness.settle()
    rows = checkins(oneness)
    assert [(r.score, r.superseded_at is not None) for r in rows] == [(5, True), (8, False)]
    assert "Recorded *8/10*" in oneness.prompt("UBOB").all_text()


def test_one_reminder_only_to_those_who_have_not_answered(oneness: Oneness) -> None:
    make_team(oneness, "UANN", "UBOB", "UCAT")
    oneness.slash("ULEAD", "pause <@UCAT|cat> until 2026-12-24", channel="CTEAM")
    oneness.advance_to(FRIDAY_3PM_LONDON)
    assert oneness.dms("UCAT") == []  # paused: no prompt
    oneness.driver.dm("UANN", "7")
    oneness.settle()
    assert oneness.advance_to(FRIDAY_3PM_LONDON + timedelta(hours=23)).reminders == 0
    assert oneness.advance_to(FRIDAY_3PM_LONDON + timedelta(hours=24)).reminders == 1
    assert oneness.advance_to(FRIDAY_3PM_LONDON + timedelta(hours=30)).reminders == 0
    assert any("gentle reminder" in m.all_text() for m in oneness.dms("UBOB"))
    assert not any("gentle reminder" in m.all_text() for m in oneness.dms("UANN"))
    status = oneness.slash("ULEAD", "status", channel="CTEAM")
    assert "1/2" in status and "Paused: <@UCAT>" in status and "Not yet: <@UBOB>" in status


def test_remind_off_sends_none(oneness: Oneness) -> None:
    make_team(oneness, "UBOB")
    oneness.slash("ULEAD", "remind off", channel="CTEAM")
    oneness.advance_to(FRIDAY_3PM_LONDON)
    assert oneness.advance_to(FRIDAY_3PM_LONDON + timedelta(days=2)).reminders == 0


def test_send_is_idempotent_and_week_closes_at_summary_time(oneness: Oneness) -> None:
    make_team(oneness, "UANN", "UBOB")
    first = oneness.slash("ULEAD", "send", channel="CTEAM")
    assert "Sent 2 prompts" in first
    second = oneness.slash("ULEAD", "send", channel="CTEAM")
    assert "Sent 0 prompts" in second
    assert oneness.advance_to(FRIDAY_3PM_LONDON).prompts == 0  # the scheduled time sends nothing
    monday_9am = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
    report = oneness.advance_to(monday_9am)
    assert len(report.closed) == 1
    oneness.driver.click("UANN", oneness.prompt("UANN"), f"{checkin_ids.SCORE_PREFIX}4")
    oneness.settle()
    assert checkins(oneness) == []
    assert any("has closed" in e.all_text() for e in oneness.slack.ephemerals("UANN"))


def test_late_prompt_within_a_day_catches_up_later_skipped(oneness: Oneness) -> None:
    make_team(oneness, "UANN")
    assert oneness.advance_to(FRIDAY_3PM_LONDON + timedelta(hours=20)).prompts == 1
    oneness2_week = FRIDAY_3PM_LONDON + timedelta(days=7, hours=25)
    report = oneness.advance_to(oneness2_week)
    assert report.prompts == 0 and report.skipped == 1
    with transaction(oneness.deps.sessions) as session:
        statuses = sorted(
            d.status for d in session.scalars(select(Delivery).where(Delivery.kind == "prompt"))
        )
    assert statuses == ["sent", "skipped"]


def test_unreachable_member_recorded_and_others_prompted(oneness: Oneness) -> None:
    make_team(oneness, "UANN", "UBOB")
    oneness.slack.set_user("UANN", deleted=True)
    report = oneness.advance_to(FRIDAY_3PM_LONDON)
    assert report.prompts == 1 and report.failed == 1
    with transaction(oneness.deps.sessions) as session:
        failed = session.scalar(
            select(Delivery).where(Delivery.user_id == "UANN", Delivery.kind == "prompt")
        )
    assert failed is not None and failed.status == "failed" and failed.error
    assert oneness.advance_to(FRIDAY_3PM_LONDON + timedelta(days=7)).prompts == 1


def test_me_shows_only_my_history(oneness: Oneness) -> None:
    make_team(oneness, "UANN", "UBOB")
    oneness.advance_to(FRIDAY_3PM_LONDON)
    oneness.driver.dm("UANN", "6 meh")
    oneness.driver.dm("UBOB", "9")
    oneness.settle()
    seen = oneness.slash("UANN", "me")
    assert "6/10" in seen and "9/10" not in seen


def test_member_status_shows_counts_not_names(oneness: Oneness) -> None:
    make_team(oneness, "UANN", "UBOB")
    oneness.advance_to(FRIDAY_3PM_LONDON)
    oneness.driver.dm("UANN", "6")
    oneness.settle()
    seen = oneness.slash("UBOB", "status")
    assert "1 of 2 have answered" in seen and "<@UANN>" not in seen
    assert "6" not in seen.replace("2026", "")  # no mean, no score


def test_home_tab_shows_trend_and_pending_prompt(oneness: Oneness) -> None:
    make_team(oneness, "UANN")
    oneness.advance_to(FRIDAY_3PM_LONDON)
    oneness.driver.app_home_opened("UANN")
    oneness.settle()
    home = oneness.slack.home_view("UANN")
    assert home is not None
    text = str(home)
    assert "Check in now" in text and "is waiting" in text
    oneness.driver.app_home_opened("ULEAD")
    oneness.settle()
    assert "0/1 answered" in str(oneness.slack.home_view("ULEAD"))
