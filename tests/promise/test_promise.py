"""The promise through the local Slack: the lead's modal, the weekly question, breaks owned until
the remedy lands, reminders and escalation by the tick, refusals, escaping, summary, export,
forget."""

from __future__ import annotations

import csv
import io
import threading
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from bot.checkin import ids as checkin_ids
from bot.platform.errors import Conflict
from bot.promise import ids
from bot.promise import service as promise_service
from bot.summary._csv import BREAK_COLUMNS, EXPORT_COLUMNS, PROMISE_ANSWER_COLUMNS, RATING_COLUMNS
from localslack import Message, field_values
from storage.db import transaction
from storage.models import CustomerRating, Delivery, PromiseAnswer
from tests.harness import Oneness
from tests.promise.conftest import (
    MUST,
    PLEDGE,
    REMEDY,
    Site,
    break_posts,
    breaks,
    channel_posts,
    page_on,
    page_row,
    promises,
    seen_by,
    set_promise,
    shortcut,
    stale_click,
)

FRIDAY = datetime(2026, 11, 27, 15, 0, tzinfo=UTC)
MONDAY = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


def dms_saying(o: Oneness, user: str, text: str) -> list[Message]:
    return [m for m in o.dms(user) if text in m.all_text()]


# the promise


def test_lead_sets_the_promise_in_a_modal_and_the_channel_sees_it(team: Oneness) -> None:
    reply = set_promise(team)
    assert reply.ok and reply.response_action is None
    [post] = channel_posts(team)
    text = post.all_text()
    assert "Our promise to customers" in text and PLEDGE in text and MUST in text
    assert f"{REMEDY}, within 1 day" in text and "Set by <@ULEAD>" in text
    assert any("Saved Rocket's promise" in m.all_text() for m in team.dms("ULEAD"))
    # The form opens again with the promise in force; a change is a new record.
    team.slash("ULEAD", "promise", channel="CTEAM")
    view = team.slack.open_views("ULEAD")[-1]
    assert PLEDGE in str(view["blocks"])
    team.driver.submit_view("ULEAD", view, field_values(view, **{ids.P_PLEDGE: "Replies in 4h."}))
    team.settle()
    assert [p.pledge for p in promises(team)] == [PLEDGE, "Replies in 4h."]
    assert promises(team)[0].superseded_at is not None and promises(team)[1].superseded_at is None
    assert "has changed" in channel_posts(team)[-1].all_text()
    seen = team.slash("UANN", "promise", channel="CTEAM")
    assert "Replies in 4h." in seen and f"*Before:*\n• “{PLEDGE}” (until <!date^" in seen
    # The same promise saved again is not a new record and is not posted again.
    set_promise(team, pledge="Replies in 4h.")
    assert len(promises(team)) == 2 and len(channel_posts(team)) == 2


def test_members_see_the_promise_and_its_record(promised: Oneness) -> None:
    seen = promised.slash("UANN", "promise", channel="CTEAM")
    assert PLEDGE in seen and MUST in seen and REMEDY in seen
    assert "The last 12 weeks" in seen and "Remedies on time:* none due yet" in seen
    assert promised.slack.open_views("UANN") == []


def test_no_promise_yet_says_how_to_set_one(team: Oneness) -> None:
    seen = team.slash("UANN", "promise", channel="CTEAM")
    assert "no promise to customers yet" in seen and "/oneness promise" in seen
    seen = team.slash("UANN", "broke a customer waited", channel="CTEAM")
    assert "no promise to customers yet" in seen
    assert breaks(team) == []


def test_the_form_refuses_what_is_too_long_and_changes_nothing(team: Oneness) -> None:
    reply = set_promise(team, pledge="x" * 281)
    assert reply.response_action == "errors"
    assert "At most 280 characters" in str(reply.body["errors"][ids.P_PLEDGE])
    assert promises(team) == [] and channel_posts(team) == []


def test_a_non_lead_cannot_save_the_promise_even_with_a_forged_form(team: Oneness) -> None:
    team.slash("ULEAD", "promise", channel="CTEAM")
    view = team.slack.open_views("ULEAD")[-1]
    values = field_values(
        view, **{ids.P_PLEDGE: "Free pizza", ids.P_MUST: "Ask", ids.P_REMEDY: "More pizza"}
    )
    team.driver.submit_view("UANN", view, values)
    team.settle()
    assert promises(team) == []
    assert any("Only leads of Rocket can set the promise" in m.all_text() for m in team.dms("UANN"))


def test_user_text_is_escaped_in_slack(team: Oneness) -> None:
    set_promise(team, pledge="Replies <!channel> fast <@UANN> <https://evil.example|click>")
    text = channel_posts(team)[0].all_text()
    assert "&lt;!channel&gt;" in text and "&lt;@UANN&gt;" in text
    assert "<!channel>" not in text and "<@UANN>" not in text and "<https://evil" not in text
    team.slash("UANN", "broke <!here> customer said @channel <@UBOB|bob>", channel="CTEAM")
    post = break_posts(team)[0].all_text()
    assert "&lt;!here&gt;" in post and "<!here>" not in post and "<@UBOB|bob>" not in post
    assert "@\u2060channel" in post


# the weekly question


def test_the_prompt_asks_about_the_promise_only_when_there_is_one(team: Oneness) -> None:
    team.advance_to(FRIDAY)
    assert "Did we keep our promise" not in team.prompt("UANN").all_text()
    set_promise(team)
    team.advance_to(FRIDAY + timedelta(weeks=1))
    prompt = team.prompt("UANN")
    assert "Did we keep our promise this week?" in prompt.all_text()
    assert PLEDGE in prompt.all_text()


def test_kept_then_score_then_broken_in_the_prompt(promised: Oneness) -> None:
    o = promised
    o.advance_to(FRIDAY)
    o.driver.click("UANN", o.prompt("UANN"), ids.KEPT)
    o.settle()
    assert "you said :white_check_mark: *kept*" in o.prompt("UANN").all_text()
    o.driver.click("UANN", o.prompt("UANN"), f"{checkin_ids.SCORE_PREFIX}7")
    o.settle()
    text = o.prompt("UANN").all_text()
    assert "Recorded *7/10*" in text and "you said :white_check_mark: *kept*" in text
    o.driver.click("UANN", o.prompt("UANN"), ids.BROKEN)
    o.settle()
    view = o.slack.open_views("UANN")[-1]
    o.driver.submit_view(
        "UANN", view, field_values(view, **{ids.B_TIMES: "2", ids.B_NOTE: "late replies"})
    )
    o.settle()
    with transaction(o.deps.sessions) as session:
        [answer] = list(session.scalars(select(PromiseAnswer)))
        assert (answer.user_id, answer.kept, answer.times, answer.note) == (
            "UANN",
            False,
            2,
            "late replies",
        )
    assert "*broken* (2 times)" in o.prompt("UANN").all_text()
    assert "Recorded *7/10*" in o.prompt("UANN").all_text()


def test_someone_else_cannot_answer_a_members_week(promised: Oneness) -> None:
    o = promised
    o.advance_to(FRIDAY)
    o.driver.click("UDAN", o.prompt("UANN"), ids.KEPT)  # Dan is in no team
    o.settle()
    assert "not a member of Rocket" in seen_by(o, "UDAN")
    with transaction(o.deps.sessions) as session:
        assert list(session.scalars(select(PromiseAnswer))) == []


# breaks


def test_broke_posts_a_break_that_one_person_owns_until_delivered(promised: Oneness) -> None:
    o = promised
    seen = o.slash("UANN", "broke Acme waited three days for a reply", channel="CTEAM")
    assert "posted in <#CTEAM>" in seen
    [post] = break_posts(o)
    text = post.all_text()
    assert "reported by <@UANN>" in text and "Acme waited three days" in text
    assert REMEDY in text and "no owner yet" in text and "I'll own the remedy" in text
    [row] = breaks(o)
    assert (row.source, row.origin, row.reported_by, row.status) == (
        "team",
        "command",
        "UANN",
        "open",
    )
    assert row.remedy_due_at == row.created_at + timedelta(hours=24)
    # Bob owns it; Cat, clicking on a copy that still shows the button, is told who does.
    o.driver.click("UBOB", post, ids.OWN)
    o.settle()
    stale_click(o, "UCAT", ids.OWN, str(row.id))
    [row] = breaks(o)
    assert row.owner_id == "UBOB"
    other = "UCAT"
    assert "<@UBOB> already owns this remedy" in seen_by(o, other)
    [owner_dm] = dms_saying(o, row.owner_id, "You own this remedy")
    assert "Acme waited three days" in owner_dm.all_text() and REMEDY in owner_dm.all_text()
    assert "<!date^" in owner_dm.all_text()  # the deadline, in each reader's own zone
    text = break_posts(o)[0].all_text()
    assert f"owned by <@{row.owner_id}>" in text and "I'll own the remedy" not in text
    # Only the owner or a lead closes it.
    o.driver.click(other, owner_dm, ids.DELIVERED)
    o.settle()
    assert "Only the remedy's owner or a lead" in seen_by(o, other)
    assert breaks(o)[0].status == "open"
    o.driver.click(row.owner_id, owner_dm, ids.DELIVERED)
    o.settle()
    assert breaks(o)[0].status == "delivered"
    assert "Remedy delivered by" in break_posts(o)[0].all_text()
    assert "on time" in break_posts(o)[0].all_text()
    assert "Marked delivered, on time" in seen_by(o, row.owner_id)


def test_two_owners_racing_leave_exactly_one(promised: Oneness) -> None:
    o = promised
    o.slash("UANN", "broke a customer waited", channel="CTEAM")
    break_id = breaks(o)[0].id
    answers: dict[str, str] = {}

    def own(user: str) -> None:
        try:
            answers[user] = promise_service.own(o.deps, break_id, user)
        except Conflict as refusal:
            answers[user] = refusal.message

    racers = [threading.Thread(target=own, args=(u,)) for u in ("UBOB", "UCAT", "ULEAD")]
    for racer in racers:
        racer.start()
    for racer in racers:
        racer.join()
    owner = breaks(o)[0].owner_id
    assert owner in answers and answers[owner].startswith("You own this remedy now")
    assert (
        sorted(a for a in answers.values() if "already owns" in a)
        == [f"<@{owner}> already owns this remedy."] * 2
    )
    assert len([m for u in answers for m in dms_saying(o, u, "You own this remedy")]) == 1


def test_people_outside_the_team_can_neither_report_nor_own(promised: Oneness) -> None:
    o = promised
    seen = o.slash("UDAN", "broke something team:Rocket")
    assert "Only members and leads of Rocket" in seen and breaks(o) == []
    o.slash("UANN", "broke a customer waited", channel="CTEAM")
    o.driver.click("UDAN", break_posts(o)[0], ids.OWN)
    o.settle()
    assert "Only members and leads of Rocket can own a remedy" in seen_by(o, "UDAN")
    assert breaks(o)[0].owner_id is None


def test_a_forged_button_value_is_refused(promised: Oneness) -> None:
    o = promised
    o.slash("UANN", "broke a customer waited", channel="CTEAM")
    o.driver.click("UBOB", break_posts(o)[0], ids.OWN, value="not-a-number")
    o.driver.click("UBOB", break_posts(o)[0], ids.OWN, value="99999")
    o.settle()
    assert "out of date" in seen_by(o, "UBOB") and "no longer exists" in seen_by(o, "UBOB")
    assert breaks(o)[0].owner_id is None


def test_missed_counts_against_the_record(promised: Oneness) -> None:
    o = promised
    o.slash("UANN", "broke a customer waited", channel="CTEAM")
    o.driver.click("ULEAD", break_posts(o)[0], ids.OWN)  # leads may own too
    o.settle()
    [owner_dm] = dms_saying(o, "ULEAD", "You own this remedy")
    o.driver.click("ULEAD", owner_dm, ids.MISSED)
    o.settle()
    assert breaks(o)[0].status == "missed"
    assert "Remedy missed" in break_posts(o)[0].all_text()
    assert "Remedies on time:* 0% (0 of 1)" in o.slash("UANN", "promise", channel="CTEAM")


def test_the_tick_escalates_reminds_and_asks_at_the_deadline_once_each(promised: Oneness) -> None:
    o = promised
    o.slash("UANN", "broke Acme waited", channel="CTEAM")
    start = o.clock.now()
    assert o.advance_to(start + timedelta(hours=3, minutes=59)).promise == 0
    assert o.advance_to(start + timedelta(hours=4)).promise == 1  # one lead
    assert o.advance_to(start + timedelta(hours=5)).promise == 0
    [escalation] = dms_saying(o, "ULEAD", "Nobody has owned the remedy")
    assert "Acme waited" in escalation.all_text()
    o.driver.click("ULEAD", escalation, ids.OWN)
    o.settle()
    assert breaks(o)[0].owner_id == "ULEAD"
    # Three quarters of the 24 hours: the owner is reminded, once.
    assert o.advance_to(start + timedelta(hours=17, minutes=59)).promise == 0
    assert o.advance_to(start + timedelta(hours=18)).promise == 1
    assert o.advance_to(start + timedelta(hours=19)).promise == 0
    assert len(dms_saying(o, "ULEAD", "is due")) == 1
    # At the deadline: did it land?
    assert o.advance_to(start + timedelta(hours=24)).promise == 1
    assert o.advance_to(start + timedelta(hours=30)).promise == 0
    [due] = dms_saying(o, "ULEAD", "is due now")
    o.driver.click("ULEAD", due, ids.DELIVERED)
    o.settle()
    assert "after its deadline" in break_posts(o)[0].all_text()
    with transaction(o.deps.sessions) as session:
        keys = [d.key for d in session.scalars(select(Delivery)) if d.key.startswith("break:")]
    assert len(keys) == len(set(keys)) and len(keys) == 5  # post, escalation, owner, remind, due


def test_an_unowned_break_reaches_the_leads_at_its_deadline(promised: Oneness) -> None:
    o = promised
    set_promise(o, hours=2)
    o.slash("UANN", "broke Acme waited", channel="CTEAM")
    start = o.clock.now()
    assert o.advance_to(start + timedelta(hours=2)).promise == 1
    [due] = dms_saying(o, "ULEAD", "Nobody owns it")
    assert "I'll own the remedy" in due.all_text()


def test_the_shortcut_reports_a_customers_message(promised: Oneness) -> None:
    o = promised
    reply = shortcut(o, "UBOB", "You promised a reply in a day <!channel>. It's been three.")
    assert reply.status == 200
    view = o.slack.open_views("UBOB")[-1]
    assert "You promised a reply in a day" in str(view["blocks"])
    o.driver.submit_view("UBOB", view, field_values(view))
    o.settle()
    [row] = breaks(o)
    assert (row.origin, row.reported_by, row.source) == ("shortcut", "UBOB", "team")
    assert "&lt;!channel&gt;" in break_posts(o)[0].all_text()
    assert any("Thanks for saying so" in m.all_text() for m in o.dms("UBOB"))


def test_the_shortcut_outside_the_team_is_refused(promised: Oneness) -> None:
    o = promised
    shortcut(o, "UDAN", "a complaint", channel="COTHER")
    assert "None of your teams has a promise" in seen_by(o, "UDAN")
    assert o.slack.open_views("UDAN") == []


def test_app_home_shows_the_promise_and_the_remedies_i_own(promised: Oneness) -> None:
    o = promised
    o.slash("UANN", "broke a customer waited", channel="CTEAM")
    o.driver.click("UBOB", break_posts(o)[0], ids.OWN)
    o.settle()
    o.driver.app_home_opened("UBOB")
    o.settle()
    home = str(o.slack.home_view("UBOB"))
    assert "Our promise" in home and PLEDGE in home and "Remedies you own" in home


# the page switch


def test_promise_page_on_off_rotate(team: Oneness) -> None:
    assert "Only leads of Rocket" in team.slash("UANN", "promise page on", channel="CTEAM")
    assert "Set it first" in team.slash("ULEAD", "promise page on", channel="CTEAM")
    set_promise(team)
    seen = team.slash("ULEAD", "promise page on", channel="CTEAM")
    token = page_row(team).token
    assert len(token) >= 32 and f"/p/{token}" in seen and "ONENESS_PUBLIC_URL" in seen
    seen = team.slash("ULEAD", "promise page rotate", channel="CTEAM")
    assert page_row(team).token != token and "old link no longer works" in seen
    seen = team.slash("ULEAD", "promise page off", channel="CTEAM")
    assert not page_row(team).enabled and "*off*" in seen
    assert "`/oneness promise page on`, `off` or `rotate`" in team.slash("ULEAD", "promise page up")


# summary, export, forget


def _week_with_answers(o: Oneness) -> None:
    o.advance_to(FRIDAY)
    for user, score, kept in (("UANN", 7, True), ("UBOB", 6, True), ("UCAT", 5, False)):
        prompt = o.prompt(user)
        o.driver.click(user, prompt, f"{checkin_ids.SCORE_PREFIX}{score}")
        o.settle()
        if kept:
            o.driver.click(user, o.prompt(user), ids.KEPT)
        else:
            o.driver.click(user, o.prompt(user), ids.BROKEN)
            o.settle()
            view = o.slack.open_views(user)[-1]
            o.driver.submit_view(user, view, field_values(view))
        o.settle()


def test_the_summary_shows_the_promise_and_customer_ratings_apart(
    promised: Oneness, site: Site
) -> None:
    o = promised
    token = page_on(o)
    _week_with_answers(o)
    o.slash("UANN", "broke a customer waited", channel="CTEAM")
    o.slash("ULEAD", "csat team 4 good week", channel="CTEAM")
    cookie, csrf = site.form(token)
    status, _, _ = site.post(token, "rate", {"csrf": csrf, "score": "2"}, cookie)
    assert status == 303
    o.advance_to(MONDAY)
    [summary] = [m for m in channel_posts(o) if "Weekly summary" in m.all_text()]
    text = summary.all_text()
    assert f"Our promise:* “{PLEDGE}”" in text
    assert "Kept this week:* 2 of 3 answers (67%)" in text
    assert "Breaks this week:* 1 reported by the team · 0 by customers" in text
    assert "Remedies on time* (last 12 weeks): 0 of 1 (0%)" in text  # overdue since Saturday
    assert "Team, ratings logged by leads: self 3.0 · customers 4.0" in text
    assert "Team, ratings customers gave on the promise page: self 3.0 · customers 2.0" in text
    leads = [m for m in o.dms("ULEAD") if "Leads' summary" in m.all_text()][-1].all_text()
    assert "Kept this week:* 2 of 3 answers" in leads


def test_the_kept_share_needs_three_answers(promised: Oneness) -> None:
    o = promised
    o.advance_to(FRIDAY)
    o.driver.click("UANN", o.prompt("UANN"), ids.KEPT)
    o.settle()
    o.advance_to(MONDAY)
    [summary] = [m for m in channel_posts(o) if "Weekly summary" in m.all_text()]
    assert "Kept this week:* too few answers (1) to show" in summary.all_text()


def test_export_adds_promise_files_and_keeps_the_checkins_csv(
    promised: Oneness, site: Site
) -> None:
    o = promised
    token = page_on(o)
    _week_with_answers(o)
    o.slash("UANN", "broke =cmd|' /C calc'!A0", channel="CTEAM")
    cookie, csrf = site.form(token)
    site.post(token, "broke", {"csrf": csrf, "what": "No reply", "contact": "a@b.example"}, cookie)
    o.settle()
    seen = o.slash("ULEAD", "export", channel="CTEAM")
    assert "Sent you Rocket's check-ins as CSV (3 rows) in our DM." in seen
    assert "promise answers (3 rows), broken promises (2 rows)." in seen
    files = {f.filename: f.content.decode() for f in o.slack.files}
    main = files["oneness-Rocket-all.csv"]
    assert main.splitlines()[0] == ",".join(EXPORT_COLUMNS)
    answers = list(csv.DictReader(io.StringIO(files["oneness-Rocket-all-promise-answers.csv"])))
    assert tuple(answers[0]) == PROMISE_ANSWER_COLUMNS
    assert sorted(a["answer"] for a in answers) == ["broken", "kept", "kept"]
    rows = list(csv.DictReader(io.StringIO(files["oneness-Rocket-all-breaks.csv"])))
    assert tuple(rows[0]) == BREAK_COLUMNS
    assert rows[0]["what"].startswith("'=")  # no formula reaches a spreadsheet
    assert [r["source"] for r in rows] == ["team", "customer"]
    assert rows[1]["contact"] == "a@b.example"  # the export is for leads
    assert RATING_COLUMNS[0] == "team"


def test_forget_contact_and_forget_me(promised: Oneness, site: Site) -> None:
    o = promised
    token = page_on(o)
    cookie, csrf = site.form(token)
    fields = {"csrf": csrf, "what": "Nobody answered", "contact": "Ann.Customer@example.com"}
    assert site.post(token, "broke", fields, cookie)[0] == 303
    o.settle()
    post = break_posts(o)[0].all_text()
    assert "by a customer on the promise page" in post and "example.com" not in post
    [lead_dm] = dms_saying(o, "ULEAD", "Contact (leads only)")
    assert "Ann.Customer@example.com" in lead_dm.all_text()
    for member in ("UANN", "UBOB", "UCAT"):
        assert not any("example.com" in m.all_text() for m in o.dms(member))
    seen = o.slash("UANN", "forget contact ann.customer@example.com", channel="CTEAM")
    assert "Only leads of Rocket" in seen and breaks(o)[0].contact is not None
    seen = o.slash("ULEAD", "forget contact  ann.customer@example.com ", channel="CTEAM")
    assert "Removed that contact from 1 reported break" in seen
    assert breaks(o)[0].contact is None
    assert "example.com" not in dms_saying(o, "ULEAD", "Leads only")[0].all_text()
    # A member who reported a break is forgotten: the break stays, their name goes.
    o.slash("UANN", "broke we forgot Acme", channel="CTEAM")
    assert "reported by <@UANN>" in break_posts(o)[1].all_text()
    o.slash("UANN", "forget me")
    question = o.slack.ephemerals("UANN")[-1]
    o.driver.click("UANN", question, "forget_confirm")
    o.settle()
    assert breaks(o)[1].reported_by is None
    assert "reported by a teammate" in break_posts(o)[1].all_text()


def test_many_answers_at_once_store_one_per_member(promised: Oneness) -> None:
    o = promised
    o.advance_to(FRIDAY)
    prompt = o.prompt("UANN")
    clicks = [
        threading.Thread(target=o.driver.click, args=("UANN", prompt, ids.KEPT)) for _ in range(5)
    ]
    for click in clicks:
        click.start()
    for click in clicks:
        click.join()
    o.settle()
    with transaction(o.deps.sessions) as session:
        assert len(list(session.scalars(select(PromiseAnswer)))) == 1
        assert list(session.scalars(select(CustomerRating))) == []


def test_a_team_name_is_escaped_wherever_the_promise_shows_it(oneness: Oneness) -> None:
    # Markup cannot be part of a team name (refused at setup); "&" can, and is escaped.
    assert "A team name is" in oneness.slash("ULEAD", "setup <#CTEAM|team> R&D <!here>")
    oneness.slash("ULEAD", "setup <#CTEAM|team> R&D ops")
    oneness.slash("ULEAD", "add <@UANN>", channel="CTEAM")
    set_promise(oneness)
    oneness.slash("UANN", "broke a customer waited", channel="CTEAM")
    texts = [m.all_text() for m in channel_posts(oneness)] + [
        m.all_text() for m in oneness.dms("ULEAD")
    ]
    assert any("R&amp;D ops" in t for t in texts)
    assert not any("<!here>" in t for t in texts)
    assert "<!here>" not in oneness.slash("UANN", "promise", channel="CTEAM")
