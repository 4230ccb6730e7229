"""Posts are spaced at ONENESS_POST_RATE, so a fan-out meets no 429s; Retry-After stays the
fallback."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import UTC, datetime

import pytest

from bot.app import build_deps
from bot.platform.clock import FakeClock
from bot.platform.config import Settings
from bot.platform.directory import Person
from bot.platform.pacing import PacedWebClient, TokenBucket
from bot.schedule.tick import tick
from bot.teams.service import TeamSettings, add_members, setup_team
from localslack import Channel, LocalSlack, RateLimit, User
from storage.db import transaction


class ManualTime:
    """A monotonic clock that moves only when the bucket sleeps (or the test says so)."""

    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_burst_one_spaces_back_to_back_calls_at_the_rate() -> None:
    time = ManualTime()
    bucket = TokenBucket(4.0, burst=1, monotonic=time.monotonic, sleep=time.sleep)
    waits = [bucket.take() for _ in range(5)]
    assert waits == [0.0, 0.25, 0.25, 0.25, 0.25]
    assert time.now == pytest.approx(101.0)


def test_idle_time_saves_up_no_more_than_the_burst() -> None:
    time = ManualTime()
    bucket = TokenBucket(2.0, burst=1, monotonic=time.monotonic, sleep=time.sleep)
    bucket.take()
    time.now += 60  # a quiet minute: 120 tokens' worth, of which the bucket keeps 1
    assert bucket.take() == 0.0
    assert bucket.take() == pytest.approx(0.5)


def test_a_larger_burst_is_spent_before_pacing_starts() -> None:
    time = ManualTime()
    bucket = TokenBucket(1.0, burst=3, monotonic=time.monotonic, sleep=time.sleep)
    assert [bucket.take() for _ in range(5)] == [0.0, 0.0, 0.0, 1.0, 1.0]


def test_threads_queue_for_evenly_spaced_turns() -> None:
    # The bucket is shared by all threads of a process: callers that arrive together are
    # given consecutive slots, none the same, none skipped.
    time = ManualTime()
    bucket = TokenBucket(10.0, burst=1, monotonic=time.monotonic, sleep=lambda s: None)
    start = threading.Barrier(8)
    waits: list[float] = []
    lock = threading.Lock()

    def caller() -> None:
        start.wait(5)
        wait = bucket.reserve()
        with lock:
            waits.append(wait)

    threads = [threading.Thread(target=caller) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(5)
    assert sorted(waits) == pytest.approx([i / 10 for i in range(8)])


@pytest.mark.parametrize(("rate", "burst"), [(0.0, 1), (-1.0, 1), (float("nan"), 1), (1.0, 0)])
def test_a_bucket_that_could_never_pass_a_call_is_refused(rate: float, burst: int) -> None:
    with pytest.raises(ValueError):
        TokenBucket(rate, burst)


MEMBERS = [f"U{i:03d}" for i in range(1, 9)]
CREATED = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
PROMPT_TIME = datetime(2026, 11, 27, 15, 0, tzinfo=UTC)  # the default schedule: Friday 15:00


def _fan_out(db_url: str, post_rate: float | None) -> tuple[LocalSlack, Counter[str]]:
    """Prompt eight members through a Slack that takes 10 posts a second with a burst of 2."""
    users = [User(id=u, name=u.lower(), real_name=f"Member {u}", tz="UTC") for u in MEMBERS]
    channel = Channel(id="CTEAM", name="team", members=[*MEMBERS, "ULEAD", "UBOT"])
    limits = {"chat.postMessage": RateLimit(per_second=10, burst=2)}
    slack = LocalSlack(
        users=[*users, User(id="ULEAD", name="lead", real_name="Lead", tz="UTC")],
        channels=[channel],
        rate_limits=limits,
    ).start()
    clock = FakeClock(CREATED)
    settings = Settings(
        bot_token=slack.bot_token,
        signing_secret="s",
        api_url=slack.api_url,
        database_url=db_url,
        post_rate=post_rate,
    )
    deps = build_deps(settings, clock=clock, workers=2)
    try:
        people = [Person(id=u, name=f"Member {u}", tz="UTC") for u in MEMBERS]
        with transaction(deps.sessions) as session:
            team = setup_team(
                session,
                TeamSettings(name="pace", channel_id="CTEAM", timezone="UTC"),
                creator="ULEAD",
                now=CREATED,
            )
            add_members(session, team, people, now=CREATED)
        slack.reset_recordings()  # the welcome DMs are not the fan-out
        clock.set(PROMPT_TIME)
        tick(deps)
        prompts: Counter[str] = Counter()
        for user in MEMBERS:
            for message in slack.dms(user):
                key = str(((message.metadata or {}).get("event_payload") or {}).get("key", ""))
                if key.startswith("prompt:"):
                    prompts[user] += 1
    finally:
        deps.close()
        slack.stop()
    return slack, prompts


def test_paced_fan_out_prompts_everyone_once_without_a_429(db_url: str) -> None:
    slack, prompts = _fan_out(db_url, post_rate=10.0)
    assert prompts == Counter({user: 1 for user in MEMBERS})
    posts = slack.calls_to("chat.postMessage")
    assert [c.status for c in posts if c.status != 200] == []
    # Spaced at 10 a second: eight posts take at least 0.7 s from the first to the last.
    assert posts[-1].at - posts[0].at >= 0.6


def test_unpaced_fan_out_meets_429s_and_retries_them(db_url: str) -> None:
    # The same fan-out without pacing drains Slack's burst and is answered 429: what the
    # pacing is for. Retry-After still gets every prompt through once.
    slack, prompts = _fan_out(db_url, post_rate=None)
    assert prompts == Counter({user: 1 for user in MEMBERS})
    assert any(c.status == 429 for c in slack.calls_to("chat.postMessage"))


def test_only_the_paced_method_waits() -> None:
    time = ManualTime()
    bucket = TokenBucket(1.0, burst=1, monotonic=time.monotonic, sleep=time.sleep)
    with LocalSlack(users=[User(id="UANN", name="ann", real_name="Ann")]) as slack:
        client = PacedWebClient(
            token=slack.bot_token, base_url=slack.api_url, paced={"chat.postMessage": bucket}
        )
        for _ in range(3):
            client.auth_test()
        assert time.slept == []
        for text in ("one", "two", "three"):
            client.chat_postMessage(channel="UANN", text=text)
        assert time.slept == [1.0, 1.0]
        assert [m.text for m in slack.dms("UANN")] == ["one", "two", "three"]
