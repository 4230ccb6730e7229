"""The drop rule: does a check-in call for the team to rally?"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

BASELINE_WINDOW = 4


@dataclass(frozen=True)
class Drop:
    """Why a check-in counts as a drop."""

    reason: str
    baseline: float | None


def baseline(previous: Sequence[int]) -> float | None:
    """Mean of the member's previous scores, newest first, up to four; None for a first check-in."""
    window = list(previous)[:BASELINE_WINDOW]
    return sum(window) / len(window) if window else None


def judge(score: int, previous: Sequence[int], *, floor: int, delta: int) -> Drop | None:
    """A Drop when `score` is at or below the floor, or `delta` or more below the baseline."""
    base = baseline(previous)
    if score <= floor:
        return Drop(f"{score} is at or below the team's floor of {floor}", base)
    if base is not None and base - score >= delta:
        return Drop(f"{score} is {base - score:.1f} below the recent average of {base:.1f}", base)
    return None
