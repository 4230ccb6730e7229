"""`/oneness`: parse and ack at once; the work runs after the ack and answers via response_url."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, Respond

from bot.commands import grammar
from bot.commands.blocks import help_reply
from bot.commands.dispatch import Invocation, run_command
from bot.platform.blocks import error_reply
from bot.platform.deps import Deps
from bot.platform.errors import UsageError
from bot.platform.lazy import at_once
from handlers.guard import guarded, tell_by_respond

COMMAND = "/oneness"
# `promise` opens the lead's modal (anyone else sees the promise): never queued either.
MODAL_COMMANDS = (grammar.SetupModal, grammar.OpenCheckIn, grammar.ShowPromise)


def register(app: App, deps: Deps) -> None:
    """Listen to `/oneness`."""

    def ack_oneness(ack: Ack, body: dict[str, Any]) -> None:
        try:
            command = grammar.parse(body.get("text", ""))
        except UsageError as error:
            reply = error_reply(error.message)
            ack(text=reply.text, blocks=reply.blocks)
            return
        if isinstance(command, grammar.Help):
            reply = help_reply()
            ack(text=reply.text, blocks=reply.blocks)
            return
        ack()

    @guarded(tell_by_respond)
    def run_oneness(body: dict[str, Any], respond: Respond) -> None:
        try:
            command = grammar.parse(body.get("text", ""))
        except UsageError:
            return  # already answered in the ack
        if isinstance(command, grammar.Help):
            return
        invocation = Invocation(
            user_id=body["user_id"],
            channel_id=body.get("channel_id"),
            trigger_id=body.get("trigger_id"),
        )
        reply = run_command(deps, invocation, command)
        if reply is not None:
            respond(text=reply.text, blocks=reply.blocks, response_type="ephemeral")

    app.command(COMMAND)(ack=ack_oneness, lazy=[at_once(run_oneness, when=opens_modal)])


def opens_modal(body: dict[str, Any]) -> bool:
    """Whether the command opens a modal, which must use the command's trigger_id within
    3 seconds: its work runs at once instead of being stored as a job."""
    try:
        command = grammar.parse(body.get("text", ""))
    except UsageError:
        return False
    return isinstance(command, MODAL_COMMANDS)
