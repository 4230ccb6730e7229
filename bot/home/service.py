"""Publishing a person's App Home."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from slack_sdk.errors import SlackApiError

from bot.checkin.history import my_history, pending_prompts
from bot.home.blocks import TeamHealth, dashboard_blocks, home_view
from bot.platform.blocks import Block
from bot.platform.deps import Deps
from bot.promise import service as promise
from bot.rally import service as rally
from bot.rally.blocks import helping_blocks
from bot.summary import service as summaries
from bot.summary.blocks import summary_blocks
from bot.summary.status import week_status
from bot.teams.service import led_teams
from storage import access as access_store
from storage import teams as team_store
from storage.db import transaction

# How far back the health section counts failed deliveries.
HEALTH_WINDOW = timedelta(days=7)

log = logging.getLogger("oneness.home")


def publish_home(deps: Deps, user_id: str) -> None:
    """Publish a person's App Home; a burst of answers publishes it once more, not once each."""
    deps.homes.run(user_id, lambda: _publish(deps, user_id))


def _publish(deps: Deps, user_id: str) -> None:
    now = deps.clock.now()
    with transaction(deps.sessions) as session:
        rows = my_history(session, user_id, None, 12)
        pending = [(t.name, c.id) for t, c in pending_prompts(session, user_id, now)]
        led = [week_status(session, t, now) for t in led_teams(session, user_id)]
        helping = rally.helping(session, user_id)
        promises = promise.home_blocks_for(session, user_id)
        dashboards: list[tuple[str, list[Block], str | None]] = []
        health: list[TeamHealth] = []
        for team in led_teams(session, user_id):
            cycle = summaries.latest_cycle(session, team.id, now)
            health.append(
                TeamHealth(
                    team.name,
                    team.channel_id,
                    team.bot_in_channel,
                    access_store.team_health(
                        session,
                        team,
                        cycle.id if cycle else None,
                        now - HEALTH_WINDOW,
                    ),
                )
            )
            if cycle is None:
                continue
            gathered = summaries.gather(session, team, cycle, now=now)
            dashboards.append(
                (
                    team.name,
                    summary_blocks(gathered.summary),
                    summaries.chart_of_latest(session, team.id),
                )
            )
        teams = [
            (t.id, t.name)
            for t in team_store.teams_of(session, user_id)
            if (m := team_store.member(session, t.id, user_id)) is not None and m.active
        ]
        tz = next(
            (
                m.tz
                for t in team_store.teams_of(session, user_id)
                if (m := team_store.member(session, t.id, user_id)) is not None and m.tz
            ),
            None,
        )

    def view(charts: bool) -> dict[str, Any]:
        shown: list[Block] = []
        for name, lines, chart in dashboards:
            shown += dashboard_blocks(name, lines, chart if charts else None)
        return home_view(
            rows=rows,
            tz=tz,
            pending=pending,
            led=led,
            teams=teams,
            extra=helping_blocks(helping, user_id) + promises + shown,
            health=health,
        )

    try:
        deps.client.views_publish(user_id=user_id, view=view(charts=True))
    except SlackApiError as error:
        # Slack refuses the whole view while a chart it shows is still being processed (or
        # was deleted): the Home goes out without the charts, and shows them when next opened.
        if error.response.get("error") != "invalid_blocks" or not any(c for *_, c in dashboards):
            raise
        log.info("home of %s published without charts: %s", user_id, error.response.get("errors"))
        deps.client.views_publish(user_id=user_id, view=view(charts=False))
