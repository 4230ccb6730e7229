"""The setup modal's submission: validate in the ack, create the team after it."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.commands.dispatch import create_team_from_form
from bot.platform.blocks import Reply
from bot.platform.deps import Deps
from bot.teams import ids
from bot.teams.blocks import SetupForm, read_setup
from handlers.flow import ack_then
from handlers.guard import guarded


def register(app: App, deps: Deps) -> None:
    """Listen to the setup modal."""

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
        reply: Reply = create_team_from_form(deps, creator, form)
        client.chat_postMessage(channel=creator, text=reply.text, blocks=reply.blocks)

    app.view(ids.SETUP_VIEW)(ack_then(deps, ack_setup, create_team))
