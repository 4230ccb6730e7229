"""One person's work runs in the order it arrived, one job at a time, in every mode; other
people's work runs beside it."""

from __future__ import annotations

import re
import threading
from collections import defaultdict
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine

from bot.platform.deps import TrackingExecutor
from bot.platform.work import Drainer, WorkQueue, wall_clock
from localslack import RateLimit
from storage import jobs
from storage.db import make_engine
from tests.checkin.test_weekly import FRIDAY_3PM_LONDON, checkins, make_team
from tests.harness import Oneness, running_oneness

WAIT = 15.0
BURST = [("7", "first"), ("4", "second"), ("6", "third"), ("3", "fourth"), ("8", "fifth")]
RECORDED = re.compile(r"Recorded \*?(\d+)/10")


@pytest.fixture
def queued(db_url: str) -> Iterator[Oneness]:
    """The app storing its work without running it, as beside `oneness work` processes."""
    with running_oneness(db_url, work_mode="queue") as running:
        yield running


def run_waiting(o: Oneness) -> None:
    """Run every waiting job, as a work process would."""
    while o.deps.work.run_claimed(10):
        o.settle()


def told(o: Oneness, user: str) -> list[int]:
    """The scores the bot confirmed to `user`, in the order its DMs were posted (the prompt,
    edited in place to show the weekly answer, left out)."""
    prompt_ts = o.prompt(user).ts
    return [
        int(found.group(1))
        for m in o.dms(user)
        if m.ts != prompt_ts and (found := RECORDED.search(m.all_text()))
    ]


def slow_replies(o: Oneness) -> None:
    """Slack's one message a second per channel, with no burst: every reply in one DM after
    the first waits for a 429's Retry-After, so each job takes a second or more and the next
    ones arrive while it runs."""
    o.slack.set_rate_limit("chat.postMessage", RateLimit(per_channel_per_second=1, channel_burst=1))


def send_burst(o: Oneness) -> None:
    for score, note in BURST:
        assert o.driver.dm("UANN", f"{score} {note}").status == 200


def assert_handled_in_order(o: Oneness) -> None:
    rows = [r for r in checkins(o) if r.user_id == "UANN"]
    assert [(r.score, r.note) for r in rows] == [(int(s), n) for s, n in BURST]
    assert [r.kind for r in rows] == ["weekly", "pulse", "pulse", "pulse", "pulse"]
    assert told(o, "UANN") == [int(s) for s, _ in BURST]


def test_a_burst_of_messages_is_handled_in_order_in_local_mode(oneness: Oneness) -> None:
    o = oneness
    make_team(o, "UANN")
    o.advance_to(FRIDAY_3PM_LONDON)
    slow_replies(o)
    send_burst(o)
    o.settle()
    assert_handled_in_order(o)


def test_a_burst_of_messages_is_handled_in_order_by_work_processes(queued: Oneness) -> None:
    o = queued
    make_team(o, "UANN")
    run_waiting(o)
    o.advance_to(FRIDAY_3PM_LONDON)
    slow_replies(o)
    drainer = Drainer(o.deps.work, o.deps.executor, slots=4).start(interval=0.05)
    try:
        send_burst(o)
        o.slack.wait_for(lambda: len(checkins(o)) == len(BURST), timeout=WAIT)
        o.slack.wait_for(lambda: len(told(o, "UANN")) == len(BURST), timeout=WAIT)
    finally:
        drainer.stop()
    o.settle()
    assert_handled_in_order(o)


def test_a_stored_burst_is_claimed_one_job_at_a_time(queued: Oneness) -> None:
    """Five waiting jobs of one person and one of another: a claim of ten takes one of each."""
    o = queued
    make_team(o, "UANN", "UBOB")
    run_waiting(o)
    o.advance_to(FRIDAY_3PM_LONDON)
    send_burst(o)
    assert o.driver.dm("UBOB", "9 fine").status == 200
    assert o.deps.work.run_claimed(10) == 2
    o.settle()  # each job, once done, claimed its person's next
    assert_handled_in_order(o)
    assert [(r.user_id, r.score) for r in checkins(o) if r.user_id == "UBOB"] == [("UBOB", 9)]


# The queue itself, with work of our own: what runs when, and beside what.


class Recorder:
    """Work that records when each job starts and ends, and can be held until released."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.started: dict[str, list[int]] = defaultdict(list)
        self.running: set[str] = set()
        self.overlaps: list[str] = []
        self.events: dict[tuple[str, int], threading.Event] = defaultdict(threading.Event)
        self.hold: dict[tuple[str, int], threading.Event] = {}

    def __call__(self, body: dict[str, Any]) -> None:
        person, n = str(body["person"]), int(body["n"])
        with self.lock:
            if person in self.running:
                self.overlaps.append(person)
            self.running.add(person)
            self.started[person].append(n)
            held = self.hold.get((person, n))
        self.events[(person, n)].set()
        if held is not None:
            assert held.wait(WAIT), "the test never released the held job"
        with self.lock:
            self.running.discard(person)


def queue_on(engine: Engine, mode: str, work: Recorder) -> tuple[WorkQueue, TrackingExecutor]:
    """What one process has: a work queue on the database and a pool of 4 threads."""
    executor = TrackingExecutor(max_workers=4)
    queue = WorkQueue(engine, executor, mode=mode)
    queue.register("record", work)
    return queue, executor


def test_another_persons_work_is_not_held_back_by_a_slow_job(db_url: str) -> None:
    work = Recorder()
    release = threading.Event()
    work.hold[("UANN", 1)] = release
    engine = make_engine(db_url)
    queue, executor = queue_on(engine, "local", work)
    try:
        queue.submit("record", {"person": "UANN", "n": 1}, user_id="UANN")
        assert work.events[("UANN", 1)].wait(WAIT)
        queue.submit("record", {"person": "UANN", "n": 2}, user_id="UANN")
        queue.submit("record", {"person": "UBOB", "n": 1}, user_id="UBOB")
        queue.submit("record", {"person": "nobody", "n": 1}, user_id=None)
        assert work.events[("UBOB", 1)].wait(WAIT) and work.events[("nobody", 1)].wait(WAIT)
        assert work.started["UANN"] == [1]  # Ann's second waits for her first
        release.set()
        assert executor.wait_idle(WAIT)
        assert work.started["UANN"] == [1, 2] and work.overlaps == []
        assert jobs.backlog(engine, now=wall_clock()) == jobs.Backlog(0, 0, 0)
    finally:
        release.set()
        executor.shutdown(wait=True)
        queue.close()
        engine.dispose()


@pytest.mark.parametrize("mode", ["local", "queue"])
def test_processes_run_each_persons_jobs_one_at_a_time_in_order(db_url: str, mode: str) -> None:
    """Two processes' queues on one database, each with its own pool (and in queue mode a
    drainer): every person's jobs, submitted to either, run one at a time in order."""
    work = Recorder()
    people, per_person = ["UANN", "UBOB", "UCAT"], 8
    engines = [make_engine(db_url) for _ in range(2)]
    queues = [queue_on(engine, mode, work) for engine in engines]
    drainers = [Drainer(q, ex, slots=4).start(interval=0.02) for q, ex in queues]
    try:
        for n in range(1, per_person + 1):
            for i, person in enumerate(people):
                queue = queues[(n + i) % 2][0]
                queue.submit("record", {"person": person, "n": n}, user_id=person)
        for person in people:
            assert work.events[(person, per_person)].wait(WAIT), dict(work.started)
    finally:
        for drainer in drainers:
            drainer.stop()
        for (queue, executor), engine in zip(queues, engines, strict=True):
            executor.shutdown(wait=True)
            queue.close()
            engine.dispose()
    assert work.overlaps == []
    assert dict(work.started) == {p: list(range(1, per_person + 1)) for p in people}
