"""The weekly summary, figure by figure against hand-computed data; no Slack, no database."""

from __future__ import annotations

import math
from typing import Any

import pytest

from bot.platform.blocks import SECTION_LIMIT
from bot.summary.blocks import (
    PRIVACY_FOOTNOTE,
    leads_summary_blocks,
    summary_blocks,
    summary_text,
)
from bot.summary.figures import (
    BLIND_SPOT,
    STRAIN,
    AnswerRow,
    Comparison,
    RallyRow,
    RatingRow,
    WeekInput,
    build_summary,
    help_counts,
    named_lines,
)

MEMBERS = ("U0A1", "U0A2", "U0A3", "U0A4", "U0A5", "U0A6")


def answer(user: str, week: str, score: int, help: str = "none", **more: Any) -> AnswerRow:
    fields: dict[str, Any] = dict(
        deliverables=None, customers=None, visibility="anonymous", note=""
    )
    fields.update(more)
    return AnswerRow(user_id=user, week=week, score=score, help=help, **fields)


def week(label: str, scores: dict[str, int], expected: tuple[str, ...] = MEMBERS) -> WeekInput:
    return WeekInput(label, expected, tuple(answer(u, label, s) for u, s in scores.items()))


def texts(blocks: list[dict[str, Any]]) -> str:
    """Every piece of text in the blocks, one per line."""
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "text" and isinstance(value, str):
                    found.append(value)
                else:
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(blocks)
    return "\n".join(found)


# This week: 5 of 6 answered, scores 4, 6, 7, 8, 9.
#   mean = 34 / 5 = 6.8
#   deviations -2.8, -0.8, 0.2, 1.2, 2.2; squares 7.84 + 0.64 + 0.04 + 1.44 + 4.84 = 14.8
#   population variance 14.8 / 5 = 2.96; stdev = sqrt(2.96) = 1.7205
# Last week: 5, 6, 7, 6 -> mean 6.0, so the change is +0.8.
THIS_WEEK = WeekInput(
    "2026-W48",
    MEMBERS,
    (
        answer("U0A1", "2026-W48", 4, "specialist", note="deadline, again"),
        answer("U0A2", "2026-W48", 6, "tools"),
        answer("U0A3", "2026-W48", 7, "specialist", visibility="leads", note="private worry"),
        answer("U0A4", "2026-W48", 8),
        answer("U0A5", "2026-W48", 9, "mentorship", visibility="team"),
    ),
)
LAST_WEEK = week("2026-W47", {"U0A1": 5, "U0A2": 6, "U0A3": 7, "U0A4": 6})
# Customer ratings (1-5). This week: team 4, U0A1 5, U0A5 4, U0A4 3 -> team mean 16 / 4 = 4.0.
# Self on 1-5 is score / 2: team 6.8 / 2 = 3.4; gap 3.4 - 4.0 = -0.6 -> strain.
RATINGS = (
    RatingRow(None, 4, "2026-W48"),
    RatingRow("U0A1", 5, "2026-W48"),  # self 2.0 vs 5.0: gap -3.0, strain
    RatingRow("U0A5", 4, "2026-W48"),  # self 4.5 vs 4.0: gap +0.5, blind spot (the boundary)
    RatingRow("U0A4", 3, "2026-W48"),  # self 4.0 vs 3.0: gap +1.0, blind spot
    RatingRow("U0A2", 2, "2026-W46"),  # none this week: last 4 weeks; self 3.0 vs 2.0, blind spot
    RatingRow("U0A3", 5, "2026-W40"),  # older than 4 weeks: no comparison for U0A3
)
RALLIES = (
    RallyRow("U0A5", "team", "U0OWNER1", "mentorship"),
    RallyRow("U0A9", "team", None, "none"),
    RallyRow("U0A2", "anonymous", "U0OWNER2", "tools"),
    RallyRow("U0A3", "leads", "U0OWNER3", "specialist"),
)


def full_summary() -> Any:
    older = [week(f"2026-W{n}", {"U0A1": 6, "U0A2": 6, "U0A3": 6}) for n in range(40, 47)]
    return build_summary("Support <!channel>", [*older, LAST_WEEK, THIS_WEEK], RATINGS, RALLIES)


def test_figures_by_hand() -> None:
    s = full_summary()
    assert (s.week, s.answered, s.expected, s.too_few) == ("2026-W48", 5, 6, False)
    assert s.response_rate == pytest.approx(5 / 6)
    assert s.mean == pytest.approx(6.8)
    assert s.previous_mean == pytest.approx(6.0)
    assert s.mean_change == pytest.approx(0.8)
    assert s.spread is not None
    assert s.spread.stdev == pytest.approx(math.sqrt(2.96))
    assert s.spread.stdev == pytest.approx(1.7205, abs=1e-4)
    # Never computed, so no renderer can show them (a 3-answer week would be solved).
    assert not hasattr(s.spread, "low") and not hasattr(s.spread, "high")
    assert s.help_counts == (("specialist", 2), ("mentorship", 1), ("tools", 1))


def test_trend_keeps_the_last_eight_weeks() -> None:
    s = full_summary()
    assert [p.week for p in s.trend] == [f"2026-W{n}" for n in range(41, 49)]
    last = s.trend[-1]
    assert last.mean == pytest.approx(6.8)
    assert last.low == pytest.approx(6.8 - math.sqrt(2.96))
    assert last.high == pytest.approx(6.8 + math.sqrt(2.96))
    assert last.response_rate == pytest.approx(5 / 6)
    # Three answers of 6: the mean only, no band below 5 answers; 3 of 6 answered.
    first = s.trend[0]
    assert (first.mean, first.low, first.high, first.too_few) == (6.0, None, None, False)
    assert first.response_rate == pytest.approx(0.5)


def test_band_is_clamped_to_the_scale() -> None:
    # Scores 1, 1, 1, 10, 10: mean 4.6, stdev sqrt((3 * 3.6² + 2 * 5.4²) / 5) = sqrt(19.44).
    scores = {"U0A1": 1, "U0A2": 1, "U0A3": 1, "U0A4": 10, "U0A5": 10}
    s = build_summary("t", [week("2026-W48", scores)], (), ())
    point = s.trend[-1]
    assert point.mean == pytest.approx(4.6)
    assert point.low == 1.0
    assert point.high == pytest.approx(4.6 + math.sqrt(19.44))


def test_three_or_four_answers_show_the_mean_but_no_spread() -> None:
    for scores in ({"U0A1": 2, "U0A2": 5, "U0A3": 9}, {"U0A1": 2, "U0A2": 5, "U0A3": 9, "U0A4": 6}):
        s = build_summary("t", [week("2026-W48", scores)], (), ())
        assert s.mean is not None and s.spread is None
        point = s.trend[-1]
        assert (point.low, point.high) == (None, None)
        text = texts(summary_blocks(s)).replace(PRIVACY_FOOTNOTE, "")
        assert "±" not in text and "shown from 5 answers" in text
        for score in ("2", "9"):  # neither the lowest nor the highest appears anywhere
            assert f" {score}" not in text.replace("2026", ""), score


def test_five_answers_show_the_spread_never_lowest_or_highest() -> None:
    scores = {"U0A1": 2, "U0A2": 5, "U0A3": 9, "U0A4": 6, "U0A5": 7}
    s = build_summary("t", [week("2026-W48", scores)], (), ())
    assert s.spread is not None
    text = texts(summary_blocks(s)).replace(PRIVACY_FOOTNOTE, "")
    assert "±" in text and "lowest" not in text and "highest" not in text


def test_self_vs_customer_by_hand() -> None:
    s = full_summary()
    team = s.self_vs_customer
    assert team is not None
    assert (team.self_score, team.customer_score, team.ratings) == (pytest.approx(3.4), 4.0, 4)
    assert team.window == "this week"
    assert team.gap == pytest.approx(-0.6)
    assert team.verdict == STRAIN
    by_member = {c.user_id: c for c in s.member_comparisons}
    assert set(by_member) == {"U0A1", "U0A2", "U0A4", "U0A5"}
    assert (by_member["U0A1"].gap, by_member["U0A1"].verdict) == (pytest.approx(-3.0), STRAIN)
    assert (by_member["U0A4"].gap, by_member["U0A4"].verdict) == (pytest.approx(1.0), BLIND_SPOT)
    assert (by_member["U0A5"].gap, by_member["U0A5"].verdict) == (pytest.approx(0.5), BLIND_SPOT)
    assert by_member["U0A2"].window == "last 4 weeks"
    assert by_member["U0A2"].customer_score == 2.0


def test_gap_under_half_a_point_is_not_called_out() -> None:
    assert Comparison(None, 3.4, 3.0, 1, "this week").verdict is None
    assert Comparison(None, 3.0, 3.4, 1, "this week").verdict is None
    assert Comparison(None, 3.0, 3.5, 1, "this week").verdict == STRAIN


def test_team_csat_falls_back_to_the_last_four_weeks() -> None:
    weeks = [week("2026-W02", {"U0A1": 6, "U0A2": 8, "U0A3": 10})]  # mean 8 -> 4.0 on 1-5
    ratings = [
        RatingRow(None, 3, "2026-W01"),
        RatingRow(None, 5, "2025-W51"),  # 2025 has 52 ISO weeks: W51, W52, W01, W02 are the last 4
        RatingRow(None, 1, "2025-W50"),  # outside
    ]
    team = build_summary("t", weeks, ratings, ()).self_vs_customer
    assert team is not None
    assert (team.customer_score, team.ratings, team.window) == (4.0, 2, "last 4 weeks")
    assert team.verdict is None


def test_no_customer_ratings_no_comparison() -> None:
    s = build_summary("t", [LAST_WEEK, THIS_WEEK], (), ())
    assert s.self_vs_customer is None
    assert s.member_comparisons == ()
    assert "Self vs" not in texts(summary_blocks(s))


def test_previous_mean_needs_three_answers_last_week() -> None:
    s = build_summary("t", [week("2026-W47", {"U0A1": 2, "U0A2": 3}), THIS_WEEK], (), ())
    assert s.previous_mean is None and s.mean_change is None
    assert "6.8 (last week had too few answers to compare)" in texts(summary_blocks(s))


def test_paused_member_who_answered_counts_as_expected() -> None:
    s = build_summary("t", [week("2026-W48", {"U0A1": 5, "U0A2": 5, "U0A3": 5}, ("U0A1",))], (), ())
    assert (s.answered, s.expected, s.response_rate) == (3, 3, 1.0)


def test_help_counts_skip_none_and_break_ties_by_name() -> None:
    rows = [answer(f"U{i}", "w", 5, h) for i, h in enumerate(["none", "tools", "other", "tools"])]
    assert help_counts(rows) == (("tools", 2), ("other", 1))


def test_channel_blocks_show_the_figures() -> None:
    text = texts(summary_blocks(full_summary()))
    assert "5/6 (83%)" in text
    assert "6.8 (▲0.8 from last week)" in text
    assert "*Spread:* ±1.7" in text and "(lowest" not in text
    assert "A specialist (2) · Mentorship (1) · Tools (1)" in text
    assert "self 3.4 · customers 4.0" in text
    assert "gap -0.6" in text and "*strain*" in text


def test_change_downwards_uses_the_down_arrow() -> None:
    s = build_summary("t", [week("2026-W47", {"A": 8, "B": 8, "C": 8}), THIS_WEEK], (), ())
    assert "6.8 (▼1.2 from last week)" in texts(summary_blocks(s))


def test_too_few_answers_show_no_aggregate_in_the_channel() -> None:
    weeks = [LAST_WEEK, week("2026-W48", {"U0A1": 3, "U0A2": 9})]
    s = build_summary("Support", weeks, RATINGS, ())
    assert s.too_few
    assert (s.mean, s.previous_mean, s.mean_change, s.spread) == (None, None, None, None)
    assert s.help_counts == () and s.self_vs_customer is None
    assert s.trend[-1].mean is None and s.trend[-1].too_few
    blocks = summary_blocks(s)
    text = texts(blocks).replace(PRIVACY_FOOTNOTE, "")
    assert "Too few answers (2) to show without identifying anyone." in text
    assert "2/6 (33%)" in text
    for leak in ("mean", "Spread", "±", "Self vs", "customers", "Help asked", "6.0", "▲", "▼"):
        assert leak not in text, leak
    for score in ("3", "9"):
        assert score not in text.replace("2/6 (33%)", "").replace("1-10", ""), score
    assert "6.0" not in summary_text(s)


def test_anonymous_and_leads_rallies_name_nobody_in_the_channel() -> None:
    s = full_summary()
    text = texts(summary_blocks(s))
    assert "<@U0A5> asked for mentorship: owned by <@U0OWNER1>" in text
    assert "<@U0A9> is having a rough week: no owner yet" in text
    assert "A teammate asked for tools: someone owns it" in text
    for hidden in ("U0A2", "U0A3", "U0OWNER2", "U0OWNER3", "private worry", "deadline"):
        assert hidden not in text, hidden
    assert text.count("A teammate") == 1  # the leads-only rally is not even counted
    assert "a specialist:" not in text.lower().replace("a specialist (2)", "")
    assert s.leads_only_rallies == 1


def test_channel_escapes_the_team_name() -> None:
    text = texts(summary_blocks(full_summary()))
    assert "<!channel>" not in text
    assert "Support &lt;!channel&gt;" in text


def test_leads_version_is_named_and_escapes_notes() -> None:
    note = "<!channel> ping <@U0A2> and <https://evil.example|click>\nsecond line"
    current = WeekInput(
        "2026-W48",
        MEMBERS,
        (
            *THIS_WEEK.answers[1:],
            answer("U0A1", "2026-W48", 4, "specialist", note=note, visibility="anonymous"),
        ),
    )
    weeks = [week("2026-W46", {"U0A4": 9}), LAST_WEEK, current]
    s = build_summary("Support", weeks, RATINGS, RALLIES)
    named = named_lines(weeks, {"U0A1": "Ann", "U0A6": "Fay"})
    text = texts(leads_summary_blocks(s, named))
    assert "<!channel>" not in text and "<https://" not in text and "<@U0A2> and" not in text
    assert "&gt;" in text and "&lt;!channel&gt; ping &lt;@U0A2&gt;" in text
    assert ">second line" in text
    assert "<@U0A1> *4* ▼1 from 2026-W47 · wants a specialist · anonymous" in text
    assert "<@U0A5> *9* (first answer)" in text
    assert "private worry" in text  # leads see notes of every visibility
    assert "*Not answered (1):*\n<@U0A6>" in text
    assert "<@U0A3> asked for a specialist (leads only): owned by <@U0OWNER3>" in text
    assert "<@U0A1>: self 2.0 · customers 5.0" in text


def test_named_lines_change_is_against_the_latest_earlier_answer() -> None:
    weeks = [
        week("2026-W45", {"U0A1": 7, "U0A2": 3}),
        week("2026-W46", {"U0A2": 5}),
        week("2026-W47", {}),
        week("2026-W48", {"U0A1": 4, "U0A2": 5, "U0A3": 8}),
    ]
    named = named_lines(weeks, {"U0A1": "ann", "U0A2": "Bob"})
    lines = {m.user_id: m for m in named.members}
    assert (lines["U0A1"].change, lines["U0A1"].previous_week) == (-3, "2026-W45")
    assert (lines["U0A2"].change, lines["U0A2"].previous_week) == (0, "2026-W46")
    assert lines["U0A3"].change is None and lines["U0A3"].name == "U0A3"
    assert [m.user_id for m in named.members] == ["U0A1", "U0A2", "U0A3"]  # lowest first
    assert named.missing == (("U0A4", "U0A4"), ("U0A5", "U0A5"), ("U0A6", "U0A6"))


def test_a_thousand_members_fit_slack_limits() -> None:
    users = tuple(f"U{n:06d}" for n in range(1000))
    rows = tuple(
        answer(u, "2026-W48", n % 10 + 1, note="n" * 1000, visibility="leads")
        for n, u in enumerate(users[:900])
    )
    weeks = [WeekInput("2026-W48", users, rows)]
    rallies = tuple(RallyRow(u, "anonymous", None, "tools") for u in users[:300])
    s = build_summary("Big", weeks, (), rallies)
    for blocks in (summary_blocks(s), leads_summary_blocks(s, named_lines(weeks, {}))):
        assert len(blocks) <= 50
        for block in blocks:
            if block["type"] == "section":
                assert len(block["text"]["text"]) <= SECTION_LIMIT


def test_build_summary_needs_a_week() -> None:
    with pytest.raises(ValueError):
        build_summary("t", [], (), ())


def test_leads_see_each_answer_when_too_few() -> None:
    weeks = [week("2026-W48", {"U0A1": 3, "U0A2": 9})]
    s = build_summary("t", weeks, (), ())
    text = texts(leads_summary_blocks(s, named_lines(weeks, {})))
    assert "Too few answers (2) for team figures; each one is below." in text
    assert "<@U0A1> *3* (first answer)" in text and "<@U0A2> *9*" in text
    assert "Team mean" not in text
