"""Rally buttons: I can help, I'll own this, Resolved, Still need help, Accept."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import App, Respond

from bot.checkin.service import not_a_score
from bot.home.service import publish_home
from bot.platform.deps import Deps
from bot.platform.errors import UsageError
from bot.rally import ids
from bot.rally import service as rally
from handlers.checkin import ack_only
from handlers.guard import guarded, on_home_tab, parse_id, tell_by_respond

Action = Callable[[Deps, int, str], str]


def not_a_score_from_rally(deps: Deps, checkin_id: int, user_id: str) -> str:
    """ "That wasn't a score" on the DM that told the member about their nudge."""
    return not_a_score(deps, user_id, checkin_id)


def register(app: App, deps: Deps) -> None:
    """Listen to every rally button; each answers the clicker privately."""

    def listener(act: Action) -> Callable[..., None]:
        @guarded(tell_by_respond)
        def run(body: dict[str, Any], action: dict[str, Any], respond: Respond) -> None:
            number = parse_id(action.get("value"))
            if number is None:
                raise UsageError("That button is out of date.")
            answer = act(deps, number, body["user"]["id"])
            if on_home_tab(body):
                # No response_url to answer through: the Home itself shows what changed.
                publish_home(deps, body["user"]["id"])
            else:
                respond(text=answer, response_type="ephemeral", replace_original=False)

        run.__name__ = f"rally_{act.__name__}"
        return run

    for action_id, act in (
        (ids.RALLY_OFFER, rally.offer_help),
        (ids.RALLY_OWN, rally.own),
        (ids.RALLY_RESOLVE, rally.resolve),
        (ids.RALLY_STILL, rally.still_need_help),
        (ids.RALLY_ACCEPT, rally.accept_offer),
        (ids.RALLY_WITHDRAW, rally.withdraw_by_member),
        (ids.NOT_A_SCORE, not_a_score_from_rally),
    ):
        app.action(action_id)(ack=ack_only, lazy=[listener(act)])
