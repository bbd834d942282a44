"""The facilitator's tools for the room (Zoom breakouts have both): a message to every phone or
to one group's phones, and a group's raised hand ("Ask for help") that stays up until the
facilitator clears it or the group lowers it.

A message to everyone is `Session.message` (every phone, and briefly the projector); a message
to one group is that group's `Group.message` (its phones only). A hand is `Group.help`; once
lowered it stays there, marked with who lowered it, so the phones can say so. Each
carries the session version that made it (`Message.id`, `Help.ticket`): a phone remembers which
message it dismissed, and lowering a hand names the hand it saw, so a double click lowers
once and never lowers a hand raised again in between.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import ClassVar

from .command import (
    ALL_PHASES,
    MEMBERS,
    STAFF,
    Change,
    Command,
    existing_group,
    require,
)
from .game.planning import own_group
from .lobby import clean_text
from .state import Actor, Group, Help, Message, Phase, Session

MESSAGE_CHARS = 200  # a banner read in a glance, not a letter
PHONE_SECONDS = 15 * 60  # a phone that reloads still sees a message this long after it was sent
PROJECTOR_SECONDS = 10  # the projector shows a message to everyone this long, then hides it
GROUPED = frozenset(p for p in Phase if p is not Phase.LOBBY)  # once there are groups


@dataclass(frozen=True)
class SendMessage(Command):
    """The facilitator sends a short message to every phone and the projector (`group` 0), or
    to the phones of one group. A new message replaces the last one for the same audience."""

    event: ClassVar[str] = "send_message"
    roles: ClassVar = STAFF
    phases: ClassVar = ALL_PHASES

    text: str
    group: int = 0

    def run(self, state: Session, actor: Actor, now: float) -> Change:
        text = clean_text(self.text, "The message", MESSAGE_CHARS, required=True, field="text")
        message = Message(id=state.version + 1, text=text, at=now)
        if self.group == 0:
            return Change(replace(state, message=message))
        group = existing_group(state, self.group)
        # Only that group's phones and its card on the facilitator's screen change.
        return Change(state.with_group(replace(group, message=message)),
                      phones=frozenset(group.members), groups=frozenset({group.number}))


def _hand_changed(state: Session, group: Group, help_: Help, result: dict | None = None) -> Change:
    """The group's phones and the staff's card of that group see the hand go up or down (the
    projector's rendition of the group does not show hands, so it gets nothing)."""
    return Change(state.with_group(replace(group, help=help_)), phones=frozenset(group.members),
                  groups=frozenset({group.number}), result=result or {})


def _the_hand(group: Group, ticket: int) -> Help:
    """The hand `ticket` names, still raised; else the command was already done."""
    hand = group.help if group.help is not None and group.help.up else None
    require(hand is not None and hand.ticket == ticket, "already_cleared",
            f"Already done: group {group.number}'s hand is " + ("down" if hand is None else "up again"),
            {"group": group.number, "help": hand and {"ticket": hand.ticket, "at": hand.at}})
    return hand


@dataclass(frozen=True)
class AskHelp(Command):
    """A member raises their group's hand. A hand already up stays as it is (`already_asked`),
    so a double click, or two members asking at once, raises it once."""

    event: ClassVar[str] = "ask_help"
    roles: ClassVar = MEMBERS
    phases: ClassVar = GROUPED

    def run(self, state: Session, actor: Actor, now: float) -> Change:
        group = own_group(state, actor)
        hand = group.help if group.help is not None and group.help.up else None
        require(hand is None, "already_asked", "Your group has already asked for help",
                hand and {"ticket": hand.ticket, "at": hand.at})
        ticket = state.version + 1
        return _hand_changed(state, group, Help(ticket=ticket, by=actor.participant_id or "", at=now),
                             {"ticket": ticket})


@dataclass(frozen=True)
class CancelHelp(Command):
    """A member lowers their group's hand (the one `ticket` names): the group no longer needs
    help. Any member may: the hand is the group's, whoever raised it."""

    event: ClassVar[str] = "cancel_help"
    roles: ClassVar = MEMBERS
    phases: ClassVar = GROUPED

    ticket: int

    def run(self, state: Session, actor: Actor, now: float) -> Change:
        group = own_group(state, actor)
        hand = _the_hand(group, self.ticket)
        return _hand_changed(state, group, replace(hand, lowered_at=now, lowered_by=actor.participant_id))


@dataclass(frozen=True)
class ClearHelp(Command):
    """The facilitator lowers a group's hand (the one `ticket` names): help came."""

    event: ClassVar[str] = "clear_help"
    roles: ClassVar = STAFF
    phases: ClassVar = ALL_PHASES

    group: int
    ticket: int

    def run(self, state: Session, actor: Actor, now: float) -> Change:
        group = existing_group(state, self.group)
        hand = _the_hand(group, self.ticket)
        return _hand_changed(state, group, replace(hand, lowered_at=now, lowered_by=None))
