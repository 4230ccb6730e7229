"""What one answer costs in Slack calls: a click or a modal confirms through the click's
response_url (not the Tier 3 chat.update), a DM answer with its one reply, and the App Home is
rendered when opened rather than published after every answer (issue 13)."""

from __future__ import annotations

from datetime import timedelta

from bot.checkin import ids as checkin_ids
from localslack import field_values
from localslack.state import RESPONSE_URL_LIFETIME
from tests.checkin.test_weekly import FRIDAY_3PM_LONDON, checkins, make_team
from tests.harness import Oneness

WEB_API = ("chat.update", "chat.postMessage", "views.publish")


def counts(o: Oneness) -> dict[str, int]:
    return {method: len(o.slack.calls_to(method)) for method in WEB_API}


def calls_since(o: Oneness, before: dict[str, int]) -> dict[str, int]:
    """Web API calls made since `before`, by method (methods with none left out)."""
    return {m: n - before[m] for m, n in counts(o).items() if n != before[m]}


def replaced_prompts(o: Oneness) -> list[str]:
    """Texts posted to response_urls to replace the message clicked."""
    return [
        p.body.get("text", "") for p in o.slack.response_posts if p.body.get("replace_original")
    ]


def test_a_click_confirms_through_its_response_url_without_a_web_api_call(
    oneness: Oneness,
) -> None:
    o = oneness
    make_team(o, "UANN")
    o.advance_to(FRIDAY_3PM_LONDON)
    prompt = o.prompt("UANN")
    before = counts(o)
    o.driver.click("UANN", prompt, f"{checkin_ids.SCORE_PREFIX}7")
    o.settle()
    assert [(r.user_id, r.score) for r in checkins(o)] == [("UANN", 7)]
    assert calls_since(o, before) == {}  # no chat.update, no views.publish
    assert len(replaced_prompts(o)) == 1
    shown = o.prompt("UANN")
    assert shown.ts == prompt.ts and shown.edited
    assert "Recorded *7/10*" in shown.all_text()
    assert any(
        e.get("action_id") == checkin_ids.CHECKIN_EDIT
        for b in shown.blocks
        for e in b.get("elements", [])
    )


def test_the_modal_confirms_through_the_response_url_of_the_click_that_opened_it(
    oneness: Oneness,
) -> None:
    o = oneness
    make_team(o, "UBOB")
    o.advance_to(FRIDAY_3PM_LONDON)
    o.driver.click("UBOB", o.prompt("UBOB"), checkin_ids.CHECKIN_DETAILS)
    o.settle()
    view = o.slack.open_views("UBOB")[-1]
    before = counts(o)
    o.driver.submit_view("UBOB", view, field_values(view, ci_score="5", ci_note="busy week"))
    o.settle()
    assert [r.score for r in checkins(o)] == [5]
    assert calls_since(o, before) == {}
    assert len(replaced_prompts(o)) == 1
    assert "Recorded *5/10*" in o.prompt("UBOB").all_text()


def test_an_expired_response_url_falls_back_to_one_chat_update(oneness: Oneness) -> None:
    o = oneness
    make_team(o, "UBOB")
    o.advance_to(FRIDAY_3PM_LONDON)
    o.driver.click("UBOB", o.prompt("UBOB"), checkin_ids.CHECKIN_DETAILS)
    o.settle()
    view = o.slack.open_views("UBOB")[-1]
    # The form stayed open past the url's 30 minutes: Slack refuses the post (expired_url).
    ws = o.slack.workspace
    with ws.lock:
        for target in ws.response_urls.values():
            target.created -= RESPONSE_URL_LIFETIME + 1
    before = counts(o)
    o.driver.submit_view("UBOB", view, field_values(view, ci_score="7"))
    o.settle()
    assert [r.score for r in checkins(o)] == [7]
    assert calls_since(o, before) == {"chat.update": 1}
    assert replaced_prompts(o) == []
    assert "Recorded *7/10*" in o.prompt("UBOB").all_text()


def test_a_dm_answer_is_confirmed_by_one_post(oneness: Oneness) -> None:
    o = oneness
    make_team(o, "UANN")
    o.advance_to(FRIDAY_3PM_LONDON)
    prompt = o.prompt("UANN")
    before = counts(o)
    o.driver.dm("UANN", "6 rough week")
    o.settle()
    assert [r.score for r in checkins(o)] == [6]
    assert calls_since(o, before) == {"chat.postMessage": 1}
    assert "6" in o.dms("UANN")[-1].all_text()
    # The prompt is left as it was: its buttons still answer (and then show the answer).
    assert o.prompt("UANN").text == prompt.text
    o.driver.click("UANN", o.prompt("UANN"), f"{checkin_ids.SCORE_PREFIX}8")
    o.settle()
    assert "Recorded *8/10*" in o.prompt("UANN").all_text()


def test_the_home_shows_the_new_answer_when_opened(oneness: Oneness) -> None:
    o = oneness
    make_team(o, "UANN")
    o.advance_to(FRIDAY_3PM_LONDON)
    o.driver.app_home_opened("UANN")
    o.driver.app_home_opened("ULEAD")
    o.settle()
    assert "is waiting" in str(o.slack.home_view("UANN"))
    assert "0/1 answered" in str(o.slack.home_view("ULEAD"))
    publishes = len(o.slack.calls_to("views.publish"))
    o.driver.click("UANN", o.prompt("UANN"), f"{checkin_ids.SCORE_PREFIX}7")
    o.settle()
    assert len(o.slack.calls_to("views.publish")) == publishes  # nothing published per answer
    o.advance_to(FRIDAY_3PM_LONDON + timedelta(minutes=5))
    o.driver.app_home_opened("UANN")
    o.driver.app_home_opened("ULEAD")
    o.settle()
    home = str(o.slack.home_view("UANN"))
    assert "is waiting" not in home and "7/10" in home
    assert "1/1 answered" in str(o.slack.home_view("ULEAD"))
