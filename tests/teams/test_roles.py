"""Roles stay consistent: owners who go release their rallies; a team always has a lead."""

from __future__ import annotations

from sqlalchemy import select

from bot.rally import ids as rally_ids
from localslack import Message
from storage.db import transaction
from storage.models import Lead, Member, Rally
from tests.checkin.test_weekly import FRIDAY_3PM_LONDON, make_team
from tests.harness import Oneness


def leads(o: Oneness) -> list[str]:
    with transaction(o.deps.sessions) as session:
        return list(session.scalars(select(Lead.user_id).order_by(Lead.id)))


def owner(o: Oneness) -> str | None:
    with transaction(o.deps.sessions) as session:
        rally = session.scalars(select(Rally)).one()
        assert rally.status == "open"
        return rally.owner_id


def nudge(o: Oneness) -> Message:
    [found] = [m for m in o.slack.messages("CTEAM") if "rally:" in str(m.metadata)]
    return found


def rally_owned_by_bob(o: Oneness) -> None:
    """Ann (anonymous by default) asks for help; Bob owns it."""
    make_team(o, "UANN", "UBOB", "UCAT")
    o.advance_to(FRIDAY_3PM_LONDON)
    o.driver.dm("UANN", "2 everything is on fire")
    o.settle()
    o.driver.click("UBOB", nudge(o), rally_ids.RALLY_OWN)
    o.settle()
    assert owner(o) == "UBOB"
    assert rally_ids.RALLY_OWN not in str(nudge(o).blocks)


def released_dms(o: Oneness, user: str) -> list[str]:
    return [m.all_text() for m in o.dms(user) if "released" in str(m.metadata)]


def test_removing_an_owner_opens_the_rally_and_tells_member_and_leads(oneness: Oneness) -> None:
    o = oneness
    rally_owned_by_bob(o)
    o.slash("ULEAD", "remove <@UBOB>", channel="CTEAM")
    assert owner(o) is None
    assert rally_ids.RALLY_OWN in str(nudge(o).blocks)  # anyone can own it again
    [to_ann] = released_dms(o, "UANN")
    assert "nobody owns it now" in to_ann and "was removed from the team" in to_ann
    [to_lead] = released_dms(o, "ULEAD")
    assert "Nobody owns the help for a teammate" in to_lead  # anonymous: no name
    assert "UANN" not in to_lead
    assert released_dms(o, "UBOB") == []
    o.driver.click("UCAT", nudge(o), rally_ids.RALLY_OWN)
    o.settle()
    assert owner(o) == "UCAT"


def test_a_deactivated_owner_and_lead_is_dropped_everywhere(oneness: Oneness) -> None:
    o = oneness
    rally_owned_by_bob(o)
    o.slash("ULEAD", "lead <@UBOB>", channel="CTEAM")
    assert leads(o) == ["ULEAD", "UBOB"]
    o.driver.deactivate("UBOB")
    o.settle()
    assert leads(o) == ["ULEAD"]
    assert owner(o) is None
    with transaction(o.deps.sessions) as session:
        bob = session.scalars(select(Member).where(Member.user_id == "UBOB")).one()
        assert not bob.active
    [to_ann] = released_dms(o, "UANN")
    assert "no longer in this Slack workspace" in to_ann
    assert len(released_dms(o, "ULEAD")) == 1


def test_an_owner_who_leaves_releases_the_rally(oneness: Oneness) -> None:
    o = oneness
    rally_owned_by_bob(o)
    o.slash("UBOB", "leave", channel="CTEAM")
    assert owner(o) is None
    assert "left the team" in released_dms(o, "UANN")[0]


def test_the_last_lead_steps_down_only_by_naming_the_next(oneness: Oneness) -> None:
    o = oneness
    make_team(o, "UANN", "UBOB")
    refused = o.slash("ULEAD", "step-down", channel="CTEAM")
    assert "You are the last lead of Rocket" in refused
    assert "`/oneness step-down @someone team:Rocket`" in refused
    assert leads(o) == ["ULEAD"]
    assert "can't lead" in o.slash("ULEAD", "step-down <@UROBOT>", channel="CTEAM")
    assert leads(o) == ["ULEAD"]
    done = o.slash("ULEAD", "step-down <@UANN>", channel="CTEAM")
    assert "You are no longer a lead of Rocket" in done and "<@UANN>" in done
    assert leads(o) == ["UANN"]
    assert "not a lead" in o.slash("ULEAD", "step-down", channel="CTEAM")
    o.slash("UANN", "lead <@UBOB>", channel="CTEAM")
    o.slash("UANN", "step-down", channel="CTEAM")  # not the last: no successor needed
    assert leads(o) == ["UBOB"]


def test_the_last_lead_cannot_leave_or_be_forgotten(oneness: Oneness) -> None:
    o = oneness
    make_team(o, "UANN")
    assert "You are the last lead of Rocket" in o.slash("ULEAD", "leave", channel="CTEAM")
    assert "You are the last lead of Rocket" in o.slash("ULEAD", "forget me", channel="CTEAM")
    assert leads(o) == ["ULEAD"]


def test_a_team_whose_last_lead_was_deactivated_lets_a_member_name_one(oneness: Oneness) -> None:
    o = oneness
    make_team(o, "UANN", "UBOB")
    assert "Only leads" in o.slash("UANN", "lead <@UANN>", channel="CTEAM")
    o.driver.deactivate("ULEAD")
    o.settle()
    assert leads(o) == []
    assert "Only leads" in o.slash("UCAT", "lead <@UCAT>", channel="CTEAM")  # not a member
    o.slash("UANN", "lead <@UANN>", channel="CTEAM")
    assert leads(o) == ["UANN"]
    assert "Only leads" in o.slash("UBOB", "lead <@UBOB>", channel="CTEAM")  # has a lead again
