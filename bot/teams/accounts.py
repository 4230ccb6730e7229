"""Keeping membership in step with Slack accounts."""

from __future__ import annotations

import logging

from bot.platform.deps import Deps
from bot.rally import service as rally
from storage import teams as team_store
from storage.db import transaction

log = logging.getLogger("oneness.members")


def account_changed(deps: Deps, user_id: str, *, deleted: bool) -> None:
    """A deactivated account stops being a member and a lead everywhere (history stays), and
    the help it owned is open again."""
    if not deleted:
        return
    leaderless: list[int] = []
    with transaction(deps.sessions) as session:
        for team in team_store.teams_of(session, user_id):
            row = team_store.member(session, team.id, user_id)
            if row is not None and row.active:
                team_store.deactivate_member(session, row, deps.clock.now())
                log.info("deactivated account %s left team %s", user_id, team.id)
            if team_store.is_lead(session, team.id, user_id):
                team_store.remove_lead(session, team.id, user_id)
                log.info("deactivated account %s is no longer a lead of team %s", user_id, team.id)
                if not team_store.lead_ids(session, team.id):
                    leaderless.append(team.id)
    for team_id in leaderless:
        # Slack's decision, not one we can refuse: any member may now name a lead.
        log.warning("team %s has no lead since account %s was deactivated", team_id, user_id)
    rally.release_owner(deps, user_id, why=rally.DEACTIVATED)
