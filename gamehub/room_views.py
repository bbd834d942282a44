"""What each audience sees of the facilitator's room tools (engine/room_tools.py): messages and
raised hands. Called from views.py; shapes are in docs/protocol.md, "Room tools"."""

from __future__ import annotations

from .engine import Group, Session
from .engine.room_tools import PHONE_SECONDS, PROJECTOR_SECONDS
from .engine.state import Help, Message


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


def hand(state: Session, help_: Help | None, me: str | None = None) -> dict | None:
    """A group's raised hand: its ticket, when, and who raised it (`mine` on that person's phone)."""
    if help_ is None:
        return None
    person = state.participants.get(help_.by)
    view = {"ticket": help_.ticket, "at": help_.at,
            "by": {"id": person.id, "name": person.name} if person else None}
    if me is not None:
        view["mine"] = help_.by == me
    return view
