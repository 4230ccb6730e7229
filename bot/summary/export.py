"""`/oneness export`: the team's answers as CSV, sent to the lead by DM."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time, timedelta

from bot.platform.delivery import upload_once
from bot.platform.deps import Deps
from bot.summary._csv import ExportRow, export_csv
from storage import summary as store
from storage import teams as team_store
from storage.db import transaction


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(), UTC)


def build_export(deps: Deps, team_id: int, start: date | None, end: date | None) -> tuple[str, int]:
    """The CSV text and its row count; `end` is inclusive (dates in UTC)."""
    with transaction(deps.sessions) as session:
        rows = [
            ExportRow(
                team,
                c.user_id,
                c.kind,
                week,
                c.score,
                c.deliverables,
                c.customers,
                c.help,
                c.visibility,
                c.note,
                c.created_at,
            )
            for c, week, team in store.export_rows(
                session,
                team_id,
                _midnight(start) if start else None,
                _midnight(end + timedelta(days=1)) if end else None,
            )
        ]
    return export_csv(rows), len(rows)


def send_export(deps: Deps, team_id: int, lead: str, start: date | None, end: date | None) -> str:
    """Upload the CSV into the lead's DM with the bot; returns the confirmation to show."""
    csv_text, count = build_export(deps, team_id, start, end)
    with transaction(deps.sessions) as session:
        team = team_store.team_by_id(session, team_id)
        assert team is not None
        name = team.name
    dm = deps.client.conversations_open(users=lead)["channel"]["id"]
    span = f"{start}..{end}" if start and end else "all"
    upload_once(
        deps,
        f"export:{team_id}:{lead}:{uuid.uuid4().hex}",  # every export is a new file
        channel=dm,
        content=csv_text.encode(),
        filename=f"oneness-{name}-{span}.csv".replace(" ", "_"),
        title=f"{name} check-ins ({span})",
    )
    return f"Sent you {name}'s check-ins as CSV ({count} rows) in our DM."
