"""Rally messages: the nudge (worded by visibility), offers, the owner's DM, follow-ups."""

from __future__ import annotations

from dataclasses import dataclass

from bot.platform.blocks import Block, Reply, actions, button, context, section
from bot.platform.escape import escape
from bot.rally import ids
from storage.kinds import RallyStatus


@dataclass(frozen=True)
class RallyCard:
    """What a rally message may say; the visibility decides how much of it is shown."""

    rally_id: int
    team_name: str
    member_id: str
    visibility: str  # team | anonymous | leads
    score: int
    note: str
    help: str
    offers: int
    owner_id: str | None
    status: str  # RallyStatus
    checkin_id: int | None = None
    from_text: bool = False  # the check-in was a number typed in the DM
    by_member: bool = False  # withdrawn because the member changed what may be shown
    # The member's display name, for notification text (which shows no <@mention> as a name).
    member_name: str = ""


def _name(name: str, fallback: str = "A teammate") -> str:
    """A display name as plain notification text (escaped), or `fallback` when unknown."""
    return escape(name) if name.strip() else fallback


def _named(card: RallyCard) -> str:
    """Who a rally is about in notification text: the name only where the blocks name them."""
    return _name(card.member_name) if card.visibility != "anonymous" else "A teammate"


def _help_phrase(help_kind: str) -> str:
    return {
        "tools": "tools",
        "specialist": "a specialist",
        "mentorship": "mentorship",
        "other": "a hand with something",
        "none": "support",
    }[help_kind]


def nudge_text(card: RallyCard) -> str:
    """The words of the nudge, with nothing the member did not allow to be shared."""
    if card.status == RallyStatus.WITHDRAWN:
        if card.by_member:
            return "This request for help was withdrawn by the member."
        return "This request for help was withdrawn."
    if card.status == RallyStatus.RESOLVED:
        who = f"<@{card.member_id}>" if card.visibility == "team" else "A teammate"
        return f":tada: {who} says the help landed. Thank you, team."
    if card.visibility == "team":
        lines = [
            f":raising_hand: <@{card.member_id}> checked in at *{card.score}/10* and could use "
            f"{_help_phrase(card.help)}."
        ]
        if card.note:
            lines.append(f"> {escape(card.note)}")
    else:
        # Anonymous: no name, no score, no note; only the kind of help wanted.
        lines = [
            f":raising_hand: A teammate is having a rough week and could use "
            f"{_help_phrase(card.help)}."
        ]
    return "\n".join(lines)


def _status_line(card: RallyCard) -> str:
    offers = f"{card.offers} offer{'s' if card.offers != 1 else ''} of help"
    owner = f"owned by <@{card.owner_id}>" if card.owner_id else "no owner yet"
    return f"{offers} · {owner}"


def _offer_buttons(card: RallyCard) -> Block:
    elements = [button("I can help", ids.RALLY_OFFER, str(card.rally_id), style="primary")]
    if card.owner_id is None:
        elements.append(button("I'll own this", ids.RALLY_OWN, str(card.rally_id)))
    return actions(*elements, block_id="rally_actions")


def nudge_message(card: RallyCard) -> Reply:
    """The nudge in the team channel (or, for leads-only rallies, the leads' DM)."""
    blocks: list[Block] = [section(nudge_text(card), block_id="nudge")]
    if card.status == RallyStatus.OPEN:
        blocks.append(context(_status_line(card)))
        blocks.append(_offer_buttons(card))
    return Reply(text=_nudge_fallback(card), blocks=blocks)


def _nudge_fallback(card: RallyCard) -> str:
    """The nudge's notification text: what its first line says, with a name for a mention."""
    if card.status == RallyStatus.RESOLVED:
        who = _name(card.member_name) if card.visibility == "team" else "A teammate"
        return f"{who} says the help landed. Thank you, team."
    if card.status == RallyStatus.OPEN and card.visibility == "team":
        return (
            f"{_name(card.member_name)} checked in at {card.score}/10 and could use "
            f"{_help_phrase(card.help)}."
        )
    return nudge_text(card).splitlines()[0]


def leads_only_message(card: RallyCard) -> Reply:
    """A leads-only rally, sent to each lead by DM: named, with the note."""
    lines = [
        f":lock: *Leads only* · {escape(card.team_name)}: <@{card.member_id}> checked in at "
        f"*{card.score}/10* and could use {_help_phrase(card.help)}. Nothing was posted in the "
        "channel."
    ]
    if card.note:
        lines.append(f"> {escape(card.note)}")
    blocks: list[Block] = [section("\n".join(lines)), context(_status_line(card))]
    if card.status == RallyStatus.OPEN:
        blocks.append(_offer_buttons(card))
    return Reply(text=f"Leads only: {_name(card.member_name)} could use help", blocks=blocks)


def offer_to_member(card: RallyCard, helper_id: str, offer_id: int, helper_name: str = "") -> Reply:
    """Tell the member privately who offered; anonymous members choose whether to accept."""
    if card.visibility == "anonymous":
        return Reply(
            text="A teammate offered to help.",
            blocks=[
                section(
                    f"A teammate offered to help with your check-in in *{escape(card.team_name)}*"
                    ". Accept, and the two of you learn who the other is; otherwise nobody does."
                ),
                actions(
                    button("Accept the offer", ids.RALLY_ACCEPT, str(offer_id), style="primary"),
                    block_id="accept",
                ),
            ],
        )
    return Reply(
        text=f"{_name(helper_name, 'A teammate')} offered to help.",
        blocks=[
            section(
                f"<@{helper_id}> offered to help with your check-in in "
                f"*{escape(card.team_name)}*. Reach out whenever suits you."
            )
        ],
    )


def accepted_messages(card: RallyCard, helper_id: str) -> tuple[Reply, Reply]:
    """After an anonymous member accepts: (to the member, to the helper)."""
    return (
        Reply(
            text="Connected.",
            blocks=[section(f"You accepted <@{helper_id}>'s offer. They now know it's you.")],
        ),
        Reply(
            text="Your offer was accepted.",
            blocks=[
                section(
                    f"<@{card.member_id}> accepted your offer to help"
                    f" ({_help_phrase(card.help)}). Over to you two."
                )
            ],
        ),
    )


def owner_message(card: RallyCard) -> Reply:
    """The owner's DM: what the member allowed to be shared, and Resolved."""
    if card.visibility == "anonymous":
        about = (
            f"A teammate in *{escape(card.team_name)}* could use {_help_phrase(card.help)}."
            " They stay anonymous unless they accept an offer; the leads can help connect."
        )
    else:
        about = (
            f"<@{card.member_id}> in *{escape(card.team_name)}* checked in at "
            f"*{card.score}/10* and could use {_help_phrase(card.help)}."
        )
        if card.note:
            about += f"\n> {escape(card.note)}"
    return Reply(
        text="You own this rally.",
        blocks=[
            section(f":handshake: You own this one until the help lands.\n{about}"),
            actions(
                button("Resolved", ids.RALLY_RESOLVE, str(card.rally_id), style="primary"),
                block_id="owner_actions",
            ),
        ],
    )


def owner_to_member(card: RallyCard) -> Reply:
    """Tell the member who owns their help."""
    return Reply(
        text="Someone owns your help.",
        blocks=[
            section(
                f"<@{card.owner_id}> now owns getting you {_help_phrase(card.help)} in "
                f"*{escape(card.team_name)}*."
            )
        ],
    )


def followup_message(card: RallyCard) -> Reply:
    """The member is asked whether the help landed."""
    return Reply(
        text="Did the help land?",
        blocks=[
            section(
                f"A few days ago you asked for {_help_phrase(card.help)} in "
                f"*{escape(card.team_name)}*. Did the help land?"
            ),
            actions(
                button("Resolved", ids.RALLY_RESOLVE, str(card.rally_id), style="primary"),
                button("Still need help", ids.RALLY_STILL, str(card.rally_id)),
                block_id="followup_actions",
            ),
        ],
    )


def still_need_message(card: RallyCard, *, to_owner: bool) -> Reply:
    """Ping the owner (or the leads when nobody owns it) that help has not landed yet."""
    who = f"<@{card.member_id}>" if card.visibility != "anonymous" else "A teammate"
    text = f"{who} in *{escape(card.team_name)}* still needs {_help_phrase(card.help)}."
    fallback = f"{_named(card)} in {escape(card.team_name)} still needs {_help_phrase(card.help)}."
    if not to_owner:
        text += " Nobody owns this yet."
        fallback += " Nobody owns this yet."
    return Reply(
        text=fallback,
        blocks=[
            section(text),
            actions(
                button("I'll own this", ids.RALLY_OWN, str(card.rally_id)),
                button("Resolved", ids.RALLY_RESOLVE, str(card.rally_id)),
                block_id="still_actions",
            )
            if not to_owner
            else actions(
                button("Resolved", ids.RALLY_RESOLVE, str(card.rally_id)), block_id="still_actions"
            ),
        ],
    )


def escalation_message(card: RallyCard) -> Reply:
    """The leads' DM when nobody offered within a day."""
    who = f"<@{card.member_id}>" if card.visibility != "anonymous" else "A teammate"
    text = (
        f":bell: Nobody has offered help in a day: {who} in *{escape(card.team_name)}* "
        f"could use {_help_phrase(card.help)}."
    )
    return Reply(
        text=f"Nobody has offered help in a day: {_named(card)} in {escape(card.team_name)} "
        f"could use {_help_phrase(card.help)}.",
        blocks=[
            section(text),
            actions(
                button("I'll own this", ids.RALLY_OWN, str(card.rally_id)),
                block_id="escalation_actions",
            ),
        ],
    )


def helping_blocks(cards: list[RallyCard], viewer: str) -> list[Block]:
    """App Home: the open rallies I own or offered on."""
    if not cards:
        return []
    blocks: list[Block] = [section("*Rallies you're helping with*")]
    for card in cards[:20]:
        role = "you own this" if card.owner_id == viewer else "you offered"
        blocks.append(
            section(
                f"{nudge_text(card)}\n_{role}_",
                accessory=button("Resolved", ids.RALLY_RESOLVE, str(card.rally_id)),
            )
        )
    return blocks


def shared_with_team_message(card: RallyCard, channel_id: str | None) -> Reply:
    """The member's DM whenever something about them is shared: what, where, and how to undo."""
    help_phrase = _help_phrase(card.help)
    if card.visibility == "team":
        what = (
            f"I posted a nudge in <#{channel_id}> naming you, with your score "
            f"({card.score}/10) and your note, asking the team for {help_phrase}."
        )
    elif card.visibility == "anonymous":
        what = (
            f"I posted a nudge in <#{channel_id}>: “A teammate is having a rough week and could "
            f"use {help_phrase}.” It does not name you or show your score or note; your leads "
            "know it is you."
        )
    else:
        what = (
            f"I told your leads in *{escape(card.team_name)}* privately that you could use "
            f"{help_phrase}; nothing was posted in the channel."
        )
    elements = [button("Withdraw", ids.RALLY_WITHDRAW, str(card.rally_id), style="danger")]
    if card.from_text and card.checkin_id is not None:
        elements.append(button("That wasn't a score", ids.NOT_A_SCORE, str(card.checkin_id)))
    return Reply(
        text="Your team was asked to help you"
        if card.visibility != "leads"
        else "Your leads were told you could use help",
        blocks=[
            section(what),
            context(
                "Withdraw closes the request and the message says it was withdrawn."
                + (
                    " *That wasn't a score* deletes the check-in I read from your message."
                    if card.from_text
                    else ""
                )
            ),
            actions(*elements, block_id="told_actions"),
        ],
    )


def released_to_member(card: RallyCard, why: str) -> Reply:
    """The member hears that their help has no owner any more, and why."""
    line = (
        f"The person who owned getting you {_help_phrase(card.help)} in "
        f"*{escape(card.team_name)}* {why}, so nobody owns it now. Your teammates can offer "
        "again, and your leads know."
    )
    return Reply(
        text=f"Your help in {escape(card.team_name)} has no owner now.", blocks=[section(line)]
    )


def released_to_leads(card: RallyCard, why: str) -> Reply:
    """The leads hear that a rally is open again: its owner left or was deactivated."""
    who = f"<@{card.member_id}>" if card.visibility != "anonymous" else "a teammate"
    line = (
        f":warning: Nobody owns the help for {who} in *{escape(card.team_name)}* any more: "
        f"its owner {why}. It is open again; someone can click “I'll own this”."
    )
    return Reply(
        text=f"A request for help in {escape(card.team_name)} has no owner now.",
        blocks=[section(line)],
    )
