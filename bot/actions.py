"""Carrying out `/oneness` commands: ask Slack, change the database, build the reply."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bot import commands as c
from bot import teams
from bot.deps import Deps
from bot.directory import Directory, Person
from bot.errors import NotFound
from bot.ui.replies import (
    Reply,
    help_reply,
    membership_reply,
    team_created_reply,
    text_reply,
)
from bot.ui.setup import SetupForm, setup_modal
from storage.db import transaction

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Invocation:
    """Who ran a command, where, and the trigger for opening a modal."""

    user_id: str
    channel_id: str | None
    trigger_id: str | None = None


Handler = Callable[[Deps, Invocation, Any], Reply | None]


def run_command(deps: Deps, inv: Invocation, command: c.Command) -> Reply | None:
    """Carry out a parsed command; None when the answer is a modal instead of a message."""
    handler = _HANDLERS.get(type(command))
    if handler is None:
        return text_reply("That command is not available yet in this version of Oneness.")
    return handler(deps, inv, command)


def _help(deps: Deps, inv: Invocation, command: c.Help) -> Reply:
    return help_reply()


def _setup_modal(deps: Deps, inv: Invocation, command: c.SetupModal) -> None:
    me = Directory(deps.client).person(inv.user_id)
    deps.client.views_open(
        trigger_id=inv.trigger_id,
        view=setup_modal(caller=inv.user_id, zone=me.tz or "UTC", channel_id=inv.channel_id),
    )


def _describe_schedule(weekday: str, time: str, zone: str) -> str:
    names = dict(
        zip(
            c.WEEKDAYS,
            ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
            strict=True,
        )
    )
    where = "each member's own time zone" if zone == "local" else zone
    return f"every {names[weekday]} at {time} ({where})"


def _setup_inline(deps: Deps, inv: Invocation, command: c.SetupInline) -> Reply:
    directory = Directory(deps.client)
    channel = directory.channel(command.channel)
    me = directory.person(inv.user_id)
    settings = teams.TeamSettings(
        name=command.name or channel.name or channel.id,
        channel_id=channel.id,
        timezone=me.tz or "UTC",
    )
    with transaction(deps.sessions) as session:
        team = teams.setup_team(session, settings, creator=inv.user_id, now=deps.clock.now())
        name = team.name
    when = _describe_schedule(settings.prompt_weekday, settings.prompt_time, settings.timezone)
    return team_created_reply(name, channel.id, channel.is_member, when)


def create_team_from_form(deps: Deps, creator: str, form: SetupForm) -> Reply:
    """Create the team the setup modal describes, add its members and leads."""
    directory = Directory(deps.client)
    channel = directory.channel(c.ChannelRef(channel_id=form.channel_id))
    members = [directory.person(u) for u in form.members]
    leads = [directory.person(u) for u in form.leads if u != creator]
    settings = teams.TeamSettings(
        form.name, form.channel_id, form.weekday, form.time, form.timezone
    )
    now = deps.clock.now()
    with transaction(deps.sessions) as session:
        team = teams.setup_team(session, settings, creator=creator, now=now)
        added = teams.add_members(session, team, members, now=now)
        teams.make_leads(session, team, leads, now=now)
        if creator not in form.leads:
            # The form may drop the creator as lead only when someone else leads instead.
            teams.demote_creator_if_replaced(session, team, creator)
        name = team.name
    reply = team_created_reply(
        name,
        channel.id,
        channel.is_member,
        _describe_schedule(form.weekday, form.time, form.timezone),
    )
    if added.done or added.refused:
        extra = membership_reply("added", name, added)
        return Reply(text=reply.text + "\n" + extra.text, blocks=reply.blocks + extra.blocks)
    return reply


def _people(deps: Deps, refs: tuple[c.UserRef, ...]) -> list[Person]:
    directory = Directory(deps.client)
    return [directory.resolve(ref) for ref in refs]


def _membership(verb: str, doing: str, change: Callable[..., teams.MembershipResult]) -> Handler:
    def handler(deps: Deps, inv: Invocation, command: Any) -> Reply:
        with transaction(deps.sessions) as session:
            team = teams.resolve_team(
                session, user_id=inv.user_id, channel_id=inv.channel_id, team_name=command.team
            )
            teams.require_lead(session, team, inv.user_id, doing)
        # Slack is asked outside the transaction so no connection is held during HTTP calls.
        people = _people(deps, command.users)
        with transaction(deps.sessions) as session:
            team = teams.resolve_team(
                session, user_id=inv.user_id, channel_id=inv.channel_id, team_name=command.team
            )
            teams.require_lead(session, team, inv.user_id, doing)
            result = change(session, team, people, now=deps.clock.now())
            return membership_reply(verb, team.name, result)

    return handler


_HANDLERS: dict[type, Handler] = {
    c.Help: _help,
    c.SetupModal: _setup_modal,
    c.SetupInline: _setup_inline,
    c.AddMembers: _membership("added", "add members", teams.add_members),
    c.RemoveMembers: _membership("removed", "remove members", teams.remove_members),
    c.MakeLeads: _membership("made lead", "make leads", teams.make_leads),
}

__all__ = ["Invocation", "NotFound", "create_team_from_form", "run_command"]
