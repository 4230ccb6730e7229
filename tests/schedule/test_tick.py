"""What a tick decides (send, skip, remind, close) for given database states and moments.

No Slack: `plan` only reads and opens weeks; the tests record outcomes in the ledger the way
delivery would, and ask again.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.schedule.tick import Plan, plan
from storage import checkin as checkin_store
from storage import delivery as ledger
from storage import teams as team_store
from storage.db import make_engine, make_session_factory, transaction
from storage.models import CheckIn, Cycle, Delivery, Team

CREATED = datetime(2026, 11, 23, 9, tzinfo=UTC)  # a Monday
FRIDAY_3PM = datetime(2026, 11, 27, 15, tzinfo=UTC)  # London is on GMT in November
MONDAY_9AM = datetime(2026, 11, 30, 9, tzinfo=UTC)


@pytest.fixture
def sessions(db_url: str) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(db_url)
    yield make_session_factory(engine)
    engine.dispose()


def make_team(
    sessions: sessionmaker[Session],
    members: dict[str, str | None],
    created: datetime = CREATED,
    **schedule: object,
) -> int:
    """A team (by default in London, prompting Fridays 15:00, summary Mondays 09:00)."""
    fields: dict[str, object] = {"timezone": "Europe/London", **schedule}
    with transaction(sessions) as session:
        team = team_store.create_team(
            session,
            name="Rocket",
            channel_id="CTEAM",
            created_by="ULEAD",
            created_at=created,
            **fields,
        )
        for user_id, tz in members.items():
            team_store.add_member(
                session, team.id, user_id, display_name=user_id, tz=tz, now=created
            )
        return team.id


def decide(sessions: sessionmaker[Session], now: datetime, **kwargs: object) -> Plan:
    with transaction(sessions) as session:
        return plan(session, now, **kwargs)  # type: ignore[arg-type]


def sends(decided: Plan) -> list[str]:
    return sorted(out.key for out in decided.send)


def skips(decided: Plan) -> list[tuple[str, str]]:
    return sorted((out.key, reason) for out, reason in decided.skip)


def record(
    sessions: sessionmaker[Session], decided: Plan, at: datetime, status: str = "sent"
) -> None:
    """Do what delivery does with each planned message: post it (sent) or give up (skipped)."""
    with transaction(sessions) as session:
        for out in decided.send:
            row, _ = ledger.claim(
                session, out.key, kind=out.kind, user_id=out.user_id, cycle_id=out.cycle_id, now=at
            )
            row.status, row.sent_at = status, at
        for out, reason in decided.skip:
            row, _ = ledger.claim(
                session, out.key, kind=out.kind, user_id=out.user_id, cycle_id=out.cycle_id, now=at
            )
            row.status, row.error = "skipped", reason


def cycles(sessions: sessionmaker[Session]) -> list[Cycle]:
    with transaction(sessions) as session:
        return list(session.scalars(select(Cycle).order_by(Cycle.opens_at)))


def answer(sessions: sessionmaker[Session], cycle_id: int, user_id: str, at: datetime) -> None:
    with transaction(sessions) as session:
        cycle = checkin_store.cycle_by_id(session, cycle_id)
        assert cycle is not None
        checkin_store.add_checkin(
            session,
            CheckIn(
                team_id=cycle.team_id,
                user_id=user_id,
                cycle_id=cycle_id,
                kind="weekly",
                score=7,
                created_at=at,
            ),
        )


def test_nothing_before_the_prompt_time_then_each_member_not_paused(
    sessions: sessionmaker[Session],
) -> None:
    team_id = make_team(sessions, {"UANN": None, "UBOB": None, "UCAT": None})
    with transaction(sessions) as session:
        cat = team_store.member(session, team_id, "UCAT") or pytest.fail("no UCAT")
        cat.paused_until, cat.paused_at = date(2026, 12, 24), CREATED
    before = decide(sessions, FRIDAY_3PM - timedelta(minutes=1))
    assert (sends(before), skips(before), before.closed) == ([], [], [])
    assert cycles(sessions) == []
    due = decide(sessions, FRIDAY_3PM)
    [cycle] = cycles(sessions)
    assert (cycle.week, cycle.opens_at, cycle.closes_at) == ("2026-W48", FRIDAY_3PM, MONDAY_9AM)
    assert sends(due) == [f"prompt:{cycle.id}:UANN", f"prompt:{cycle.id}:UBOB"]
    record(sessions, due, FRIDAY_3PM)
    assert sends(decide(sessions, FRIDAY_3PM + timedelta(minutes=1))) == []  # once


def test_a_prompt_more_than_a_day_late_is_skipped_as_offline(
    sessions: sessionmaker[Session],
) -> None:
    make_team(sessions, {"UANN": None})
    within = decide(sessions, FRIDAY_3PM + timedelta(hours=23, minutes=59))
    assert len(within.send) == 1 and within.skip == []
    late = decide(sessions, FRIDAY_3PM + timedelta(days=1))
    [cycle] = cycles(sessions)
    assert late.send == [] and skips(late) == [(f"prompt:{cycle.id}:UANN", "offline")]


def test_a_prompt_time_moved_into_the_past_is_skipped_as_schedule_changed(
    sessions: sessionmaker[Session],
) -> None:
    thursday = datetime(2026, 11, 26, 10, tzinfo=UTC)
    team_id = make_team(sessions, {"UANN": None}, prompt_weekday="wed", prompt_time="09:00")
    with transaction(sessions) as session:
        team = session.get(Team, team_id) or pytest.fail("no team")
        team.schedule_changed_at = thursday
    decided = decide(sessions, thursday)
    [cycle] = cycles(sessions)
    assert skips(decided) == [(f"prompt:{cycle.id}:UANN", "schedule changed")]


def test_one_reminder_to_those_prompted_who_have_not_answered(
    sessions: sessionmaker[Session],
) -> None:
    team_id = make_team(sessions, {"UANN": None, "UBOB": None, "UCAT": None})
    record(sessions, decide(sessions, FRIDAY_3PM), FRIDAY_3PM)
    [cycle] = cycles(sessions)
    answer(sessions, cycle.id, "UANN", FRIDAY_3PM + timedelta(hours=1))
    with transaction(sessions) as session:
        cat = team_store.member(session, team_id, "UCAT") or pytest.fail("no UCAT")
        cat.paused_until, cat.paused_at = date(2026, 12, 24), FRIDAY_3PM + timedelta(hours=2)
    assert sends(decide(sessions, FRIDAY_3PM + timedelta(hours=23, minutes=59))) == []
    reminders = decide(sessions, FRIDAY_3PM + timedelta(hours=24))
    assert sends(reminders) == [f"reminder:{cycle.id}:UBOB"]  # not Ann (answered), not Cat
    record(sessions, reminders, FRIDAY_3PM + timedelta(hours=24))
    assert sends(decide(sessions, FRIDAY_3PM + timedelta(hours=30))) == []


def test_the_week_closes_at_summary_time(sessions: sessionmaker[Session]) -> None:
    make_team(sessions, {"UANN": None})
    record(sessions, decide(sessions, FRIDAY_3PM), FRIDAY_3PM)
    [cycle] = cycles(sessions)
    assert decide(sessions, MONDAY_9AM - timedelta(seconds=1)).closed == []
    closing = decide(sessions, MONDAY_9AM)
    assert closing.closed == [cycle.id] and closing.send == []


def test_send_opens_the_week_now_and_recovers_skipped_prompts(
    sessions: sessionmaker[Session],
) -> None:
    team_id = make_team(sessions, {"UANN": None, "UBOB": None, "UCAT": None})
    saturday = FRIDAY_3PM + timedelta(days=1, hours=1)
    record(sessions, decide(sessions, saturday), saturday)  # the bot was down over Friday
    [cycle] = cycles(sessions)
    answer(sessions, cycle.id, "UCAT", saturday)  # Cat answered all the same (a DM)
    assert decide(sessions, saturday + timedelta(minutes=1)).send == []  # skipped stay skipped
    forced = decide(sessions, saturday + timedelta(minutes=2), team_id=team_id, force=True)
    assert sends(forced) == [f"prompt:{cycle.id}:UANN", f"prompt:{cycle.id}:UBOB"]
    assert forced.recovered == 2
    with transaction(sessions) as session:
        rows = session.scalars(select(Delivery).order_by(Delivery.user_id))
        assert [(d.user_id, d.status) for d in rows] == [
            ("UANN", "pending"),
            ("UBOB", "pending"),
            ("UCAT", "skipped"),
        ]


def test_send_before_the_prompt_time_opens_this_week_from_now(
    sessions: sessionmaker[Session],
) -> None:
    team_id = make_team(sessions, {"UANN": None})
    wednesday = datetime(2026, 11, 25, 9, tzinfo=UTC)
    forced = decide(sessions, wednesday, team_id=team_id, force=True)
    [cycle] = cycles(sessions)
    assert (cycle.week, cycle.opens_at, cycle.closes_at) == ("2026-W48", wednesday, MONDAY_9AM)
    assert sends(forced) == [f"prompt:{cycle.id}:UANN"]
    record(sessions, forced, wednesday)
    # At the scheduled time no second prompt; only the reminder, a day after the early one.
    assert sends(decide(sessions, FRIDAY_3PM)) == [f"reminder:{cycle.id}:UANN"]


def test_local_schedule_prompts_sydney_for_the_new_week_while_the_old_one_is_open(
    sessions: sessionmaker[Session],
) -> None:
    make_team(
        sessions,
        {"USYD": "Australia/Sydney", "ULAX": "America/Los_Angeles"},
        created=CREATED - timedelta(days=7),
        timezone="America/Los_Angeles",
        member_local=True,
        prompt_weekday="mon",
        prompt_time="09:00",
    )
    with transaction(sessions) as session:
        for team in session.scalars(select(Team)):
            team.remind_after_minutes = None  # reminders off (None at insert means the default)
    sydney_monday = datetime(2026, 11, 30, 9, tzinfo=ZoneInfo("Australia/Sydney"))
    la_monday = datetime(2026, 11, 30, 9, tzinfo=ZoneInfo("America/Los_Angeles"))
    for previous in (sydney_monday - timedelta(days=7), la_monday - timedelta(days=7)):
        record(sessions, decide(sessions, previous), previous)  # last week's, one each
    assert decide(sessions, sydney_monday - timedelta(minutes=1)).send == []
    sydney = decide(sessions, sydney_monday)
    weeks = {c.week: c for c in cycles(sessions)}
    old, new = weeks["2026-W48"], weeks["2026-W49"]
    assert old.closes_at == la_monday > sydney_monday  # the old week is still open
    assert sends(sydney) == [f"prompt:{new.id}:USYD"]
    record(sessions, sydney, sydney_monday)
    assert decide(sessions, la_monday - timedelta(minutes=1)).send == []
    los_angeles = decide(sessions, la_monday)
    assert old.id in los_angeles.closed and sends(los_angeles) == [f"prompt:{new.id}:ULAX"]
