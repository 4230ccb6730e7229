"""Notification text (a message's `text`, what push previews show): names, never raw ids,
escaped, and never more than the message's blocks show."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from bot.rally import ids as rally_ids
from localslack import Message, User
from tests.harness import Oneness
from tests.rally.test_rally import nudges, pulse

USER_ID = re.compile(r"\bU[A-Z0-9]{2,}\b")


@pytest.fixture
def team(oneness: Oneness) -> Oneness:
    oneness.slack.add_user(User(id="UEVE", name="Eve <!here> <@ULEAD>"))
    oneness.slash("ULEAD", "setup <#CTEAM|team> Rocket")
    oneness.slash("ULEAD", "add <@UANN> <@UBOB> <@UCAT> <@UEVE>", channel="CTEAM")
    return oneness


def bot_messages(o: Oneness, *users: str) -> list[Message]:
    found = [m for m in o.slack.messages("CTEAM") if m.user == "UBOT"]
    for user in users:
        found += o.dms(user, welcomes=True)
    return found


def assert_no_ids(messages: list[Message]) -> None:
    for message in messages:
        assert not USER_ID.search(message.text), message.text
        assert "<@" not in message.text and "<!" not in message.text, message.text


def test_a_named_rally_is_notified_by_name(team: Oneness) -> None:
    o = team
    pulse(o, "UANN", 2, visibility="team")
    [nudge] = nudges(o)
    assert nudge.text == "ann checked in at 2/10 and could use a specialist."
    o.clock.advance(timedelta(days=2))
    o.tick()  # nobody offered in a day: the lead is told
    [escalated] = [m.text for m in o.dms("ULEAD") if "Nobody has offered" in m.text]
    assert escalated == "Nobody has offered help in a day: ann in Rocket could use a specialist."
    o.driver.click("UBOB", nudge, rally_ids.RALLY_OFFER)
    o.settle()
    offered = [m.text for m in o.dms("UANN") if "offered" in m.text]
    assert offered == ["bob offered to help."]
    o.clock.advance(timedelta(days=5))
    o.tick()  # the member is asked whether the help landed
    [followup] = [m for m in o.dms("UANN") if "Did the help land" in m.text]
    o.driver.click("UANN", followup, rally_ids.RALLY_STILL)
    o.settle()
    [still] = [m.text for m in o.dms("ULEAD") if "still needs" in m.text]
    assert still == "ann in Rocket still needs a specialist. Nobody owns this yet."
    assert_no_ids(bot_messages(o, "UANN", "UBOB", "ULEAD"))


def test_an_anonymous_rally_names_nobody_anywhere(team: Oneness) -> None:
    o = team
    pulse(o, "UANN", 2, visibility="anonymous")
    [nudge] = nudges(o)
    assert "Ann" not in nudge.text and "A teammate" in nudge.text
    o.driver.click("UBOB", nudge, rally_ids.RALLY_OFFER)
    o.settle()
    assert [m.text for m in o.dms("UANN") if "offered" in m.text] == ["A teammate offered to help."]
    o.clock.advance(timedelta(days=2))
    o.tick()
    for message in bot_messages(o, "UANN", "UBOB", "ULEAD", "UCAT"):
        words = message.text.lower().split()
        assert "ann" not in words and "bob" not in words, message.text
    assert_no_ids(bot_messages(o, "UANN", "UBOB", "ULEAD", "UCAT"))


def test_a_leads_only_rally_names_the_member_to_the_leads_only(team: Oneness) -> None:
    o = team
    pulse(o, "UANN", 2, visibility="leads")
    assert nudges(o) == []
    [to_lead] = [m for m in o.dms("ULEAD") if "Leads only" in m.text]
    assert to_lead.text == "Leads only: ann could use help"
    assert_no_ids(bot_messages(o, "UANN", "ULEAD"))


def test_names_in_notification_text_are_escaped(team: Oneness) -> None:
    o = team
    pulse(o, "UEVE", 2, visibility="team")
    [nudge] = nudges(o)
    assert nudge.text.startswith("Eve &lt;!here&gt; &lt;@ULEAD&gt; checked in at 2/10")
    o.driver.click("UEVE", o.dms("UEVE")[-1], rally_ids.RALLY_WITHDRAW)
    o.settle()
    pulse(o, "UBOB", 2, visibility="team")
    bob = nudges(o)[-1]
    o.driver.click("UEVE", bob, rally_ids.RALLY_OFFER)
    o.settle()
    [offered] = [m.text for m in o.dms("UBOB") if "offered" in m.text]
    assert offered == "Eve &lt;!here&gt; &lt;@ULEAD&gt; offered to help."
