"""The trend chart is a real 1000×500 PNG for 0 to 8 weeks, too-few weeks included."""

from __future__ import annotations

import struct

import pytest

from bot.summary.chart import render_trend_chart
from bot.summary.figures import TrendPoint


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height from the IHDR chunk, which always comes first."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def point(n: int, *, too_few: bool = False) -> TrendPoint:
    if too_few:
        return TrendPoint(f"2026-W{40 + n}", None, None, None, 0.25, True)
    mean = 5 + n * 0.3
    return TrendPoint(f"2026-W{40 + n}", mean, mean - 1.2, mean + 1.2, 0.6 + n * 0.05, False)


@pytest.mark.parametrize("count", [1, 2, 5, 8])
def test_chart_is_a_png_of_the_expected_size(count: int) -> None:
    data = render_trend_chart([point(n) for n in range(count)], title="Support · 8 weeks")
    assert data.startswith(b"\x89PNG")
    assert png_size(data) == (1000, 500)


def test_too_few_weeks_leave_gaps() -> None:
    trend = [point(0), point(1, too_few=True), point(2), point(3, too_few=True)]
    assert png_size(render_trend_chart(trend, title="gaps")) == (1000, 500)


def test_all_weeks_too_few_still_draws() -> None:
    trend = [point(n, too_few=True) for n in range(8)]
    assert png_size(render_trend_chart(trend, title="quiet")) == (1000, 500)


def test_no_weeks_and_odd_titles() -> None:
    assert png_size(render_trend_chart([], title="$x$ <!channel> 100% _a_")) == (1000, 500)


def test_missing_response_rate() -> None:
    trend = [TrendPoint("2026-W01", 6.0, 5.0, 7.0, None, False)]
    assert png_size(render_trend_chart(trend, title="t")) == (1000, 500)
