"""`oneness demo`: a small team's weeks against the built-in local Slack, as a readable transcript.

No Slack account and no configuration: the demo starts the local Slack, the real bot over
HTTP on a throwaway SQLite database and a fake clock, plays a team through its commands and
a week of check-ins, and prints what each person saw. Each scene is one function taking a
`Stage`; add a scene by writing one and listing it in `SCENES`.
"""

from __future__ import annotations

import http.client
import io
import logging
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import urlencode, urlsplit

from bot.app import build_deps, create_app
from bot.checkin import ids as checkin_ids
from bot.platform.clock import FakeClock
from bot.platform.config import Settings
from bot.platform.deps import Deps
from bot.platform.server import HttpServer, OnenessWSGI
from bot.promise import ids as promise_ids
from bot.promise.page import PromisePage
from bot.rally import ids as rally_ids
from bot.schedule.tick import TickReport, tick
from bot.teams import ids as team_ids
from localslack import Channel, Ephemeral, LocalSlack, Message, SlackDriver, User
from localslack.driver import Reply
from localslack.models import all_text

# Wednesday 25 November 2026, 09:00 UTC; the team's prompts go out on Friday.
START = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
FRIDAY_15_LONDON = datetime(2026, 11, 27, 15, 0, tzinfo=UTC)  # London is on UTC in November
TEAM_CHANNEL = "CTEAM"
BOT_USER = "UBOT"
LEAD = "ULEAD"
MEMBERS = ("UANN", "UBOB", "UCAT", "UDAN")

CAST = [
    User(id=LEAD, name="lee", real_name="Lee Lead", tz="Europe/London"),
    User(id="UANN", name="ann", real_name="Ann Archer", tz="Europe/London"),
    User(id="UBOB", name="bob", real_name="Bob Baker", tz="America/New_York"),
    User(id="UCAT", name="cat", real_name="Cat Cole", tz="Europe/Berlin"),
    User(id="UDAN", name="dan", real_name="Dan Dale", tz="Asia/Kolkata"),
    User(id="UROBOT", name="robot", real_name="Robot", is_bot=True),
    User(id="UGONE", name="gone", real_name="Gone Person", deleted=True),
    User(id="UEVE", name="eve", real_name="Eve Evans", tz="Europe/London"),
]
SIDE_CHANNEL = "CSIDE"
# A channel nobody has invited the bot to yet (the "Channel access" scene).
SUPPORT_CHANNEL = "CSUPPORT"
CHANNELS = [
    Channel(id=TEAM_CHANNEL, name="team", members=[LEAD, *MEMBERS, BOT_USER]),
    Channel(id=SIDE_CHANNEL, name="side-project", members=["UANN", "UDAN", BOT_USER]),
    Channel(id=SUPPORT_CHANNEL, name="support", members=[LEAD, "UEVE"]),
]

LINE_LIMIT = 150  # characters per transcript line
MESSAGE_LINES = 24  # lines shown per message before "… (n more lines)"
WAIT = 15.0  # seconds to wait for the bot's background work


class DemoFailure(Exception):
    """A scene did not produce what it should have."""


def mention(user_id: str) -> str:
    """A user mention as Slack sends it in slash-command text (`<@UANN|ann>`)."""
    name = next((u.name for u in CAST if u.id == user_id), user_id.lower())
    return f"<@{user_id}|{name}>"


class Transcript:
    """Ordered lines of what happened, with headings per step; printed as it goes."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.lines: list[str] = []
        self.stream = stream

    def _emit(self, line: str) -> None:
        self.lines.append(line)
        if self.stream is not None:
            print(line, file=self.stream, flush=True)

    def heading(self, title: str) -> None:
        """Start a step."""
        if self.lines:
            self._emit("")
        self._emit(f"── {title} " + "─" * max(3, 70 - len(title)))

    def note(self, text: str) -> None:
        """A narrator's line (clock moves, ticks)."""
        self._emit(f"   ({text})")

    def entry(self, label: str, body: str) -> None:
        """`label body`, continuation lines indented under the body."""
        lines = [trim(line) for line in body.splitlines() if line.strip()] or ["(empty)"]
        if len(lines) > MESSAGE_LINES:
            hidden = len(lines) - MESSAGE_LINES
            lines = [*lines[:MESSAGE_LINES], f"… ({hidden} more lines)"]
        indent = " " * (len(label) + 1)
        self._emit(f"{label} {lines[0]}")
        for line in lines[1:]:
            self._emit(f"{indent}{line}")

    def text(self) -> str:
        """The whole transcript."""
        return "\n".join(self.lines) + "\n"

    def save(self, folder: Path) -> Path:
        """Write transcript.txt into `folder` and return its path."""
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / "transcript.txt"
        path.write_text(self.text(), encoding="utf-8")
        return path


def trim(line: str, limit: int = LINE_LIMIT) -> str:
    """One line, cut at `limit` characters with an ellipsis."""
    line = line.rstrip()
    return line if len(line) <= limit else line[: limit - 1] + "…"


def render_blocks(text: str, blocks: list[dict[str, Any]]) -> str:
    """What a person reads: block texts, buttons as `[7]`; the fallback text if no blocks."""
    if not blocks:
        return text
    parts: list[str] = []
    for block in blocks:
        if block.get("type") == "actions":
            buttons = [_element_label(e) for e in block.get("elements") or []]
            parts.append(" ".join(b for b in buttons if b))
        else:
            parts.append(all_text(None, [block]))
    return "\n".join(p for p in parts if p)


def _element_label(element: dict[str, Any]) -> str:
    kind = element.get("type")
    label = all_text(None, [element.get("text") or element.get("placeholder") or {}])
    if kind == "button":
        return f"[{label}]"
    return f"[{label or kind} ▾]"


def render_view(view: dict[str, Any]) -> str:
    """A modal: its title, then one line per input (`label: choices`), then its submit button."""
    lines = [f"modal “{all_text(None, [view.get('title') or {}])}”"]
    for block in view.get("blocks") or []:
        if block.get("type") != "input":
            continue
        label = all_text(None, [block.get("label") or {}])
        element = block.get("element") or {}
        options = [all_text(None, [o.get("text") or {}]) for o in element.get("options") or []]
        shown = f"{label}: " + " / ".join(options) if options else f"{label}: ____"
        lines.append("  " + shown + (" (optional)" if block.get("optional") else ""))
    submit = all_text(None, [view.get("submit") or {}])
    if submit:
        lines.append(f"  [{submit}]")
    return "\n".join(lines)


_USER_MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")
_CHANNEL_MENTION = re.compile(r"<#(C[A-Z0-9]+)(?:\|[^>]*)?>")


def as_shown(text: str, users: dict[str, str], channels: dict[str, str]) -> str:
    """Mentions the way Slack shows them: `<@UANN>` as `@ann`, `<#CTEAM>` as `#team`."""
    text = _USER_MENTION.sub(lambda m: "@" + users.get(m.group(1), m.group(1)), text)
    return _CHANNEL_MENTION.sub(lambda m: "#" + channels.get(m.group(1), m.group(1)), text)


@dataclass
class Seen:
    """What was already written to the transcript, to show only what is new or changed."""

    messages: dict[tuple[str, str], str] = field(default_factory=dict)
    ephemerals: set[tuple[str, str, str]] = field(default_factory=set)
    views: dict[str, str] = field(default_factory=dict)


class Stage:
    """The running demo: local Slack, the bot, its clock, and the transcript of what people saw."""

    def __init__(
        self, slack: LocalSlack, driver: SlackDriver, deps: Deps, clock: FakeClock, out: Transcript
    ) -> None:
        self.slack = slack
        self.driver = driver
        self.deps = deps
        self.clock = clock
        self.out = out
        self.seen = Seen()
        self.names = {u.id: u.name for u in CAST} | {BOT_USER: "oneness"}
        self.channel_names = {c.id: c.name for c in CHANNELS}
        self.folder: Path | None = None  # where the transcript goes; scenes may write there too
        self.page_url = ""  # the team's public promise page, once it is on

    def say(self, label: str, body: str) -> None:
        """A transcript entry with mentions shown as Slack shows them."""
        self.out.entry(label, as_shown(body, self.names, self.channel_names))

    # acting

    def settle(self) -> None:
        """Wait until the bot's work after every ack has finished."""
        if not self.deps.executor.wait_idle(WAIT):
            raise DemoFailure("the bot's background work did not finish in time")

    def slash(self, user: str, text: str, channel: str | None = None) -> str:
        """`user` runs `/oneness text`; returns the new ephemeral text they saw."""
        where = f"   (in #{self.channel_names.get(channel, channel)})" if channel else ""
        self.say(f"{self.names[user]} →", f"/oneness {text}{where}")
        before = len(self.slack.ephemerals(user))
        reply = self.driver.slash(user, text, channel=channel)
        self._check_reply(reply, f"/oneness {text}")
        self.show()
        return "\n".join(e.all_text() for e in self.slack.ephemerals(user)[before:])

    def click(self, user: str, message: Message | Ephemeral, action_id: str, label: str) -> Reply:
        """`user` clicks the button `action_id` on `message`."""
        self.say(f"{self.names[user]} →", f"clicks [{label}]")
        reply = self.driver.click(user, message, action_id)
        self._check_reply(reply, f"click {action_id}")
        self.show()
        return reply

    def submit(
        self, user: str, view: dict[str, Any], values: dict[str, dict[str, Any]], summary: str
    ) -> Reply:
        """`user` fills in and submits an open modal."""
        self.say(f"{self.names[user]} →", f"submits the form: {summary}")
        reply = self.driver.submit_view(user, view, values)
        self._check_reply(reply, "view submission")
        if reply.response_action == "errors":
            errors = (reply.body or {}).get("errors") or {}
            self.say(f"{self.names[user]} ← form errors:", "; ".join(errors.values()))
        self.show()
        return reply

    def dm(self, user: str, text: str) -> str:
        """`user` writes `text` to the bot; returns the bot's new DM replies."""
        self.say(f"{self.names[user]} → DM:", text)
        before = len(self.bot_dms(user))
        reply = self.driver.dm(user, text)
        self._check_reply(reply, f"DM {text!r}")
        self.show()
        return "\n".join(m.all_text() for m in self.bot_dms(user)[before:])

    def tick(self) -> TickReport:
        """Run the scheduler's tick now and show what it sent."""
        report = tick(self.deps)
        self.settle()
        self.out.note(
            f"scheduler tick: {report.prompts} prompts, {report.reminders} reminders, "
            f"{report.skipped} skipped, {report.failed} failed, {report.followups} follow-ups, "
            f"{report.escalations} escalations, {report.promise} promise reminders"
        )
        self.show()
        return report

    def move_clock(self, when: datetime) -> None:
        """Set the fake clock and say so."""
        self.clock.set(when)
        self.out.note(f"clock: {when:%a %d %b %Y %H:%M} UTC")

    def _check_reply(self, reply: Reply, what: str) -> None:
        self.settle()
        if not reply.ok:
            raise DemoFailure(f"{what}: the bot answered HTTP {reply.status}: {reply.body!r}")
        if reply.errors:
            raise DemoFailure(f"{what}: Slack would refuse the bot's answer: {reply.errors}")

    # looking

    def bot_dms(self, user: str) -> list[Message]:
        """The bot's messages in a person's DM."""
        return [m for m in self.slack.dms(user) if m.user != user]

    def prompts(self, user: str) -> list[Message]:
        """Weekly prompts in a person's DM (by their delivery key)."""
        return [m for m in self.bot_dms(user) if _key(m).startswith("prompt:")]

    def reminders(self, user: str) -> list[Message]:
        """Reminders in a person's DM."""
        return [m for m in self.bot_dms(user) if _key(m).startswith("reminder:")]

    def show(self) -> None:
        """Write every message, ephemeral and modal that is new since the last look."""
        for user in [LEAD, *MEMBERS, "UEVE"]:
            for message in self.bot_dms(user):
                self._show_message(message, f"{self.names[user]} ← DM")
            for view in self.slack.open_views(user):
                text = render_view(view)
                if self.seen.views.get(str(view.get("id"))) != text:
                    self.seen.views[str(view.get("id"))] = text
                    self.say(f"{self.names[user]} ←", text)
        for channel in CHANNELS:
            for message in self.slack.messages(channel.id):
                if message.user == BOT_USER:
                    self._show_message(message, f"#{channel.name} ←")
        for eph in self.slack.ephemerals():
            key = (eph.channel, eph.ts, eph.user)
            if key not in self.seen.ephemerals:
                self.seen.ephemerals.add(key)
                name = self.names.get(eph.user, eph.user)
                self.say(f"{name} (only you) ←", render_blocks(eph.text, eph.blocks))

    def look_away(self) -> None:
        """Mark everything shown so far as seen without writing it (fast-forwarded weeks)."""
        saved = self.out
        self.out = Transcript(io.StringIO())
        try:
            self.show()
        finally:
            self.out = saved

    def _show_message(self, message: Message, label: str) -> None:
        key = (message.channel, message.ts)
        text = render_blocks(message.text, message.blocks)
        if message.files:
            names = ", ".join(
                str(f.get("name") or f.get("title") or f.get("id")) for f in message.files
            )
            text = f"[file: {names}]" if text in ("", "(empty)") else f"{text}\n[file: {names}]"
        previous = self.seen.messages.get(key)
        if previous == text:
            return
        self.seen.messages[key] = text
        self.say(label + (" (updated):" if previous is not None else ":"), text)


def _key(message: Message) -> str:
    return str(((message.metadata or {}).get("event_payload") or {}).get("key", ""))


def expect(condition: bool, message: str) -> None:
    """Fail the demo with `message` unless `condition` holds."""
    if not condition:
        raise DemoFailure(message)


def expect_in(needle: str, haystack: str, what: str) -> None:
    """Fail unless `needle` occurs in `haystack` (case-insensitive)."""
    if needle.lower() not in haystack.lower():
        shown = " | ".join(haystack.splitlines()) or "nothing"
        raise DemoFailure(f"{what}: expected {needle!r}, saw: {trim(shown, 400)}")


def expect_refused(seen: str, reason: str, what: str) -> None:
    """Fail unless the reply refuses (mentions `reason`, adds nobody)."""
    expect_in(reason, seen, f"{what} (should be refused)")
    expect("Added" not in seen, f"{what}: should be refused but said: {trim(seen, 400)}")


# scenes


def scene_cast(stage: Stage) -> None:
    """Who is who in the local Slack."""
    for user in CAST:
        kind = "bot" if user.is_bot else "deactivated" if user.deleted else user.tz
        stage.out.note(f"{user.name:<6} {user.real_name:<12} {kind}")
    stage.out.note("#team: lee, ann, bob, cat, dan and the Oneness bot")
    stage.out.note("#support: lee and eve (the bot is not in it yet)")


def scene_help(stage: Stage) -> None:
    """Anyone can ask for help."""
    seen = stage.slash("UANN", "help")
    expect_in("/oneness setup", seen, "/oneness help")


def scene_setup(stage: Stage) -> None:
    """The lead sets the team up in one line, in the team's channel."""
    seen = stage.slash(LEAD, f"setup <#{TEAM_CHANNEL}|team> Rocket", channel=TEAM_CHANNEL)
    expect_in("Rocket", seen, "/oneness setup")
    expect_in("set up", seen, "/oneness setup")


def scene_add_members(stage: Stage) -> None:
    """The lead adds four members by mention."""
    seen = stage.slash(LEAD, "add " + " ".join(mention(u) for u in MEMBERS), channel=TEAM_CHANNEL)
    for user in MEMBERS:
        expect_in(f"<@{user}>", seen, "/oneness add of four members")


def scene_welcome(stage: Stage) -> None:
    """Nobody is in a team without knowing it: each member got a welcome DM with Leave team."""
    for user in MEMBERS:
        welcomes = [m for m in stage.bot_dms(user) if _key(m).startswith("welcome:")]
        expect(len(welcomes) == 1, f"{stage.names[user]} got {len(welcomes)} welcome DMs, not 1")
        expect_in("Who sees what", welcomes[0].all_text(), f"{stage.names[user]}'s welcome")
        expect_in("Leave team", render_blocks("", welcomes[0].blocks), "the welcome's button")


def scene_leave(stage: Stage) -> None:
    """dan binds #side-project to a team of his and adds ann; she leaves with one click."""
    stage.slash("UDAN", f"setup <#{SIDE_CHANNEL}|side-project> Side", channel=SIDE_CHANNEL)
    stage.slash("UDAN", f"add {mention('UANN')}", channel=SIDE_CHANNEL)
    welcome = [m for m in stage.bot_dms("UANN") if "added you to *Side*" in m.all_text()]
    expect(len(welcome) == 1, "ann was not told that dan added her to Side")
    stage.click("UANN", welcome[0], team_ids.TEAM_LEAVE, "Leave team")
    seen = stage.slash("UANN", "status team:Side")
    expect_in("You are not in Side", seen, "ann's status of a team she left")


def scene_add_refused(stage: Stage) -> None:
    """A bot and a deactivated account cannot be members."""
    seen = stage.slash(LEAD, f"add {mention('UROBOT')}", channel=TEAM_CHANNEL)
    expect_refused(seen, "is a bot", "/oneness add of a bot user")
    seen = stage.slash(LEAD, f"add {mention('UGONE')}", channel=TEAM_CHANNEL)
    expect_refused(seen, "deactivated", "/oneness add of a deactivated user")


def scene_not_a_lead(stage: Stage) -> None:
    """A member who is not a lead cannot change membership."""
    seen = stage.slash("UBOB", f"add {mention('UROBOT')}", channel=TEAM_CHANNEL)
    expect_refused(seen, "only leads", "/oneness add by a non-lead")


def scene_lead(stage: Stage) -> None:
    """The lead makes ann a lead too."""
    seen = stage.slash(LEAD, f"lead {mention('UANN')}", channel=TEAM_CHANNEL)
    expect_in("<@UANN>", seen, "/oneness lead")


def scene_remove(stage: Stage) -> None:
    """The lead removes dan by mistake, then adds him back."""
    seen = stage.slash(LEAD, f"remove {mention('UDAN')}", channel=TEAM_CHANNEL)
    expect_in("<@UDAN>", seen, "/oneness remove")
    seen = stage.slash(LEAD, f"add {mention('UDAN')}", channel=TEAM_CHANNEL)
    expect_in("<@UDAN>", seen, "/oneness add (back)")


def scene_unknown(stage: Stage) -> None:
    """An unknown subcommand gets a helpful error."""
    seen = stage.slash("UCAT", "dance", channel=TEAM_CHANNEL)
    expect_in("help", seen, "/oneness dance (unknown subcommand)")


def scene_schedule(stage: Stage) -> None:
    """The lead sets when prompts go out and a reminder after a day."""
    seen = stage.slash(LEAD, "schedule fri 15:00 Europe/London", channel=TEAM_CHANNEL)
    expect_in("15:00", seen, "/oneness schedule")
    seen = stage.slash(LEAD, "remind 24h", channel=TEAM_CHANNEL)
    expect(bool(seen.strip()), "/oneness remind 24h: no answer")


def scene_prompts(stage: Stage) -> None:
    """Friday 15:00 in London: every member gets the weekly prompt."""
    stage.move_clock(FRIDAY_15_LONDON)
    report = stage.tick()
    expect(report.prompts == len(MEMBERS), f"tick sent {report.prompts} prompts, not 4")
    for user in MEMBERS:
        count = len(stage.prompts(user))
        expect(count == 1, f"{stage.names[user]} got {count} weekly prompts, not exactly one")
    expect(not stage.prompts(LEAD), "the lead, not a member, was prompted")


def scene_answer_button(stage: Stage) -> None:
    """ann answers with one click."""
    stage.click("UANN", stage.prompts("UANN")[-1], f"{checkin_ids.SCORE_PREFIX}7", "7")
    expect_in("7/10", stage.prompts("UANN")[-1].all_text(), "ann's prompt after clicking 7")


def scene_answer_modal(stage: Stage) -> None:
    """bob adds details in the form."""
    stage.click("UBOB", stage.prompts("UBOB")[-1], checkin_ids.CHECKIN_DETAILS, "Add details")
    views = stage.slack.open_views("UBOB")
    expect(bool(views), "clicking Add details opened no modal for bob")
    view = views[-1]
    values = {
        checkin_ids.CI_SCORE: {checkin_ids.CI_SCORE: "5"},
        checkin_ids.CI_DELIVERABLES: {checkin_ids.CI_DELIVERABLES: "6"},
        checkin_ids.CI_CUSTOMERS: {checkin_ids.CI_CUSTOMERS: "4"},
        checkin_ids.CI_NOTE: {
            checkin_ids.CI_NOTE: "Release slipped; a customer is waiting on a fix."
        },
        checkin_ids.CI_HELP: {checkin_ids.CI_HELP: "tools"},
        checkin_ids.CI_VISIBILITY: {checkin_ids.CI_VISIBILITY: "team"},
    }
    reply = stage.submit(
        "UBOB", view, values, "5 · deliverables 6 · customers 4 · note · help: tools · named"
    )
    expect(reply.response_action != "errors", f"bob's form was refused: {reply.body!r}")
    expect(not stage.slack.open_views("UBOB"), "bob's form is still open after saving")
    expect_in("5/10", stage.prompts("UBOB")[-1].all_text(), "bob's prompt after the form")


def scene_answer_text(stage: Stage) -> None:
    """cat answers in plain text; dan tries a score out of range and a greeting."""
    seen = stage.dm("UCAT", "6 rough week, need a specialist")
    expect_in("6/10", seen, "cat's text answer")
    # The reply is the one confirmation of a text answer: the prompt is not edited to match
    # (a chat.update per answer is Tier 3); its buttons still answer.
    prompt = stage.prompts("UCAT")[-1].all_text()
    expect("Recorded" not in prompt, "cat's prompt was edited after her text answer")
    seen = stage.dm("UDAN", "11")
    expect_in("scores go from 1 to 10", seen, "dan's `11`")
    seen = stage.dm("UDAN", "hello")
    expect(bool(seen.strip()), "dan's `hello` got no how-to reply")


def scene_reminder(stage: Stage) -> None:
    """A day later, one reminder goes to the one who has not answered."""
    stage.move_clock(FRIDAY_15_LONDON + timedelta(hours=24, minutes=5))
    report = stage.tick()
    expect(report.reminders == 1, f"tick sent {report.reminders} reminders, not 1 (to dan)")
    expect(len(stage.reminders("UDAN")) == 1, "dan did not get exactly one reminder")
    for user in ("UANN", "UBOB", "UCAT"):
        expect(not stage.reminders(user), f"{stage.names[user]} answered but was reminded")
    stage.tick()
    expect(len(stage.reminders("UDAN")) == 1, "a second tick reminded dan again")


def scene_me_and_status(stage: Stage) -> None:
    """A member looks at their own scores; the lead at the week."""
    seen = stage.slash("UCAT", "me")
    expect_in("6/10", seen, "/oneness me (cat)")
    seen = stage.slash(LEAD, "status", channel=TEAM_CHANNEL)
    expect_in("3/4", seen, "/oneness status (3 of 4 answered)")
    expect_in("Not yet: <@UDAN>", seen, "/oneness status (dan has not answered)")
    seen = stage.slash("UDAN", "status", channel=TEAM_CHANNEL)
    expect_in("3 of 4 have answered", seen, "/oneness status for a member: counts only")
    expect("mean" not in seen, "a member saw the live mean")


def team_posts(stage: Stage) -> list[Message]:
    """What the bot posted in the team channel."""
    return [m for m in stage.slack.messages(TEAM_CHANNEL) if m.user == BOT_USER]


def nudges(stage: Stage) -> list[Message]:
    """Rally nudges in the team channel."""
    return [m for m in team_posts(stage) if _key(m).startswith("rally:")]


def summaries(stage: Stage) -> list[Message]:
    """Weekly summaries in the team channel."""
    return [m for m in team_posts(stage) if _key(m).startswith("summary:")]


RALLY_DAY = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)


def scene_drop(stage: Stage) -> None:
    """On a Tuesday dan's week goes wrong: a pulse at 3 nudges the team, anonymously."""
    stage.move_clock(RALLY_DAY)
    seen = stage.dm("UDAN", "3 stuck on the migration, need a specialist")
    expect_in("3/10", seen, "dan's pulse")
    posts = nudges(stage)
    expect(len(posts) == 1, f"expected one nudge in #team, saw {len(posts)}")
    text = posts[0].all_text()
    expect_in("A teammate", text, "the anonymous nudge")
    for leak in ("dan", "UDAN", "3/10", "migration"):
        expect(leak not in text, f"the anonymous nudge leaks {leak!r}: {trim(text, 200)}")


def scene_told_and_withdraw(stage: Stage) -> None:
    """dan was told what was posted about him; bob's own nudge he withdraws himself."""
    told = [m for m in stage.bot_dms("UDAN") if "I posted a nudge" in m.all_text()]
    expect(len(told) == 1, "dan was not told that a nudge went to #team")
    expect_in("does not name you", told[0].all_text(), "what dan was told")
    stage.dm("UBOB", "3 deadline pressure")
    posted = [m for m in stage.bot_dms("UBOB") if "I posted a nudge" in m.all_text()]
    expect(len(posted) == 1, "bob was not told that a nudge went to #team")
    stage.click("UBOB", posted[-1], rally_ids.RALLY_WITHDRAW, "Withdraw")
    expect_in("withdrawn", nudges(stage)[-1].all_text(), "bob's nudge after Withdraw")


def scene_offer_and_owner(stage: Stage) -> None:
    """bob offers help, ann owns it; dan accepts bob's offer, and only then do they meet."""
    stage.click("UBOB", nudges(stage)[0], rally_ids.RALLY_OFFER, "I can help")
    stage.click("UANN", nudges(stage)[0], rally_ids.RALLY_OWN, "I'll own this")
    expect_in("owned by <@UANN>", nudges(stage)[0].all_text(), "the nudge after ann owns")
    offers = [m for m in stage.bot_dms("UDAN") if "offered to help" in m.all_text()]
    expect(bool(offers), "dan was not told that someone offered")
    stage.click("UDAN", offers[-1], rally_ids.RALLY_ACCEPT, "Accept the offer")
    expect(
        any("accepted your offer" in m.all_text() for m in stage.bot_dms("UBOB")),
        "bob was not told that dan accepted",
    )


def scene_followup(stage: Stage) -> None:
    """Three days later dan is asked whether the help landed, and closes the loop."""
    stage.move_clock(RALLY_DAY + timedelta(days=3))
    report = stage.tick()
    expect(report.followups == 1, f"tick sent {report.followups} follow-ups, not 1")
    asks = [m for m in stage.bot_dms("UDAN") if "Did the help land?" in m.all_text()]
    stage.click("UDAN", asks[-1], rally_ids.RALLY_RESOLVE, "Resolved")
    expect_in("the help landed", nudges(stage)[0].all_text(), "the nudge after resolving")


MONDAY_9_LONDON = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
# Scripted scores for the fast-forwarded weeks: (ann, bob, cat, dan); None = no answer.
WEEKS_AHEAD: list[tuple[int | None, int | None, int | None, int | None]] = [
    (7, 6, 6, 5),
    (8, 7, 5, None),
    (7, 7, 6, 6),
    (8, 6, 7, 7),
    (6, 5, None, 6),
    (7, 7, 7, 7),
    (8, 8, 7, 6),
]


def scene_summary(stage: Stage) -> None:
    """Monday 09:00 the week closes: a summary with a chart, the named version to the lead."""
    stage.slash(LEAD, "csat team 4 happy with the release", channel=TEAM_CHANNEL)
    stage.move_clock(MONDAY_9_LONDON)
    report = stage.tick()
    expect(len(report.closed) >= 1, "Monday's tick closed no week")
    posts = [m.all_text() for m in team_posts(stage)]
    expect(any("Weekly summary" in p for p in posts), "no summary in #team")
    expect(any(f.filename.endswith(".png") for f in stage.slack.files), "no chart uploaded")
    expect(
        any("Leads' summary" in m.all_text() for m in stage.bot_dms(LEAD)),
        "the lead got no named summary",
    )


def scene_trend(stage: Stage) -> None:
    """The lead looks at one member's history."""
    seen = stage.slash(LEAD, "trend @cat", channel=TEAM_CHANNEL)
    expect_in("6/10", seen, "/oneness trend @cat")


def scene_weeks(stage: Stage) -> None:
    """Seven more weeks in fast-forward: prompts, answers, summaries (only summaries shown)."""
    friday = FRIDAY_15_LONDON + timedelta(weeks=1)
    for scores in WEEKS_AHEAD:
        stage.look_away()
        stage.clock.set(friday)
        tick(stage.deps)
        stage.settle()
        for user, score in zip(MEMBERS, scores, strict=True):
            if score is not None:
                stage.driver.dm(user, str(score))
        stage.settle()
        stage.clock.set(friday + timedelta(days=2, hours=18))  # Monday 09:00
        tick(stage.deps)
        stage.settle()
        stage.look_away()
        friday += timedelta(weeks=1)
    stage.out.note(f"fast-forwarded {len(WEEKS_AHEAD)} weeks; the latest summary:")
    stage.seen.messages.pop(_key_of(summaries(stage)[-1]), None)
    stage.show()
    charts = [
        f for f in stage.slack.files if f.filename.endswith(".png") and TEAM_CHANNEL in f.channels
    ]
    expect(len(charts) == 1 + len(WEEKS_AHEAD), f"{len(charts)} charts in #team for 8 weeks")


def _key_of(message: Message) -> tuple[str, str]:
    return (message.channel, message.ts)


def scene_export(stage: Stage) -> None:
    """The lead exports the team's answers as CSV."""
    seen = stage.slash(LEAD, "export", channel=TEAM_CHANNEL)
    expect_in("as CSV", seen, "/oneness export")


def scene_forget(stage: Stage) -> None:
    """cat asks to be forgotten, confirms, and is gone."""
    stage.slash("UCAT", "forget me")
    question = stage.slack.ephemerals("UCAT")[-1]
    stage.click("UCAT", question, "forget_confirm", "Yes, forget me")
    seen = stage.slash("UCAT", "me")
    expect_in("no check-ins", seen, "/oneness me after forget me")


# channel access


def health_lines(stage: Stage, user: str) -> str:
    """The health section of a person's App Home, as they would read it."""
    # Opened a moment later, as a person would: Slack has finished with every upload (a
    # slack_file still processing would fail the Home's views.publish, issue 11 item 5).
    stage.slack.wait_for(lambda: all(stage.slack.file_processed(f.id) for f in stage.slack.files))
    stage.driver.app_home_opened(user)
    stage.settle()
    view = stage.slack.home_view(user) or {}
    shown = [
        render_blocks("", [block])
        for block in view.get("blocks") or []
        if "health" in all_text(None, [block]).lower()
        or "waiting for access" in all_text(None, [block])
    ]
    return "\n".join(shown)


def scene_channel_access(stage: Stage) -> None:
    """The bot is not in #support: setup says how to fix it, the nudge waits, the lead hears
    once, and `/invite @Oneness` posts it."""
    seen = stage.slash(LEAD, f"setup <#{SUPPORT_CHANNEL}|support> Support", channel=SUPPORT_CHANNEL)
    expect_in("/invite @Oneness", seen, "setup in a channel without the bot")
    stage.slash(LEAD, f"add {mention('UEVE')}", channel=SUPPORT_CHANNEL)
    stage.slash(LEAD, "send", channel=SUPPORT_CHANNEL)
    reply = stage.dm("UEVE", "2 the queue is on fire and I am alone on it")
    expect_in("Thanks", reply, "eve's answer while the bot is not in #support")
    support = [m for m in stage.slack.messages(SUPPORT_CHANNEL) if m.user == BOT_USER]
    expect(not support, "the bot posted in #support without being in it")
    told = [m for m in stage.bot_dms(LEAD) if _key(m).startswith("access:")]
    expect(len(told) == 1, f"the lead was told {len(told)} times that the bot is not in #support")
    health = health_lines(stage, LEAD)
    stage.say("lee ← App Home (health):", health)
    expect_in("waiting for access: 1", health, "the lead's App Home health")
    stage.say("lee →", "/invite @Oneness   (in #support)")
    joined = stage.driver.invite(SUPPORT_CHANNEL, inviter=LEAD)
    expect(joined is not None and joined.ok, "the app did not take member_joined_channel")
    stage.settle()
    stage.show()
    nudge = [m for m in stage.slack.messages(SUPPORT_CHANNEL) if _key(m).startswith("rally:")]
    expect(len(nudge) == 1, f"{len(nudge)} nudges in #support after /invite, not 1")
    health = health_lines(stage, LEAD)
    stage.say("lee ← App Home (health):", health)
    expect_in("I'm in", health, "the lead's App Home health after /invite")


# the promise (seed 003)

PLEDGE = "A reply to every ticket within one working day."
MUST = "Open a ticket at help.example.com with your order number."
REMEDY = "A senior engineer calls you the same day, and that month is free"
SCREENSHOT = "promise-page.png"
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)


def scene_promise(stage: Stage) -> None:
    """The lead sets what customers can count on, and switches the public page on."""
    stage.slash(LEAD, "promise", channel=TEAM_CHANNEL)
    views = stage.slack.open_views(LEAD)
    expect(bool(views), "/oneness promise opened no form for the lead")
    values = {
        promise_ids.P_PLEDGE: {promise_ids.P_PLEDGE: PLEDGE},
        promise_ids.P_MUST: {promise_ids.P_MUST: MUST},
        promise_ids.P_REMEDY: {promise_ids.P_REMEDY: REMEDY},
        promise_ids.P_HOURS: {promise_ids.P_HOURS: "4"},
    }
    reply = stage.submit(LEAD, views[-1], values, "the promise, what the customer does, the remedy")
    expect(reply.response_action != "errors", f"the promise was refused: {reply.body!r}")
    expect(
        any("Our promise to customers" in m.all_text() for m in team_posts(stage)),
        "the promise was not posted in #team",
    )
    seen = stage.slash(LEAD, "promise page on", channel=TEAM_CHANNEL)
    expect_in("is *on*", seen, "/oneness promise page on")
    found = re.search(r"(https?://\S+/p/[A-Za-z0-9_-]+)", seen)
    expect(found is not None, f"no page link in: {trim(seen, 300)}")
    assert found is not None
    stage.page_url = found.group(1)


def scene_promise_week(stage: Stage) -> None:
    """Did we keep our promise this week? ann and cat: kept; bob: broken once."""
    for user in ("UANN", "UCAT"):
        stage.click(user, stage.prompts(user)[-1], promise_ids.KEPT, "Kept")
    stage.click("UBOB", stage.prompts("UBOB")[-1], promise_ids.BROKEN, "Broken")
    views = stage.slack.open_views("UBOB")
    expect(bool(views), "clicking Broken opened no form for bob")
    values = {
        promise_ids.B_TIMES: {promise_ids.B_TIMES: "1"},
        promise_ids.B_NOTE: {promise_ids.B_NOTE: "Acme's ticket waited two days"},
    }
    stage.submit("UBOB", views[-1], values, "1 time · Acme's ticket waited two days")
    expect_in("*broken* (1 time)", stage.prompts("UBOB")[-1].all_text(), "bob's prompt")


def breaks_posted(stage: Stage) -> list[Message]:
    """Broken promises posted in #team."""
    return [m for m in team_posts(stage) if _key(m).startswith("break:")]


def scene_break(stage: Stage) -> None:
    """cat reports a broken promise; bob owns the remedy, is reminded, and delivers it."""
    seen = stage.slash(
        "UCAT", "broke Acme's ticket waited two days for a reply <!channel>", channel=TEAM_CHANNEL
    )
    expect_in("someone can own", seen, "/oneness broke")
    post = breaks_posted(stage)[-1]
    expect("&lt;!channel&gt;" in post.all_text(), "the break's text was not escaped")
    stage.click("UBOB", post, promise_ids.OWN, "I'll own the remedy")
    expect_in("owned by <@UBOB>", breaks_posted(stage)[-1].all_text(), "the break after bob owns")
    stage.move_clock(stage.clock.now() + timedelta(hours=3))  # 3/4 of the 4 hours
    report = stage.tick()
    expect(report.promise == 1, f"the tick sent {report.promise} promise messages, not a reminder")
    owned = [m for m in stage.bot_dms("UBOB") if "You own this remedy" in m.all_text()]
    stage.click("UBOB", owned[-1], promise_ids.DELIVERED, "Delivered")
    expect_in("on time", breaks_posted(stage)[-1].all_text(), "the break after Delivered")


class Customer:
    """A customer's browser, as plain HTTP: the page, its cookie, its two forms."""

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        self.host, self.port, self.path = parts.hostname or "", parts.port or 80, parts.path
        self.cookie = ""
        self.csrf = ""

    def _send(self, method: str, path: str, body: bytes | None = None) -> tuple[int, str, str]:
        conn = http.client.HTTPConnection(self.host, self.port, timeout=15)
        headers = {"Cookie": self.cookie} if self.cookie else {}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            html = response.read().decode()
            cookie = response.getheader("Set-Cookie")
            if cookie:
                self.cookie = cookie.split(";")[0]
            return response.status, response.getheader("Location") or "", html
        finally:
            conn.close()

    def open(self, path: str | None = None) -> str:
        """GET a page; keeps the form's CSRF token."""
        status, _, html = self._send("GET", path or self.path)
        expect(status == 200, f"GET {path or 'the promise page'} answered {status}")
        found = re.search(r'name="csrf" value="([^"]+)"', html)
        if found:
            self.csrf = found.group(1)
        return html

    def post(self, action: str, fields: dict[str, str]) -> str:
        """POST a form and follow its redirect to the thanks page."""
        body = urlencode({"csrf": self.csrf, **fields}).encode()
        status, location, html = self._send("POST", f"{self.path}/{action}", body)
        expect(status == 303, f"the {action} form answered {status}: {trim(html, 200)}")
        return self.open(location)


def page_text(html: str) -> str:
    """What a reader sees first on a page: its headings and opening paragraphs, as lines."""
    parts = re.findall(r"<(h1|h2|blockquote|p|li|dd)\b[^>]*>(.*?)</\1>", html, re.DOTALL)
    lines = [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", text)).strip() for _, text in parts]
    return "\n".join(line for line in lines if line)[:1500]


def scene_page(stage: Stage) -> None:
    """A customer opens the public page, reports a broken promise and rates the team."""
    expect(bool(stage.page_url), "the promise page has no link")
    customer = Customer(stage.page_url)
    stage.say("customer →", "opens the promise page (a browser, no Slack account)")
    html = customer.open()
    text = page_text(html)
    for leak in ("ann", "bob", "cat", "dan", "lee", "Acme"):
        expect(not re.search(rf"\b{leak}\b", text, re.IGNORECASE), f"the page shows {leak!r}")
    stage.say("customer ←", "\n".join(text.splitlines()[:14]))
    stage.say("customer →", "“Did we break our promise to you?”: no reply for two days (contact)")
    thanks = customer.post(
        "broke",
        {"what": "No reply to my ticket for two days.", "contact": "pat@customer.example"},
    )
    expect_in("Thank you for telling us", thanks, "the thanks page")
    stage.say("customer ←", page_text(thanks))
    stage.settle()
    stage.show()
    expect_in("reported by a customer", breaks_posted(stage)[-1].all_text(), "the customer's break")
    expect(
        "pat@customer" not in breaks_posted(stage)[-1].all_text(),
        "the customer's contact reached the channel",
    )
    stage.say("customer →", "“How did we do?”: 4 · good call, quick fix")
    thanks = customer.post("rate", {"score": "4", "comment": "Good call, quick fix"})
    expect_in("Thank you for rating us", thanks, "the thanks page after rating")
    stage.say("customer ←", page_text(thanks))
    take_screenshot(stage, stage.page_url)


def take_screenshot(stage: Stage, url: str) -> None:
    """A PNG of the page beside the transcript, by headless Chromium (noted if absent)."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if stage.folder is None or chromium is None:
        stage.out.note("no chromium on this machine, so no screenshot of the page")
        return
    stage.folder.mkdir(parents=True, exist_ok=True)
    target = stage.folder / SCREENSHOT
    with tempfile.TemporaryDirectory(prefix="oneness-demo-chromium-") as profile:
        done = subprocess.run(
            [
                chromium,
                *CHROMIUM_FLAGS,
                f"--user-data-dir={profile}",
                "--hide-scrollbars",
                "--window-size=1000,2600",
                f"--screenshot={target}",
                url,
            ],
            capture_output=True,
            timeout=90,
            check=False,
        )
    expect(
        done.returncode == 0 and target.is_file(),
        f"chromium could not take the screenshot: {done.stderr.decode()[-300:]}",
    )
    stage.out.note(f"screenshot of the page: {target}")


Scene = tuple[str, Callable[[Stage], None]]

SCENES: list[Scene] = [
    ("The cast: a lead, four members, a bot and a deactivated account", scene_cast),
    ("Help", scene_help),
    ("Lead sets up team Rocket in #team", scene_setup),
    ("Lead adds ann, bob, cat and dan", scene_add_members),
    ("Each member was told, with a way out", scene_welcome),
    ("dan adds ann to his own team; she leaves", scene_leave),
    ("A bot and a deactivated account cannot join", scene_add_refused),
    ("Only leads change membership", scene_not_a_lead),
    ("ann becomes a lead too", scene_lead),
    ("Remove (and re-add) dan", scene_remove),
    ("An unknown subcommand", scene_unknown),
    ("Schedule: Fridays 15:00 London, remind after 24h", scene_schedule),
    ("The lead sets the team's promise to customers and its public page", scene_promise),
    ("Friday 15:00: the weekly prompts go out", scene_prompts),
    ("ann answers with a button", scene_answer_button),
    ("bob adds details in the form", scene_answer_modal),
    ("cat answers in text; dan fumbles", scene_answer_text),
    ("Did we keep our promise this week?", scene_promise_week),
    ("A day later: one reminder", scene_reminder),
    ("/oneness me and /oneness status", scene_me_and_status),
    ("Monday 09:00: the week closes with a summary and a chart", scene_summary),
    ("The lead looks at cat's trend", scene_trend),
    ("Tuesday: dan's score drops and the team is nudged", scene_drop),
    ("Told what was shared, and Withdraw", scene_told_and_withdraw),
    ("The team rallies: an offer, an owner, an accepted offer", scene_offer_and_owner),
    ("Three days on: did the help land?", scene_followup),
    ("A broken promise is owned until the remedy lands", scene_break),
    ("A customer reports a break and rates the team on the public page", scene_page),
    ("Seven more weeks, fast-forwarded", scene_weeks),
    ("The lead exports the answers", scene_export),
    ("cat asks to be forgotten", scene_forget),
    ("Channel access: the bot is not in #support until the lead invites it", scene_channel_access),
]


# running


def quiet_logging(level: str = "WARNING") -> None:
    """Only `level` and above (warnings and errors unless LOG_LEVEL says otherwise) from the
    bot and its libraries, on stderr."""
    root = logging.getLogger()
    if not root.handlers:
        logging.basicConfig(stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s")
    root.setLevel(level)
    for name in ("oneness", "slack_bolt", "slack_sdk", "waitress", "urllib3", "sqlalchemy"):
        logging.getLogger(name).setLevel(level)


@contextmanager
def running_stage(
    workdir: Path, transcript: Transcript, log_level: str = "WARNING"
) -> Iterator[Stage]:
    """The local Slack and the real bot over HTTP on SQLite in `workdir`."""
    from storage.db import upgrade

    url = f"sqlite:///{workdir / 'oneness.db'}"
    upgrade(url)
    quiet_logging(log_level)  # migrations may reconfigure logging
    slack = LocalSlack(users=CAST, channels=CHANNELS, bot_user_id=BOT_USER).start()
    secret = secrets.token_hex(16)
    clock = FakeClock(START)
    port = _free_port()  # known before the bot starts, so the page's links are whole
    settings = Settings(
        bot_token=slack.bot_token,
        signing_secret=secret,
        api_url=slack.api_url,
        database_url=url,
        log_level=log_level,
        public_url=f"http://127.0.0.1:{port}",
    )
    deps = build_deps(settings, clock=clock, workers=4)
    server: HttpServer | None = None
    try:
        app = create_app(deps)
        wsgi = OnenessWSGI(app, deps.engine, pages=PromisePage(deps))
        server = HttpServer(wsgi, host="127.0.0.1", port=port, threads=4)
        server.start_in_thread()
        driver = SlackDriver(
            slack, bot_url=f"http://127.0.0.1:{server.port}/slack/events", signing_secret=secret
        )
        yield Stage(slack, driver, deps, clock, transcript)
    finally:
        deps.executor.wait_idle(WAIT)
        if server is not None:
            server.close()
        deps.close()
        slack.stop()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def save_files(stage: Stage, folder: Path) -> None:
    """Write every chart and export the bot uploaded into the output folder."""
    folder.mkdir(parents=True, exist_ok=True)
    for file in stage.slack.files:
        (folder / f"{file.id}-{file.filename}").write_bytes(file.content)


def play(stage: Stage, scenes: list[Scene]) -> None:
    """Run the scenes in order, each under its heading."""
    for number, (title, scene) in enumerate(scenes, start=1):
        stage.out.heading(f"{number}. {title}")
        scene(stage)


def run_demo(
    out: str | None = None, *, stream: TextIO | None = None, log_level: str = "WARNING"
) -> int:
    """Play the demo, print and save the transcript; 0 on success, 1 if a scene failed."""
    stream = stream if stream is not None else sys.stdout
    folder = Path(out) if out else Path(tempfile.mkdtemp(prefix="oneness-demo-"))
    transcript = Transcript(stream)
    transcript.heading("Oneness demo: team Rocket's week on a local Slack (no account needed)")
    started = time.monotonic()
    failure: str | None = None
    with tempfile.TemporaryDirectory(prefix="oneness-demo-db-") as workdir:
        try:
            with running_stage(Path(workdir), transcript, log_level) as stage:
                stage.folder = folder
                try:
                    play(stage, SCENES)
                finally:
                    save_files(stage, folder)
        except DemoFailure as error:
            failure = str(error)
        except Exception as error:  # any crash is reported as a failed demo
            traceback.print_exc()
            failure = f"{type(error).__name__}: {error}"
    if failure:
        transcript.heading("DEMO FAILED")
        transcript.entry("✗", failure)
    path = transcript.save(folder)
    elapsed = time.monotonic() - started
    print(f"\ntranscript: {path}  ({elapsed:.1f}s)", file=stream)
    print(f"charts, exports and the page's screenshot: {folder}", file=stream)
    if failure:
        print(f"oneness demo: FAILED: {failure}", file=sys.stderr)
        return 1
    return 0


__all__ = ["SCENES", "DemoFailure", "Stage", "Transcript", "run_demo"]
