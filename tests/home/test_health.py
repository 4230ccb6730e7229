"""The lead's App Home health: what did not reach people this week, in counts; members never
see it."""

from __future__ import annotations

import re

from storage.db import transaction
from storage.jobs import MAX_ATTEMPTS
from storage.models import Job
from tests.checkin.test_weekly import FRIDAY_3PM_LONDON, make_team
from tests.harness import START, Oneness


def health_of(o: Oneness, user: str) -> dict[str, dict[str, int]]:
    """Each team's counts as the person's App Home shows them."""
    o.driver.app_home_opened(user)
    o.settle()
    home = o.slack.home_view(user) or {}
    found: dict[str, dict[str, int]] = {}
    for block in home.get("blocks", []):
        text = (block.get("text") or {}).get("text", "")
        if "waiting for access:" not in text:
            continue
        team = re.search(r"\*(.+?)\*", text)
        assert team is not None
        counts = re.findall(r"([a-z ()0-9]+?): (\d+)", text.split("\n")[-1])
        found[team.group(1)] = {label.strip(): int(n) for label, n in counts}
    return found


def test_the_lead_sees_skipped_prompts_and_unreachable_members(oneness: Oneness) -> None:
    o = oneness
    make_team(o, "UANN", "UBOB", "UCAT")
    o.slash("ULEAD", "setup <#COTHER|other> Other")
    o.slash("ULEAD", "add <@UDAN>", channel="COTHER")
    o.slash("ULEAD", "schedule thu 09:00 Europe/London", channel="COTHER")
    o.slack.set_user("UCAT", deleted=True)  # gone before the prompt reaches her
    o.advance_to(FRIDAY_3PM_LONDON)  # the bot was offline over Other's Thursday prompt
    health = health_of(o, "ULEAD")
    assert health["Rocket"]["members unreachable"] == 1
    assert health["Rocket"]["prompts skipped this week"] == 0
    assert health["Other"]["prompts skipped this week"] == 1
    assert health["Other"]["members unreachable"] == 0
    assert all(h["waiting for access"] == 0 and h["dead jobs"] == 0 for h in health.values())
    assert health_of(o, "UANN") == {} and health_of(o, "UDAN") == {}


def test_the_lead_sees_dead_jobs_of_the_team(oneness: Oneness) -> None:
    o = oneness
    make_team(o, "UANN", "UBOB")
    # Work for ann that failed every attempt (storage.jobs.MAX_ATTEMPTS) and was given up on.
    with transaction(o.deps.sessions) as session:
        session.add(
            Job(name="answer", user_id="UANN", body="{}", attempts=MAX_ATTEMPTS, created_at=START)
        )
    assert health_of(o, "ULEAD")["Rocket"]["dead jobs"] == 1
