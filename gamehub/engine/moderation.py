"""The facilitator's moderation: hide a participant's texts from the room, or rename them.

Removing someone and locking joining live in `lobby`; the name filter is `lobby.clean_name`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import ClassVar

from .command import STAFF, Change, Command
from .lobby import clean_name, known_participant
from .state import Actor, Participant, Session


def _audience_of(state: Session, person: Participant) -> frozenset[str]:
    """The phones that show this person's name or story: their own and their group's."""
    group = state.group_of(person.id)
    return frozenset(group.members if group else ()) | {person.id}


@dataclass(frozen=True)
class HideText(Command):
    """The facilitator hides (or shows again) one participant's name, story and answers on the
    projector and in the showcase; their group's phones no longer see their story's title or
    pitch. Nothing is deleted: showing again brings it all back."""

    event: ClassVar[str] = "hide_text"
    roles: ClassVar = STAFF

    participant: str
    hidden: bool

    def run(self, state: Session, actor: Actor, now: float) -> Change:
        person = known_participant(state, self.participant)
        state = replace(state, participants={**state.participants, person.id: replace(person, hidden=self.hidden)})
        return Change(state, phones=_audience_of(state, person))


@dataclass(frozen=True)
class RenameParticipant(Command):
    """The facilitator renames someone (a typo, or a name that should not be on the wall),
    with the same limits and name filter as joining."""

    event: ClassVar[str] = "rename_participant"
    roles: ClassVar = STAFF

    participant: str
    name: str

    def run(self, state: Session, actor: Actor, now: float) -> Change:
        person = known_participant(state, self.participant)
        name = clean_name(state.settings, self.name, "The name")
        state = replace(state, participants={**state.participants, person.id: replace(person, name=name)})
        return Change(state, phones=_audience_of(state, person))
