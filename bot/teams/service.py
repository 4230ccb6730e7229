"""Teams and membership: resolving the team a command is about, setup, add, remove, lead."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy.orm import Session

from bot.platform.blocks import Reply, text_reply
from bot.platform.delivery import Outgoing, deliver
from bot.platform.deps import Deps
from bot.platform.directory import Directory, Person
from bot.platform.errors import Conflict, NotAllowed, NotFound, UsageError
from bot.platform.escape import escape
from bot.platform.mentions import ChannelRef, UserRef
from bot.rally import service as rally
from bot.schedule.calendar import MemberClock
from bot.teams.blocks import (
    SetupForm,
    Welcome,
    left_reply,
    membership_reply,
    team_created_reply,
    welcome_message,
)
from bot.teams.rules import MembershipResult, describe_schedule, name_problem
from storage import teams as store
from storage.db import transaction
from storage.models import Team

log = logging.getLogger("oneness.teams")


@dataclass(frozen=True)
class TeamSettings:
    """What setup decides about a new team."""

    name: str
    channel_id: str
    prompt_weekday: str = "fri"
    prompt_time: str = "15:00"
    timezone: str = "UTC"


def resolve_team(
    session: Session, *, user_id: str, channel_id: str | None, team_name: str | None
) -> Team:
    """The team a command means: `team:<name>`, else the channel's team, else my only team."""
    if team_name:
        team = store.team_by_name(session, team_name)
        if team is None:
            raise NotFound(
                f"There is no team called “{escape(team_name)}”. `/oneness setup` creates one."
            )
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
    names = ", ".join(f"`team:{escape(t.name)}`" for t in mine)
    raise UsageError(f"You are in several teams; add one of {names} to the command.")


def require_lead(session: Session, team: Team, user_id: str, doing: str) -> None:
    """Refuse unless the person leads the team."""
    if not store.is_lead(session, team.id, user_id):
        raise NotAllowed(f"Only leads of {escape(team.name)} can {doing}.")


def require_member_or_lead(session: Session, team: Team, user_id: str, doing: str) -> bool:
    """Refuse people outside the team; True when the person leads it."""
    if store.is_lead(session, team.id, user_id):
        return True
    row = store.member(session, team.id, user_id)
    if row is None or not row.active:
        raise NotAllowed(f"You are not in {escape(team.name)}, so you can't {doing}.")
    return False


def setup_team(session: Session, settings: TeamSettings, *, creator: str, now: datetime) -> Team:
    """Create a team bound to a channel with the creator as its lead."""
    problem = name_problem(settings.name)
    if problem is not None:
        raise UsageError(f"{problem}: `/oneness setup #channel Rocket Team`.")
    existing = store.team_by_channel(session, settings.channel_id)
    if existing is not None:
        raise Conflict(
            f"<#{settings.channel_id}> already belongs to team {escape(existing.name)}. "
            "Pick another channel, or ask its leads to add you."
        )
    if store.team_by_name(session, settings.name) is not None:
        raise Conflict(f"A team called {escape(settings.name)} already exists; pick another name.")
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


# Use cases: each takes the process's Deps, owns its transactions and its Slack calls.


def setup_inline(deps: Deps, user_id: str, channel: ChannelRef, name: str | None) -> Reply:
    """`/oneness setup #channel [name]`: bind a team to the channel with the caller as lead."""
    directory = Directory(deps.client)
    found = directory.channel(channel)
    me = directory.person(user_id)
    settings = TeamSettings(
        name=name or found.name or found.id, channel_id=found.id, timezone=me.tz or "UTC"
    )
    with transaction(deps.sessions) as session:
        team = setup_team(session, settings, creator=user_id, now=deps.clock.now())
        team.bot_in_channel, team.access_checked_at = found.is_member, deps.clock.now()
        team_name = team.name
    when = describe_schedule(settings.prompt_weekday, settings.prompt_time, settings.timezone)
    return team_created_reply(team_name, found.id, found.is_member, when)


def create_from_form(deps: Deps, creator: str, form: SetupForm) -> Reply:
    """Create the team the setup modal describes, add its members and leads, welcome them."""
    directory = Directory(deps.client)
    channel = directory.channel(ChannelRef(channel_id=form.channel_id))
    members = [directory.person(u) for u in form.members]
    leads = [directory.person(u) for u in form.leads if u != creator]
    settings = TeamSettings(form.name, form.channel_id, form.weekday, form.time, form.timezone)
    now = deps.clock.now()
    with transaction(deps.sessions) as session:
        team = setup_team(session, settings, creator=creator, now=now)
        team.bot_in_channel, team.access_checked_at = channel.is_member, now
        added = add_members(session, team, members, now=now)
        make_leads(session, team, leads, now=now)
        if creator not in form.leads:
            # The form may drop the creator as lead only when someone else leads instead.
            demote_creator_if_replaced(session, team, creator)
        team_id, team_name = team.id, team.name
    welcome(deps, team_id, added.done, added_by=creator)
    reply = team_created_reply(
        team_name,
        channel.id,
        channel.is_member,
        describe_schedule(form.weekday, form.time, form.timezone),
    )
    if added.done or added.refused:
        extra = membership_reply("added", team_name, added)
        return Reply(text=reply.text + "\n" + extra.text, blocks=reply.blocks + extra.blocks)
    return reply


class Change(StrEnum):
    """What a lead's membership command does."""

    ADD = "added"
    REMOVE = "removed"
    LEAD = "made lead"


_CHANGES = {
    Change.ADD: ("add members", add_members),
    Change.REMOVE: ("remove members", remove_members),
    Change.LEAD: ("make leads", make_leads),
}


def change_membership(
    deps: Deps,
    change: Change,
    *,
    caller: str,
    channel_id: str | None,
    team_name: str | None,
    refs: Sequence[UserRef],
) -> Reply:
    """`add`, `remove`, `lead`: a lead changes the team; added people are welcomed by DM."""
    doing, apply = _CHANGES[change]
    with transaction(deps.sessions) as session:
        team = resolve_team(session, user_id=caller, channel_id=channel_id, team_name=team_name)
        _require_to_change(session, team, caller, change, doing)
    # Slack is asked outside the transaction so no connection is held during HTTP calls.
    directory = Directory(deps.client)
    people = [directory.resolve(ref) for ref in refs]
    with transaction(deps.sessions) as session:
        team = resolve_team(session, user_id=caller, channel_id=channel_id, team_name=team_name)
        _require_to_change(session, team, caller, change, doing)
        result = apply(session, team, people, now=deps.clock.now())
        team_id, name = team.id, team.name
    if change is Change.ADD:
        welcome(deps, team_id, result.done, added_by=caller)
    if change is Change.REMOVE:
        # A member who leaves no longer needs the team's rally; its nudge says so.
        for person in result.done:
            rally.withdraw(deps, team_id, person.id)
            # Help they owned in the team is open again; the member and the leads hear so.
            rally.release_owner(deps, person.id, why=rally.REMOVED, team_id=team_id)
    return membership_reply(change.value, name, result)


def _require_to_change(
    session: Session, team: Team, caller: str, change: Change, doing: str
) -> None:
    """Leads change a team. A team left without any lead (its last lead's account was
    deactivated: Slack's decision, not one the bot could refuse) lets its members name one."""
    if change is Change.LEAD and not store.lead_ids(session, team.id):
        row = store.member(session, team.id, caller)
        if row is not None and row.active:
            return
    require_lead(session, team, caller, doing)


def step_down(deps: Deps, user_id: str, team_id: int, successor: UserRef | None) -> Reply:
    """A lead stops being a lead (and stays a member if one). The last lead names the next
    lead in the same command, so a team is never left with nobody to run it."""
    person = Directory(deps.client).resolve(successor) if successor is not None else None
    if person is not None:
        reason = refusal(person)
        if reason:
            raise NotAllowed(f"<@{person.id}> {reason}, so they can't lead the team.")
        if person.id == user_id:
            raise UsageError("Name someone else as the next lead: `/oneness step-down @ann`.")
    with transaction(deps.sessions) as session:
        team = store.team_by_id(session, team_id)
        if team is None:
            raise NotFound("That team no longer exists.")
        name = escape(team.name)
        if not store.is_lead(session, team_id, user_id):
            raise NotAllowed(f"You are not a lead of {name}, so there is nothing to step down as.")
        if person is not None:
            store.add_lead(session, team_id, person.id, deps.clock.now())
        if store.lead_ids(session, team_id) == [user_id]:
            raise Conflict(
                f"You are the last lead of {name}, so it would have nobody to run it. Name the "
                f"next lead as you step down: `/oneness step-down @someone team:{name}`."
            )
        store.remove_lead(session, team_id, user_id)
        leads = store.lead_ids(session, team_id)
    log.info("user %s stepped down as a lead of team %s", user_id, team_id)
    others = ", ".join(f"<@{lead}>" for lead in leads)
    return text_reply(f"You are no longer a lead of {name}. Its leads: {others}.")


def welcome(deps: Deps, team_id: int, people: Sequence[Person], *, added_by: str) -> None:
    """DM each newly added person who added them, where, when and who sees what, once."""
    if not people:
        return
    adder = Directory(deps.client).person(added_by)
    with transaction(deps.sessions) as session:
        team = store.team_by_id(session, team_id)
        if team is None:
            return
        zone = "local" if team.member_local else team.timezone
        base = Welcome(
            team_id=team.id,
            team_name=team.name,
            channel_id=team.channel_id,
            added_by=added_by,
            added_by_name=adder.name,
            when=describe_schedule(team.prompt_weekday, team.prompt_time, zone),
            leads=tuple(store.lead_ids(session, team.id)),
            default_visibility=team.default_visibility,
        )
        joined = {
            p.id: row.joined_at
            for p in people
            if (row := store.member(session, team_id, p.id)) is not None
        }
    message = welcome_message(base)
    for person in people:
        stamp = joined[person.id].strftime("%Y%m%dT%H%M%S") if person.id in joined else "0"
        deliver(
            deps,
            Outgoing(
                key=f"welcome:{team_id}:{person.id}:{stamp}",
                kind="welcome",
                channel=person.id,
                text=message.text,
                blocks=message.blocks,
                user_id=person.id,
            ),
        )


def leave(deps: Deps, user_id: str, team_id: int) -> Reply:
    """A person leaves a team: no more prompts, their open rally withdrawn; never the last lead."""
    now = deps.clock.now()
    with transaction(deps.sessions) as session:
        team = store.team_by_id(session, team_id)
        if team is None:
            raise NotFound("That team no longer exists.")
        name = escape(team.name)
        row = store.member(session, team_id, user_id)
        is_member = row is not None and row.active
        leads = store.lead_ids(session, team_id)
        if not is_member and user_id not in leads:
            raise NotFound(f"You are not in {name}, so there is nothing to leave.")
        if leads == [user_id]:
            raise Conflict(
                f"You are the last lead of {name}, so it would have nobody to run it. Make "
                f"someone else a lead first (`/oneness lead @someone team:{name}`), then leave."
            )
        if row is not None and is_member:
            store.deactivate_member(session, row, now)
        store.remove_lead(session, team_id, user_id)
        team_name = team.name
    withdrawn = rally.withdraw(deps, team_id, user_id)
    rally.release_owner(deps, user_id, why=rally.LEFT, team_id=team_id)
    log.info("user %s left team %s", user_id, team_id)
    return left_reply(team_name, withdrawn)
