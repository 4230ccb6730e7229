"""The App Home with charts Slack is still processing, Home-tab buttons, DMs with files, edits."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.rally import ids as rally_ids
from localslack import Message
from storage.db import transaction
from storage.models import CheckIn
from tests.checkin.test_weekly import FRIDAY_3PM_LONDON, make_team
from tests.harness import Oneness
from tests.summary.test_summary_and_export import MONDAY_9AM


def checkins(o: Oneness) -> list[tuple[str, int, str, str]]:
    with transaction(o.deps.sessions) as session:
        rows = session.scalars(select(CheckIn).order_by(CheckIn.id))
        return [(r.user_id, r.score, r.note, r.kind) for r in rows]


def said(o: Oneness, user: str) -> list[Message]:
    return [m for m in o.slack.dms(user) if m.user == user]


def last_reply(o: Oneness, user: str) -> str:
    return o.dms(user)[-1].all_text()


def nudge_now(o: Oneness) -> str:
    [nudge] = [m for m in o.slack.messages("CTEAM") if "rally:" in str(m.metadata)]
    return nudge.all_text()


def images(view: dict | None) -> list[dict]:  # type: ignore[type-arg]
    return [b for b in (view or {}).get("blocks", []) if b.get("type") == "image"]


def test_the_home_shows_the_chart_once_slack_has_processed_it(oneness: Oneness) -> None:
    o = oneness
    o.slack.file_processing_seconds = 1.0
    make_team(o, "UANN", "UBOB", "UCAT")
    o.advance_to(FRIDAY_3PM_LONDON)
    for user, text in {"UANN": "6", "UBOB": "7", "UCAT": "8"}.items():
        o.driver.dm(user, text)
    o.settle()
    o.advance_to(MONDAY_9AM)
    [chart] = o.slack.files
    o.driver.app_home_opened("ULEAD")
    o.settle()
    if not o.slack.file_processed(chart.id):  # published while processing: without it
        home = o.slack.home_view("ULEAD")
        assert home is not None and "Dashboard" in str(home) and images(home) == []
    o.files_processed()
    o.driver.app_home_opened("ULEAD")
    o.settle()
    [image] = images(o.slack.home_view("ULEAD"))
    assert image["slack_file"]["id"] == chart.id


def test_resolved_on_the_home_tab_sends_nothing_to_a_response_url(oneness: Oneness) -> None:
    o = oneness
    make_team(o, "UANN", "UBOB")
    o.advance_to(FRIDAY_3PM_LONDON)
    o.driver.dm("UANN", "2 everything is on fire")
    o.settle()
    [nudge] = [m for m in o.slack.messages("CTEAM") if "I can help" in str(m.blocks)]
    o.driver.click("UBOB", nudge, rally_ids.RALLY_OWN)
    o.settle()
    o.driver.app_home_opened("UBOB")
    o.settle()
    home = o.slack.home_view("UBOB")
    assert home is not None
    before = len(o.slack.ephemerals("UBOB")), len(o.dms("UBOB"))
    o.driver.click_in_view("UBOB", home, rally_ids.RALLY_RESOLVE)
    o.settle()
    assert rally_ids.RALLY_RESOLVE not in str(o.slack.home_view("UBOB"))
    assert (len(o.slack.ephemerals("UBOB")), len(o.dms("UBOB"))) == before
    assert "help landed" in nudge_now(o)


def test_a_file_without_a_number_gets_the_how_to(oneness: Oneness) -> None:
    o = oneness
    make_team(o, "UANN")
    o.advance_to(FRIDAY_3PM_LONDON)
    o.driver.dm_with_file("UANN", "look at this")
    o.driver.dm_with_file("UANN", "")
    o.settle()
    assert checkins(o) == []
    replies = [m.all_text() for m in o.dms("UANN") if "reply with a number" in m.all_text()]
    assert len(replies) == 2


def test_an_edited_answer_is_updated_and_the_reply_says_so(oneness: Oneness) -> None:
    o = oneness
    make_team(o, "UANN", "UBOB")
    o.advance_to(FRIDAY_3PM_LONDON)
    o.driver.dm("UANN", "6 fine")
    o.settle()
    [message] = said(o, "UANN")
    o.driver.edit_dm("UANN", message, "3 not fine at all")
    o.settle()
    assert checkins(o) == [("UANN", 3, "not fine at all", "weekly")]
    assert [m for m in o.dms("UANN") if "Updated your answer to 3" in m.all_text()]
    assert "Recorded *3/10*" in o.prompt("UANN").all_text()
    # 3 is at the team's floor: the edit rallies the team like an answer would.
    nudges = [m for m in o.slack.messages("CTEAM") if "I can help" in str(m.blocks)]
    assert len(nudges) == 1


def test_an_edit_that_is_not_a_score_keeps_the_answer(oneness: Oneness) -> None:
    o = oneness
    make_team(o, "UANN")
    o.advance_to(FRIDAY_3PM_LONDON)
    o.driver.dm("UANN", "6")
    o.settle()
    [message] = said(o, "UANN")
    o.driver.edit_dm("UANN", message, "six")
    o.settle()
    assert checkins(o) == [("UANN", 6, "", "weekly")]
    assert "Your answer stays 6/10" in last_reply(o, "UANN")
    o.driver.edit_dm("UANN", message, "11")  # out of range: refused, nothing changes
    o.settle()
    assert checkins(o) == [("UANN", 6, "", "weekly")]
    assert "1 to 10" in last_reply(o, "UANN")


def test_other_edits_get_a_short_note_and_change_nothing(oneness: Oneness) -> None:
    o = oneness
    make_team(o, "UANN")
    o.advance_to(FRIDAY_3PM_LONDON)
    o.driver.dm("UANN", "hello")
    o.driver.dm("UANN", "6")
    o.driver.dm("UANN", "5 a pulse")
    o.settle()
    hello, weekly, _pulse = said(o, "UANN")
    o.driver.edit_dm("UANN", hello, "hello there")  # not an answer
    o.settle()
    assert "Only an edit of your latest answer" in last_reply(o, "UANN")
    o.driver.edit_dm("UANN", weekly, "2")  # not the latest answer any more
    o.settle()
    assert "Only an edit of your latest answer" in last_reply(o, "UANN")
    assert [c[1] for c in checkins(o)] == [6, 5]


def test_an_edit_after_the_week_closed_changes_nothing(oneness: Oneness) -> None:
    o = oneness
    make_team(o, "UANN")
    o.advance_to(FRIDAY_3PM_LONDON)
    o.driver.dm("UANN", "6")
    o.settle()
    o.advance_to(MONDAY_9AM + timedelta(hours=1))
    [message] = said(o, "UANN")
    o.driver.edit_dm("UANN", message, "2")
    o.settle()
    assert checkins(o) == [("UANN", 6, "", "weekly")]
    assert "Only an edit of your latest answer" in last_reply(o, "UANN")


def test_an_edited_pulse_in_the_open_week_is_updated(oneness: Oneness) -> None:
    o = oneness
    make_team(o, "UANN")
    o.advance_to(FRIDAY_3PM_LONDON)
    o.driver.dm("UANN", "6")
    o.driver.dm("UANN", "5 a pulse")
    o.settle()
    _weekly, pulse = said(o, "UANN")
    o.driver.edit_dm("UANN", pulse, "7 better after lunch")
    o.settle()
    assert checkins(o) == [
        ("UANN", 6, "", "weekly"),
        ("UANN", 7, "better after lunch", "pulse"),
    ]
    assert "Updated your answer to 7 (your check-in for Rocket)" in last_reply(o, "UANN")
    o.driver.edit_dm("UANN", pulse, "7 better after lunch")  # the same words: nothing to say
    o.settle()
    assert "Updated your answer to 7" in last_reply(o, "UANN")
