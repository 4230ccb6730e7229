"""A burst of App Home refreshes for one person publishes again once, with the last state."""

from __future__ import annotations

import threading

from bot.platform.deps import Coalescer


def test_calls_during_a_run_collapse_into_one_more_run() -> None:
    coalescer = Coalescer()
    started, release = threading.Event(), threading.Event()
    state = {"value": 0}
    seen: list[int] = []

    def job() -> None:
        value = state["value"]  # the state this run publishes
        if not started.is_set():
            started.set()
            release.wait(5)
        seen.append(value)

    first = threading.Thread(target=coalescer.run, args=("U1", job))
    first.start()
    assert started.wait(5)
    for value in range(1, 6):  # five refreshes arrive while the first is publishing
        state["value"] = value
        coalescer.run("U1", job)
    release.set()
    first.join(5)
    assert seen == [0, 5]


def test_other_keys_run_at_once() -> None:
    coalescer = Coalescer()
    seen: list[str] = []
    coalescer.run("U1", lambda: seen.append("U1"))
    coalescer.run("U2", lambda: seen.append("U2"))
    assert seen == ["U1", "U2"]
