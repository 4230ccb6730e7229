"""`forget me` confirmation."""

from __future__ import annotations

from typing import Any

from slack_bolt import App, Respond

from bot.platform.deps import Deps
from bot.privacy.service import CONFIRM, forget_person
from handlers.checkin import ack_only
from handlers.guard import guarded, tell_by_respond


def register(app: App, deps: Deps) -> None:
    """Listen to the "Yes, forget me" button."""

    @guarded(tell_by_respond)
    def forget_confirmed(body: dict[str, Any], respond: Respond) -> None:
        answer = forget_person(deps, body["user"]["id"])
        respond(text=answer, response_type="ephemeral", replace_original=True)

    app.action(CONFIRM)(ack=ack_only, lazy=[forget_confirmed])
