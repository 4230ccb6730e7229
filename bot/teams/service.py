"""Teams and membership: resolving the team a command is about, setup, add, remove, lead."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from bot.platform.directory import Person
from bot.platform.errors import Conflict, NotAllowed, NotFound, UsageError
from bot.schedule.calendar import MemberClock
from storage import teams as store
from storage.models import Team


@dataclass(frozen=True)
class TeamSettings:
    """What setup decides about a new team."""

    name: str
    channel_id: str
    prompt_weekday: str = "fri"
    prompt_time: str = "15:00"
    timezone: str = "UTC"


@dataclass
class MembershipResult:
    """What an add/remove/lead did, person by person."""

    done: list[Person] = field(default_factory=list)
    unchanged: list[Person] = field(default_factory=list)
    refused: list[tuple[Person, str]] = field(default_factory=list)


def resolve_team(
    session: Session, *, user_id: str, channel_id: str | None, team_name: str | None
) -> Team:
    """The team a command means: `team:<name>`, else the channel's team, else my only team."""
    if team_name:
        team = store.team_by_name(session, team_name)
        if team is None:
            raise NotFound(f"There is no team called “{team_name}”. `/oneness setup` creates one.")
        return team
    if channel_id:
        team = store.team_by_channel(session, channel_id)
        if team is not None:
            return team
    mine = store.teams_of(session, user_id)
    if len(mine) == 1:
        return mine[0]
    if not mine:
        raise NotFound(
            "You are not in a team yet. A lead can add you with `/oneness add @you`, "
            "or start one with `/oneness setup #channel`."
        )
    names = ", ".join(f"`team:{t.name}`" for t in mine)
    raise UsageError(f"You are in several teams; add one of {names} to the command.")


def require_lead(session: Session, team: Team, user_id: str, doing: str) -> None:
    """Refuse unless the person leads the team."""
    if not store.is_lead(session, team.id, user_id):
        raise NotAllowed(f"Only leads of {team.name} can {doing}.")


def setup_team(session: Session, settings: TeamSettings, *, creator: str, now: datetime) -> Team:
    """Create a team bound to a channel with the creator as its lead."""
    existing = store.team_by_channel(session, settings.channel_id)
    if existing is not None:
        raise Conflict(
            f"<#{settings.channel_id}> already belongs to team {existing.name}. "
            "Pick another channel, or ask its leads to add you."
        )
    if store.team_by_name(session, settings.name) is not None:
        raise Conflict(f"A team called {settings.name} already exists; pick another name.")
    team = store.create_team(
        session,
        name=settings.name,
        channel_id=settings.channel_id,
        created_by=creator,
        created_at=now,
        prompt_weekday=settings.prompt_weekday,
        prompt_time=settings.prompt_time,
        timezone=settings.timezone,
    )
    store.add_lead(session, team.id, creator, now)
    return team


def refusal(person: Person) -> str | None:
    """Why a person cannot be a member, or None."""
    if person.is_bot:
        return "is a bot"
    if person.deleted:
        return "is deactivated"
    return None


def add_members(
    session: Session, team: Team, people: Sequence[Person], *, now: datetime
) -> MembershipResult:
    """Add people as members; bots and deactivated accounts are refused."""
    result = MembershipResult()
    for person in people:
        reason = refusal(person)
        if reason:
            result.refused.append((person, reason))
            continue
        row = store.member(session, team.id, person.id)
        if row is not None and row.active:
            result.unchanged.append(person)
            continue
        store.add_member(
            session, team.id, person.id, display_name=person.name, tz=person.tz, now=now
        )
        result.done.append(person)
    return result


def remove_members(
    session: Session, team: Team, people: Sequence[Person], *, now: datetime
) -> MembershipResult:
    """Stop prompting people; their history stays until they ask to be forgotten."""
    result = MembershipResult()
    for person in people:
        row = store.member(session, team.id, person.id)
        if row is None or not row.active:
            result.unchanged.append(person)
            continue
        store.deactivate_member(session, row, now)
        result.done.append(person)
    return result


def make_leads(
    session: Session, team: Team, people: Sequence[Person], *, now: datetime
) -> MembershipResult:
    """Make people leads (they are not prompted unless also members)."""
    result = MembershipResult()
    for person in people:
        reason = refusal(person)
        if reason:
            result.refused.append((person, reason))
        elif store.add_lead(session, team.id, person.id, now):
            result.done.append(person)
        else:
            result.unchanged.append(person)
    return result


def demote_creator_if_replaced(session: Session, team: Team, creator: str) -> None:
    """Drop the creator's lead role when the setup form named other leads instead."""
    if len(store.lead_ids(session, team.id)) > 1:
        store.remove_lead(session, team.id, creator)


def led_teams(session: Session, user_id: str) -> list[Team]:
    """Teams this person leads."""
    return [t for t in store.teams_of(session, user_id) if store.is_lead(session, t.id, user_id)]


def member_clocks(session: Session, team_id: int) -> list[MemberClock]:
    """The scheduling view of a team's active members."""
    return [MemberClock(*row) for row in store.member_schedules(session, team_id)]
