"""Weekly timing across daylight saving changes and zones, with no Slack and no database."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from bot.schedule.calendar import (
    MemberClock,
    TeamClock,
    current_week,
    decide_prompt,
    occurrence,
    week_bounds,
    week_label,
    zone,
)

LONDON = zone("Europe/London")


def team(**changes: object) -> TeamClock:
    fields: dict[str, object] = dict(
        team_id=1,
        timezone="Europe/London",
        member_local=False,
        prompt_weekday="fri",
        prompt_time="15:00",
        summary_weekday="mon",
        summary_time="09:00",
        remind_after_minutes=1440,
        created_at=datetime(2026, 1, 1, tzinfo=UTC),
    )
    fields.update(changes)
    return TeamClock(**fields)  # type: ignore[arg-type]


def member(user: str = "U1", tz: str | None = None, paused: date | None = None) -> MemberClock:
    return MemberClock(user, tz, datetime(2026, 1, 1, tzinfo=UTC), paused)


def test_prompt_stays_at_local_15_00_across_the_october_change() -> None:
    # BST (UTC+1) before 25 Oct 2026, GMT after.
    before = occurrence("2026-W43", "fri", "15:00", LONDON)
    after = occurrence("2026-W44", "fri", "15:00", LONDON)
    assert before == datetime(2026, 10, 23, 14, 0, tzinfo=UTC)
    assert after == datetime(2026, 10, 30, 15, 0, tzinfo=UTC)
    assert after - before == timedelta(days=7, hours=1)


def test_spring_forward_gap_lands_after_the_jump() -> None:
    moment = occurrence("2026-W13", "sun", "01:30", LONDON)  # 29 Mar 2026, 01:00-02:00 skipped
    assert moment.astimezone(LONDON).hour == 2


def test_week_closes_at_next_summary_time() -> None:
    week = week_bounds(team(), "2026-W48", [member()])
    assert week.opens_at == datetime(2026, 11, 27, 15, 0, tzinfo=UTC)
    assert week.closes_at == datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


def test_local_schedule_prompts_each_member_in_their_zone() -> None:
    t = team(member_local=True)
    ny, kolkata = member("UNY", "America/New_York"), member("UIN", "Asia/Kolkata")
    week = week_bounds(t, "2026-W48", [ny, kolkata])
    assert week.opens_at == datetime(2026, 11, 27, 9, 30, tzinfo=UTC)  # 15:00 in Kolkata
    at_kolkata_time = datetime(2026, 11, 27, 9, 30, tzinfo=UTC)
    assert decide_prompt(t, kolkata, week, at_kolkata_time).action == "send"
    assert decide_prompt(t, ny, week, at_kolkata_time).action == "wait"
    assert decide_prompt(t, ny, week, datetime(2026, 11, 27, 20, 0, tzinfo=UTC)).action == "send"


def test_catch_up_within_a_day_skip_after() -> None:
    week = week_bounds(team(), "2026-W48", [member()])
    due = week.opens_at
    assert decide_prompt(team(), member(), week, due + timedelta(hours=23)).action == "send"
    assert decide_prompt(team(), member(), week, due + timedelta(hours=24)).action == "skip"


def test_paused_member_waits() -> None:
    week = week_bounds(team(), "2026-W48", [member()])
    paused = member(paused=date(2026, 12, 24))
    assert decide_prompt(team(), paused, week, week.opens_at).action == "wait"


def test_no_week_before_prompt_time_and_after_close() -> None:
    t = team()
    assert current_week(t, [member()], datetime(2026, 11, 26, tzinfo=UTC)) is None
    assert current_week(t, [member()], datetime(2026, 11, 28, tzinfo=UTC)) is not None
    assert current_week(t, [member()], datetime(2026, 11, 30, 9, 0, tzinfo=UTC)) is None


def test_week_label_uses_the_team_zone() -> None:
    late_sunday_utc = datetime(2026, 11, 29, 23, 30, tzinfo=UTC)
    assert week_label(late_sunday_utc, LONDON) == "2026-W48"
    assert week_label(late_sunday_utc, zone("Asia/Kolkata")) == "2026-W49"
