"""The drop rule on plain numbers."""

from bot.rally.rules import baseline, judge


def test_first_check_in_is_judged_by_the_floor_alone() -> None:
    assert judge(4, [], floor=4, delta=2) is not None
    assert judge(5, [], floor=4, delta=2) is None


def test_baseline_is_the_mean_of_up_to_four_previous() -> None:
    assert baseline([8, 6, 7, 9, 1]) == 7.5  # the fifth (oldest) is ignored
    assert judge(6, [8, 6, 7, 9, 1], floor=4, delta=2) is None  # 1.5 below
    drop = judge(5, [8, 6, 7, 9, 1], floor=4, delta=2)
    assert drop is not None and "2.5 below" in drop.reason


def test_floor_wins_even_without_a_drop() -> None:
    assert judge(3, [3, 3, 3], floor=4, delta=2) is not None
    assert judge(3, [3, 3, 3], floor=2, delta=2) is None
