"""The facilitator's moderation: hide a participant's texts from the room, rename them, or
remove a flood of joins at once.

Removing someone and locking joining live in `lobby`; the name filter is `lobby.clean_name`.

Hiding and renaming send every phone a new view, not only the person's group: a phone's view
also shows other groups' stories in parts the whole room shares (the ballots of an open vote,
the card on the projector, kept in the views after the end), and a list of who shows whom kept
here would miss the next such part. It is one click of the facilitator's, no dearer than a
phase step.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import ClassVar

from .command import STAFF, Change, Command, require
from .lobby import clean_name, known_participant, without_member
from .state import Actor, Session


@dataclass(frozen=True)
class HideText(Command):
    """The facilitator hides (or shows again) one participant's name, story and answers on the
    projector and in the showcase; no other phone sees their story's title or pitch (their
    group's, the card on screen, the ballots). Nothing is deleted: showing again brings it all back."""

    event: ClassVar[str] = "hide_text"
    roles: ClassVar = STAFF

    participant: str
    hidden: bool

    def run(self, state: Session, actor: Actor, now: float) -> Change:
        person = known_participant(state, self.participant)
        state = replace(state, participants={**state.participants, person.id: replace(person, hidden=self.hidden)})
        return Change(state)  # every phone: see above


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
        return Change(state)  # every phone: see above


@dataclass(frozen=True)
class RemoveJoinedSince(Command):
    """The facilitator removes, in one step, everyone who joined from one moment on (a flood of
    fake joins): from `participant` (the first to go) through `through` (the newest the screen
    showed), in join order. `count` is how many the confirmation named; unless exactly that
    many are still in the session between the two, nobody is removed, so a confirmation made
    stale (someone in the range removed meanwhile) cannot reach past what it counted. People
    who joined after `through` stay. Each is removed as by `remove_participant`."""

    event: ClassVar[str] = "remove_joined_since"
    roles: ClassVar = STAFF

    participant: str
    through: str
    count: int

    def run(self, state: Session, actor: Actor, now: float) -> Change:
        first = known_participant(state, self.participant)
        last = known_participant(state, self.through)
        order = list(state.participants)  # join order (ids are never reused)
        start, end = order.index(first.id), order.index(last.id)
        require(start <= end, "bad_payload",
                "remove_joined_since: 'through' must be 'participant' or someone who joined after them")
        gone = order[start:end + 1]
        require(self.count == len(gone), "count_changed",
                "The list changed since you asked: check the count, then confirm again", {"count": len(gone)})
        leaving = [state.participants[pid] for pid in gone]
        gone_ids = frozenset(gone)
        state = replace(
            state,
            participants={pid: p for pid, p in state.participants.items() if pid not in gone_ids},
            removed_tokens=state.removed_tokens | {p.token_hash for p in leaving if p.token_hash},
            hidden_removed=state.hidden_removed | {p.id for p in leaving if p.hidden})
        phones = set(gone_ids)
        for group in state.groups:
            if gone_ids.intersection(group.members):
                for pid in gone_ids.intersection(group.members):
                    group = without_member(group, pid)
                state = state.with_group(group)
                phones.update(group.members)
        return Change(state, phones=frozenset(phones), result={"removed": len(gone)})
