"""Trust (docs/PRIVACY.md): notice and a way out, one team per answer, no live scores, a
summary that cannot be solved, visibility that never weakens, undo, and ids checked."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from bot.checkin import ids as checkin_ids
from bot.rally import ids as rally_ids
from bot.teams import ids as team_ids
from localslack import Message, field_values
from storage.db import transaction
from storage.models import CheckIn, Cycle, Member
from tests.checkin.test_weekly import FRIDAY_3PM_LONDON, checkins
from tests.harness import Oneness, running_oneness
from tests.rally.test_rally import nudges, pulse, rallies

MONDAY_9AM = FRIDAY_3PM_LONDON + timedelta(days=2, hours=18)


def rocket(o: Oneness, *members: str) -> None:
    o.slash("ULEAD", "setup <#CTEAM|team> Rocket")
    o.slash("ULEAD", "add " + " ".join(f"<@{m}>" for m in members), channel="CTEAM")
    o.slash("ULEAD", "schedule fri 15:00 Europe/London", channel="CTEAM")


def button(message: Message, action_id: str) -> dict:  # type: ignore[type-arg]
    for block in message.blocks:
        for element in block.get("elements", []):
            if element.get("action_id") == action_id:
                return element  # type: ignore[no-any-return]
    raise AssertionError(f"no {action_id} in {message.all_text()}")


def told(o: Oneness, user: str) -> list[Message]:
    """The DMs telling a member that something about them was shared."""
    return [
        m
        for m in o.dms(user)
        if any(
            e.get("action_id") == rally_ids.RALLY_WITHDRAW
            for b in m.blocks
            for e in b.get("elements", [])
        )
    ]


# 1. Notice and a way out


def test_being_added_sends_a_welcome_dm_saying_who_where_when_and_who_sees_what(
    oneness: Oneness,
) -> None:
    o = oneness
    o.slash("ULEAD", "setup <#CTEAM|team> Rocket")
    seen = o.slash("ULEAD", "add <@UANN>", channel="CTEAM")
    assert "Each was sent a DM saying who added them" in seen
    [welcome] = o.welcomes("UANN")
    text = welcome.all_text()
    assert "<@ULEAD> added you to *Rocket*" in text and "<#CTEAM>" in text
    assert "every Friday at 15:00" in text
    assert "Your leads (<@ULEAD>) see your name, your score and your note." in text
    assert "never your name, score or note" in text
    assert button(welcome, team_ids.TEAM_LEAVE)["value"]
    assert welcome.text == "lee added you to Rocket on Oneness"  # names, not ids
    assert o.welcomes("ULEAD") == []


def test_leave_button_stops_prompts_and_withdraws_my_open_rally(oneness: Oneness) -> None:
    o = oneness
    rocket(o, "UANN", "UBOB")
    pulse(o, "UANN", 2, visibility="anonymous")
    assert rallies(o)[0].status == "open"
    [welcome] = o.welcomes("UANN")
    o.driver.click("UANN", welcome, team_ids.TEAM_LEAVE)
    o.settle()
    said = "\n".join(e.all_text() for e in o.slack.ephemerals("UANN"))
    assert "You left *Rocket*" in said and "request for help there was withdrawn" in said
    assert rallies(o)[0].status == "withdrawn"
    assert "withdrawn" in nudges(o)[0].all_text()
    assert o.advance_to(FRIDAY_3PM_LONDON).prompts == 1  # only bob
    assert [m for m in o.dms("UANN") if "Weekly check-in" in m.all_text()] == []


def test_slash_leave_and_the_last_lead_cannot_leave(oneness: Oneness) -> None:
    o = oneness
    rocket(o, "UANN")
    assert "You left *Rocket*" in o.slash("UANN", "leave", channel="CTEAM")
    with transaction(o.deps.sessions) as session:
        row = session.scalar(select(Member).where(Member.user_id == "UANN"))
        assert row is not None and not row.active
    refused = o.slash("ULEAD", "leave", channel="CTEAM")
    assert "last lead of Rocket" in refused and "/oneness lead @someone" in refused
    o.slash("ULEAD", "lead <@UBOB>", channel="CTEAM")
    assert "You left *Rocket*" in o.slash("ULEAD", "leave team:Rocket")


def test_a_strangers_team_never_sees_my_answer(oneness: Oneness) -> None:
    o = oneness
    rocket(o, "UANN")
    # A stranger binds their own channel and adds ann: she is told, with a way out.
    o.slash("UBOB", "setup <#COTHER|other> Snoop")
    o.slash("UBOB", "add <@UANN>", channel="COTHER")
    [_, from_stranger] = o.welcomes("UANN")
    assert "<@UBOB> added you to *Snoop*" in from_stranger.all_text()
    o.advance_to(FRIDAY_3PM_LONDON)  # only Rocket prompts on Friday 15:00 London
    o.driver.dm("UANN", "3 my manager is bullying me")
    o.settle()
    rows = checkins(o)
    assert len(rows) == 1  # stored once, in the team whose prompt was waiting: never copied
    with transaction(o.deps.sessions) as session:
        snoop = session.scalar(select(Member.team_id).where(Member.user_id == "UBOB"))
    assert rows[0].team_id != snoop
    assert "bullying" not in o.slash("UBOB", "trend <@UANN>", channel="COTHER")
    assert "no check-ins yet" in o.slash("UBOB", "trend <@UANN>", channel="COTHER")
    assert all("bullying" not in m.all_text() for m in o.slack.messages("COTHER"))
    # The stranger cannot read Rocket's week either.
    assert "You are not in Rocket" in o.slash("UBOB", "status team:Rocket")


# 2. One team per answer


def two_teams_waiting(o: Oneness) -> None:
    rocket(o, "UANN")
    o.slash("ULEAD", "setup <#COTHER|other> Apollo")
    o.slash("ULEAD", "add <@UANN>", channel="COTHER")
    o.slash("ULEAD", "schedule fri 15:00 Europe/London", channel="COTHER")
    o.advance_to(FRIDAY_3PM_LONDON)


def test_two_teams_waiting_on_one_dm_ask_which_and_store_nothing_until_picked(
    oneness: Oneness,
) -> None:
    o = oneness
    two_teams_waiting(o)
    o.driver.dm("UANN", "6 rough week")
    o.settle()
    assert checkins(o) == []
    [question] = [m for m in o.dms("UANN") if "Which team" in m.text]
    assert "Nothing is saved until you pick" in question.all_text()
    apollo = next(
        e["action_id"]
        for b in question.blocks
        for e in b.get("elements", [])
        if e.get("text", {}).get("text") == "Apollo"
    )
    o.driver.click("UANN", question, apollo)
    o.driver.click("UANN", question, apollo)  # a double click stores once
    o.settle()
    [row] = checkins(o)
    assert (row.score, row.note, row.kind) == (6, "rough week", "weekly")
    with transaction(o.deps.sessions) as session:
        team_of_row = session.scalar(select(CheckIn.team_id))
        apollo_id = session.scalar(
            select(Member.team_id).where(Member.user_id == "UANN").order_by(Member.id.desc())
        )
    assert team_of_row == apollo_id
    # Rocket's prompt still waits for its own answer.
    assert any("Weekly check-in · Rocket" in m.all_text() for m in o.dms("UANN"))


def test_a_pulse_when_in_several_teams_asks_which_team(oneness: Oneness) -> None:
    o = oneness
    rocket(o, "UANN")
    o.slash("ULEAD", "setup <#COTHER|other> Apollo")
    o.slash("ULEAD", "add <@UANN>", channel="COTHER")
    o.driver.dm("UANN", "4")
    o.settle()
    assert checkins(o) == []
    assert any(m.text == "Which team is this 4/10 for?" for m in o.dms("UANN"))


# 3. No live scores for anyone but leads


def test_a_member_differencing_status_learns_only_counts(oneness: Oneness) -> None:
    o = oneness
    rocket(o, "UANN", "UBOB", "UCAT")
    o.advance_to(FRIDAY_3PM_LONDON)
    views = [o.slash("UCAT", "status", channel="CTEAM")]
    for user, score in (("UANN", "2"), ("UBOB", "9")):
        o.driver.dm(user, score)
        o.settle()
        views.append(o.slash("UCAT", "status", channel="CTEAM"))
    assert [("0 of 3" in v, "1 of 3" in v, "2 of 3" in v) for v in views] == [
        (True, False, False),
        (False, True, False),
        (False, False, True),
    ]
    for view in views:
        assert "mean" not in view and "5.5" not in view and "<@UANN>" not in view
    lead = o.slash("ULEAD", "status", channel="CTEAM")
    assert "live mean *5.5*" in lead and "<@UANN>" in lead
    assert "You are not in Rocket" in o.slash("UDAN", "status team:Rocket")
    assert "You are not in Rocket" in o.slash("UDAN", "me team:Rocket")


# 4. A summary that cannot be solved


def test_a_three_answer_summary_shows_the_mean_only(oneness: Oneness) -> None:
    o = oneness
    rocket(o, "UANN", "UBOB", "UCAT")
    o.advance_to(FRIDAY_3PM_LONDON)
    for user, score in (("UANN", "2"), ("UBOB", "5"), ("UCAT", "9")):
        o.driver.dm(user, score)
    o.settle()
    o.advance_to(MONDAY_9AM)
    [summary] = [m.all_text() for m in o.slack.messages("CTEAM") if "Weekly summary" in m.text]
    assert "5.3" in summary and "±" not in summary
    assert "never the lowest or highest score" in summary  # the footnote says why
    body = summary.split("So that nobody")[0]
    assert " 2" not in body.replace("2026", "") and " 9" not in body


# 5. Visibility never weakens


def test_named_then_anonymous_drop_withdraws_and_posts_anew(oneness: Oneness) -> None:
    o = oneness
    rocket(o, "UANN", "UBOB")
    pulse(o, "UANN", 3, visibility="team", note="deadline slipping", help_kind="tools")
    [named] = nudges(o)
    assert "<@UANN>" in named.all_text()
    pulse(o, "UANN", 2, visibility="anonymous", help_kind="specialist")
    first, second = nudges(o)
    assert first.ts == named.ts
    assert "withdrawn by the member" in first.all_text()
    assert "<@UANN>" not in first.all_text() and "specialist" not in first.all_text()
    assert "A teammate" in second.all_text() and "<@UANN>" not in second.all_text()
    assert "specialist" in second.all_text()
    [rally] = rallies(o)
    assert (rally.message_ts, rally.shown_visibility) == (second.ts, "anonymous")
    # Back to leads only: the anonymous message is withdrawn, nothing new in the channel.
    pulse(o, "UANN", 2, visibility="leads")
    assert len(nudges(o)) == 2 and "withdrawn by the member" in nudges(o)[1].all_text()


def test_a_text_answer_uses_my_last_explicit_visibility_and_says_so(oneness: Oneness) -> None:
    o = oneness
    rocket(o, "UANN")
    pulse(o, "UANN", 8, visibility="team")
    o.driver.dm("UANN", "7 fine")
    o.settle()
    rows = checkins(o)
    assert [r.visibility for r in rows] == ["team", "team"]
    [reply] = [m for m in o.dms("UANN") if "Recorded *7/10*" in m.all_text()]
    assert "Shared named to your team · Change" in reply.all_text()
    o.driver.click("UANN", reply, f"{checkin_ids.SHARE_AS}_anonymous")
    o.settle()
    current = [r for r in checkins(o) if r.superseded_at is None]
    assert [(r.score, r.visibility) for r in current] == [(8, "team"), (7, "anonymous")]
    assert any("Shared anonymously" in m.all_text() for m in o.dms("UANN"))
    o.driver.dm("UANN", "6")
    o.settle()
    assert checkins(o)[-1].visibility == "anonymous"  # the change sticks


# 6. Undo


def test_when_a_nudge_goes_out_i_am_told_and_can_withdraw(oneness: Oneness) -> None:
    o = oneness
    rocket(o, "UANN", "UBOB")
    pulse(o, "UANN", 2, visibility="anonymous", help_kind="tools")
    [dm] = told(o, "UANN")
    assert "It does not name you" in dm.all_text() and "<#CTEAM>" in dm.all_text()
    o.driver.click("UANN", dm, rally_ids.RALLY_WITHDRAW)
    o.settle()
    assert rallies(o)[0].status == "withdrawn"
    assert "withdrawn" in nudges(o)[0].all_text()
    assert "I can help" not in nudges(o)[0].all_text()


def test_that_wasnt_a_score_deletes_the_check_in_and_its_nudge(oneness: Oneness) -> None:
    o = oneness
    rocket(o, "UANN", "UBOB")
    o.advance_to(FRIDAY_3PM_LONDON)
    o.driver.dm("UANN", "2 pizzas for the team lunch, who wants what?")
    o.settle()
    assert len(checkins(o)) == 1 and len(nudges(o)) == 1
    [dm] = told(o, "UANN")
    o.driver.click("UANN", dm, rally_ids.NOT_A_SCORE)
    o.settle()
    assert checkins(o) == []
    assert "withdrawn" in nudges(o)[0].all_text()
    restored = o.prompt("UANN")  # the question is back, with its score buttons
    assert "How one were you" in restored.all_text()
    assert button(restored, f"{checkin_ids.SCORE_PREFIX}7")


def test_a_decimal_score_is_refused_with_whole_numbers(oneness: Oneness) -> None:
    o = oneness
    rocket(o, "UANN")
    o.driver.dm("UANN", "7.5 decent")
    o.settle()
    assert checkins(o) == []
    assert any("whole numbers from 1 to 10" in m.all_text() for m in o.dms("UANN"))


# 11. Server-side checks on every id


def test_forged_clicks_and_forms_are_refused(oneness: Oneness) -> None:
    o = oneness
    rocket(o, "UANN", "UBOB")
    pulse(o, "UANN", 2, visibility="leads", note="private matter")
    [leads_dm] = [m for m in o.dms("ULEAD") if "Leads only" in m.all_text()]
    # Bob is a member, not a lead: he cannot own a leads-only rally (and receive its note).
    o.driver.click("UBOB", leads_dm, rally_ids.RALLY_OWN)
    o.settle()
    assert rallies(o)[0].owner_id is None
    assert "Only the team's leads" in "\n".join(e.all_text() for e in o.slack.ephemerals("UBOB"))
    assert all("private matter" not in m.all_text() for m in o.dms("UBOB"))
    # Dan is in no team: he cannot offer help on a team's nudge.
    pulse(o, "UBOB", 2, visibility="anonymous")
    o.driver.click("UDAN", nudges(o)[-1], rally_ids.RALLY_OFFER)
    o.settle()
    assert "Only members of this team" in o.slack.ephemerals("UDAN")[-1].all_text()
    # A button value of 10^23 is out of date, not a crash.
    o.advance_to(FRIDAY_3PM_LONDON)
    prompt = o.prompt("UANN")
    o.driver.click("UANN", prompt, f"{checkin_ids.SCORE_PREFIX}7", value=f"{10**23}:7")
    o.settle()
    assert "out of date" in o.slack.ephemerals("UANN")[-1].all_text()
    assert [r.kind for r in checkins(o)] == ["pulse", "pulse"]


def test_a_forged_modal_cannot_file_an_answer_under_another_teams_week(oneness: Oneness) -> None:
    o = oneness
    rocket(o, "UANN")
    o.slash("ULEAD", "setup <#COTHER|other> Apollo")
    o.slash("ULEAD", "add <@UANN>", channel="COTHER")
    o.advance_to(FRIDAY_3PM_LONDON)
    o.driver.slash("UANN", "checkin team:Apollo")
    o.settle()
    view = o.slack.open_views("UANN")[-1]
    meta = json.loads(view["private_metadata"])
    with transaction(o.deps.sessions) as session:
        cycle = session.scalar(select(Cycle).where(Cycle.team_id != meta["team"]))
        assert cycle is not None
        meta["cycle"] = cycle.id  # Rocket's week under Apollo's form
    # A forger edits what the form carries; Slack would send it back as given.
    with o.slack.workspace.lock:
        o.slack.views._find(view["id"], None).view["private_metadata"] = json.dumps(meta)
    o.driver.submit_view("UANN", view, field_values(view, ci_score="5"))
    o.settle()
    assert checkins(o) == []
    assert any("That week no longer exists" in m.all_text() for m in o.dms("UANN"))


# 12. A burst of clicks keeps the last


def test_clicking_7_then_4_keeps_4(db_url: str) -> None:
    # Queued work, so that both clicks land on the prompt before either has run.
    with running_oneness(db_url, work_mode="queue") as o:
        for command in ("setup <#CTEAM|team> Rocket", "add <@UANN>"):
            o.driver.slash("ULEAD", command, channel="CTEAM")
            run_one_at_a_time(o)
        o.advance_to(FRIDAY_3PM_LONDON)
        prompt = o.prompt("UANN")
        o.driver.click("UANN", prompt, f"{checkin_ids.SCORE_PREFIX}7")
        o.driver.click("UANN", prompt, f"{checkin_ids.SCORE_PREFIX}4")
        run_one_at_a_time(o)
        current = [r for r in checkins(o) if r.superseded_at is None]
        assert [r.score for r in current] == [4]
        assert "Recorded *4/10*" in o.prompt("UANN").all_text()


def run_one_at_a_time(o: Oneness) -> None:
    """Run stored jobs oldest first, one at a time (as one person's work runs)."""
    while o.deps.work.run_claimed(1):
        o.settle()


# 13. "Anonymous" says what it means


def test_the_form_says_leads_see_names_when_anonymous(oneness: Oneness) -> None:
    o = oneness
    rocket(o, "UANN")
    o.driver.slash("UANN", "checkin")
    o.settle()
    view = json.dumps(o.slack.open_views("UANN")[-1], ensure_ascii=False)
    assert "Anonymous: teammates see “a teammate”; your leads see your name" in view


# 9. Escaping: a team name cannot carry markup


def test_a_team_name_with_markup_is_refused_everywhere_it_can_be_typed(oneness: Oneness) -> None:
    o = oneness
    refused = o.slash("ULEAD", "setup <#CTEAM|team> <!channel> party")
    assert "A team name is 1 to 80 letters" in refused and "<!channel>" not in refused
    o.driver.slash("ULEAD", "setup")
    o.settle()
    view = o.slack.open_views("ULEAD")[-1]
    reply = o.driver.submit_view(
        "ULEAD",
        view,
        field_values(
            view,
            setup_name="<@UANN> ping",
            setup_channel="CTEAM",
            setup_leads=["ULEAD"],
            setup_weekday="fri",
            setup_time="15:00",
        ),
    )
    assert reply.response_action == "errors"
    assert "1 to 80 letters" in json.dumps(reply.body)
    assert "<@UANN> ping" not in "\n".join(e.all_text() for e in o.slack.ephemerals("ULEAD"))


# 10. Forget means forget


def test_forget_edits_every_dm_that_quoted_me_and_leaves_no_bytes_on_disk(
    oneness: Oneness, db_url: str
) -> None:
    o = oneness
    rocket(o, "UANN", "UBOB")
    secret = "tell-nobody-zebra-quartz"
    pulse(o, "UANN", 2, visibility="leads", note=secret)  # the leads get a DM quoting it
    [leads_dm] = [m for m in o.dms("ULEAD") if secret in m.all_text()]
    o.driver.click("ULEAD", leads_dm, rally_ids.RALLY_OWN)  # the owner's DM quotes it too
    o.settle()
    o.clock.set(o.clock.now() + timedelta(hours=25))
    o.tick()  # nobody offered: the leads are told (an escalation naming ann)
    quoting = [m for m in o.dms("ULEAD") if "<@UANN>" in m.all_text()]
    assert len(quoting) >= 2
    o.slash("UANN", "forget me")
    o.driver.click("UANN", o.slack.ephemerals("UANN")[-1], "forget_confirm")
    o.settle()
    for message in o.dms("ULEAD"):
        assert secret not in message.all_text() and "<@UANN>" not in message.all_text()
    assert sum("Removed at the member's request" in m.all_text() for m in o.dms("ULEAD")) >= 2
    if db_url.startswith("sqlite"):
        path = db_url.removeprefix("sqlite:///")
        o.deps.engine.dispose()
        for suffix in ("", "-wal", "-shm"):
            file = Path(path + suffix)
            if file.exists():
                assert secret.encode() not in file.read_bytes(), file
