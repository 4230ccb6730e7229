"""The rally: a drop opens (or updates) one rally per member; offers, an owner, follow-ups."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from slack_sdk.errors import SlackApiError, SlackRequestError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.access.post import post_in_channel
from bot.platform.blocks import Reply
from bot.platform.delivery import Outgoing, deliver
from bot.platform.deps import Deps
from bot.platform.errors import Conflict, NotAllowed, NotFound
from bot.rally.blocks import (
    RallyCard,
    accepted_messages,
    escalation_message,
    followup_message,
    leads_only_message,
    nudge_message,
    offer_to_member,
    owner_message,
    owner_to_member,
    released_to_leads,
    released_to_member,
    shared_with_team_message,
    still_need_message,
)
from bot.rally.rules import BASELINE_WINDOW, judge
from bot.schedule.calendar import MemberClock, is_paused, team_clock
from storage import checkin as checkin_store
from storage import delivery as ledger
from storage import rally as store
from storage import teams as team_store
from storage.db import transaction
from storage.kinds import CheckinSource, DeliveryStatus, RallyStatus, Visibility
from storage.models import CheckIn, Rally

log = logging.getLogger("oneness.rally")

# Slack refusing or failing a call (after the client's own retries), or the connection.
SLACK_TROUBLE = (SlackApiError, SlackRequestError, OSError)

ESCALATE_AFTER = timedelta(hours=24)


IN_CHANNEL = (Visibility.TEAM, Visibility.ANONYMOUS)


@dataclass(frozen=True)
class _Surfaces:
    card: RallyCard
    channel_id: str
    message_ts: str | None
    shown_visibility: str | None
    nudges_posted: int
    leads: list[str]
    lead_messages: list[tuple[str, str]]


def _card(session: Session, rally: Rally) -> RallyCard:
    team = team_store.team_by_id(session, rally.team_id)
    checkin = session.get(CheckIn, rally.checkin_id) if rally.checkin_id else None
    return RallyCard(
        rally_id=rally.id,
        team_name=team.name if team else "",
        member_id=rally.user_id,
        visibility=rally.visibility,
        score=checkin.score if checkin else 0,
        note=checkin.note if checkin else "",
        help=rally.help,
        offers=store.offer_count(session, rally.id),
        owner_id=rally.owner_id,
        status=rally.status,
        checkin_id=checkin.id if checkin else None,
        from_text=checkin is not None and checkin.source == CheckinSource.TEXT,
        member_name=_display_name(session, rally.team_id, rally.user_id),
    )


def _display_name(session: Session, team_id: int, user_id: str) -> str:
    """The name a member had when last added (kept after they leave); "" when unknown."""
    row = team_store.member(session, team_id, user_id)
    return row.display_name if row is not None and row.display_name != user_id else ""


def after_checkin(deps: Deps, checkins: Sequence[CheckIn]) -> None:
    """Run the drop rule on freshly stored check-ins; a drop opens or updates a rally."""
    for checkin in checkins:
        rally_id = _judge_and_record(deps, checkin.id)
        if rally_id is not None:
            refresh(deps, rally_id)


def _judge_and_record(deps: Deps, checkin_id: int) -> int | None:
    now = deps.clock.now()
    with transaction(deps.sessions) as session:
        checkin = session.get(CheckIn, checkin_id)
        if checkin is None or checkin.superseded_at is not None:
            return None
        team = team_store.team_by_id(session, checkin.team_id)
        assert team is not None
        drop = judge(
            checkin.score,
            checkin_store.previous_scores(session, checkin, limit=BASELINE_WINDOW),
            floor=team.drop_floor,
            delta=team.drop_delta,
        )
        if drop is None:
            return None
        # The reason names the score: it stays out of the log (docs/PRIVACY.md).
        log.info("drop for %s in team %s", checkin.user_id, team.id)
        rally = store.open_rally(session, team.id, checkin.user_id)
        if rally is None:
            try:
                with session.begin_nested():
                    rally = store.add_rally(
                        session,
                        Rally(
                            team_id=team.id,
                            user_id=checkin.user_id,
                            checkin_id=checkin.id,
                            status=RallyStatus.OPEN,
                            visibility=checkin.visibility,
                            help=checkin.help,
                            opened_at=now,
                            updated_at=now,
                            followup_at=now + timedelta(days=team.followup_days),
                        ),
                    )
                return rally.id
            except IntegrityError:
                rally = store.open_rally(session, team.id, checkin.user_id)
                assert rally is not None
        # One open rally per member: a later drop updates it instead of posting again.
        rally.checkin_id, rally.visibility, rally.help = (
            checkin.id,
            checkin.visibility,
            checkin.help,
        )
        rally.updated_at = now
        return rally.id


def _surfaces(session: Session, rally: Rally) -> _Surfaces:
    team = team_store.team_by_id(session, rally.team_id)
    assert team is not None
    leads = team_store.lead_ids(session, team.id)
    lead_messages = [
        (d.channel_id, d.message_ts)
        for lead in leads
        if (d := ledger.get(session, f"rally:{rally.id}:leads:{lead}")) is not None
        and d.status == DeliveryStatus.SENT
        and d.channel_id
        and d.message_ts
    ]
    return _Surfaces(
        _card(session, rally),
        team.channel_id,
        rally.message_ts,
        rally.shown_visibility,
        rally.nudges_posted,
        leads,
        lead_messages,
    )


def _nudge_key(rally_id: int, number: int) -> str:
    # The first nudge keeps the key it always had; each repost after a change gets its own.
    return f"rally:{rally_id}:nudge" if number == 0 else f"rally:{rally_id}:nudge:{number}"


def refresh(deps: Deps, rally_id: int) -> None:
    """Post or update every message showing a rally, as its current state and visibility allow.

    A channel message is only ever edited for the visibility it was worded for. When the
    member's visibility changes, the message is withdrawn ("withdrawn by the member") and a new
    one follows the new visibility (none for leads only), so a message that named someone never
    comes to carry a later anonymous request, nor an anonymous one a name.
    """
    with transaction(deps.sessions) as session:
        rally = store.rally_by_id(session, rally_id)
        if rally is None:
            return
        s = _surfaces(session, rally)
    card = s.card
    in_channel = card.visibility in IN_CHANNEL
    message_ts = s.message_ts
    if message_ts and s.shown_visibility not in (None, card.visibility):
        gone = nudge_message(replace(card, status=RallyStatus.WITHDRAWN, by_member=True))
        deps.client.chat_update(
            channel=s.channel_id, ts=message_ts, text=gone.text, blocks=gone.blocks
        )
        with transaction(deps.sessions) as session:
            row = store.rally_by_id(session, rally_id)
            assert row is not None
            row.message_ts, row.shown_visibility = None, None
        message_ts = None
    if message_ts:
        message = nudge_message(card)
        deps.client.chat_update(
            channel=s.channel_id, ts=message_ts, text=message.text, blocks=message.blocks
        )
    elif in_channel and card.status == RallyStatus.OPEN:
        _post_nudge(deps, card, s.channel_id, s.nudges_posted)
    leads_view = leads_only_message(card)
    for channel, ts in s.lead_messages:
        deps.client.chat_update(
            channel=channel, ts=ts, text=leads_view.text, blocks=leads_view.blocks
        )
    if card.visibility == Visibility.LEADS and card.status == RallyStatus.OPEN:
        told = False
        for lead in s.leads:
            if lead != card.member_id:
                _dm(deps, f"rally:{rally_id}:leads:{lead}", lead, leads_view, kind="rally")
                told = True
        if told:
            _tell_member(deps, card, f"rally:{rally_id}:told:leads:{card.checkin_id}", None)


def _post_nudge(deps: Deps, card: RallyCard, channel_id: str, number: int) -> None:
    message = nudge_message(card)
    try:
        done = post_in_channel(
            deps,
            Outgoing(
                key=_nudge_key(card.rally_id, number),
                kind="nudge",
                channel=channel_id,
                text=message.text,
                blocks=message.blocks,
            ),
        )
    except SLACK_TROUBLE as error:
        # The rally is stored: the scheduler's next tick posts its nudge (due_rally_work's
        # `unposted`), looking first for a post Slack made before failing.
        log.warning("nudge of rally %s deferred: %s", card.rally_id, error)
        return
    if done.status != DeliveryStatus.SENT:
        return
    with transaction(deps.sessions) as session:
        row = store.rally_by_id(session, card.rally_id)
        assert row is not None
        row.channel_id, row.message_ts = done.channel_id, done.ts
        row.shown_visibility = card.visibility
        row.nudges_posted = max(row.nudges_posted, number + 1)
    _tell_member(deps, card, f"rally:{card.rally_id}:told:{number}", channel_id)


def _tell_member(deps: Deps, card: RallyCard, key: str, channel_id: str | None) -> None:
    """The member hears what was shared about them, with Withdraw (and, for a typed number,
    "That wasn't a score")."""
    _dm(deps, key, card.member_id, shared_with_team_message(card, channel_id))


def _dm(deps: Deps, key: str, user_id: str, message: Reply, *, kind: str = "rally") -> None:
    deliver(
        deps,
        Outgoing(
            key=key,
            kind=kind,
            channel=user_id,
            text=message.text,
            blocks=message.blocks,
            user_id=user_id,
        ),
    )


def _open_rally(session: Session, rally_id: int) -> Rally:
    rally = store.rally_by_id(session, rally_id)
    if rally is None:
        raise NotFound("That rally no longer exists.")
    if rally.status != RallyStatus.OPEN:
        raise Conflict("This rally is already closed. Thank you for looking out.")
    return rally


def offer_help(deps: Deps, rally_id: int, helper_id: str) -> str:
    """Record an offer once and tell the member privately; returns the helper's reply."""
    now = deps.clock.now()
    with transaction(deps.sessions) as session:
        rally = _open_rally(session, rally_id)
        if rally.user_id == helper_id:
            raise NotAllowed("This is your own check-in; your teammates will offer help here.")
        _require_helper(session, rally, helper_id)
        offer = store.add_offer(session, rally.id, helper_id, now)
        if offer is None:
            return "You already offered to help; they have been told."
        card = _card(session, rally)
        offer_id = offer.id
        helper_name = _display_name(session, rally.team_id, helper_id)
    _dm(
        deps,
        f"rally:{rally_id}:offer:{offer_id}",
        card.member_id,
        offer_to_member(card, helper_id, offer_id, helper_name),
    )
    refresh(deps, rally_id)
    if card.visibility == "anonymous":
        return "Thank you. They've been told privately and can accept your offer."
    return f"Thank you. <@{card.member_id}> has been told you offered."


def accept_offer(deps: Deps, offer_id: int, user_id: str) -> str:
    """An anonymous member accepts an offer: only now do the two learn of each other."""
    with transaction(deps.sessions) as session:
        offer = store.offer_by_id(session, offer_id)
        if offer is None:
            raise NotFound("That offer no longer exists.")
        rally = _open_rally(session, offer.rally_id)
        if rally.user_id != user_id:
            raise NotAllowed("Only the person who asked for help can accept an offer.")
        if offer.accepted:
            return "You already accepted this offer."
        offer.accepted = True
        card = _card(session, rally)
        helper = offer.helper_id
    to_member, to_helper = accepted_messages(card, helper)
    _dm(deps, f"rally:{rally.id}:accepted:{offer_id}:helper", helper, to_helper)
    return to_member.text + f" <@{helper}> is the one who offered."


def own(deps: Deps, rally_id: int, user_id: str) -> str:
    """Make the clicker the one owner; they get what the member allowed and a Resolved button."""
    now = deps.clock.now()
    with transaction(deps.sessions) as session:
        rally = _open_rally(session, rally_id)
        if rally.user_id == user_id:
            raise NotAllowed("This is your own check-in; someone else will own the help.")
        _require_helper(session, rally, user_id)
        if rally.owner_id == user_id:
            return "You already own this."
        if rally.owner_id is not None:
            raise Conflict(f"<@{rally.owner_id}> already owns this. Offer help instead.")
        rally.owner_id, rally.updated_at = user_id, now
        store.add_offer(session, rally.id, user_id, now)
        card = _card(session, rally)
    _dm(deps, f"rally:{rally_id}:owner:{user_id}", user_id, owner_message(card))
    _dm(deps, f"rally:{rally_id}:owned:{user_id}", card.member_id, owner_to_member(card))
    refresh(deps, rally_id)
    return "You own this now; I've sent you the details."


def resolve(deps: Deps, rally_id: int, user_id: str) -> str:
    """Close a rally; only the owner, the member or a lead may."""
    now = deps.clock.now()
    with transaction(deps.sessions) as session:
        rally = store.rally_by_id(session, rally_id)
        if rally is None:
            raise NotFound("That rally no longer exists.")
        allowed = {rally.user_id, rally.owner_id} | set(team_store.lead_ids(session, rally.team_id))
        if user_id not in allowed:
            raise NotAllowed("Only the owner, the person helped or a lead can resolve this.")
        if rally.status != RallyStatus.OPEN:
            return "This is already closed."
        rally.status, rally.closed_at, rally.updated_at = RallyStatus.RESOLVED, now, now
        rally.followup_at = None
    refresh(deps, rally_id)
    return "Resolved. Thank you for closing the loop."


def still_need_help(deps: Deps, rally_id: int, user_id: str) -> str:
    """The member says help has not landed: ping the owner, or the leads when there is none."""
    now = deps.clock.now()
    with transaction(deps.sessions) as session:
        rally = _open_rally(session, rally_id)
        if rally.user_id != user_id:
            raise NotAllowed("Only the person who asked for help can say it hasn't landed.")
        team = team_store.team_by_id(session, rally.team_id)
        assert team is not None
        rally.followup_at = now + timedelta(days=team.followup_days)
        rally.updated_at = now
        card = _card(session, rally)
        targets = [rally.owner_id] if rally.owner_id else team_store.lead_ids(session, team.id)
    stamp = now.strftime("%Y%m%dT%H%M")
    for target in targets:
        _dm(
            deps,
            f"rally:{rally_id}:still:{stamp}:{target}",
            target,
            still_need_message(card, to_owner=card.owner_id is not None),
        )
    who = "your owner" if card.owner_id else "your team's leads"
    return f"Thanks for saying so. I've told {who}; I'll ask again in a few days."


def withdraw(deps: Deps, team_id: int, user_id: str) -> bool:
    """Close a member's open rally in a team (they left, or asked); True when there was one.
    Every message showing it then says it was withdrawn."""
    now = deps.clock.now()
    with transaction(deps.sessions) as session:
        rally = store.open_rally(session, team_id, user_id)
        if rally is None:
            return False
        rally.status, rally.closed_at, rally.updated_at = RallyStatus.WITHDRAWN, now, now
        rally.followup_at = None
        rally_id = rally.id
    refresh(deps, rally_id)
    return True


# Why an owner stopped owning, as the member and the leads are told.
LEFT = "left the team"
REMOVED = "was removed from the team"
DEACTIVATED = "is no longer in this Slack workspace"
FORGOTTEN = "asked to be forgotten"


def release_owner(deps: Deps, user_id: str, *, why: str, team_id: int | None = None) -> int:
    """Someone who owns rallies is no longer there to help (removed, left, deactivated,
    forgotten): each rally goes back to open, its messages say so, and the member and the
    leads are told. Returns how many were released."""
    now = deps.clock.now()
    released: list[tuple[RallyCard, list[str]]] = []
    with transaction(deps.sessions) as session:
        for row in store.rallies_owned_by(session, user_id, team_id):
            row.owner_id, row.updated_at = None, now
            released.append((_card(session, row), team_store.lead_ids(session, row.team_id)))
    stamp = now.strftime("%Y%m%dT%H%M%S")
    for card, leads in released:
        log.info("rally %s has no owner now (%s)", card.rally_id, why)
        refresh(deps, card.rally_id)
        _dm(
            deps,
            f"rally:{card.rally_id}:released:{stamp}",
            card.member_id,
            released_to_member(card, why),
        )
        for lead in leads:
            if lead not in (card.member_id, user_id):
                _dm(
                    deps,
                    f"rally:{card.rally_id}:released:{stamp}:leads:{lead}",
                    lead,
                    released_to_leads(card, why),
                )
    return len(released)


def withdraw_by_member(deps: Deps, rally_id: int, user_id: str) -> str:
    """The member's Withdraw button: only they may; the nudge then says it was withdrawn."""
    with transaction(deps.sessions) as session:
        rally = store.rally_by_id(session, rally_id)
        if rally is None:
            raise NotFound("That request for help no longer exists.")
        if rally.user_id != user_id:
            raise NotAllowed("Only the person who asked for help can withdraw it.")
        if rally.status != RallyStatus.OPEN:
            return "This request for help is already closed."
        team_id = rally.team_id
    withdraw(deps, team_id, user_id)
    return "Withdrawn. The message about you now says the request was withdrawn."


def withdraw_for_checkin(deps: Deps, checkin_id: int) -> None:
    """A check-in was deleted ("That wasn't a score"): the rally it opened is withdrawn."""
    with transaction(deps.sessions) as session:
        rally = store.rally_for_checkin(session, checkin_id)
        if rally is None or rally.status != RallyStatus.OPEN:
            return
        team_id, user_id = rally.team_id, rally.user_id
    withdraw(deps, team_id, user_id)


def follow_checkin(deps: Deps, old_checkin_id: int, new_checkin_id: int) -> None:
    """A check-in was shared another way: the rally it drives follows the new visibility
    (withdrawn and posted again, never reworded)."""
    with transaction(deps.sessions) as session:
        rally = store.rally_for_checkin(session, old_checkin_id)
        checkin = checkin_store.checkin_by_id(session, new_checkin_id)
        if rally is None or checkin is None or rally.status != RallyStatus.OPEN:
            return
        rally.checkin_id, rally.visibility = checkin.id, checkin.visibility
        rally.updated_at = deps.clock.now()
        rally_id = rally.id
    refresh(deps, rally_id)


def _require_helper(session: Session, rally: Rally, user_id: str) -> None:
    """Only the team's members and leads may offer or own; a leads-only rally, only leads."""
    is_lead = team_store.is_lead(session, rally.team_id, user_id)
    if rally.visibility == Visibility.LEADS and not is_lead:
        raise NotAllowed("Only the team's leads can take on a leads-only request.")
    member = team_store.member(session, rally.team_id, user_id)
    if not is_lead and (member is None or not member.active):
        raise NotAllowed("Only members of this team can offer help here.")


@dataclass(frozen=True)
class RallyWork:
    """Follow-ups and escalations that are due."""

    followups: list[tuple[int, datetime]]
    escalations: list[int]
    unposted: list[int]


def due_rally_work(session: Session, now: datetime) -> RallyWork:
    """Open rallies whose follow-up or escalation is due (paused members are not asked)."""
    followups: list[tuple[int, datetime]] = []
    escalations: list[int] = []
    unposted: list[int] = []
    for rally in store.open_rallies(session):
        if rally.visibility in IN_CHANNEL and rally.message_ts is None:
            nudge = ledger.get(session, _nudge_key(rally.id, rally.nudges_posted))
            if nudge is None or nudge.status == DeliveryStatus.PENDING:
                # Its nudge failed to post earlier for a passing reason (Slack errors); one
                # that waits for access goes out when the bot joins, a failed one never.
                unposted.append(rally.id)
        team = team_store.team_by_id(session, rally.team_id)
        member = team_store.member(session, rally.team_id, rally.user_id)
        if team is None or member is None:
            continue
        if rally.followup_at is not None and now >= rally.followup_at:
            clock = MemberClock(member.user_id, member.tz, member.joined_at, member.paused_until)
            if not is_paused(team_clock(team), clock, now):
                followups.append((rally.id, rally.followup_at))
        if (
            rally.escalated_at is None
            and (since := _asked_since(session, rally)) is not None
            and now >= since + ESCALATE_AFTER
            and store.offer_count(session, rally.id) == 0
        ):
            escalations.append(rally.id)
    return RallyWork(followups, escalations, unposted)


def _asked_since(session: Session, rally: Rally) -> datetime | None:
    """When the team was asked to help: the nudge's posting (None while it has not reached the
    channel, e.g. waiting for the bot to be invited: nobody could offer, so the leads are not
    told "nobody offered"); a leads-only rally from its opening."""
    if rally.visibility not in IN_CHANNEL:
        return rally.opened_at
    if rally.message_ts is None:
        return None
    posted = ledger.get(session, _nudge_key(rally.id, max(rally.nudges_posted - 1, 0)))
    sent = posted.sent_at if posted is not None else None
    return max(rally.opened_at, sent) if sent is not None else rally.opened_at


def send_rally_work(deps: Deps, work: RallyWork) -> tuple[int, int]:
    """Deliver due follow-ups and escalations once each; returns how many of each."""
    followups = escalations = 0
    for rally_id in work.unposted:
        refresh(deps, rally_id)
    for rally_id, due in work.followups:
        with transaction(deps.sessions) as session:
            rally = store.rally_by_id(session, rally_id)
            if rally is None or rally.status != RallyStatus.OPEN:
                continue
            card = _card(session, rally)
        _dm(
            deps,
            f"rally:{rally_id}:followup:{due.strftime('%Y%m%dT%H%M')}",
            card.member_id,
            followup_message(card),
        )
        with transaction(deps.sessions) as session:
            rally = store.rally_by_id(session, rally_id)
            if rally is not None and rally.followup_at == due:
                rally.followup_at = None
        followups += 1
    for rally_id in work.escalations:
        with transaction(deps.sessions) as session:
            rally = store.rally_by_id(session, rally_id)
            if rally is None or rally.status != RallyStatus.OPEN:
                continue
            card = _card(session, rally)
            leads = team_store.lead_ids(session, rally.team_id)
        for lead in leads:
            _dm(deps, f"rally:{rally_id}:escalate:{lead}", lead, escalation_message(card))
        with transaction(deps.sessions) as session:
            rally = store.rally_by_id(session, rally_id)
            if rally is not None:
                rally.escalated_at = deps.clock.now()
        escalations += 1
    return followups, escalations


def helping(session: Session, user_id: str) -> list[RallyCard]:
    """Open rallies this person owns or offered on, as cards."""
    return [_card(session, r) for r in store.rallies_helped_by(session, user_id)]
