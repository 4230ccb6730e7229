"""The 8-week trend chart as a PNG: weekly mean with its spread, and the response rate.

Built on `matplotlib.figure.Figure` with the Agg canvas, never pyplot, so it keeps no global
state and is safe from the scheduler's and Bolt's threads alike.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence

from bot.summary.figures import TrendPoint

WIDTH_IN, HEIGHT_IN, DPI = 10, 5, 100  # 1000 × 500 px
MEAN_COLOUR = "#2b6cb0"
RATE_COLOUR = "#718096"
TOO_FEW = "too few answers to show without identifying anyone"


def render_trend_chart(trend: Sequence[TrendPoint], *, title: str) -> bytes:
    """A 1000×500 PNG: mean ± stdev per week (too-few weeks blank), response rate at right."""
    # Imported here: matplotlib and numpy add ~43 MB to every process, and only the weekly
    # summary draws (bench/ack.py measured the saving).
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import PercentFormatter

    figure = Figure(figsize=(WIDTH_IN, HEIGHT_IN), dpi=DPI)
    FigureCanvasAgg(figure)
    scores = figure.add_subplot()
    rates = scores.twinx()
    figure.subplots_adjust(left=0.07, right=0.92, top=0.88, bottom=0.14)

    xs = list(range(len(trend)))
    nan = math.nan
    means = [p.mean if p.mean is not None and not p.too_few else nan for p in trend]
    lows = [p.low if p.low is not None and not p.too_few else nan for p in trend]
    highs = [p.high if p.high is not None and not p.too_few else nan for p in trend]
    shown = [not math.isnan(m) for m in means]
    banded = [not math.isnan(low) for low in lows]

    rate_values = [p.response_rate * 100 if p.response_rate is not None else nan for p in trend]
    rates.plot(
        xs,
        rate_values,
        color=RATE_COLOUR,
        linestyle="--",
        marker="s",
        markersize=4,
        linewidth=1.2,
        label="response rate",
    )
    rates.set_ylim(0, 105)
    rates.yaxis.set_major_formatter(PercentFormatter(decimals=0))
    rates.set_ylabel("response rate", color=RATE_COLOUR)
    rates.tick_params(axis="y", colors=RATE_COLOUR)

    # The band: a filled area across neighbouring weeks, a bar for a week standing alone.
    scores.fill_between(xs, lows, highs, where=banded, color=MEAN_COLOUR, alpha=0.18, linewidth=0)
    band_x = [x for x, ok in zip(xs, banded, strict=True) if ok]
    scores.vlines(
        band_x,
        [lows[x] for x in band_x],
        [highs[x] for x in band_x],
        color=MEAN_COLOUR,
        alpha=0.35,
        linewidth=6,
    )
    # NaN breaks the line, so a too-few week leaves a gap instead of a made-up point.
    scores.plot(xs, means, color=MEAN_COLOUR, marker="o", linewidth=2, label="mean ± spread")
    for x, ok, mean in zip(xs, shown, means, strict=True):
        if ok:
            scores.annotate(
                f"{mean:.1f}",
                (x, mean),
                textcoords="offset points",
                xytext=(0, 8),
                ha="center",
                fontsize=9,
                color=MEAN_COLOUR,
            )
        else:
            scores.text(x, 1.4, "too few", ha="center", fontsize=8, color=RATE_COLOUR)
    if not any(shown):
        scores.text(
            0.5,
            0.5,
            TOO_FEW,
            transform=scores.transAxes,
            ha="center",
            va="center",
            fontsize=12,
            color=RATE_COLOUR,
        )

    scores.set_ylim(1, 10.5)
    scores.set_yticks(range(1, 11))
    scores.set_ylabel("score (1-10)", color=MEAN_COLOUR)
    scores.set_xlim(-0.5, max(len(trend), 1) - 0.5)
    scores.set_xticks(xs, [p.week for p in trend], fontsize=9)
    scores.grid(axis="y", alpha=0.3)
    scores.set_zorder(rates.get_zorder() + 1)  # the mean above the rate line
    scores.patch.set_visible(False)
    handles = scores.get_legend_handles_labels()
    more = rates.get_legend_handles_labels()
    figure.legend(
        handles[0] + more[0],
        handles[1] + more[1],
        loc="upper right",
        ncol=2,
        fontsize=9,
        frameon=False,
    )
    # A `$` in a team name would otherwise switch matplotlib into mathtext.
    figure.suptitle(title.replace("$", r"\$"), x=0.07, ha="left", fontsize=13)

    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()
