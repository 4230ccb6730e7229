"""Slack refusals no retry can change are recorded failed for good: the week still closes and
nothing is tried again every tick."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.platform.blocks import actions, button, section
from bot.platform.delivery import Outgoing, deliver
from storage.db import transaction
from storage.kinds import DeliveryStatus
from storage.models import Cycle, Delivery
from tests.checkin.test_weekly import FRIDAY_3PM_LONDON, make_team
from tests.harness import Oneness
from tests.summary.test_summary_and_export import MONDAY_9AM


def refused(o: Oneness, method: str) -> list[str]:
    return [str(c.error) for c in o.slack.calls_to(method) if not c.ok]


def test_an_archived_team_channel_fails_for_good_and_the_week_closes(oneness: Oneness) -> None:
    o = oneness
    make_team(o, "UANN", "UBOB", "UCAT")
    o.advance_to(FRIDAY_3PM_LONDON)
    for user, text in {"UANN": "6", "UBOB": "7", "UCAT": "8"}.items():
        o.driver.dm(user, text)
    o.settle()
    o.slack.archive("CTEAM")
    report = o.advance_to(MONDAY_9AM)
    assert len(report.closed) == 1
    assert refused(o, "chat.postMessage") == ["is_archived"]
    with transaction(o.deps.sessions) as session:
        assert session.scalar(select(Cycle.closed_at)) is not None
        rows = session.scalars(select(Delivery).where(Delivery.channel_id == "CTEAM")).all()
        assert {(r.kind, r.status, r.error) for r in rows} == {
            ("summary", DeliveryStatus.FAILED, "is_archived"),
            ("file", DeliveryStatus.FAILED, "is_archived"),
        }
    # The leads still get their summary, and hear once that the channel is out of reach.
    assert [m for m in o.dms("ULEAD") if "Leads' summary" in m.all_text()]
    [told] = [m for m in o.dms("ULEAD") if "archived" in m.all_text()]
    assert "`/invite @Oneness`" in told.all_text()
    calls = len(o.slack.calls)
    o.advance_to(MONDAY_9AM + timedelta(hours=3))
    assert [c.method for c in o.slack.calls[calls:]] == []  # nothing retried


def test_a_message_slack_refuses_as_invalid_is_not_retried(oneness: Oneness) -> None:
    o = oneness
    odd = [actions(button("Go", "go", style="warning"))]  # Slack knows primary and danger only
    out = Outgoing(key="test:odd", kind="test", channel="UANN", text="odd", blocks=odd)
    first = deliver(o.deps, out)
    assert (first.status, first.error) == (DeliveryStatus.FAILED, "invalid_blocks")
    assert refused(o, "chat.postMessage") == ["invalid_blocks"]
    again = deliver(o.deps, out)
    assert again.status == DeliveryStatus.FAILED
    assert len(o.slack.calls_to("chat.postMessage")) == 1


def test_a_message_over_slack_total_is_cut_to_fit_not_lost(oneness: Oneness) -> None:
    o = oneness
    huge = [section(f"part {n} " + "x" * 2800) for n in range(5)]  # ~14,000 characters
    out = Outgoing(key="test:huge", kind="test", channel="UANN", text="big", blocks=huge)
    done = deliver(o.deps, out)
    assert done.status == DeliveryStatus.SENT
    [message] = o.dms("UANN")
    assert "part 0" in message.all_text() and "part 4" not in message.all_text()
    assert "cut to fit one Slack message" in message.all_text()
