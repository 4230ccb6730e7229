"""forget me leaves nothing behind; C-SAT and trend are for leads only."""

from __future__ import annotations

from sqlalchemy import String, Text, select

from bot.privacy.service import CONFIRM
from bot.rally import ids as rally_ids
from storage.db import transaction
from storage.models import Base, CustomerRating
from tests.harness import Oneness
from tests.rally.test_rally import nudges, pulse


def every_value(o: Oneness) -> list[str]:
    with transaction(o.deps.sessions) as session:
        found: list[str] = []
        for table in Base.metadata.sorted_tables:
            text_columns = [c for c in table.columns if isinstance(c.type, String | Text)]
            for row in session.execute(select(*text_columns)) if text_columns else []:
                found.extend(str(v) for v in row if v is not None)
        return found


def test_forget_me_asks_first_then_leaves_nothing_in_any_table(oneness: Oneness) -> None:
    o = oneness
    o.slash("UANN", "setup <#CTEAM|team> Rocket")  # ann created the team and leads it
    o.slash("UANN", "add <@UANN> <@UBOB>", channel="CTEAM")
    o.slash("UANN", "csat <@UBOB> 4 great demo", channel="CTEAM")
    # The last lead may not leave the team leaderless; the reply says how.
    refused = o.slash("UANN", "forget me")
    assert "last lead of Rocket" in refused and "/oneness lead @someone" in refused
    o.slash("UANN", "lead <@ULEAD>", channel="CTEAM")
    pulse(o, "UANN", 2, note="bad week")
    pulse(o, "UBOB", 3)
    o.driver.click("UANN", nudges(o)[1], rally_ids.RALLY_OWN)  # ann owns bob's rally
    o.settle()
    assert any("UANN" in v for v in every_value(o))
    asked = o.slash("UANN", "forget me")
    assert "Forget you?" in asked and any("UANN" in v for v in every_value(o))
    question = o.slack.ephemerals("UANN")[-1]
    o.driver.click("UANN", question, CONFIRM)
    o.settle()
    assert not [v for v in every_value(o) if "UANN" in v]
    assert "withdrawn" in nudges(o)[0].all_text()
    assert any("Done. I deleted" in e.all_text() for e in o.slack.ephemerals("UANN"))
    assert any("UBOB" in v for v in every_value(o))  # bob's data stays


def test_csat_for_member_and_team_by_leads_only(oneness: Oneness) -> None:
    o = oneness
    o.slash("ULEAD", "setup <#CTEAM|team> Rocket")
    o.slash("ULEAD", "add <@UANN>", channel="CTEAM")
    assert "Only leads of Rocket can log customer ratings" in o.slash(
        "UANN", "csat <@UANN> 5", channel="CTEAM"
    )
    assert "from 1 to 5" in o.slash("ULEAD", "csat <@UANN> 6", channel="CTEAM")
    assert "not a member" in o.slash("ULEAD", "csat <@UBOB> 4", channel="CTEAM")
    o.slash("ULEAD", "csat <@UANN> 4 quick turnaround", channel="CTEAM")
    o.slash("ULEAD", "csat team 3", channel="CTEAM")
    with transaction(o.deps.sessions) as session:
        rows = [(r.user_id, r.score, r.note) for r in session.scalars(select(CustomerRating))]
    assert rows == [("UANN", 4, "quick turnaround"), (None, 3, "")]


def test_trend_shows_a_members_history_to_leads(oneness: Oneness) -> None:
    o = oneness
    o.slash("ULEAD", "setup <#CTEAM|team> Rocket")
    o.slash("ULEAD", "add <@UANN> <@UBOB>", channel="CTEAM")
    o.driver.dm("UANN", "7 fine")
    o.settle()
    o.slash("ULEAD", "csat <@UANN> 4", channel="CTEAM")
    seen = o.slash("ULEAD", "trend <@UANN>", channel="CTEAM")
    assert "7/10" in seen and "customers *4/5*" in seen
    assert "Only leads of Rocket" in o.slash("UBOB", "trend <@UANN>", channel="CTEAM")
