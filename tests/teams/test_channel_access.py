"""Channel access: what the bot cannot post in its team's channel waits for `/invite`.

Through the local Slack, which refuses posts and uploads in a channel the bot is not in
(`not_in_channel` for a public one, `channel_not_found` for a private one), as Slack does.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from localslack import Channel, Message, field_values
from storage.db import transaction
from storage.kinds import DeliveryStatus
from storage.models import Cycle, Delivery, Team
from tests.checkin.test_weekly import FRIDAY_3PM_LONDON
from tests.harness import Oneness
from tests.summary.test_summary_and_export import MONDAY_9AM

NO_BOT = Channel(id="CNOBOT", name="nobot", members=["ULEAD", "UANN", "UBOB", "UCAT"])
PRIVATE = Channel(
    id="GSECRET", name="secret", is_private=True, members=["ULEAD", "UANN", "UBOB", "UBOT"]
)


def key_of(message: Message) -> str:
    return str(((message.metadata or {}).get("event_payload") or {}).get("key", ""))


def team_in(o: Oneness, channel: Channel, *members: str) -> str:
    """A team bound to `channel`; returns what setup told the lead."""
    o.slack.add_channel(channel)
    seen = o.slash("ULEAD", f"setup <#{channel.id}|{channel.name}> Rocket")
    o.slash("ULEAD", "add " + " ".join(f"<@{m}>" for m in members), channel=channel.id)
    o.slash("ULEAD", "schedule fri 15:00 Europe/London", channel=channel.id)
    return seen


def bot_posts(o: Oneness, channel: str) -> list[Message]:
    return [m for m in o.slack.messages(channel) if m.user == "UBOT" and m.subtype is None]


def told_to_invite(o: Oneness) -> list[Message]:
    return [m for m in o.dms("ULEAD") if key_of(m).startswith("access:")]


def nudge_statuses(o: Oneness) -> list[str]:
    """What became of every nudge the bot tried to post."""
    with transaction(o.deps.sessions) as session:
        rows = session.scalars(select(Delivery).where(Delivery.kind == "nudge"))
        return sorted(r.status for r in rows)


def test_everything_waiting_goes_out_once_when_the_bot_is_invited(oneness: Oneness) -> None:
    o = oneness
    seen = team_in(o, NO_BOT, "UANN", "UBOB", "UCAT")
    assert "/invite @Oneness" in seen  # setup's check (conversations.info is_member)
    o.advance_to(FRIDAY_3PM_LONDON)
    o.driver.dm("UANN", "2 everything is on fire")
    o.driver.dm("UBOB", "7")
    o.driver.dm("UCAT", "8")
    o.settle()
    # The member's answer is recorded and thanked as ever; the nudge waits.
    assert any("Thanks. Recorded" in m.all_text() for m in o.dms("UANN"))
    assert nudge_statuses(o) == [DeliveryStatus.WAITING_ACCESS]
    # Nobody could offer help on a nudge that never reached the channel: no "nobody offered".
    o.advance_to(FRIDAY_3PM_LONDON + timedelta(hours=25))
    assert not [m for m in o.dms("ULEAD") if ":escalate:" in key_of(m)]
    # The week closes on time although its summary and chart could not be posted.
    report = o.advance_to(MONDAY_9AM)
    assert len(report.closed) == 1
    with transaction(o.deps.sessions) as session:
        cycle = session.scalar(select(Cycle))
        assert cycle is not None and cycle.closed_at is not None
    assert bot_posts(o, "CNOBOT") == [] and o.slack.files == []
    # One DM to the lead, however many posts wait, saying how to fix it.
    [told] = told_to_invite(o)
    assert "`/invite @Oneness`" in told.all_text() and "<#CNOBOT>" in told.all_text()
    assert "UANN" not in told.all_text()  # it names nobody
    refused = len([c for c in o.slack.calls_to("chat.postMessage") if not c.ok])
    o.advance_to(MONDAY_9AM + timedelta(minutes=10))  # later ticks do not try again
    assert len([c for c in o.slack.calls_to("chat.postMessage") if not c.ok]) == refused

    joined = o.driver.invite("CNOBOT", inviter="ULEAD")
    assert joined is not None and joined.status == 200
    o.settle()
    posts = bot_posts(o, "CNOBOT")
    assert len([m for m in posts if key_of(m).startswith("rally:")]) == 1
    assert len([m for m in posts if key_of(m).startswith("summary:")]) == 1
    [chart] = o.slack.files
    assert chart.channels == ["CNOBOT"]
    with transaction(o.deps.sessions) as session:
        cycle = session.scalar(select(Cycle))
        assert cycle is not None and cycle.chart_file_id == chart.id
    # The member hears what was shared once it is out.
    assert [m for m in o.dms("UANN") if key_of(m).endswith(":told:0")]
    # Slack retrying the event, or another tick, posts nothing twice.
    o.driver.event(
        {"type": "member_joined_channel", "user": "UBOT", "channel": "CNOBOT", "channel_type": "C"}
    )
    o.settle()
    o.advance_to(MONDAY_9AM + timedelta(hours=2))
    assert len(bot_posts(o, "CNOBOT")) == len(posts)
    assert len(o.slack.files) == 1 and len(told_to_invite(o)) == 1
    # The 24 hours before "nobody offered" start when the nudge reached the channel.
    o.advance_to(MONDAY_9AM + timedelta(hours=25))
    assert len([m for m in o.dms("ULEAD") if ":escalate:" in key_of(m)]) == 1


def test_a_new_member_joining_is_not_the_bot_joining(oneness: Oneness) -> None:
    """Slack sends member_joined_channel for anyone joining a channel the bot is in; only the
    bot's own join posts what waits. An invite the app never heard of is found hourly."""
    o = oneness
    team_in(o, NO_BOT, "UANN", "UBOB")
    o.advance_to(FRIDAY_3PM_LONDON)
    o.driver.dm("UANN", "2 everything is on fire")
    o.settle()
    o.slack.invite("CNOBOT")  # the bot is invited, but the event is lost
    o.driver.invite("CNOBOT", "UDAN")  # someone else joins: the app hears of that one
    o.settle()
    assert bot_posts(o, "CNOBOT") == []
    assert nudge_statuses(o) == [DeliveryStatus.WAITING_ACCESS]
    o.advance_to(FRIDAY_3PM_LONDON + timedelta(hours=1, minutes=1))
    assert len([m for m in bot_posts(o, "CNOBOT") if key_of(m).startswith("rally:")]) == 1


def test_a_private_channel_the_bot_was_removed_from(oneness: Oneness) -> None:
    """channel_not_found, and conversations.info cannot see the channel either: failed for
    good (Slack cannot tell us whether it was deleted); the leads hear once, nothing retries."""
    o = oneness
    team_in(o, PRIVATE, "UANN", "UBOB")
    o.slack.kick("GSECRET")
    o.advance_to(FRIDAY_3PM_LONDON)
    o.driver.dm("UANN", "2 everything is on fire")
    o.settle()
    assert [c.error for c in o.slack.calls_to("chat.postMessage") if not c.ok] == [
        "channel_not_found"
    ]
    assert nudge_statuses(o) == [DeliveryStatus.FAILED]
    [told] = told_to_invite(o)
    assert "`/invite @Oneness`" in told.all_text()
    o.advance_to(FRIDAY_3PM_LONDON + timedelta(hours=2))
    assert [c.error for c in o.slack.calls_to("chat.postMessage") if not c.ok] == [
        "channel_not_found"
    ]


def test_the_lead_home_shows_health_and_members_never_see_it(oneness: Oneness) -> None:
    o = oneness
    team_in(o, NO_BOT, "UANN", "UBOB")
    o.driver.app_home_opened("ULEAD")
    o.settle()
    home = str(o.slack.home_view("ULEAD"))
    assert "*Health*" in home and "/invite @Oneness" in home  # setup's check, before any post
    o.advance_to(FRIDAY_3PM_LONDON)
    o.driver.dm("UANN", "2 everything is on fire")
    o.settle()
    o.driver.app_home_opened("ULEAD")
    o.driver.app_home_opened("UANN")
    o.settle()
    home = str(o.slack.home_view("ULEAD"))
    assert "waiting for access: 1" in home and "1 post waiting" in home
    assert "Health" not in str(o.slack.home_view("UANN"))
    o.driver.invite("CNOBOT", inviter="ULEAD")
    o.settle()
    o.driver.app_home_opened("ULEAD")
    o.settle()
    home = str(o.slack.home_view("ULEAD"))
    assert "I'm in <#CNOBOT>" in home and "waiting for access: 0" in home


def test_the_setup_modal_warns_too(oneness: Oneness) -> None:
    o = oneness
    o.slack.add_channel(NO_BOT)
    o.driver.slash("ULEAD", "setup", channel="CNOBOT")
    o.settle()
    view = o.slack.open_views("ULEAD")[-1]
    values = field_values(view, setup_name="Rocket", setup_channel="CNOBOT", setup_zone="UTC")
    assert o.driver.submit_view("ULEAD", view, values).status == 200
    o.settle()
    confirmation = o.dms("ULEAD")[-1].all_text()
    assert "Team *Rocket* is set up" in confirmation
    assert "Invite me to <#CNOBOT> with `/invite @Oneness`" in confirmation
    with transaction(o.deps.sessions) as session:
        assert session.scalar(select(Team.bot_in_channel)) is False


def test_a_waiting_post_fails_for_good_when_the_channel_is_archived(oneness: Oneness) -> None:
    """The hourly check finds the channel archived: what waited has failed, and it is not
    checked again."""
    o = oneness
    team_in(o, NO_BOT, "UANN", "UBOB")
    o.advance_to(FRIDAY_3PM_LONDON)
    o.driver.dm("UANN", "2 everything is on fire")
    o.settle()
    assert nudge_statuses(o) == [DeliveryStatus.WAITING_ACCESS]
    o.slack.archive("CNOBOT")
    o.advance_to(FRIDAY_3PM_LONDON + timedelta(hours=1, minutes=1))
    assert nudge_statuses(o) == [DeliveryStatus.FAILED]
    checks = len(o.slack.calls_to("conversations.info"))
    o.advance_to(FRIDAY_3PM_LONDON + timedelta(hours=3))
    assert len(o.slack.calls_to("conversations.info")) == checks
    assert bot_posts(o, "CNOBOT") == []


def test_summary_command_says_the_post_waits(oneness: Oneness) -> None:
    o = oneness
    team_in(o, NO_BOT, "UANN", "UBOB")
    o.advance_to(FRIDAY_3PM_LONDON)
    seen = o.slash("ULEAD", "summary", channel="CNOBOT")
    assert "I'm not in <#CNOBOT>" in seen and "`/invite @Oneness`" in seen
    assert [m for m in o.dms("ULEAD") if "Leads' summary" in m.all_text()]
