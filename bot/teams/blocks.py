"""The setup modal, and reading its submission into plain values."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.commands.grammar import WEEKDAYS, parse_time, parse_zone
from bot.platform.blocks import (
    Block,
    Reply,
    actions,
    button,
    input_block,
    modal,
    option,
    plain,
    section,
    text_reply,
)
from bot.platform.errors import UsageError
from bot.platform.escape import escape
from bot.platform.text import strip_nul
from bot.teams import ids
from bot.teams.rules import MembershipResult, name_problem

_DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@dataclass(frozen=True)
class SetupForm:
    """A valid setup submission."""

    name: str
    channel_id: str
    members: tuple[str, ...]
    leads: tuple[str, ...]
    weekday: str
    time: str
    timezone: str


def setup_modal(*, caller: str, zone: str, channel_id: str | None = None) -> Block:
    """The setup form, prefilled with the caller as lead and their zone."""
    channel_element: Block = {
        "type": "conversations_select",
        "action_id": ids.SETUP_CHANNEL,
        "filter": {"include": ["public", "private"], "exclude_bot_users": True},
    }
    if channel_id and channel_id.startswith(("C", "G")):
        channel_element["initial_conversation"] = channel_id
    return modal(
        ids.SETUP_VIEW,
        "Set up a team",
        [
            input_block(
                ids.SETUP_NAME,
                "Team name",
                {"type": "plain_text_input", "action_id": ids.SETUP_NAME, "max_length": 80},
            ),
            input_block(
                ids.SETUP_CHANNEL,
                "Team channel (nudges and summaries go here)",
                channel_element,
            ),
            input_block(
                ids.SETUP_MEMBERS,
                "Members (prompted every week)",
                {"type": "multi_users_select", "action_id": ids.SETUP_MEMBERS},
                optional=True,
            ),
            input_block(
                ids.SETUP_LEADS,
                "Leads",
                {
                    "type": "multi_users_select",
                    "action_id": ids.SETUP_LEADS,
                    "initial_users": [caller],
                },
                hint="Leads are not prompted unless also members.",
            ),
            input_block(
                ids.SETUP_WEEKDAY,
                "Check-in day",
                {
                    "type": "static_select",
                    "action_id": ids.SETUP_WEEKDAY,
                    "options": [option(n, d) for d, n in zip(WEEKDAYS, _DAY_NAMES, strict=True)],
                    "initial_option": option("Friday", "fri"),
                },
            ),
            input_block(
                ids.SETUP_TIME,
                "Check-in time",
                {"type": "timepicker", "action_id": ids.SETUP_TIME, "initial_time": "15:00"},
            ),
            input_block(
                ids.SETUP_ZONE,
                "Time zone",
                {
                    "type": "plain_text_input",
                    "action_id": ids.SETUP_ZONE,
                    "initial_value": zone,
                    "placeholder": plain("Europe/London, or local"),
                },
                hint="An IANA zone, or `local` to prompt each member in their own zone.",
            ),
        ],
        submit="Create team",
    )


def _value(state: dict[str, Any], block_id: str) -> dict[str, Any]:
    return (state.get(block_id) or {}).get(block_id) or {}


def read_setup(state: dict[str, Any]) -> SetupForm | dict[str, str]:
    """The submitted form, or errors by block_id for Slack to show beside each field."""
    errors: dict[str, str] = {}
    name = strip_nul(_value(state, ids.SETUP_NAME).get("value") or "").strip()
    if not name:
        errors[ids.SETUP_NAME] = "Give the team a name."
    elif (problem := name_problem(name)) is not None:
        errors[ids.SETUP_NAME] = problem
    channel_value = _value(state, ids.SETUP_CHANNEL)
    channel = channel_value.get("selected_conversation") or channel_value.get("selected_channel")
    if not isinstance(channel, str) or not channel.startswith(("C", "G")):
        errors[ids.SETUP_CHANNEL] = "Pick a channel (not a DM) for nudges and summaries."
    members = _users(_value(state, ids.SETUP_MEMBERS).get("selected_users"))
    leads = _users(_value(state, ids.SETUP_LEADS).get("selected_users"))
    if not leads:
        errors[ids.SETUP_LEADS] = "A team needs at least one lead."
    selected = _value(state, ids.SETUP_WEEKDAY).get("selected_option") or {}
    weekday = selected.get("value")
    if weekday not in WEEKDAYS:
        errors[ids.SETUP_WEEKDAY] = "Pick a day."
    time = ""
    try:
        time = parse_time(str(_value(state, ids.SETUP_TIME).get("selected_time") or ""))
    except UsageError:
        errors[ids.SETUP_TIME] = "Pick a time."
    zone = ""
    try:
        zone = parse_zone((_value(state, ids.SETUP_ZONE).get("value") or "").strip() or "UTC")
    except UsageError:
        errors[ids.SETUP_ZONE] = "Use an IANA zone such as Europe/London, or `local`."
    if errors:
        return errors
    return SetupForm(name, str(channel), members, leads, str(weekday), time, zone)


def _users(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list):
        return ()
    return tuple(dict.fromkeys(v for v in value if isinstance(v, str) and v.startswith(("U", "W"))))


def _people(ids: list[str]) -> str:
    return ", ".join(f"<@{i}>" for i in ids)


def membership_reply(verb: str, team_name: str, result: MembershipResult) -> Reply:
    """What add/remove/lead did, naming each person; added people were told by DM."""
    name = escape(team_name)
    lines: list[str] = []
    if result.done:
        where = {"added": "to", "removed": "from", "made lead": "of"}.get(verb, "in")
        lines.append(f"{verb.capitalize()} {_people([p.id for p in result.done])} {where} {name}.")
        if verb == "added":
            lines.append(
                "Each was sent a DM saying who added them, when prompts come and who sees "
                "what, with a *Leave team* button."
            )
    if result.unchanged:
        already = {
            "added": "already members",
            "removed": "not members",
            "made lead": "already leads",
        }
        lines.append(
            f"{_people([p.id for p in result.unchanged])}: {already.get(verb, 'unchanged')}."
        )
    for person, reason in result.refused:
        lines.append(f":no_entry: <@{person.id}> {reason}, so I can't add them.")
    return text_reply("\n".join(lines) or "Nothing changed.")


def team_created_reply(team_name: str, channel_id: str, bot_in_channel: bool, when: str) -> Reply:
    """Confirmation of setup, with what to do next."""
    lines = [
        f":white_check_mark: Team *{escape(team_name)}* is set up in <#{channel_id}> with you "
        "as lead.",
        f"Check-ins go out {when}.",
        "Next: `/oneness add @ann @bob` to add members (leads are not prompted unless added).",
    ]
    if not bot_in_channel:
        lines.append(
            f":point_right: Invite me to <#{channel_id}> with `/invite @Oneness` "
            "so nudges and summaries can be posted there."
        )
    return text_reply("\n".join(lines))


@dataclass(frozen=True)
class Welcome:
    """What a new member is told: who added them, where, when, and who sees what."""

    team_id: int
    team_name: str
    channel_id: str
    added_by: str
    added_by_name: str
    when: str
    leads: tuple[str, ...]
    default_visibility: str


def welcome_message(w: Welcome) -> Reply:
    """The DM a person gets on being added to a team, with a Leave team button."""
    name = escape(w.team_name)
    leads = ", ".join(f"<@{lead}>" for lead in w.leads) or "the team's leads"
    default = {"team": "named", "anonymous": "anonymous", "leads": "leads only"}.get(
        w.default_visibility, w.default_visibility
    )
    lines = [
        f":wave: <@{w.added_by}> added you to *{name}* on Oneness; its channel is "
        f"<#{w.channel_id}>.",
        f"I'll DM you a short check-in {w.when}: how one you were with your work and your "
        "customers (1-10), what is causing discord, and what help you need. It takes under "
        "30 seconds; you can also just reply with a number.",
        "*Who sees what*",
        f"• Your leads ({leads}) see your name, your score and your note.",
        f"• The channel sees only what your visibility allows (this team's default: {default})."
        " *Anonymous*: a nudge says “a teammate could use help”, never your name, score or"
        " note. *Team*: you are named, with your score and note. *Leads only*: nothing is"
        " posted in the channel. You choose with each check-in.",
        "• While a week is open, teammates see only how many have answered; the team's figures"
        " come in the closing summary, and only from 3 answers.",
        "Not for you? Leave any time; your past answers stay with the leads until you type"
        " `/oneness forget me`.",
    ]
    return Reply(
        text=f"{escape(w.added_by_name)} added you to {name} on Oneness",
        blocks=[
            section("\n".join(lines)),
            actions(
                button("Leave team", ids.TEAM_LEAVE, str(w.team_id), style="danger"),
                block_id="welcome_actions",
            ),
        ],
    )


def left_reply(team_name: str, withdrawn: bool) -> Reply:
    """What a person who left is told."""
    lines = [
        f"You left *{escape(team_name)}*: no more prompts from it, and you are no longer counted "
        "in its weeks."
    ]
    if withdrawn:
        lines.append("Your open request for help there was withdrawn.")
    lines.append("Your past answers stay with its leads; `/oneness forget me` deletes them.")
    return text_reply("\n".join(lines))
