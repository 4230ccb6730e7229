"""Home tabs and modal stacks: what views.open/push/update/publish leave behind."""

from __future__ import annotations

import copy
import time
from typing import Any

from localslack.blockkit import slack_errors, validate_blocks, validate_view
from localslack.errors import ApiError
from localslack.methods import Handler, Methods
from localslack.params import json_arg, text_arg
from localslack.state import StoredView, Workspace

MAX_MODAL_STACK = 3


class Views:
    """The views of every user; all methods hold the workspace lock."""

    def __init__(self, ws: Workspace) -> None:
        self.ws = ws

    def _stored(
        self,
        view: dict[str, Any],
        *,
        user: str,
        view_id: str,
        root: str | None,
        previous: str | None,
    ) -> dict[str, Any]:
        """The view as Slack returns it: the caller's fields plus ids, hash and empty state."""
        ident = self.ws.identity
        out = copy.deepcopy(view)
        out["blocks"] = self.ws.with_block_ids(out.get("blocks") or [])
        out.update(
            id=view_id,
            team_id=ident.team_id,
            app_id=ident.app_id,
            bot_id=ident.bot_id,
            app_installed_team_id=ident.team_id,
            hash=self.ws.new_id("H"),
            root_view_id=root or view_id,
            previous_view_id=previous,
            state={"values": {}},
        )
        for key in ("private_metadata", "callback_id", "external_id"):
            out.setdefault(key, "")
        out.setdefault("clear_on_close", False)
        out.setdefault("notify_on_close", False)
        self.ws.views[view_id] = StoredView(user=user, view=out)
        return copy.deepcopy(out)

    def open(self, user: str, view: dict[str, Any]) -> dict[str, Any]:
        """Open a modal as the root of a new stack."""
        with self.ws.lock:
            view_id = self.ws.new_id("V")
            stored = self._stored(view, user=user, view_id=view_id, root=None, previous=None)
            self.ws.modal_stacks[user] = [view_id]
            return stored

    def push(self, user: str, view: dict[str, Any]) -> dict[str, Any]:
        """Push a modal on top of the user's open stack."""
        with self.ws.lock:
            stack = self.ws.modal_stacks.get(user) or []
            if not stack:
                raise ApiError("not_found")
            if len(stack) >= MAX_MODAL_STACK:
                raise ApiError("push_limit_reached")
            view_id = self.ws.new_id("V")
            stored = self._stored(
                view, user=user, view_id=view_id, root=stack[0], previous=stack[-1]
            )
            stack.append(view_id)
            return stored

    def publish(self, user: str, view: dict[str, Any]) -> dict[str, Any]:
        """Publish the user's home tab (keeping its id across publishes)."""
        with self.ws.lock:
            view_id = self.ws.home_views.get(user) or self.ws.new_id("V")
            self.ws.home_views[user] = view_id
            return self._stored(view, user=user, view_id=view_id, root=None, previous=None)

    def update(
        self,
        view: dict[str, Any],
        *,
        view_id: str | None,
        external_id: str | None,
        hash_: str | None,
    ) -> dict[str, Any]:
        """Replace an open modal or a home tab, found by id or external_id."""
        with self.ws.lock:
            current = self._find(view_id, external_id)
            if current is None:
                raise ApiError("not_found")
            if hash_ and hash_ != current.view["hash"]:
                raise ApiError("hash_conflict")
            old = current.view
            return self._stored(
                view,
                user=current.user,
                view_id=old["id"],
                root=old["root_view_id"],
                previous=old["previous_view_id"],
            )

    def _find(self, view_id: str | None, external_id: str | None) -> StoredView | None:
        """A live view by id or external_id."""
        live = {vid for stack in self.ws.modal_stacks.values() for vid in stack}
        live.update(self.ws.home_views.values())
        for vid in live:
            stored = self.ws.views[vid]
            if (view_id and vid == view_id) or (
                external_id and stored.view.get("external_id") == external_id
            ):
                return stored
        return None

    def close(self, user: str, view_id: str) -> None:
        """Close one modal (and the ones pushed above it)."""
        with self.ws.lock:
            stack = self.ws.modal_stacks.get(user, [])
            if view_id in stack:
                del stack[stack.index(view_id) :]

    def clear(self, user: str) -> None:
        """Close every modal of the user."""
        with self.ws.lock:
            self.ws.modal_stacks.pop(user, None)

    def modals(self, user: str) -> list[dict[str, Any]]:
        """The user's open modals, root first."""
        with self.ws.lock:
            stack = self.ws.modal_stacks.get(user, [])
            return [copy.deepcopy(self.ws.views[vid].view) for vid in stack]

    def home(self, user: str) -> dict[str, Any] | None:
        """The user's last published home tab."""
        with self.ws.lock:
            view_id = self.ws.home_views.get(user)
            return copy.deepcopy(self.ws.views[view_id].view) if view_id else None

    def get(self, view_id: str) -> dict[str, Any] | None:
        """A live view by id."""
        with self.ws.lock:
            stored = self._find(view_id, None)
            return copy.deepcopy(stored.view) if stored else None


class ViewMethods(Methods):
    """views.open, views.push, views.update and views.publish."""

    def __init__(self, ws: Workspace, views: Views) -> None:
        super().__init__(ws)
        self.views = views

    def handlers(self) -> dict[str, Handler]:
        """views.* handlers."""
        return {
            "views.open": self.views_open,
            "views.push": self.views_push,
            "views.update": self.views_update,
            "views.publish": self.views_publish,
        }

    def _view_arg(self, params: dict[str, Any], *, modal_only: bool) -> dict[str, Any]:
        """A validated view argument."""
        view = json_arg(params, "view", error="invalid_arguments")
        problems = validate_view(view)
        if not problems and modal_only and view.get("type") != "modal":
            problems = ["[ERROR] must be a modal [json-pointer:/view/type]"]
        if problems:
            raise ApiError("invalid_arguments", **slack_errors(problems))
        errors = validate_blocks(view["blocks"], surface=view["type"])
        if not errors:
            # A slack_file that is unknown or still processing fails the whole call.
            errors = self.ws.slack_file_errors(view["blocks"], time.monotonic())
        if errors:
            raise ApiError("invalid_blocks", **slack_errors(errors))
        published: dict[str, Any] = view
        return published

    def views_open(self, params: dict[str, Any]) -> dict[str, Any]:
        """Open a modal for the user whose interaction issued the trigger_id."""
        view = self._view_arg(params, modal_only=True)
        trigger = self.ws.use_trigger(text_arg(params, "trigger_id") or "")
        return {"view": self.views.open(trigger.user, view)}

    def views_push(self, params: dict[str, Any]) -> dict[str, Any]:
        """Push a modal onto the open stack."""
        view = self._view_arg(params, modal_only=True)
        trigger = self.ws.use_trigger(text_arg(params, "trigger_id") or "")
        return {"view": self.views.push(trigger.user, view)}

    def views_update(self, params: dict[str, Any]) -> dict[str, Any]:
        """Replace an open view by view_id or external_id."""
        view = self._view_arg(params, modal_only=False)
        view_id, external_id = text_arg(params, "view_id"), text_arg(params, "external_id")
        if not view_id and not external_id:
            raise ApiError("invalid_arguments")
        updated = self.views.update(
            view, view_id=view_id, external_id=external_id, hash_=text_arg(params, "hash")
        )
        return {"view": updated}

    def views_publish(self, params: dict[str, Any]) -> dict[str, Any]:
        """Publish a user's App Home."""
        view = self._view_arg(params, modal_only=False)
        if view["type"] != "home":
            raise ApiError("invalid_arguments", errors=["[ERROR] must be a home view"])
        user = self.ws.require_user(text_arg(params, "user_id") or "")
        return {"view": self.views.publish(user.id, view)}
