"""Several weeks across a daylight saving change; pulses any day; accounts leaving Slack."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from bot.checkin import ids as checkin_ids
from bot.platform.clock import FakeClock
from localslack import field_values
from storage.db import transaction
from storage.models import CheckIn, Member
from tests.harness import Oneness, running_oneness


def test_weeks_across_the_october_change_with_a_member_in_new_york(db_url: str) -> None:
    with running_oneness(db_url, clock=FakeClock(datetime(2026, 10, 14, 9, tzinfo=UTC))) as o:
        o.slash("ULEAD", "setup <#CTEAM|team> Rocket")
        o.slash("ULEAD", "add <@UANN> <@UBOB>", channel="CTEAM")
        o.slash("ULEAD", "schedule fri 15:00 local", channel="CTEAM")
        # Ann prompts at 15:00 London, Bob at 15:00 New York, each week, once.
        expected = [
            ("UANN", datetime(2026, 10, 16, 14, 0, tzinfo=UTC)),  # BST
            ("UBOB", datetime(2026, 10, 16, 19, 0, tzinfo=UTC)),  # EDT
            ("UANN", datetime(2026, 10, 23, 14, 0, tzinfo=UTC)),
            ("UBOB", datetime(2026, 10, 23, 19, 0, tzinfo=UTC)),
            ("UANN", datetime(2026, 10, 30, 15, 0, tzinfo=UTC)),  # GMT from 25 Oct
            ("UBOB", datetime(2026, 10, 30, 19, 0, tzinfo=UTC)),  # still EDT until 1 Nov
            ("UANN", datetime(2026, 11, 6, 15, 0, tzinfo=UTC)),
            ("UBOB", datetime(2026, 11, 6, 20, 0, tzinfo=UTC)),  # EST
        ]
        for user, due in expected:
            before = len(o.dms(user))
            assert o.advance_to(due - timedelta(minutes=1)).prompts == 0, (user, due)
            assert len(o.dms(user)) == before
            assert o.advance_to(due).prompts == 1, (user, due)
            assert len(o.dms(user)) == before + 1
        assert len(o.dms("UANN")) == 4 and len(o.dms("UBOB")) == 4


def test_checkin_command_opens_a_pulse_modal(oneness: Oneness) -> None:
    oneness.slash("ULEAD", "setup <#CTEAM|team> Rocket")
    oneness.slash("ULEAD", "add <@UANN>", channel="CTEAM")
    oneness.driver.slash("UANN", "checkin")
    oneness.settle()
    view = oneness.slack.open_views("UANN")[-1]
    assert view["title"]["text"] == "Check in now"
    oneness.driver.submit_view(
        "UANN",
        view,
        field_values(view, ci_score="3", ci_help="mentorship", ci_visibility="anonymous"),
    )
    oneness.settle()
    with transaction(oneness.deps.sessions) as session:
        rows = [(c.kind, c.score, c.help) for c in session.scalars(select(CheckIn))]
    assert rows == [("pulse", 3, "mentorship")]
    assert any("Recorded 3/10" in m.all_text() for m in oneness.dms("UANN"))


def test_home_check_in_now_button_opens_the_modal(oneness: Oneness) -> None:
    oneness.slash("ULEAD", "setup <#CTEAM|team> Rocket")
    oneness.slash("ULEAD", "add <@UANN>", channel="CTEAM")
    oneness.driver.app_home_opened("UANN")
    oneness.settle()
    home = oneness.slack.home_view("UANN")
    assert home is not None
    oneness.driver.click_in_view("UANN", home, checkin_ids.HOME_CHECKIN)
    oneness.settle()
    assert oneness.slack.open_views("UANN")[-1]["callback_id"] == checkin_ids.CHECKIN_VIEW


def test_deactivated_account_is_no_longer_prompted(oneness: Oneness) -> None:
    oneness.slash("ULEAD", "setup <#CTEAM|team> Rocket")
    oneness.slash("ULEAD", "add <@UANN> <@UBOB>", channel="CTEAM")
    oneness.driver.deactivate("UBOB")  # user_change with the whole user, as Slack sends it
    oneness.settle()
    with transaction(oneness.deps.sessions) as session:
        active = {m.user_id: m.active for m in session.scalars(select(Member))}
    assert active == {"UANN": True, "UBOB": False}
    oneness.advance_to(datetime(2026, 11, 27, 15, 0, tzinfo=UTC))
    assert oneness.dms("UBOB") == [] and len(oneness.dms("UANN")) == 1
