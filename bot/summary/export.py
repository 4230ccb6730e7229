"""`/oneness export`: the team's answers as CSV, sent to the lead by DM; the promise answers,
breaks and customer ratings as extra CSV files beside it (README, "Export")."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from bot.platform.delivery import upload_once
from bot.platform.deps import Deps
from bot.summary._csv import (
    BREAK_COLUMNS,
    PROMISE_ANSWER_COLUMNS,
    RATING_COLUMNS,
    ExportRow,
    export_csv,
    table_csv,
)
from storage import promise as promise_store
from storage import summary as store
from storage import teams as team_store
from storage.db import transaction
from storage.models import PromiseBreak


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


@dataclass(frozen=True)
class ExtraFile:
    """One of the export's documented additions: a name, a title and the CSV."""

    suffix: str
    title: str
    csv_text: str
    rows: int


def _on_time(row: PromiseBreak) -> str:
    if row.status == "delivered" and row.closed_at is not None:
        return "yes" if row.closed_at <= row.remedy_due_at else "no"
    return "no" if row.status == "missed" else ""


def build_extras(deps: Deps, team_id: int, start: date | None, end: date | None) -> list[ExtraFile]:
    """The promise answers, breaks and customer ratings of the same span, each as CSV."""
    since = _midnight(start) if start else None
    until = _midnight(end + timedelta(days=1)) if end else None
    with transaction(deps.sessions) as session:
        team = team_store.team_by_id(session, team_id)
        assert team is not None
        name = team.name
        pledges = {p.id: p.pledge for p in promise_store.promise_history(session, team_id, 1000)}
        answers = [
            (
                name,
                a.user_id,
                week,
                "kept" if a.kept else "broken",
                a.times,
                a.note,
                pledges.get(a.promise_id or 0, ""),
                a.created_at,
                a.updated_at,
            )
            for a, week in promise_store.export_answers(session, team_id, since, until)
        ]
        breaks = [
            (
                name,
                b.id,
                b.source,
                b.origin,
                b.reported_by,
                b.what,
                b.contact,
                b.status,
                b.owner_id,
                b.created_at,
                b.remedy_due_at,
                b.closed_at,
                _on_time(b),
            )
            for b in promise_store.export_breaks(session, team_id, since, until)
        ]
        ratings = [
            (name, r.user_id, r.source, r.score, r.note, r.logged_by, r.created_at)
            for r in promise_store.export_ratings(session, team_id, since, until)
        ]
    return [
        ExtraFile(suffix, title, table_csv(columns, rows), len(rows))
        for suffix, title, columns, rows in (
            ("promise-answers", "promise answers", PROMISE_ANSWER_COLUMNS, answers),
            ("breaks", "broken promises", BREAK_COLUMNS, breaks),
            ("customer-ratings", "customer ratings", RATING_COLUMNS, ratings),
        )
        if rows
    ]


def send_export(deps: Deps, team_id: int, lead: str, start: date | None, end: date | None) -> str:
    """Upload the CSV into the lead's DM with the bot, with the promise answers, breaks and
    customer ratings as extra CSV files when there are any; returns the confirmation."""
    csv_text, count = build_export(deps, team_id, start, end)
    extras = build_extras(deps, team_id, start, end)
    with transaction(deps.sessions) as session:
        team = team_store.team_by_id(session, team_id)
        assert team is not None
        name = team.name
    dm = deps.client.conversations_open(users=lead)["channel"]["id"]
    span = f"{start}..{end}" if start and end else "all"
    batch = uuid.uuid4().hex  # every export is a new set of files
    upload_once(
        deps,
        f"export:{team_id}:{lead}:{batch}",
        channel=dm,
        content=csv_text.encode(),
        filename=f"oneness-{name}-{span}.csv".replace(" ", "_"),
        title=f"{name} check-ins ({span})",
    )
    for extra in extras:
        upload_once(
            deps,
            f"export:{team_id}:{lead}:{batch}:{extra.suffix}",
            channel=dm,
            content=extra.csv_text.encode(),
            filename=f"oneness-{name}-{span}-{extra.suffix}.csv".replace(" ", "_"),
            title=f"{name} {extra.title} ({span})",
        )
    sent = f"Sent you {name}'s check-ins as CSV ({count} rows) in our DM."
    if extras:
        sent += " Also: " + ", ".join(f"{e.title} ({e.rows} rows)" for e in extras) + "."
    return sent
