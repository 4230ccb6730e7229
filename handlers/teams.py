"""Team listeners: the setup modal's submission, and Leave team in the welcome DM."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot.platform.deps import Deps
from bot.platform.errors import UsageError
from bot.teams import ids
from bot.teams import service as teams
from bot.teams.blocks import SetupForm, read_setup
from handlers.guard import guarded, parse_id, tell_by_respond


def ack_only(ack: Ack) -> None:
    """Acknowledge at once; the work runs after the ack."""
    ack()


def register(app: App, deps: Deps) -> None:
    """Listen to the setup modal and the Leave team button."""

    def ack_setup(ack: Ack, view: dict[str, Any]) -> None:
        form = read_setup(view["state"]["values"])
        if isinstance(form, dict):
            ack(response_action="errors", errors=form)
            return
        ack()

    def dm_creator(kwargs: dict[str, Any]) -> Any:
        client: WebClient = kwargs["client"]
        user = kwargs["body"]["user"]["id"]
        return lambda reply: client.chat_postMessage(
            channel=user, text=reply.text, blocks=reply.blocks
        )

    @guarded(dm_creator)
    def create_team(body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
        form = read_setup(view["state"]["values"])
        if not isinstance(form, SetupForm):
            return
        creator = body["user"]["id"]
        reply = teams.create_from_form(deps, creator, form)
        client.chat_postMessage(channel=creator, text=reply.text, blocks=reply.blocks)

    @guarded(tell_by_respond)
    def leave_clicked(body: dict[str, Any], action: dict[str, Any], respond: Respond) -> None:
        team_id = parse_id(action.get("value"))
        if team_id is None:
            raise UsageError("This button is out of date; type `/oneness leave` instead.")
        reply = teams.leave(deps, body["user"]["id"], team_id)
        respond(
            text=reply.text, blocks=reply.blocks, response_type="ephemeral", replace_original=False
        )

    app.view(ids.SETUP_VIEW)(ack=ack_setup, lazy=[create_team])
    app.action(ids.TEAM_LEAVE)(ack=ack_only, lazy=[leave_clicked])
