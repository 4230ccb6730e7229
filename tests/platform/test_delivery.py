"""A crash between Slack's ok and the database commit must not DM anyone twice."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.platform.delivery import METADATA_TYPE
from storage import delivery as ledger
from storage.db import transaction
from storage.models import Delivery
from tests.checkin.test_weekly import FRIDAY_3PM_LONDON, make_team
from tests.harness import Oneness


def test_posted_but_unrecorded_prompt_is_found_not_resent(oneness: Oneness) -> None:
    make_team(oneness, "UANN", "UBOB")
    oneness.clock.set(FRIDAY_3PM_LONDON)
    with transaction(oneness.deps.sessions) as session:
        from bot.schedule.tick import open_week_now
        from storage import teams as team_store

        team = team_store.all_teams(session)[0]
        cycle_id = open_week_now(session, team, oneness.clock.now()).id
        key = f"prompt:{cycle_id}:UANN"
        row, _ = ledger.claim(
            session, key, kind="prompt", user_id="UANN", cycle_id=cycle_id, now=oneness.clock.now()
        )
        row.attempts = 1  # the dead attempt was recorded before it posted
    # The earlier process posted, then died before recording it.
    oneness.deps.client.chat_postMessage(
        channel="UANN",
        text="Weekly check-in",
        metadata={"event_type": METADATA_TYPE, "event_payload": {"key": key}},
    )
    report = oneness.tick()
    assert report.prompts == 2  # ann's recovered, bob's sent
    assert len(oneness.dms("UANN")) == 1
    assert len(oneness.dms("UBOB")) == 1
    with transaction(oneness.deps.sessions) as session:
        row = session.scalar(select(Delivery).where(Delivery.key == key))
    assert row is not None and row.status == "sent" and row.message_ts


def test_rate_limited_fanout_still_delivers_each_once(oneness: Oneness) -> None:
    from localslack import RateLimit

    make_team(oneness, "UANN", "UBOB", "UCAT", "UDAN")
    oneness.slack.set_rate_limit("chat.postMessage", RateLimit(per_second=2))
    report = oneness.advance_to(FRIDAY_3PM_LONDON)
    assert report.prompts == 4
    assert any(c.status == 429 for c in oneness.slack.calls_to("chat.postMessage"))
    for user in ("UANN", "UBOB", "UCAT", "UDAN"):
        assert len(oneness.dms(user)) == 1
    assert oneness.advance_to(FRIDAY_3PM_LONDON + timedelta(minutes=1)).prompts == 0


def test_healthz_is_503_when_the_database_is_down(oneness: Oneness) -> None:
    import io

    from bot.platform.server import OnenessWSGI
    from storage.db import make_engine

    down = make_engine("postgresql+psycopg://postgres@127.0.0.1:1/none")
    wsgi = OnenessWSGI(oneness.server_app, down)
    status: list[str] = []
    body = wsgi(
        {"PATH_INFO": "/healthz", "REQUEST_METHOD": "GET", "wsgi.input": io.BytesIO()},
        lambda s, h: status.append(s),
    )
    assert status == ["503 Service Unavailable"] and b"database" in b"".join(body)
