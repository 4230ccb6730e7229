"""Setup, add, remove and lead through `/oneness`, with every refusal changing nothing."""

from __future__ import annotations

from sqlalchemy import select

from bot.teams import ids as teams_ids
from localslack import field_values
from storage.db import transaction
from storage.models import Lead, Member, Team
from tests.harness import Oneness


def members(oneness: Oneness) -> list[tuple[str, bool]]:
    with transaction(oneness.deps.sessions) as session:
        return [(m.user_id, m.active) for m in session.scalars(select(Member).order_by(Member.id))]


def leads(oneness: Oneness) -> list[str]:
    with transaction(oneness.deps.sessions) as session:
        return list(session.scalars(select(Lead.user_id).order_by(Lead.id)))


def test_unknown_subcommand_and_bad_arguments_say_what_to_type(oneness: Oneness) -> None:
    reply = oneness.driver.slash("ULEAD", "frobnicate")
    assert "I don't know `frobnicate`" in reply.ephemeral_text
    assert "/oneness help" in reply.ephemeral_text
    assert "Name at least one person" in oneness.driver.slash("ULEAD", "add").ephemeral_text
    assert "is not a person" in oneness.driver.slash("ULEAD", "add bob").ephemeral_text
    assert "takes a channel first" in oneness.driver.slash("ULEAD", "setup team").ephemeral_text
    oneness.settle()
    with transaction(oneness.deps.sessions) as session:
        assert session.scalars(select(Team)).all() == []


def test_membership_changes_by_leads_only(oneness: Oneness) -> None:
    oneness.slash("ULEAD", "setup <#CTEAM|team> Rocket")
    assert leads(oneness) == ["ULEAD"] and members(oneness) == []  # a lead is not a member
    refused = oneness.slash("UANN", "add <@UBOB>", channel="CTEAM")
    assert "Only leads of Rocket can add members" in refused
    assert members(oneness) == []
    oneness.slash("ULEAD", "add <@UANN|ann> @bob", channel="CTEAM")
    assert members(oneness) == [("UANN", True), ("UBOB", True)]
    again = oneness.slash("ULEAD", "add <@UANN>", channel="CTEAM")
    assert "already members" in again
    oneness.slash("ULEAD", "remove <@UBOB>", channel="CTEAM")
    assert members(oneness) == [("UANN", True), ("UBOB", False)]
    oneness.slash("ULEAD", "lead <@UANN>", channel="CTEAM")
    assert leads(oneness) == ["ULEAD", "UANN"]
    assert "Only leads" not in oneness.slash("UANN", "add <@UCAT>", channel="CTEAM")


def test_bots_and_deactivated_people_are_refused(oneness: Oneness) -> None:
    oneness.slash("ULEAD", "setup <#CTEAM|team> Rocket")
    seen = oneness.slash("ULEAD", "add <@UROBOT> <@UGONE>", channel="CTEAM")
    assert "<@UROBOT> is a bot" in seen and "<@UGONE> is deactivated" in seen
    assert members(oneness) == []
    assert "can't find" in oneness.slash("ULEAD", "add @nobody", channel="CTEAM")


def test_a_channel_holds_one_team(oneness: Oneness) -> None:
    oneness.slash("ULEAD", "setup <#CTEAM|team> Rocket")
    seen = oneness.slash("UANN", "setup <#CTEAM|team> Other")
    assert "already belongs to team Rocket" in seen
    with transaction(oneness.deps.sessions) as session:
        assert [t.name for t in session.scalars(select(Team))] == ["Rocket"]


def test_team_selector_and_several_teams(oneness: Oneness) -> None:
    oneness.slash("ULEAD", "setup <#CTEAM|team> Rocket")
    oneness.slash("ULEAD", "setup <#COTHER|other> Comet")
    seen = oneness.slash("ULEAD", "add <@UANN>")  # from a DM: which team?
    assert "several teams" in seen and "team:Rocket" in seen
    oneness.slash("ULEAD", "add <@UANN> team:Comet")
    with transaction(oneness.deps.sessions) as session:
        team = session.scalar(select(Team).where(Team.name == "Comet"))
        assert team is not None
        assert [
            m.user_id for m in session.scalars(select(Member).where(Member.team_id == team.id))
        ] == ["UANN"]


def test_setup_modal_creates_team_with_members_and_schedule(oneness: Oneness) -> None:
    oneness.driver.slash("ULEAD", "setup", channel="CTEAM")
    oneness.settle()
    view = oneness.slack.open_views("ULEAD")[-1]
    assert view["callback_id"] == teams_ids.SETUP_VIEW
    bad = oneness.driver.submit_view(
        "ULEAD",
        view,
        field_values(view, setup_name="Rocket", setup_channel="CTEAM", setup_zone="Mars/Olympus"),
    )
    assert bad.response_action == "errors" and teams_ids.SETUP_ZONE in bad.body["errors"]
    reply = oneness.driver.submit_view(
        "ULEAD",
        view,
        field_values(
            view,
            setup_name="Rocket",
            setup_channel="CTEAM",
            setup_members=["UANN", "UROBOT"],
            setup_weekday="thu",
            setup_time="10:30",
            setup_zone="America/New_York",
        ),
    )
    assert reply.status == 200 and reply.response_action is None
    oneness.settle()
    with transaction(oneness.deps.sessions) as session:
        team = session.scalar(select(Team))
        assert team is not None
        assert (
            team.name,
            team.channel_id,
            team.prompt_weekday,
            team.prompt_time,
            team.timezone,
        ) == ("Rocket", "CTEAM", "thu", "10:30", "America/New_York")
    assert members(oneness) == [("UANN", True)]
    confirmation = oneness.dms("ULEAD")[-1].all_text()
    assert "Team *Rocket* is set up" in confirmation and "<@UROBOT> is a bot" in confirmation
