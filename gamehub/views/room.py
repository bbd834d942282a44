"""What each audience sees of the facilitator's room tools (engine/room_tools.py): messages and
raised hands. Called from views.py; shapes are in docs/protocol.md, "Room tools"."""

from __future__ import annotations

from ..engine import Group, Session
from ..engine.room_tools import PHONE_SECONDS, PROJECTOR_SECONDS
from ..engine.state import Help, Message


def _message(message: Message) -> dict:
    return {"id": message.id, "text": message.text, "at": message.at}


def phone_message(state: Session, group: Group | None, now: float) -> dict | None:
    """The latest message meant for this phone (to everyone, or to its group), while recent."""
    candidates = [(state.message, "everyone"), (group.message if group else None, "group")]
    fresh = [(m, to) for m, to in candidates if m is not None and now - m.at < PHONE_SECONDS]
    if not fresh:
        return None
    message, to = max(fresh, key=lambda pair: pair[0].id)
    return {**_message(message), "to": to}


def projector_message(state: Session, now: float) -> dict | None:
    """The message to everyone, while the projector still shows it (until `until`)."""
    message = state.message
    if message is None or now >= message.at + PROJECTOR_SECONDS:
        return None
    return {**_message(message), "until": message.at + PROJECTOR_SECONDS}


def staff_message(message: Message | None) -> dict | None:
    """A message as the facilitator sees it: always the last one sent, however old."""
    return _message(message) if message else None


def _person(state: Session, pid: str | None) -> dict | None:
    person = state.participants.get(pid or "")
    return {"id": person.id, "name": person.name} if person else None


def staff_hand(state: Session, help_: Help | None) -> dict | None:
    """A group's hand while it is up: its ticket, when, and who raised it."""
    if help_ is None or not help_.up:
        return None
    return {"ticket": help_.ticket, "at": help_.at, "by": _person(state, help_.by)}


def phone_hand(state: Session, help_: Help | None, me: str, now: float) -> dict | None:
    """The group's hand on a member's phone: up, or lowered (by whom, when) a short while ago."""
    if help_ is None or (not help_.up and now - help_.lowered_at >= PHONE_SECONDS):
        return None
    lowered = None if help_.up else {
        "at": help_.lowered_at, "by": "facilitator" if help_.lowered_by is None else "member",
        "member": _person(state, help_.lowered_by), "mine": help_.lowered_by == me}
    return {"ticket": help_.ticket, "at": help_.at, "by": _person(state, help_.by), "mine": help_.by == me,
            "lowered": lowered}
