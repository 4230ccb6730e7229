"""Messages fit Slack's limits in total: the leads' summary of a big team comes as numbered
DMs, each within ~12,000 characters and 50 blocks, or shortened with a pointer to `export`."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.summary.blocks import MAX_LEADS_PAGES, leads_summary_pages, summary_blocks, summary_text
from bot.summary.figures import RallyRow, WeekInput, build_summary, named_lines
from localslack import User
from localslack.blockkit import blocks_text_length, validate_blocks
from localslack.limits import MAX_BLOCKS, MAX_BLOCKS_TEXT
from storage.db import transaction
from storage.models import Cycle, Delivery
from tests.checkin.test_weekly import FRIDAY_3PM_LONDON
from tests.harness import Oneness
from tests.summary.test_figures import answer, texts
from tests.summary.test_summary_and_export import MONDAY_9AM

NOTE = "the release slipped again and the customer escalated; " * 6  # ~330 characters


def big_team(size: int, answered: int) -> tuple[WeekInput, tuple[str, ...]]:
    users = tuple(f"U{n:06d}" for n in range(size))
    rows = tuple(
        answer(u, "2026-W48", n % 10 + 1, help="tools", note=NOTE, visibility="leads")
        for n, u in enumerate(users[:answered])
    )
    return WeekInput("2026-W48", users, rows), users


def assert_fits(text: str, blocks: list[dict[str, object]]) -> None:
    """Within what the local Slack (and Slack) accept for one message."""
    assert validate_blocks(blocks, surface="message") == []
    assert len(blocks) <= MAX_BLOCKS["message"]
    assert len(text) + blocks_text_length(blocks) <= MAX_BLOCKS_TEXT


@pytest.mark.parametrize("size", [200, 1000])
def test_the_leads_summary_of_a_big_team_comes_in_numbered_messages_that_fit(size: int) -> None:
    week, users = big_team(size, answered=size * 9 // 10)
    rallies = tuple(RallyRow(u, "anonymous", None, "tools") for u in users[:50])
    s = build_summary("Big", [week], (), rallies)
    pages = leads_summary_pages(s, named_lines([week], {}))
    assert 1 < len(pages) <= MAX_LEADS_PAGES
    for number, page in enumerate(pages, start=1):
        assert_fits(page.text, page.blocks)
        assert f"({number}/{len(pages)})" in page.text
        assert f"({number}/{len(pages)})" in texts(page.blocks[:1])  # the header says it too
    everything = "\n".join(texts(p.blocks) for p in pages)
    assert "`/oneness export`" in everything
    if size == 200:
        # Every member is still named (notes left out to fit, export has them).
        assert all(f"<@{u}>" in everything for u in users)
        assert NOTE.strip()[:40] not in everything
    else:
        assert "cut to fit" in everything  # the rest is in export


def test_a_small_team_gets_one_message_with_every_note() -> None:
    week, _users = big_team(10, answered=10)
    s = build_summary("Small", [week], (), ())
    [page] = leads_summary_pages(s, named_lines([week], {}))
    assert "(1/" not in page.text
    assert NOTE.strip()[:40] in texts(page.blocks)
    assert "export" not in texts(page.blocks)


def test_the_channel_summary_fits_with_many_open_rallies() -> None:
    week, users = big_team(1000, answered=900)
    rallies = tuple(RallyRow(u, "team", u, "tools") for u in users)
    s = build_summary("Big", [week], (), rallies)
    assert_fits(summary_text(s), summary_blocks(s))


def test_a_big_team_summary_reaches_the_lead_as_numbered_dms_once(oneness: Oneness) -> None:
    """Through the local Slack, which refuses msg_blocks_too_long: each part is its own
    delivery, posted once, and the week closes."""
    o = oneness
    members = [f"UM{i:03d}" for i in range(40)]
    for user in members:
        o.slack.add_user(User(id=user, name=user.lower()))
    o.slash("ULEAD", "setup <#CTEAM|team> Rocket")
    o.slash("ULEAD", "add " + " ".join(f"<@{m}>" for m in members), channel="CTEAM")
    o.slash("ULEAD", "schedule fri 15:00 Europe/London", channel="CTEAM")
    o.advance_to(FRIDAY_3PM_LONDON)
    for user in members:
        o.driver.dm(user, "7 " + NOTE)
    o.settle()
    report = o.advance_to(MONDAY_9AM)
    assert len(report.closed) == 1
    assert [c.error for c in o.slack.calls_to("chat.postMessage") if not c.ok] == []
    parts = [m for m in o.dms("ULEAD") if "Leads' summary" in m.all_text()]
    assert len(parts) == 2
    assert "(1/2)" in parts[0].text and "(2/2)" in parts[1].text
    shown = "\n".join(m.all_text() for m in parts)
    assert all(f"<@{u}>" in shown for u in members)
    with transaction(o.deps.sessions) as session:
        keys = session.scalars(
            select(Delivery.key).where(Delivery.key.like("summary:%:leads:ULEAD%"))
        ).all()
        assert len(set(keys)) == 2
        assert session.scalar(select(Cycle.closed_at)) is not None
    o.advance_to(MONDAY_9AM + timedelta(hours=1))
    assert len([m for m in o.dms("ULEAD") if "Leads' summary" in m.all_text()]) == 2
