"""Promise listeners: the lead's modal, Kept / Broken on the weekly prompt, the "Report a broken
promise" message shortcut and its form, and the remedy's buttons (own, delivered, missed)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot.checkin.service import refresh_prompt
from bot.home.service import publish_home
from bot.platform.dedupe import first_time
from bot.platform.deps import Deps
from bot.platform.errors import UsageError
from bot.platform.lazy import at_once
from bot.promise import ids
from bot.promise import service as promise
from bot.promise.blocks import (
    cycle_of,
    read_broken,
    read_promise,
    read_report,
    team_of,
)
from bot.promise.rules import Draft
from handlers.checkin import ack_only, tell_by_dm
from handlers.guard import guarded, on_home_tab, tell_by_respond
from storage.kinds import BreakOrigin

Action = Callable[[Deps, int, str], str]


def _state(view: dict[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = view.get("state", {}).get("values", {})
    return values


def _button_id(action: dict[str, Any]) -> int:
    value = action.get("value", "")
    if not value.isdigit():
        raise UsageError("That button is out of date.")
    return int(value)


def _first_submission(deps: Deps, view: dict[str, Any]) -> bool:
    return first_time(deps, f"view:{view.get('id')}:{view.get('hash', '')}")


def register(app: App, deps: Deps) -> None:
    """Listen to everything the promise puts in front of people."""

    # the lead's modal

    def ack_promise(ack: Ack, view: dict[str, Any]) -> None:
        draft = read_promise(_state(view))
        if isinstance(draft, dict):
            ack(response_action="errors", errors=draft)
        elif team_of(view) is None:
            ack(response_action="errors", errors={ids.P_PLEDGE: "This form is out of date."})
        else:
            ack()

    @guarded(tell_by_dm)
    def save_promise(body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
        draft, team_id = read_promise(_state(view)), team_of(view)
        if not isinstance(draft, Draft) or team_id is None or not _first_submission(deps, view):
            return
        user = body["user"]["id"]
        client.chat_postMessage(channel=user, text=promise.save_promise(deps, user, team_id, draft))

    # the weekly question

    @guarded(tell_by_respond)
    def kept_clicked(body: dict[str, Any], action: dict[str, Any]) -> None:
        user, cycle_id = body["user"]["id"], _button_id(action)
        promise.answer_week(deps, user, cycle_id, kept=True)
        refresh_prompt(deps, user, cycle_id)

    @guarded(tell_by_respond)
    def open_broken(body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:
        view = promise.broken_modal_for(deps, body["user"]["id"], _button_id(action))
        client.views_open(trigger_id=body["trigger_id"], view=view)

    def ack_broken(ack: Ack, view: dict[str, Any]) -> None:
        answer = read_broken(_state(view))
        if isinstance(answer, dict):
            ack(response_action="errors", errors=answer)
        elif cycle_of(view) is None:
            ack(response_action="errors", errors={ids.B_TIMES: "This form is out of date."})
        else:
            ack()

    @guarded(tell_by_dm)
    def save_broken(body: dict[str, Any], view: dict[str, Any]) -> None:
        answer, cycle_id = read_broken(_state(view)), cycle_of(view)
        if isinstance(answer, dict) or cycle_id is None or not _first_submission(deps, view):
            return
        user = body["user"]["id"]
        times, note = answer
        promise.answer_week(deps, user, cycle_id, kept=False, times=times, note=note)
        refresh_prompt(deps, user, cycle_id)

    # reporting a break from any message

    @guarded(tell_by_respond)
    def open_report(body: dict[str, Any], client: WebClient) -> None:
        message = body.get("message") or {}
        view = promise.report_modal_for(
            deps,
            body["user"]["id"],
            (body.get("channel") or {}).get("id"),
            str(message.get("text") or ""),
        )
        client.views_open(trigger_id=body["trigger_id"], view=view)

    def ack_report(ack: Ack, view: dict[str, Any]) -> None:
        report = read_report(_state(view), view)
        if isinstance(report, dict):
            ack(response_action="errors", errors=report)
        else:
            ack()

    @guarded(tell_by_dm)
    def save_report(body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
        report = read_report(_state(view), view)
        if isinstance(report, dict) or not _first_submission(deps, view):
            return
        user = body["user"]["id"]
        team_id, what = report
        thanks = promise.report_by_member(deps, user, team_id, what, BreakOrigin.SHORTCUT)
        client.chat_postMessage(channel=user, text=thanks)

    # the remedy's buttons

    def listener(act: Action) -> Callable[..., None]:
        @guarded(tell_by_respond)
        def run(body: dict[str, Any], action: dict[str, Any], respond: Respond) -> None:
            answer = act(deps, _button_id(action), body["user"]["id"])
            if on_home_tab(body):
                # No response_url to answer through: the Home itself shows what changed.
                publish_home(deps, body["user"]["id"])
            else:
                respond(text=answer, response_type="ephemeral", replace_original=False)

        run.__name__ = f"promise_{act.__name__}"
        return run

    app.view(ids.PROMISE_VIEW)(ack=ack_promise, lazy=[save_promise])
    app.action(ids.KEPT)(ack=ack_only, lazy=[kept_clicked])
    # Opening a modal uses the trigger_id, which expires in 3 s: never queued.
    app.action(ids.BROKEN)(ack=ack_only, lazy=[at_once(open_broken)])
    app.view(ids.BROKEN_VIEW)(ack=ack_broken, lazy=[save_broken])
    app.shortcut(ids.SHORTCUT)(ack=ack_only, lazy=[at_once(open_report)])
    app.view(ids.REPORT_VIEW)(ack=ack_report, lazy=[save_report])
    for action_id, act in (
        (ids.OWN, promise.own),
        (ids.DELIVERED, promise.delivered),
        (ids.MISSED, promise.missed),
    ):
        app.action(action_id)(ack=ack_only, lazy=[listener(act)])
