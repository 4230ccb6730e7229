"""Weekly timing across daylight saving changes and zones, with no Slack and no database."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.schedule.calendar import (
    CATCH_UP,
    MemberClock,
    PromptAction,
    SkipReason,
    TeamClock,
    Week,
    closes_at,
    current_week,
    decide_prompt,
    is_paused,
    moved_close,
    next_occurrence,
    occurrence,
    open_weeks,
    scheduled_at,
    week_bounds,
    week_label,
    week_skip_reason,
    week_to_open_now,
    zone,
)

LONDON = zone("Europe/London")
NEW_YORK = zone("America/New_York")
SYDNEY = "Australia/Sydney"
KOLKATA = "Asia/Kolkata"
LOS_ANGELES = "America/Los_Angeles"


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


def member(
    user: str = "U1",
    tz: str | None = None,
    paused: date | None = None,
    paused_at: datetime | None = None,
) -> MemberClock:
    return MemberClock(user, tz, datetime(2026, 1, 1, tzinfo=UTC), paused, paused_at)


# --- CronTrigger across daylight saving -----------------------------------------------------


def test_prompt_stays_at_local_15_00_across_the_october_change() -> None:
    # BST (UTC+1) before 25 Oct 2026, GMT after.
    before = occurrence("2026-W43", "fri", "15:00", LONDON)
    after = occurrence("2026-W44", "fri", "15:00", LONDON)
    assert before == datetime(2026, 10, 23, 14, 0, tzinfo=UTC)
    assert after == datetime(2026, 10, 30, 15, 0, tzinfo=UTC)
    assert after - before == timedelta(days=7, hours=1)
    assert next_occurrence(before, "fri", "15:00", LONDON) == after


def test_spring_forward_gap_lands_after_the_jump() -> None:
    moment = occurrence("2026-W13", "sun", "01:30", LONDON)  # 29 Mar 2026, 01:00-02:00 skipped
    assert moment.astimezone(LONDON).hour == 2
    assert moment == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)  # 02:30 BST, just after the jump
    # It happens once: the next is a week later, at 01:30 BST.
    assert next_occurrence(moment, "sun", "01:30", LONDON) == datetime(
        2026, 4, 5, 0, 30, tzinfo=UTC
    )


def test_spring_gap_in_new_york() -> None:
    # 8 Mar 2026: 02:00 EST jumps to 03:00 EDT, so 02:30 does not exist; 03:30 EDT is 07:30 UTC.
    before = datetime(2026, 3, 7, 12, 0, tzinfo=UTC)
    moment = next_occurrence(before, "sun", "02:30", NEW_YORK)
    assert moment == datetime(2026, 3, 8, 7, 30, tzinfo=UTC)
    assert next_occurrence(moment, "sun", "02:30", NEW_YORK) == datetime(
        2026, 3, 15, 6, 30, tzinfo=UTC
    )


@pytest.mark.parametrize(
    ("tz", "day", "first_utc"),
    [
        (LONDON, date(2026, 10, 25), datetime(2026, 10, 25, 0, 30, tzinfo=UTC)),  # BST 01:30
        (NEW_YORK, date(2026, 11, 1), datetime(2026, 11, 1, 5, 30, tzinfo=UTC)),  # EDT 01:30
    ],
)
def test_repeated_autumn_hour_happens_once(tz: ZoneInfo, day: date, first_utc: datetime) -> None:
    # CronTrigger alone fires at both 01:30s of the repeated hour; a weekly time happens once.
    day_before = datetime(day.year, day.month, day.day, tzinfo=UTC) - timedelta(days=1)
    first = next_occurrence(day_before, "sun", "01:30", tz)
    assert first == first_utc
    second = next_occurrence(first, "sun", "01:30", tz)
    assert second.astimezone(tz).date() == day + timedelta(days=7)
    # Asked from inside the second pass of the hour, the answer is next week too.
    assert next_occurrence(first + timedelta(hours=1), "sun", "01:30", tz) == second


def test_occurrence_is_in_its_own_iso_week_at_the_year_end() -> None:
    # 2026 has 53 ISO weeks; the Friday of 2026-W53 is 1 Jan 2027.
    assert occurrence("2026-W53", "fri", "15:00", LONDON) == datetime(2027, 1, 1, 15, tzinfo=UTC)
    assert occurrence("2027-W01", "mon", "00:00", LONDON) == datetime(2027, 1, 4, tzinfo=UTC)


# --- weeks of a team ------------------------------------------------------------------------


def test_week_closes_at_next_summary_time() -> None:
    week = week_bounds(team(), "2026-W48", [member()])
    assert week.opens_at == datetime(2026, 11, 27, 15, 0, tzinfo=UTC)
    assert week.closes_at == datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


def test_no_week_before_prompt_time_and_after_close() -> None:
    t = team()
    assert current_week(t, [member()], datetime(2026, 11, 26, tzinfo=UTC)) is None
    assert current_week(t, [member()], datetime(2026, 11, 28, tzinfo=UTC)) is not None
    assert current_week(t, [member()], datetime(2026, 11, 30, 9, 0, tzinfo=UTC)) is None


def test_week_label_uses_the_team_zone() -> None:
    late_sunday_utc = datetime(2026, 11, 29, 23, 30, tzinfo=UTC)
    assert week_label(late_sunday_utc, LONDON) == "2026-W48"
    assert week_label(late_sunday_utc, zone("Asia/Kolkata")) == "2026-W49"


def test_send_opens_this_week_or_the_next_when_its_summary_has_passed() -> None:
    wednesday = datetime(2026, 11, 25, 9, tzinfo=UTC)
    assert week_to_open_now(team(), [member()], wednesday) == Week(
        "2026-W48", wednesday, datetime(2026, 11, 30, 9, tzinfo=UTC)
    )
    # Prompts Friday 15:00, summary Friday 16:00: on Saturday this week's has closed.
    short = team(summary_weekday="fri", summary_time="16:00")
    saturday = datetime(2026, 11, 28, 9, tzinfo=UTC)
    assert week_to_open_now(short, [member()], saturday) == Week(
        "2026-W49", saturday, datetime(2026, 12, 4, 16, tzinfo=UTC)
    )


def test_summary_time_moved_mid_week() -> None:
    week = week_bounds(team(), "2026-W48", [member()])
    saturday = datetime(2026, 11, 28, 12, tzinfo=UTC)
    later = team(summary_weekday="tue", summary_time="17:00")
    assert moved_close(later, week, saturday) == datetime(2026, 12, 1, 17, tzinfo=UTC)
    # Friday 16:00 has passed by Saturday: the week closes now, never before.
    passed = team(summary_weekday="fri", summary_time="16:00")
    assert moved_close(passed, week, saturday) == saturday


# --- one member's prompt --------------------------------------------------------------------


def test_catch_up_within_a_day_skip_after() -> None:
    week = week_bounds(team(), "2026-W48", [member()])
    due = week.opens_at
    assert decide_prompt(team(), member(), week, due + timedelta(hours=23)).action == "send"
    late = decide_prompt(team(), member(), week, due + CATCH_UP)
    assert late.action == PromptAction.SKIP and late.reason == SkipReason.OFFLINE


def test_skipped_because_the_schedule_changed_after_the_prompt_time() -> None:
    # On Thursday the lead moves prompts to Wednesday 09:00: this week's time passed a day ago.
    thursday = datetime(2026, 11, 26, 10, tzinfo=UTC)
    moved = team(prompt_weekday="wed", prompt_time="09:00", schedule_changed_at=thursday)
    week = week_bounds(moved, "2026-W48", [member()])
    decision = decide_prompt(moved, member(), week, thursday)
    assert (decision.action, decision.reason) == (PromptAction.SKIP, SkipReason.SCHEDULE_CHANGED)
    # Changed before the prompt time and then nothing ran for a day: the bot was offline.
    early = team(prompt_weekday="wed", prompt_time="09:00", schedule_changed_at=week.opens_at)
    assert decide_prompt(early, member(), week, thursday).reason == SkipReason.OFFLINE


def test_forced_send_ignores_the_time_but_not_a_pause() -> None:
    week = week_bounds(team(), "2026-W48", [member()])
    wednesday = datetime(2026, 11, 25, tzinfo=UTC)
    assert decide_prompt(team(), member(), week, wednesday).action == PromptAction.WAIT
    assert decide_prompt(team(), member(), week, wednesday, forced=True).action == "send"
    paused = member(paused=date(2026, 12, 24))
    assert decide_prompt(team(), paused, week, wednesday, forced=True).action == "wait"


def test_paused_member_waits() -> None:
    week = week_bounds(team(), "2026-W48", [member()])
    paused = member(paused=date(2026, 12, 24))
    assert decide_prompt(team(), paused, week, week.opens_at).action == "wait"


def test_a_pause_counts_from_when_it_was_set() -> None:
    week = week_bounds(team(), "2026-W48", [member()])
    saturday = datetime(2026, 11, 28, 10, tzinfo=UTC)  # after Friday's prompt
    paused = member(paused=date(2026, 12, 24), paused_at=saturday)
    assert not is_paused(team(), paused, week.opens_at)  # prompted before the pause
    assert is_paused(team(), paused, week.closes_at)  # not expected when the week closes
    assert not is_paused(team(), paused, datetime(2026, 12, 25, 9, tzinfo=UTC))
    # A pause recorded without its start (set before the start was kept) counts all along.
    assert is_paused(team(), member(paused=date(2026, 12, 24)), week.opens_at)


def test_week_skip_reason_is_the_most_common_stored_one() -> None:
    assert week_skip_reason([]) is None
    assert week_skip_reason(["schedule changed", "offline", "schedule changed"]) == (
        SkipReason.SCHEDULE_CHANGED
    )
    # Stored before reasons were kept: only the offline case existed then.
    assert week_skip_reason(["late by 1 day, 2:00:00 (more than a day)"]) == SkipReason.OFFLINE


# --- `local` schedules: each member in their own zone ---------------------------------------


def test_local_schedule_prompts_each_member_in_their_zone() -> None:
    t = team(member_local=True)
    ny, kolkata = member("UNY", "America/New_York"), member("UIN", KOLKATA)
    week = week_bounds(t, "2026-W48", [ny, kolkata])
    assert week.opens_at == datetime(2026, 11, 27, 9, 30, tzinfo=UTC)  # 15:00 in Kolkata
    at_kolkata_time = datetime(2026, 11, 27, 9, 30, tzinfo=UTC)
    assert decide_prompt(t, kolkata, week, at_kolkata_time).action == "send"
    assert decide_prompt(t, ny, week, at_kolkata_time).action == "wait"
    assert decide_prompt(t, ny, week, datetime(2026, 11, 27, 20, 0, tzinfo=UTC)).action == "send"


def test_sydney_is_prompted_at_its_own_monday_morning_for_a_los_angeles_team() -> None:
    # The case: team in Los Angeles, `mon 09:00 local`. Monday 09:00 in Sydney is
    # Sunday 14:00 in Los Angeles, before the team's previous week closes (Monday 09:00 there).
    t = team(timezone=LOS_ANGELES, member_local=True, prompt_weekday="mon", prompt_time="09:00")
    sydney, angeleno = member("USYD", SYDNEY), member("ULAX", LOS_ANGELES)
    monday_9_sydney = datetime(2026, 11, 30, 9, tzinfo=ZoneInfo(SYDNEY))
    weeks = open_weeks(t, [sydney, angeleno], monday_9_sydney)
    assert [w.label for w in weeks] == ["2026-W48", "2026-W49"]  # both open for a while
    this = weeks[-1]
    assert this.opens_at == monday_9_sydney
    assert decide_prompt(t, sydney, this, monday_9_sydney).action == "send"
    assert decide_prompt(t, angeleno, this, monday_9_sydney).action == "wait"
    assert open_weeks(t, [sydney, angeleno], monday_9_sydney - timedelta(minutes=1))[-1].label == (
        "2026-W48"
    )


def test_a_member_whose_own_time_falls_after_the_summary_gets_the_one_a_week_earlier() -> None:
    # Team in Sydney, prompts Sunday 20:00 local, summary Monday 09:00 Sydney. Sunday 20:00 in
    # Los Angeles is Monday 14:00 in Sydney, after that week's summary: the Los Angeles member's
    # Sunday evening before belongs to the week instead, so they still answer every week.
    t = team(timezone=SYDNEY, member_local=True, prompt_weekday="sun", prompt_time="20:00")
    angeleno = member("ULAX", LOS_ANGELES)
    due = scheduled_at(t, "2026-W48", angeleno)
    assert due == datetime(2026, 11, 22, 20, tzinfo=ZoneInfo(LOS_ANGELES))
    assert closes_at(t, "2026-W47") < due < closes_at(t, "2026-W48")


def _prompts_by_simulated_ticks(
    t: TeamClock, members: list[MemberClock], start: datetime, end: datetime
) -> dict[str, list[tuple[str, datetime]]]:
    """Every 15 minutes, do what the tick does: open due weeks (stored once), send due prompts."""
    stored: dict[str, Week] = {}
    sent: dict[str, list[tuple[str, datetime]]] = {m.user_id: [] for m in members}
    done: set[tuple[str, str]] = set()
    now = start
    while now < end:
        for week in open_weeks(t, members, now):
            stored.setdefault(week.label, week)
        for week in stored.values():
            if not start <= week.opens_at <= now < week.closes_at:
                continue  # weeks opened before the simulation are none of its business
            for m in members:
                if (week.label, m.user_id) in done:
                    continue
                decision = decide_prompt(t, m, week, now)
                assert decision.action != PromptAction.SKIP, (m.user_id, week.label, now)
                if decision.action == PromptAction.SEND:
                    done.add((week.label, m.user_id))
                    sent[m.user_id].append((week.label, now))
        now += timedelta(minutes=15)
    return sent


def _mondays_at_9(tz: str, first: date, weeks: int) -> list[datetime]:
    return [
        datetime.combine(first + timedelta(weeks=n), datetime.min.time().replace(hour=9))
        .replace(tzinfo=ZoneInfo(tz))
        .astimezone(UTC)
        for n in range(weeks)
    ]


ZONES = [SYDNEY, KOLKATA, "Europe/London", "America/New_York", LOS_ANGELES]


@pytest.mark.parametrize("team_zone", [LOS_ANGELES, "Europe/London", SYDNEY])
@pytest.mark.parametrize(
    ("first_monday", "weeks"),
    [
        # Sydney starts summer time 4 Oct 2026; London ends it 25 Oct; New York and LA 1 Nov.
        (date(2026, 9, 28), 7),
        # New York and LA start 14 Mar 2027; London 28 Mar; Sydney ends its summer 4 Apr.
        (date(2027, 3, 8), 6),
    ],
)
def test_local_mondays_at_9_in_every_zone_across_both_changes(
    team_zone: str, first_monday: date, weeks: int
) -> None:
    t = team(timezone=team_zone, member_local=True, prompt_weekday="mon", prompt_time="09:00")
    members = [member(f"U{i}", tz) for i, tz in enumerate(ZONES)]
    start = datetime.combine(first_monday, datetime.min.time(), tzinfo=UTC) - timedelta(days=2)
    end = start + timedelta(weeks=weeks)
    sent = _prompts_by_simulated_ticks(t, members, start, end)
    for m in members:
        assert m.tz is not None
        mondays = _mondays_at_9(m.tz, first_monday - timedelta(weeks=1), weeks + 2)
        expected = [d for d in mondays if start <= d < end]
        assert [when for _label, when in sent[m.user_id]] == expected, m.tz
        # Each prompt belongs to the week of its own Monday, as the member's calendar says.
        assert [label for label, _when in sent[m.user_id]] == [
            week_label(when, ZoneInfo(m.tz)) for _label, when in sent[m.user_id]
        ]


@pytest.mark.parametrize("team_zone", [SYDNEY, LOS_ANGELES])
@pytest.mark.parametrize(
    "start", [datetime(2026, 9, 20, tzinfo=UTC), datetime(2027, 3, 1, tzinfo=UTC)]
)
def test_local_sunday_evenings_just_before_the_summary_never_skip_or_repeat_a_week(
    team_zone: str, start: datetime
) -> None:
    # Sunday 20:00, summary Monday 09:00 in the team's zone: for a team in Sydney, Sunday 20:00
    # in New York or LA comes after that week's summary, so their Sunday evening before is
    # the week's. Every member still gets every Sunday evening, once, across the changes.
    t = team(timezone=team_zone, member_local=True, prompt_weekday="sun", prompt_time="20:00")
    members = [member(f"U{i}", tz) for i, tz in enumerate(ZONES)]
    sent = _prompts_by_simulated_ticks(t, members, start, start + timedelta(weeks=8))
    for m in members:
        assert m.tz is not None
        local = [when.astimezone(ZoneInfo(m.tz)) for _label, when in sent[m.user_id]]
        assert len(local) >= 7, m.tz
        assert all((d.weekday(), d.hour, d.minute) == (6, 20, 0) for d in local), m.tz
        days = [d.date() for d in local]
        assert all(b - a == timedelta(days=7) for a, b in itertools.pairwise(days))
        labels = [label for label, _when in sent[m.user_id]]
        assert len(set(labels)) == len(labels)
