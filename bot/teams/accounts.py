"""Keeping membership in step with Slack accounts."""

from __future__ import annotations

import logging

from bot.platform.deps import Deps
from storage import teams as team_store
from storage.db import transaction

log = logging.getLogger("oneness.members")


def account_changed(deps: Deps, user_id: str, *, deleted: bool) -> None:
    """A deactivated account stops being a member everywhere (history stays)."""
    if not deleted:
        return
    with transaction(deps.sessions) as session:
        for team in team_store.teams_of(session, user_id):
            row = team_store.member(session, team.id, user_id)
            if row is not None and row.active:
                team_store.deactivate_member(session, row, deps.clock.now())
                log.info("deactivated account %s left team %s", user_id, team.id)
