"""The bot against the strict local Slack: what real Slack refuses, the bot must survive.

Each test is a strict xfail naming the part of issue 11 that makes it pass: the local Slack
already refuses what real Slack refuses (tests of it in this folder), and these show where
the bot does not cope yet. When the bot is fixed, a test passes and the xfail mark must go.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.checkin import ids as checkin_ids
from bot.rally import ids as rally_ids
from localslack import Channel, Faults, User
from localslack.ratelimit import AFTER_KINDS
from storage import teams as team_store
from storage.db import transaction
from storage.models import CheckIn, Team
from tests.checkin.test_weekly import FRIDAY_3PM_LONDON, make_team
from tests.harness import Oneness
from tests.summary.test_summary_and_export import MONDAY_9AM

# A public channel the bot has not been invited to (a real team /invites it by hand).
NO_BOT = Channel(id="CNOBOT", name="nobot", members=["ULEAD", "UANN", "UBOB"])


def key_of(message: object) -> str:
    """The delivery key the bot puts in a message's metadata."""
    metadata = getattr(message, "metadata", None) or {}
    return str((metadata.get("event_payload") or {}).get("key", ""))


def checkins(o: Oneness) -> list[CheckIn]:
    """Every stored check-in, oldest first."""
    with transaction(o.deps.sessions) as session:
        return list(session.scalars(select(CheckIn).order_by(CheckIn.id)))


def team_in_channel_without_bot(o: Oneness, *members: str) -> None:
    """A team bound to #nobot, which the bot is not in."""
    o.slack.add_channel(NO_BOT)
    o.slash("ULEAD", "setup <#CNOBOT|nobot> Rocket")
    o.slash("ULEAD", "add " + " ".join(f"<@{m}>" for m in members), channel="CNOBOT")
    o.slash("ULEAD", "schedule fri 15:00 Europe/London", channel="CNOBOT")


def test_setup_warns_when_the_bot_is_not_in_the_channel(oneness: Oneness) -> None:
    """conversations.info says the bot is not in #nobot, and setup says how to fix it."""
    oneness.slack.add_channel(NO_BOT)
    seen = oneness.slash("ULEAD", "setup <#CNOBOT|nobot> Rocket")
    assert "/invite @Oneness" in seen


def test_a_nudge_refused_for_access_goes_out_after_invite(oneness: Oneness) -> None:
    o = oneness
    team_in_channel_without_bot(o, "UANN", "UBOB")
    o.advance_to(FRIDAY_3PM_LONDON)
    o.driver.dm("UANN", "2 everything is on fire")
    o.settle()
    assert [c.error for c in o.slack.calls_to("chat.postMessage") if not c.ok] == ["not_in_channel"]
    o.driver.invite("CNOBOT", inviter="ULEAD")
    o.settle()
    nudges = [m for m in o.slack.messages("CNOBOT") if key_of(m).startswith("rally:")]
    assert len(nudges) == 1


def test_leads_hear_once_that_the_bot_cannot_post(oneness: Oneness) -> None:
    o = oneness
    team_in_channel_without_bot(o, "UANN", "UBOB")
    o.advance_to(FRIDAY_3PM_LONDON)
    o.driver.dm("UANN", "2 everything is on fire")
    o.driver.dm("UBOB", "3 same here")
    o.settle()
    told = [m for m in o.dms("ULEAD") if "/invite @Oneness" in m.all_text()]
    assert len(told) == 1


def test_a_long_leads_summary_still_reaches_the_lead(oneness: Oneness) -> None:
    o = oneness
    members = [f"UM{i:03d}" for i in range(40)]
    for user in members:
        o.slack.add_user(User(id=user, name=user.lower()))
    o.slash("ULEAD", "setup <#CTEAM|team> Rocket")
    o.slash("ULEAD", "add " + " ".join(f"<@{m}>" for m in members), channel="CTEAM")
    o.slash("ULEAD", "schedule fri 15:00 Europe/London", channel="CTEAM")
    o.advance_to(FRIDAY_3PM_LONDON)
    for user in members:  # every note as long as the summary shows (300 characters)
        o.driver.dm(user, "7 " + "the release slipped again and " * 10)
    o.settle()
    o.slash("ULEAD", "summary", channel="CTEAM")
    refused = [c for c in o.slack.calls_to("chat.postMessage") if not c.ok]
    assert refused == []
    assert [m for m in o.dms("ULEAD") if "Leads' summary" in m.all_text()]


@pytest.mark.parametrize("kind", AFTER_KINDS)
def test_prompts_are_posted_once_when_slack_fails_after_posting(
    oneness: Oneness, kind: str
) -> None:
    o = oneness
    make_team(o, "UANN", "UBOB")
    o.slack.faults = Faults(ratio=1.0, kinds=(kind,), methods={"chat.postMessage"})
    o.advance_to(FRIDAY_3PM_LONDON)
    o.slack.faults = None
    o.tick()  # the next tick retries whatever is left
    for user in ("UANN", "UBOB"):
        prompts = [m for m in o.dms(user) if key_of(m).startswith("prompt:")]
        assert len(prompts) == 1, (user, len(prompts))


def test_a_slack_error_on_the_reply_does_not_lose_the_rally(oneness: Oneness) -> None:
    o = oneness
    make_team(o, "UANN", "UBOB")
    o.advance_to(FRIDAY_3PM_LONDON)
    # Updating the prompt fails however often the client retries (as a 429 and a 500 in a
    # row do for slack_sdk, whose retry handlers share one attempt count).
    o.slack.faults = Faults(ratio=1.0, kinds=("500",), methods={"chat.update"})
    o.driver.dm("UANN", "2 everything is on fire")
    o.settle()
    o.slack.faults = None
    o.tick()
    assert [(c.user_id, c.score) for c in checkins(o)] == [("UANN", 2)]
    nudges = [m for m in o.slack.messages("CTEAM") if key_of(m).startswith("rally:")]
    assert len(nudges) == 1


def test_the_home_is_published_while_the_chart_is_processing(oneness: Oneness) -> None:
    o = oneness
    o.slack.file_processing_seconds = 3600  # Slack has not finished with the chart yet
    make_team(o, "UANN", "UBOB", "UCAT")
    o.advance_to(FRIDAY_3PM_LONDON)
    for user, text in {"UANN": "6", "UBOB": "7", "UCAT": "8"}.items():
        o.driver.dm(user, text)
    o.settle()
    # The week closes: its summary has the chart (a lead's `summary` mid-week has none).
    o.advance_to(MONDAY_9AM)
    assert o.slack.files and not o.slack.file_processed(o.slack.files[-1].id)
    o.driver.app_home_opened("ULEAD")
    o.settle()
    home = o.slack.home_view("ULEAD")
    assert home is not None and "Dashboard" in str(home)


def test_resolved_on_the_home_tab_answers_on_the_home_tab(oneness: Oneness) -> None:
    o = oneness
    make_team(o, "UANN", "UBOB")
    o.advance_to(FRIDAY_3PM_LONDON)
    o.driver.dm("UANN", "2 everything is on fire")
    o.settle()
    [nudge] = [m for m in o.slack.messages("CTEAM") if key_of(m).startswith("rally:")]
    o.driver.click("UBOB", nudge, rally_ids.RALLY_OWN)
    o.settle()
    o.driver.app_home_opened("UBOB")
    o.settle()
    home = o.slack.home_view("UBOB")
    assert home is not None and rally_ids.RALLY_RESOLVE in str(home)
    o.driver.click_in_view("UBOB", home, rally_ids.RALLY_RESOLVE)
    o.settle()
    assert rally_ids.RALLY_RESOLVE not in str(o.slack.home_view("UBOB"))


def test_a_dm_with_a_file_counts_by_its_text(oneness: Oneness) -> None:
    o = oneness
    make_team(o, "UANN")
    o.advance_to(FRIDAY_3PM_LONDON)
    o.driver.dm_with_file("UANN", "6 see screenshot")
    o.settle()
    assert [(c.user_id, c.score, c.note) for c in checkins(o)] == [("UANN", 6, "see screenshot")]


def test_an_edited_answer_updates_it(oneness: Oneness) -> None:
    o = oneness
    make_team(o, "UANN")
    o.advance_to(FRIDAY_3PM_LONDON)
    o.driver.dm("UANN", "6")
    o.settle()
    [said] = [m for m in o.slack.dms("UANN") if m.user == "UANN"]
    o.driver.edit_dm("UANN", said, "4 worse than I said")
    o.settle()
    assert [(c.score, c.note) for c in checkins(o)] == [(4, "worse than I said")]


def test_a_deactivated_lead_is_no_longer_a_lead(oneness: Oneness) -> None:
    o = oneness
    make_team(o, "UANN", "UBOB")
    o.slash("ULEAD", "lead <@UBOB>", channel="CTEAM")
    o.driver.deactivate("ULEAD")
    o.settle()
    with transaction(o.deps.sessions) as session:
        team = session.scalars(select(Team)).one()
        assert team_store.lead_ids(session, team.id) == ["UBOB"]


def test_the_home_check_in_button_needs_no_response_url(oneness: Oneness) -> None:
    """Home clicks arrive as Slack sends them (no response_url) and the bot copes here."""
    o = oneness
    make_team(o, "UANN")
    o.driver.app_home_opened("UANN")
    o.settle()
    home = o.slack.home_view("UANN")
    assert home is not None
    o.driver.click_in_view("UANN", home, checkin_ids.HOME_CHECKIN)
    o.settle()
    assert "response_url" not in o.slack.deliveries[-1].payload
    assert o.slack.open_views("UANN")[-1]["callback_id"] == checkin_ids.CHECKIN_VIEW
