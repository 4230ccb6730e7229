"""The `/oneness` grammar: text in, a typed command out, or a UsageError saying what to type."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.platform.errors import UsageError
from bot.platform.escape import escape
from bot.platform.mentions import ChannelRef, UserRef, parse_channel, parse_user
from bot.promise.rules import CONTACT_LIMIT, WHAT_LIMIT
from bot.teams.rules import name_problem

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_WEEKDAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")

HELP_LINES: tuple[tuple[str, str], ...] = (
    ("help", "this list"),
    ("setup", "modal: name, channel, members, leads, schedule"),
    ("setup #channel [name]", "bind a team to #channel, with me as lead"),
    ("checkin", "open my check-in now (a pulse outside the week)"),
    ("me", "my recent scores and trend (only I see it)"),
    ("status", "this week: who answered (names and mean for leads, counts for members)"),
    ("leave", "leave the team (also a button in the welcome DM)"),
    ("trend @user", "lead: that member's history"),
    ("add @a @b / remove @a", "lead: membership"),
    ("lead @a", "lead: make a lead"),
    ("step-down [@next]", "lead: stop being a lead (the last lead names the next one)"),
    ("schedule fri 15:00 Europe/London", "lead: when prompts go out (`local`: each member's zone)"),
    ("summary-at mon 09:00", "lead: when the week closes and the summary posts"),
    ("rule floor 4 drop 2", "lead: the drop rule"),
    ("pause @a until 2026-12-24", "lead: no prompts while away (`pause me until …` for myself)"),
    ("remind 24h | off", "lead: one reminder to those who have not answered"),
    ("send", "lead: send this week's prompts now (idempotent)"),
    ("summary", "lead: post this week's summary now (the week stays open)"),
    ("csat @a 4 [note]", "lead: log a customer rating (1-5); `csat team 4` for the team"),
    ("export [2026-01-01..2026-06-30]", "lead: CSV of the team's answers, by DM"),
    ("forget me", "delete my answers and history"),
    ("promise", "the team's promise to customers (lead: set it in a modal)"),
    ("promise page on|off|rotate", "lead: the team's public promise page and its link"),
    ("broke <what happened>", "report a broken promise; someone owns the remedy"),
    ("forget contact <email or phone>", "lead: remove a customer's contact from reported breaks"),
)


@dataclass(frozen=True)
class Command:
    """Base of every parsed command; `team` is the `team:<name>` selector if given."""

    team: str | None = field(default=None, kw_only=True)


@dataclass(frozen=True)
class Help(Command):
    """Show the command list."""


@dataclass(frozen=True)
class SetupModal(Command):
    """Open the setup modal."""


@dataclass(frozen=True)
class SetupInline(Command):
    """Bind a team to a channel in one line, the caller as lead."""

    channel: ChannelRef
    name: str | None = None


@dataclass(frozen=True)
class OpenCheckIn(Command):
    """Open the check-in modal for a pulse."""


@dataclass(frozen=True)
class Me(Command):
    """My recent scores."""


@dataclass(frozen=True)
class Status(Command):
    """This week's answers."""


@dataclass(frozen=True)
class Leave(Command):
    """Leave the team."""


@dataclass(frozen=True)
class Trend(Command):
    """A member's history (lead)."""

    user: UserRef


@dataclass(frozen=True)
class AddMembers(Command):
    """Add members (lead)."""

    users: tuple[UserRef, ...]


@dataclass(frozen=True)
class RemoveMembers(Command):
    """Remove members (lead)."""

    users: tuple[UserRef, ...]


@dataclass(frozen=True)
class MakeLeads(Command):
    """Make people leads (lead)."""

    users: tuple[UserRef, ...]


@dataclass(frozen=True)
class StepDown(Command):
    """Stop being a lead, naming the next lead when I am the last (lead)."""

    successor: UserRef | None = None


@dataclass(frozen=True)
class SetSchedule(Command):
    """When prompts go out (lead); tz "local" means each member's own zone."""

    weekday: str
    time: str
    tz: str | None


@dataclass(frozen=True)
class SetSummaryAt(Command):
    """When the week closes (lead)."""

    weekday: str
    time: str


@dataclass(frozen=True)
class SetRule(Command):
    """The drop rule (lead)."""

    floor: int
    delta: int


@dataclass(frozen=True)
class Pause(Command):
    """No prompts until a date; user None means the caller."""

    user: UserRef | None
    until: date


@dataclass(frozen=True)
class SetRemind(Command):
    """Reminder delay in minutes, or None for off (lead)."""

    minutes: int | None


@dataclass(frozen=True)
class SendPrompts(Command):
    """Send this week's prompts now (lead)."""


@dataclass(frozen=True)
class PostSummary(Command):
    """Post this week's summary now (lead)."""


@dataclass(frozen=True)
class LogCsat(Command):
    """A customer rating for a member, or the team when user is None (lead)."""

    user: UserRef | None
    score: int
    note: str = ""


@dataclass(frozen=True)
class Export(Command):
    """CSV of the team's answers (lead), optionally within dates."""

    start: date | None = None
    end: date | None = None


@dataclass(frozen=True)
class ForgetMe(Command):
    """Delete my answers and history."""


@dataclass(frozen=True)
class ShowPromise(Command):
    """The team's promise to customers; for a lead, the modal that sets it."""


@dataclass(frozen=True)
class ManagePage(Command):
    """The public promise page (lead): on, off, rotate, or None to show its link."""

    action: str | None = None


@dataclass(frozen=True)
class ReportBreak(Command):
    """Report a broken promise; `what` is what happened, as typed."""

    what: str


@dataclass(frozen=True)
class ForgetContact(Command):
    """Remove a customer's contact from the team's reported breaks (lead)."""

    contact: str


_TEAM_SELECTOR = re.compile(r"(?:^|\s)team:(\"[^\"]+\"|\S+)")
_TIME = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
_DURATION = re.compile(r"^(\d{1,3})(m|h|d)$")


def parse(text: str) -> Command:
    """Parse the text after `/oneness`."""
    text = (text or "").strip()
    team: str | None = None
    selector = _TEAM_SELECTOR.search(text)
    if selector:
        team = selector.group(1).strip('"')
        text = (text[: selector.start()] + " " + text[selector.end() :]).strip()
    words = text.split()
    if not words:
        return Help(team=team)
    verb, args = words[0].lower(), words[1:]
    if verb == "broke":
        # Free text: kept as typed (line breaks and spacing), not as split words.
        return _broke(text[len(words[0]) :].strip(), team)
    parser = _PARSERS.get(verb)
    if parser is None:
        if verb == "forget":
            return _forget(args, team)
        raise UsageError(
            f"I don't know `{_quote(words[0])}`. Try `/oneness help` for the list, "
            "for example `/oneness status` or `/oneness checkin`."
        )
    command: Command = parser(args, team)
    return command


def help_lines() -> list[tuple[str, str]]:
    """The help list as (usage, meaning) pairs."""
    return list(HELP_LINES)


def _quote(word: str) -> str:
    """A word the person typed, shown back inside backticks: short and inert."""
    return escape(word.replace("`", "'")[:40])


def _no_args(cls: type[Command], usage: str) -> Callable[[list[str], str | None], Command]:
    def parser(args: list[str], team: str | None) -> Command:
        if args:
            raise UsageError(f"`{usage}` takes nothing after it. Type `/oneness {usage}`.")
        return cls(team=team)

    return parser


def _setup(args: list[str], team: str | None) -> Command:
    if not args:
        return SetupModal(team=team)
    channel = parse_channel(args[0])
    if channel is None:
        raise UsageError(
            "`setup` takes a channel first: `/oneness setup #team-channel [team name]`, "
            "or `/oneness setup` alone for the form."
        )
    name = " ".join(args[1:]).strip() or None
    if name is not None and (problem := name_problem(name)) is not None:
        raise UsageError(f"{problem}: `/oneness setup #team-channel Rocket Team`.")
    return SetupInline(channel, name, team=team)


def _users(args: list[str], usage: str) -> tuple[UserRef, ...]:
    if not args:
        raise UsageError(f"Name at least one person: `/oneness {usage}`.")
    refs: list[UserRef] = []
    for arg in args:
        ref = parse_user(arg)
        if ref is None:
            raise UsageError(
                f"`{_quote(arg)}` is not a person. Mention them with @: `/oneness {usage}`."
            )
        if ref not in refs:
            refs.append(ref)
    return tuple(refs)


def _add(args: list[str], team: str | None) -> Command:
    return AddMembers(_users(args, "add @ann @bob"), team=team)


def _remove(args: list[str], team: str | None) -> Command:
    return RemoveMembers(_users(args, "remove @ann"), team=team)


def _lead(args: list[str], team: str | None) -> Command:
    return MakeLeads(_users(args, "lead @ann"), team=team)


def _step_down(args: list[str], team: str | None) -> Command:
    if not args:
        return StepDown(team=team)
    users = _users(args, "step-down @ann")
    if len(users) != 1:
        raise UsageError("`step-down` takes at most one person, the next lead: `step-down @ann`.")
    return StepDown(users[0], team=team)


def _trend(args: list[str], team: str | None) -> Command:
    users = _users(args, "trend @ann")
    if len(users) != 1:
        raise UsageError("`trend` takes one person: `/oneness trend @ann`.")
    return Trend(users[0], team=team)


def parse_weekday(word: str) -> str:
    """`fri`, `Friday`, `FRI` -> `fri`."""
    key = word.lower()
    for short, full in zip(WEEKDAYS, _WEEKDAY_NAMES, strict=True):
        if key in (short, full):
            return short
    raise UsageError(f"`{_quote(word)}` is not a weekday; use mon, tue, wed, thu, fri, sat or sun.")


def parse_time(word: str) -> str:
    """`9:00` or `15:30` -> `09:00` / `15:30`."""
    match = _TIME.match(word)
    if not match:
        raise UsageError(f"`{_quote(word)}` is not a time; use 24-hour HH:MM such as 15:00.")
    return f"{int(match.group(1)):02d}:{match.group(2)}"


def parse_zone(word: str) -> str:
    """An IANA zone name, or `local`."""
    if word.lower() == "local":
        return "local"
    try:
        ZoneInfo(word)
    except (ZoneInfoNotFoundError, ValueError):
        raise UsageError(
            f"`{_quote(word)}` is not a time zone; use an IANA name such as Europe/London "
            "or America/New_York, or `local` for each member's own zone."
        ) from None
    return word


def _schedule(args: list[str], team: str | None) -> Command:
    usage = "Type `/oneness schedule fri 15:00 Europe/London` (or `local` for each member's zone)."
    if len(args) not in (2, 3):
        raise UsageError(f"`schedule` needs a weekday and a time. {usage}")
    weekday, time = parse_weekday(args[0]), parse_time(args[1])
    tz = parse_zone(args[2]) if len(args) == 3 else None
    return SetSchedule(weekday, time, tz, team=team)


def _summary_at(args: list[str], team: str | None) -> Command:
    if len(args) != 2:
        raise UsageError(
            "`summary-at` needs a weekday and a time: `/oneness summary-at mon 09:00`."
        )
    return SetSummaryAt(parse_weekday(args[0]), parse_time(args[1]), team=team)


def _int_in(word: str, low: int, high: int, what: str) -> int:
    if not re.fullmatch(r"\d{1,3}", word) or not low <= int(word) <= high:
        raise UsageError(
            f"{what} must be a whole number from {low} to {high}, not `{_quote(word)}`."
        )
    return int(word)


def _rule(args: list[str], team: str | None) -> Command:
    usage = "Type `/oneness rule floor 4 drop 2`."
    if len(args) != 4 or args[0].lower() != "floor" or args[2].lower() != "drop":
        raise UsageError(f"`rule` sets the floor and the drop together. {usage}")
    return SetRule(
        _int_in(args[1], 1, 10, "The floor"), _int_in(args[3], 1, 9, "The drop"), team=team
    )


def parse_date(word: str) -> date:
    """An ISO date, or a UsageError."""
    try:
        return date.fromisoformat(word)
    except ValueError:
        raise UsageError(
            f"`{_quote(word)}` is not a date; use YYYY-MM-DD such as 2026-12-24."
        ) from None


def _pause(args: list[str], team: str | None) -> Command:
    usage = "Type `/oneness pause @ann until 2026-12-24` or `/oneness pause me until 2026-12-24`."
    if len(args) != 3 or args[1].lower() != "until":
        raise UsageError(f"`pause` needs a person and a date. {usage}")
    user: UserRef | None
    if args[0].lower() == "me":
        user = None
    else:
        user = parse_user(args[0])
        if user is None:
            raise UsageError(f"`{_quote(args[0])}` is not a person. {usage}")
    return Pause(user, parse_date(args[2]), team=team)


def _remind(args: list[str], team: str | None) -> Command:
    usage = "Type `/oneness remind 24h`, `/oneness remind 90m` or `/oneness remind off`."
    if len(args) != 1:
        raise UsageError(f"`remind` takes a delay or `off`. {usage}")
    word = args[0].lower()
    if word == "off":
        return SetRemind(None, team=team)
    match = _DURATION.match(word)
    if not match:
        raise UsageError(f"`{_quote(args[0])}` is not a delay. {usage}")
    minutes = int(match.group(1)) * {"m": 1, "h": 60, "d": 1440}[match.group(2)]
    if not 30 <= minutes <= 6 * 1440:
        raise UsageError(f"A reminder delay goes from 30m to 6d. {usage}")
    return SetRemind(minutes, team=team)


def _csat(args: list[str], team: str | None) -> Command:
    usage = "Type `/oneness csat @ann 4 [note]` or `/oneness csat team 4 [note]`."
    if len(args) < 2:
        raise UsageError(f"`csat` needs a person (or `team`) and a score from 1 to 5. {usage}")
    user: UserRef | None
    if args[0].lower() == "team":
        user = None
    else:
        user = parse_user(args[0])
        if user is None:
            raise UsageError(f"`{_quote(args[0])}` is not a person. {usage}")
    score = _int_in(args[1], 1, 5, "A customer rating")
    note = " ".join(args[2:])
    if len(note) > 1000:
        raise UsageError("A customer rating note can be at most 1,000 characters.")
    return LogCsat(user, score, note, team=team)


def _export(args: list[str], team: str | None) -> Command:
    if not args:
        return Export(team=team)
    usage = "Type `/oneness export` or `/oneness export 2026-01-01..2026-06-30`."
    if len(args) != 1 or ".." not in args[0]:
        raise UsageError(f"`export` takes an optional date range. {usage}")
    start_text, end_text = args[0].split("..", 1)
    start, end = parse_date(start_text), parse_date(end_text)
    if end < start:
        raise UsageError(f"The range ends before it starts. {usage}")
    return Export(start, end, team=team)


def _forget(args: list[str], team: str | None) -> Command:
    if args and args[0].lower() == "contact":
        contact = " ".join(args[1:]).strip()
        if not contact or len(contact) > CONTACT_LIMIT:
            raise UsageError(
                "Name the contact a customer left: `/oneness forget contact ann@example.com`."
            )
        return ForgetContact(contact, team=team)
    if [a.lower() for a in args] != ["me"]:
        raise UsageError("Type `/oneness forget me` to delete your answers and history.")
    return ForgetMe(team=team)


def _promise(args: list[str], team: str | None) -> Command:
    if not args:
        return ShowPromise(team=team)
    usage = "Type `/oneness promise`, or `/oneness promise page on`, `off` or `rotate`."
    if args[0].lower() != "page" or len(args) > 2:
        raise UsageError(f"`promise` takes nothing, or `page` and what to do. {usage}")
    if len(args) == 1:
        return ManagePage(None, team=team)
    action = args[1].lower()
    if action not in ("on", "off", "rotate"):
        raise UsageError(f"`{_quote(args[1])}` is not something a page does. {usage}")
    return ManagePage(action, team=team)


def _broke(what: str, team: str | None) -> Command:
    if not what:
        raise UsageError(
            "Say what happened: `/oneness broke a customer waited three days for a reply`."
        )
    if len(what) > WHAT_LIMIT:
        raise UsageError(
            f"Say it in at most {WHAT_LIMIT:,} characters ({len(what):,} now); the details can "
            "follow in the thread."
        )
    return ReportBreak(what, team=team)


_PARSERS = {
    "help": _no_args(Help, "help"),
    "setup": _setup,
    "checkin": _no_args(OpenCheckIn, "checkin"),
    "check-in": _no_args(OpenCheckIn, "checkin"),
    "me": _no_args(Me, "me"),
    "status": _no_args(Status, "status"),
    "leave": _no_args(Leave, "leave"),
    "trend": _trend,
    "add": _add,
    "remove": _remove,
    "lead": _lead,
    "step-down": _step_down,
    "schedule": _schedule,
    "summary-at": _summary_at,
    "rule": _rule,
    "pause": _pause,
    "remind": _remind,
    "send": _no_args(SendPrompts, "send"),
    "summary": _no_args(PostSummary, "summary"),
    "csat": _csat,
    "export": _export,
    "promise": _promise,
}
