"""The promise's use cases: set and show it, the weekly answers, breaks owned until the remedy
lands, the page's switch, and the due work (reminders, escalations) the tick hands over."""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.access.post import post_in_channel
from bot.platform.blocks import Block, Reply
from bot.platform.config import Settings
from bot.platform.delivery import Outgoing, deliver
from bot.platform.deps import Deps
from bot.platform.errors import Conflict, NotAllowed, NotFound, UsageError
from bot.platform.escape import escape
from bot.promise.blocks import (
    BreakCard,
    PromiseAsk,
    PromiseView,
    break_message,
    broken_modal,
    due_message,
    escalation_message,
    home_blocks,
    leads_report_message,
    owner_message,
    page_reply,
    promise_modal,
    promise_posted,
    promise_reply,
    reminder_message,
    report_modal,
    reported_reply,
)
from bot.promise.rules import (
    WHAT_LIMIT,
    BreakFact,
    Draft,
    PromiseLine,
    Record,
    build_record,
    check_break,
    clean,
    escalate_at,
    promise_line,
    record_weeks,
    remedy_due,
    reminder_at,
)
from bot.schedule.calendar import week_label, week_monday, zone
from storage import checkin as checkin_store
from storage import delivery as ledger
from storage import promise as store
from storage import teams as team_store
from storage.db import transaction
from storage.kinds import BreakOrigin, BreakSource, BreakStatus, DeliveryStatus
from storage.models import Cycle, Promise, PromiseAnswer, PromiseBreak, PromisePage, Team

log = logging.getLogger("oneness.promise")

PAGE_PATH = "/p/"
TOKEN_BYTES = 24  # 192 bits: secrets.token_urlsafe(24) is 32 characters


def _view(team: Team, promise: Promise) -> PromiseView:
    return PromiseView(
        team_name=team.name,
        pledge=promise.pledge,
        customer_must=promise.customer_must,
        remedy=promise.remedy,
        remedy_hours=promise.remedy_hours,
        set_by=promise.set_by,
        created_at=promise.created_at,
    )


def _team(session: Session, team_id: int) -> Team:
    team = team_store.team_by_id(session, team_id)
    if team is None:
        raise NotFound("That team no longer exists.")
    return team


def _require_lead(session: Session, team: Team, user_id: str, doing: str) -> None:
    if not team_store.is_lead(session, team.id, user_id):
        raise NotAllowed(f"Only leads of {escape(team.name)} can {doing}.")


def _require_team_member(session: Session, team: Team, user_id: str, doing: str) -> None:
    """Members and leads of the team may; anyone else is refused."""
    member = team_store.member(session, team.id, user_id)
    if (member is None or not member.active) and not team_store.is_lead(session, team.id, user_id):
        raise NotAllowed(f"Only members and leads of {escape(team.name)} can {doing}.")


def _no_promise_yet(team: Team) -> NotFound:
    return NotFound(
        f"{escape(team.name)} has no promise to customers yet, so nothing can be broken. "
        "A lead sets it with `/oneness promise`."
    )


def _dm(deps: Deps, key: str, user_id: str, message: Reply) -> None:
    deliver(
        deps,
        Outgoing(
            key=key,
            kind="promise",
            channel=user_id,
            text=message.text,
            blocks=message.blocks,
            user_id=user_id,
        ),
    )


# the promise


def promise_command(deps: Deps, user_id: str, team_id: int, trigger_id: str | None) -> Reply | None:
    """`/oneness promise`: a lead gets the form (None: a modal opened), anyone else the promise."""
    with transaction(deps.sessions) as session:
        team = _team(session, team_id)
        if not team_store.is_lead(session, team.id, user_id):
            return show_promise(session, deps.settings, team, deps.clock.now())
        current = store.current_promise(session, team.id)
        view = promise_modal(team.id, team.name, _view(team, current) if current else None)
    deps.client.views_open(trigger_id=trigger_id, view=view)
    return None


def show_promise(session: Session, settings: Settings, team: Team, now: datetime) -> Reply:
    """The promise in force, its record and its page link if the page is on."""
    current = store.current_promise(session, team.id)
    if current is None:
        return promise_reply(None, team_name=team.name, record=None, earlier=[], link=None)
    page = store.page_of_team(session, team.id)
    link = page_link(settings, page.token) if page is not None and page.enabled else None
    return promise_reply(
        _view(team, current),
        team_name=team.name,
        record=team_record(session, team.id, team.timezone, now),
        earlier=[
            (p.pledge, p.superseded_at)
            for p in store.promise_history(session, team.id, 11)
            if p.superseded_at is not None
        ],
        link=link,
    )


def save_promise(deps: Deps, user_id: str, team_id: int, draft: Draft) -> str:
    """Store a lead's promise as the team's new record and post it in the channel."""
    now = deps.clock.now()
    with transaction(deps.sessions) as session:
        team = _team(session, team_id)
        _require_lead(session, team, user_id, "set the promise")
        current = store.current_promise(session, team.id)
        same = current is not None and (
            current.pledge,
            current.customer_must,
            current.remedy,
            current.remedy_hours,
        ) == (draft.pledge, draft.customer_must, draft.remedy, draft.remedy_hours)
        if same:
            return f"{escape(team.name)}'s promise is unchanged."
        row = Promise(
            team_id=team.id,
            pledge=draft.pledge,
            customer_must=draft.customer_must,
            remedy=draft.remedy,
            remedy_hours=draft.remedy_hours,
            set_by=user_id,
            created_at=now,
        )
        try:
            store.replace_promise(session, row, now)
        except IntegrityError:
            raise Conflict(
                "Another lead saved the promise at the same moment; try again."
            ) from None
        message = promise_posted(_view(team, row), changed=current is not None)
        promise_id, channel, name = row.id, team.channel_id, team.name
    _post_promise(deps, promise_id, channel, message)
    return f"Saved {escape(name)}'s promise and posted it in <#{channel}>."


def repost_promise(deps: Deps, promise_id: int) -> None:
    """Post a promise that waited for the bot to be invited, if it is still the current one."""
    with transaction(deps.sessions) as session:
        row = store.promise_by_id(session, promise_id)
        team = team_store.team_by_id(session, row.team_id) if row is not None else None
        if row is None or team is None or row.superseded_at is not None:
            return
        message = promise_posted(_view(team, row), changed=False)
        channel = team.channel_id
    _post_promise(deps, promise_id, channel, message)


def _post_promise(deps: Deps, promise_id: int, channel: str, message: Reply) -> None:
    """Post a promise in its team's channel, once per promise (it may wait for `/invite`)."""
    post_in_channel(
        deps,
        Outgoing(
            key=f"promise:{promise_id}:posted",
            kind="promise",
            channel=channel,
            text=message.text,
            blocks=message.blocks,
        ),
    )


def page_link(settings: Settings, token: str) -> str:
    """The page's address: whole with ONENESS_PUBLIC_URL, else its path to put after the host."""
    path = f"{PAGE_PATH}{token}"
    if settings.public_url:
        return settings.public_url + path
    return f"`{path}` (set ONENESS_PUBLIC_URL to get a whole link)"


def page_command(deps: Deps, user_id: str, team_id: int, action: str | None) -> Reply:
    """`/oneness promise page [on|off|rotate]` (lead): switch the page and show its link."""
    now = deps.clock.now()
    with transaction(deps.sessions) as session:
        team = _team(session, team_id)
        _require_lead(session, team, user_id, "manage the promise page")
        page = store.page_of_team(session, team.id)
        if action == "on" and store.current_promise(session, team.id) is None:
            raise NotFound(
                f"{escape(team.name)} has no promise yet, so there is nothing to show. "
                "Set it first with `/oneness promise`."
            )
        if page is None:
            if action != "on":
                return page_reply(team.name, "", enabled=False)
            page = store.save_page(
                session,
                PromisePage(
                    team_id=team.id,
                    token=secrets.token_urlsafe(TOKEN_BYTES),
                    enabled=True,
                    created_at=now,
                    updated_at=now,
                ),
            )
        elif action in ("on", "off"):
            page.enabled, page.updated_at = action == "on", now
        elif action == "rotate":
            # A new token: the old link stops working at once, on every replica.
            page.token, page.updated_at = secrets.token_urlsafe(TOKEN_BYTES), now
        log.info("promise page of team %s: %s", team.id, action or "shown")
        return page_reply(
            team.name,
            page_link(deps.settings, page.token),
            enabled=page.enabled,
            rotated=action == "rotate",
        )


# the record


def team_record(
    session: Session, team_id: int, timezone: str, now: datetime, upto_week: str | None = None
) -> Record:
    """The last 12 weeks of a team (ending with `upto_week`, else this week in its zone), in
    two queries bounded by the weeks, however long the team's history."""
    tz = zone(timezone)
    weeks = record_weeks(upto_week or week_label(now, tz))
    since = datetime.combine(week_monday(weeks[0]), datetime.min.time(), tz)
    facts = [
        BreakFact(b.source, week_label(b.created_at, tz), b.status, b.remedy_due_at, b.closed_at)
        for b in store.breaks_since(session, team_id, since)
    ]
    return build_record(weeks, store.answer_counts(session, team_id, weeks), facts, now)


def summary_line(session: Session, team: Team, cycle: Cycle, now: datetime) -> PromiseLine | None:
    """The promise's figures for a week's summary; None when the team has no promise."""
    current = store.current_promise(session, team.id)
    if current is None:
        return None
    record = team_record(session, team.id, team.timezone, now, upto_week=cycle.week)
    return promise_line(current.pledge, current.remedy, current.remedy_hours, record, cycle.week)


# the weekly question


def prompt_ask(
    session: Session, team_id: int, cycle: Cycle, user_id: str | None, now: datetime
) -> PromiseAsk | None:
    """The prompt's promise question for a member (None when the team has no promise)."""
    current = store.current_promise(session, team_id)
    if current is None:
        return None
    answer = store.weekly_answer(session, cycle.id, user_id) if user_id else None
    return PromiseAsk(
        cycle_id=cycle.id,
        pledge=current.pledge,
        kept=answer.kept if answer else None,
        times=answer.times if answer else 0,
        open_=cycle.closed_at is None and now < cycle.closes_at,
    )


def _open_week(session: Session, cycle_id: int, user_id: str, now: datetime) -> tuple[Team, Cycle]:
    cycle = checkin_store.cycle_by_id(session, cycle_id)
    if cycle is None:
        raise NotFound("That week no longer exists.")
    team = _team(session, cycle.team_id)
    member = team_store.member(session, team.id, user_id)
    if member is None or not member.active:
        raise NotAllowed(
            f"You are not a member of {escape(team.name)}, so there is nothing to answer."
        )
    if cycle.closed_at is not None or now >= cycle.closes_at:
        raise Conflict(f"Week {cycle.week} has closed, so its answer can't change.")
    return team, cycle


def broken_modal_for(deps: Deps, user_id: str, cycle_id: int) -> Block:
    """The Broken modal for a member's open week."""
    with transaction(deps.sessions) as session:
        team, cycle = _open_week(session, cycle_id, user_id, deps.clock.now())
        return broken_modal(cycle.id, team.name)


def answer_week(
    deps: Deps, user_id: str, cycle_id: int, *, kept: bool, times: int = 0, note: str = ""
) -> None:
    """Store a member's "did we keep our promise?" for a week; a later answer replaces it."""
    now = deps.clock.now()
    with transaction(deps.sessions) as session:
        team, cycle = _open_week(session, cycle_id, user_id, now)
        current = store.current_promise(session, team.id)
        if current is None:
            raise NotFound(f"{escape(team.name)} has no promise to answer about.")
        row = store.weekly_answer(session, cycle.id, user_id)
        if row is None:
            row = store.add_answer(
                session,
                PromiseAnswer(
                    team_id=team.id,
                    cycle_id=cycle.id,
                    user_id=user_id,
                    promise_id=current.id,
                    kept=kept,
                    times=0 if kept else times,
                    note="" if kept else note,
                    created_at=now,
                    updated_at=now,
                ),
            )
            if row is not None:
                return
            # A double click stored it a moment ago; this answer replaces it.
            row = store.weekly_answer(session, cycle.id, user_id)
            assert row is not None
        row.kept, row.times, row.note = kept, 0 if kept else times, "" if kept else note
        row.promise_id, row.updated_at = current.id, now


# breaks


def _card(session: Session, row: PromiseBreak, *, with_contact: bool = False) -> BreakCard:
    team = _team(session, row.team_id)
    promise = store.promise_by_id(session, row.promise_id) if row.promise_id else None
    return BreakCard(
        break_id=row.id,
        team_name=team.name,
        source=row.source,
        reported_by=row.reported_by,
        what=row.what,
        remedy=promise.remedy if promise else "as the team promised",
        remedy_hours=promise.remedy_hours if promise else 0,
        due_at=row.remedy_due_at,
        owner_id=row.owner_id,
        status=row.status,
        closed_at=row.closed_at,
        contact=row.contact if with_contact else None,
    )


def report_break(
    session: Session,
    team: Team,
    *,
    source: BreakSource,
    origin: BreakOrigin,
    reported_by: str | None,
    what: str,
    contact: str | None,
    now: datetime,
) -> int:
    """Store a break against the promise in force; its remedy is due within the promise's
    window. Posting it is `post_break`'s (after the commit, so a crash loses nothing)."""
    what, contact = clean(what), clean(contact) or None
    errors = check_break(what, contact or "")
    if errors:
        raise UsageError(" ".join(errors.values()))
    current = store.current_promise(session, team.id)
    if current is None:
        raise _no_promise_yet(team)
    row = store.add_break(
        session,
        PromiseBreak(
            team_id=team.id,
            promise_id=current.id,
            source=source,
            origin=origin,
            reported_by=reported_by,
            what=what,
            contact=contact,
            status=BreakStatus.OPEN,
            created_at=now,
            remedy_due_at=remedy_due(now, current.remedy_hours),
        ),
    )
    log.info("break %s reported in team %s (%s, %s)", row.id, team.id, source, origin)
    return row.id


def report_by_member(deps: Deps, user_id: str, team_id: int, what: str, origin: BreakOrigin) -> str:
    """A member or lead reports a break (`/oneness broke`, the shortcut); returns the thanks."""
    with transaction(deps.sessions) as session:
        team = _team(session, team_id)
        _require_team_member(session, team, user_id, "report a broken promise")
        break_id = report_break(
            session,
            team,
            source=BreakSource.TEAM,
            origin=origin,
            reported_by=user_id,
            what=what,
            contact=None,
            now=deps.clock.now(),
        )
        channel = team.channel_id
    post_break(deps, break_id)
    return reported_reply(channel)


def report_modal_for(deps: Deps, user_id: str, channel_id: str | None, text: str) -> Block:
    """The shortcut's form: the team of the channel, else the reporter's only team, else a
    choice among their teams; the message's words to edit."""
    with transaction(deps.sessions) as session:
        team = team_store.team_by_channel(session, channel_id) if channel_id else None
        if team is not None:
            _require_team_member(session, team, user_id, "report a broken promise")
            if store.current_promise(session, team.id) is None:
                raise _no_promise_yet(team)
        mine = [
            t
            for t in team_store.teams_of(session, user_id)
            if store.current_promise(session, t.id) is not None
        ]
        if team is None and not mine:
            raise NotFound(
                "None of your teams has a promise to customers yet, so nothing can be broken. "
                "A lead sets it with `/oneness promise`."
            )
        chosen = team.id if team is not None else (mine[0].id if len(mine) == 1 else None)
        return report_modal(clean(text)[:WHAT_LIMIT], [(t.id, t.name) for t in mine], chosen)


def post_break(deps: Deps, break_id: int) -> None:
    """Post a break in its team's channel once, and tell the leads of a customer's contact."""
    with transaction(deps.sessions) as session:
        row = store.break_by_id(session, break_id)
        if row is None:
            return
        card = _card(session, row, with_contact=True)
        channel = _team(session, row.team_id).channel_id
        leads = team_store.lead_ids(session, row.team_id)
        posted = row.message_ts is not None
    if not posted:
        message = break_message(card)
        done = post_in_channel(
            deps,
            Outgoing(
                key=f"break:{break_id}:post",
                kind="break",
                channel=channel,
                text=message.text,
                blocks=message.blocks,
            ),
        )
        if done.status == DeliveryStatus.SENT:
            with transaction(deps.sessions) as session:
                row = store.break_by_id(session, break_id)
                if row is not None:
                    row.channel_id, row.message_ts = done.channel_id, done.ts
    if card.source == BreakSource.CUSTOMER:
        for lead in leads:
            _dm(deps, f"break:{break_id}:leads:{lead}", lead, leads_report_message(card))


def refresh_break(deps: Deps, break_id: int) -> None:
    """Show a break's current state (owner, closed) in its channel post."""
    with transaction(deps.sessions) as session:
        row = store.break_by_id(session, break_id)
        if row is None or not row.channel_id or not row.message_ts:
            return
        card = _card(session, row)
        channel, ts = row.channel_id, row.message_ts
    message = break_message(card)
    deps.client.chat_update(channel=channel, ts=ts, text=message.text, blocks=message.blocks)


def refresh_lead_reports(deps: Deps, break_ids: list[int]) -> None:
    """Redo the leads' DMs of customer breaks (after their contact was forgotten)."""
    for break_id in break_ids:
        with transaction(deps.sessions) as session:
            row = store.break_by_id(session, break_id)
            if row is None:
                continue
            card = _card(session, row, with_contact=True)
            sent = [
                (d.channel_id, d.message_ts)
                for lead in team_store.lead_ids(session, row.team_id)
                if (d := ledger.get(session, f"break:{break_id}:leads:{lead}")) is not None
                and d.status == DeliveryStatus.SENT
                and d.channel_id
                and d.message_ts
            ]
        message = leads_report_message(card)
        for channel, ts in sent:
            deps.client.chat_update(
                channel=channel, ts=ts, text=message.text, blocks=message.blocks
            )


def own(deps: Deps, break_id: int, user_id: str) -> str:
    """Make a member or lead the one owner of a break's remedy; they get it and its deadline."""
    now = deps.clock.now()
    with transaction(deps.sessions) as session:
        row = store.break_by_id(session, break_id)
        if row is None:
            raise NotFound("That break no longer exists.")
        _require_team_member(session, _team(session, row.team_id), user_id, "own a remedy")
        if row.status != BreakStatus.OPEN:
            raise Conflict("This break is already closed. Thank you for looking out.")
        if row.owner_id == user_id:
            return "You already own this remedy."
        if not store.take_ownership(session, break_id, user_id, now):
            row = store.break_by_id(session, break_id)
            owner = row.owner_id if row else None
            if owner == user_id:
                return "You already own this remedy."
            raise Conflict(f"<@{owner}> already owns this remedy." if owner else "This is closed.")
        row = store.break_by_id(session, break_id)
        assert row is not None
        card = _card(session, row)
    _dm(deps, f"break:{break_id}:owner:{user_id}", user_id, owner_message(card))
    refresh_break(deps, break_id)
    return "You own this remedy now; I've sent you what happened and the deadline."


def _close(deps: Deps, break_id: int, user_id: str, status: BreakStatus) -> str:
    now = deps.clock.now()
    with transaction(deps.sessions) as session:
        row = store.break_by_id(session, break_id)
        if row is None:
            raise NotFound("That break no longer exists.")
        team = _team(session, row.team_id)
        if user_id != row.owner_id and not team_store.is_lead(session, team.id, user_id):
            raise NotAllowed(
                f"Only the remedy's owner or a lead of {escape(team.name)} can close it."
            )
        if row.status != BreakStatus.OPEN:
            return f"This is already closed: the remedy was {row.status}."
        row.status, row.closed_at, row.closed_by = status, now, user_id
        late = now > row.remedy_due_at
    refresh_break(deps, break_id)
    if status == BreakStatus.MISSED:
        return "Marked missed. The record counts it, and the customer's trust is worth a call."
    return "Marked delivered, after the deadline." if late else "Marked delivered, on time."


def delivered(deps: Deps, break_id: int, user_id: str) -> str:
    """The owner (or a lead) says the remedy landed."""
    return _close(deps, break_id, user_id, BreakStatus.DELIVERED)


def missed(deps: Deps, break_id: int, user_id: str) -> str:
    """The owner (or a lead) says the remedy did not land."""
    return _close(deps, break_id, user_id, BreakStatus.MISSED)


# the tick's work


@dataclass(frozen=True)
class _Due:
    unposted: list[int]
    escalations: list[int]
    reminders: list[int]
    deadlines: list[int]


def _due(session: Session, now: datetime) -> _Due:
    due = _Due([], [], [], [])
    for row in store.open_breaks(session):
        if row.message_ts is None:
            post = ledger.get(session, f"break:{row.id}:post")
            if post is None or post.status == DeliveryStatus.PENDING:
                due.unposted.append(row.id)  # a crash or Slack trouble left it unposted
        if row.owner_id is None and row.escalated_at is None and now >= escalate_at(row.created_at):
            due.escalations.append(row.id)
        if row.due_noted_at is None and now >= row.remedy_due_at:
            due.deadlines.append(row.id)
        elif (
            row.owner_id is not None
            and row.owned_at is not None
            and row.reminded_at is None
            and now >= (remind := reminder_at(row.created_at, row.remedy_due_at))
            # Owned after the reminder's moment: the owner's DM just gave the deadline.
            and row.owned_at < remind
        ):
            due.reminders.append(row.id)
    return due


def _mark(deps: Deps, break_id: int, field: str) -> None:
    with transaction(deps.sessions) as session:
        row = store.break_by_id(session, break_id)
        if row is not None:
            setattr(row, field, deps.clock.now())


def _open_card(deps: Deps, break_id: int) -> tuple[BreakCard, list[str]] | None:
    with transaction(deps.sessions) as session:
        row = store.break_by_id(session, break_id)
        if row is None or row.status != BreakStatus.OPEN:
            return None
        return _card(session, row), team_store.lead_ids(session, row.team_id)


def promise_due_work(deps: Deps) -> int:
    """Post breaks left unposted, tell the leads of unowned ones after 4 hours, remind owners
    before the deadline and ask at it; each message once. Returns how many were sent."""
    now = deps.clock.now()
    with transaction(deps.sessions) as session:
        due = _due(session, now)
        store.prune_rate_counts(session, now)
    sent = 0
    for break_id in due.unposted:
        post_break(deps, break_id)
    for break_id in due.escalations:
        found = _open_card(deps, break_id)
        if found is None:
            continue
        card, leads = found
        for lead in leads:
            _dm(deps, f"break:{break_id}:escalate:{lead}", lead, escalation_message(card))
            sent += 1
        _mark(deps, break_id, "escalated_at")
    for break_id in due.reminders:
        found = _open_card(deps, break_id)
        if found is None or found[0].owner_id is None:
            continue
        card = found[0]
        owner = card.owner_id
        assert owner is not None
        _dm(deps, f"break:{break_id}:remind:{owner}", owner, reminder_message(card))
        _mark(deps, break_id, "reminded_at")
        sent += 1
    for break_id in due.deadlines:
        found = _open_card(deps, break_id)
        if found is None:
            continue
        card, leads = found
        for target in [card.owner_id] if card.owner_id else leads:
            _dm(deps, f"break:{break_id}:due:{target}", target, due_message(card))
            sent += 1
        _mark(deps, break_id, "due_noted_at")
    return sent


# the App Home


def home_blocks_for(session: Session, user_id: str) -> list[Block]:
    """My teams' promises and the remedies I own, for the App Home."""
    views = []
    for team in team_store.teams_of(session, user_id):
        current = store.current_promise(session, team.id)
        if current is not None:
            views.append(_view(team, current))
    owned = [_card(session, row) for row in store.open_breaks_owned_by(session, user_id)]
    return home_blocks(views, owned)
