"""Rallies through the local Slack: the nudge by visibility, offers, owners, follow-ups."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.checkin import ids as checkin_ids
from bot.rally import ids as rally_ids
from localslack import Message, field_values
from storage.db import transaction
from storage.models import Offer, Rally
from tests.harness import Oneness


@pytest.fixture
def team(oneness: Oneness) -> Oneness:
    oneness.slash("ULEAD", "setup <#CTEAM|team> Rocket")
    oneness.slash("ULEAD", "add <@UANN> <@UBOB> <@UCAT>", channel="CTEAM")
    return oneness


def pulse(
    o: Oneness,
    user: str,
    score: int,
    *,
    visibility: str = "team",
    note: str = "",
    help_kind: str = "specialist",
) -> None:
    o.driver.slash(user, "checkin")
    o.settle()
    view = o.slack.open_views(user)[-1]
    values = {"ci_score": str(score), "ci_help": help_kind, "ci_visibility": visibility}
    if note:
        values["ci_note"] = note
    o.driver.submit_view(user, view, field_values(view, **values))
    o.settle()


def nudges(o: Oneness) -> list[Message]:
    return [m for m in o.slack.messages("CTEAM") if m.user != "ULEAD"]


def rallies(o: Oneness) -> list[Rally]:
    with transaction(o.deps.sessions) as session:
        return list(session.scalars(select(Rally).order_by(Rally.id)))


def seen_by(o: Oneness, user: str) -> str:
    return "\n".join(e.all_text() for e in o.slack.ephemerals(user))


def test_team_visibility_names_the_member_with_note_and_help(team: Oneness) -> None:
    pulse(team, "UANN", 3, note="client escalation <!channel>")
    [nudge] = nudges(team)
    text = nudge.all_text()
    assert "<@UANN>" in text and "3/10" in text and "a specialist" in text
    assert "client escalation &lt;!channel&gt;" in text and "<!channel>" not in text
    assert "I can help" in text and "I'll own this" in text


def test_anonymous_nudge_identifies_nobody(team: Oneness) -> None:
    pulse(team, "UANN", 2, visibility="anonymous", note="Ann's client hates me")
    [nudge] = nudges(team)
    text = nudge.all_text()
    assert text.startswith(
        ":raising_hand: A teammate is having a rough week and could use a specialist."
    )
    for leak in ("UANN", "Ann", "ann", "2/10", "client", "<@"):
        assert leak not in text.replace("I can help", "").replace("I'll own this", ""), leak


def test_leads_only_posts_nothing_in_the_channel_and_dms_the_leads(team: Oneness) -> None:
    pulse(team, "UANN", 2, visibility="leads", note="private matter")
    assert nudges(team) == []
    [dm] = [m for m in team.dms("ULEAD") if "Leads only" in m.all_text()]
    assert "<@UANN>" in dm.all_text() and "private matter" in dm.all_text()


def test_a_first_check_in_above_the_floor_does_not_rally(team: Oneness) -> None:
    pulse(team, "UANN", 5)
    assert nudges(team) == [] and rallies(team) == []


def test_sharp_drop_against_baseline_rallies_any_day(team: Oneness) -> None:
    for score in (9, 8, 9, 8):
        pulse(team, "UBOB", score)
    assert nudges(team) == []
    pulse(team, "UBOB", 6)  # 2.5 below the mean of the last four
    assert len(nudges(team)) == 1 and rallies(team)[0].user_id == "UBOB"


def test_second_drop_updates_the_open_rally_instead_of_posting(team: Oneness) -> None:
    pulse(team, "UANN", 3, note="first")
    pulse(team, "UANN", 2, note="worse")
    [nudge] = nudges(team)
    assert "worse" in nudge.all_text() and "2/10" in nudge.all_text()
    assert len(rallies(team)) == 1
    assert len(team.slack.calls_to("chat.update")) >= 1


def test_offers_are_recorded_once_and_relayed_privately(team: Oneness) -> None:
    pulse(team, "UANN", 3)
    nudge = nudges(team)[0]
    team.driver.click("UBOB", nudge, rally_ids.RALLY_OFFER)
    team.driver.click("UBOB", nudge, rally_ids.RALLY_OFFER)
    team.settle()
    with transaction(team.deps.sessions) as session:
        assert [o.helper_id for o in session.scalars(select(Offer))] == ["UBOB"]
    assert "already offered" in seen_by(team, "UBOB")
    assert any("<@UBOB> offered to help" in m.all_text() for m in team.dms("UANN"))
    assert "1 offer of help" in nudges(team)[0].all_text()
    team.driver.click("UANN", nudges(team)[0], rally_ids.RALLY_OFFER)
    team.settle()
    assert "your own check-in" in seen_by(team, "UANN")


def test_anonymous_offer_is_accepted_before_names_are_shared(team: Oneness) -> None:
    pulse(team, "UANN", 2, visibility="anonymous")
    team.driver.click("UBOB", nudges(team)[0], rally_ids.RALLY_OFFER)
    team.settle()
    [offer_dm] = [m for m in team.dms("UANN") if "offered to help" in m.all_text()]
    assert "UBOB" not in offer_dm.all_text()
    assert not any("UANN" in m.all_text() for m in team.dms("UBOB"))
    team.driver.click("UANN", offer_dm, rally_ids.RALLY_ACCEPT)
    team.settle()
    assert "<@UBOB>" in seen_by(team, "UANN")
    assert any("<@UANN> accepted your offer" in m.all_text() for m in team.dms("UBOB"))


def test_one_owner_gets_the_details_and_the_nudge_shows_them(team: Oneness) -> None:
    pulse(team, "UANN", 3, note="need a hand with the audit")
    team.driver.click("UBOB", nudges(team)[0], rally_ids.RALLY_OWN)
    team.settle()
    [owner_dm] = [m for m in team.dms("UBOB") if "You own this one" in m.all_text()]
    assert "need a hand with the audit" in owner_dm.all_text()
    assert "owned by <@UBOB>" in nudges(team)[0].all_text()
    assert any("<@UBOB> now owns" in m.all_text() for m in team.dms("UANN"))
    team.driver.click("UCAT", nudges(team)[0], rally_ids.RALLY_OFFER)  # the own button is gone
    team.settle()
    assert rallies(team)[0].owner_id == "UBOB"


def test_only_owner_member_or_lead_can_resolve(team: Oneness) -> None:
    pulse(team, "UANN", 3)
    team.driver.click("UBOB", nudges(team)[0], rally_ids.RALLY_OWN)
    team.settle()
    [owner_dm] = [m for m in team.dms("UBOB") if "You own this one" in m.all_text()]
    team.driver.click("UCAT", owner_dm, rally_ids.RALLY_RESOLVE, value=str(rallies(team)[0].id))
    team.settle()
    assert "Only the owner" in seen_by(team, "UCAT")
    assert rallies(team)[0].status == "open"
    team.driver.click("UBOB", owner_dm, rally_ids.RALLY_RESOLVE)
    team.settle()
    assert rallies(team)[0].status == "resolved"
    assert "the help landed" in nudges(team)[0].all_text()


def test_follow_up_after_three_days_and_still_need_help_pings_owner(team: Oneness) -> None:
    pulse(team, "UANN", 3)
    team.driver.click("UBOB", nudges(team)[0], rally_ids.RALLY_OWN)
    team.settle()
    start = team.clock.now()
    assert team.advance_to(start + timedelta(days=2, hours=23)).followups == 0
    assert team.advance_to(start + timedelta(days=3)).followups == 1
    assert team.advance_to(start + timedelta(days=3, hours=1)).followups == 0
    [ask] = [m for m in team.dms("UANN") if "Did the help land?" in m.all_text()]
    team.driver.click("UANN", ask, rally_ids.RALLY_STILL)
    team.settle()
    assert any("still needs a specialist" in m.all_text() for m in team.dms("UBOB"))
    team.driver.click("UANN", ask, rally_ids.RALLY_RESOLVE)
    team.settle()
    assert rallies(team)[0].status == "resolved"


def test_still_need_help_without_owner_tells_the_leads(team: Oneness) -> None:
    pulse(team, "UANN", 3)
    team.advance_to(team.clock.now() + timedelta(days=3))
    [ask] = [m for m in team.dms("UANN") if "Did the help land?" in m.all_text()]
    team.driver.click("UANN", ask, rally_ids.RALLY_STILL)
    team.settle()
    assert any("Nobody owns this yet" in m.all_text() for m in team.dms("ULEAD"))


def test_escalation_to_leads_when_nobody_offers_within_a_day(team: Oneness) -> None:
    pulse(team, "UANN", 3)
    pulse(team, "UCAT", 2)
    team.driver.click("UBOB", nudges(team)[1], rally_ids.RALLY_OFFER)  # cat's rally has an offer
    team.settle()
    start = team.clock.now()
    assert team.advance_to(start + timedelta(hours=23)).escalations == 0
    assert team.advance_to(start + timedelta(hours=24)).escalations == 1
    assert team.advance_to(start + timedelta(hours=30)).escalations == 0
    escalations = [m for m in team.dms("ULEAD") if "Nobody has offered" in m.all_text()]
    assert len(escalations) == 1 and "<@UANN>" in escalations[0].all_text()


def test_member_leaving_withdraws_their_rally(team: Oneness) -> None:
    pulse(team, "UANN", 3)
    team.slash("ULEAD", "remove <@UANN>", channel="CTEAM")
    assert rallies(team)[0].status == "withdrawn"
    assert "withdrawn" in nudges(team)[0].all_text()


def test_paused_member_is_not_followed_up_until_back(team: Oneness) -> None:
    pulse(team, "UANN", 3)
    team.slash("ULEAD", "pause <@UANN> until 2026-12-05", channel="CTEAM")
    start = team.clock.now()
    assert team.advance_to(start + timedelta(days=4)).followups == 0
    assert rallies(team)[0].status == "open"
    assert team.advance_to(start + timedelta(days=11)).followups == 1


def test_home_lists_rallies_i_own_or_offered_on(team: Oneness) -> None:
    pulse(team, "UANN", 3)
    team.driver.click("UBOB", nudges(team)[0], rally_ids.RALLY_OWN)
    team.driver.app_home_opened("UBOB")
    team.settle()
    team.driver.app_home_opened("UBOB")
    team.settle()
    home = str(team.slack.home_view("UBOB"))
    assert "Rallies you're helping with" in home and "you own this" in home


def test_a_forged_click_on_someone_elses_prompt_stores_nothing(team: Oneness) -> None:
    from datetime import UTC, datetime

    team.advance_to(datetime(2026, 11, 27, 15, 0, tzinfo=UTC))
    ann_prompt = [m for m in team.dms("UANN") if "Weekly check-in" in m.all_text()][-1]
    team.driver.click("UROBOT", ann_prompt, f"{checkin_ids.SCORE_PREFIX}1")  # not a member
    team.settle()
    from storage.models import CheckIn

    with transaction(team.deps.sessions) as session:
        assert list(session.scalars(select(CheckIn))) == []
    assert "not a member of Rocket" in seen_by(team, "UROBOT")
