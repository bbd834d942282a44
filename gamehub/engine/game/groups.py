"""Commands that make and change the groups."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import ClassVar

from .. import draws
from ..command import STAFF, Change, Command, PhaseStep, existing_group, require
from ..lobby import known_participant, without_member
from ..sheet import Sheet, sheet_id
from ..state import Actor, Group, Phase, Session


def formed_groups(state: Session) -> Session:
    """Deal everyone into numbered groups with the session's next draw."""
    draw = state.draws
    rng = draws.rng_for(state.seed, "groups", draw)
    dealt = draws.deal_groups(list(state.participants), state.settings.group_size, rng)
    questions = len(state.deck.questions)
    groups = tuple(Group(number=i + 1, members=members, sheet=Sheet.blank(sheet_id(draw, i + 1), questions))
                   for i, members in enumerate(dealt))
    participants = {pid: replace(p, late_group=None) for pid, p in state.participants.items()}
    # New sheets have never been open: no grace for late updates applies to them.
    return replace(state, groups=groups, grouping_draw=draw, draws=draw + 1, participants=participants,
                   sheets_closed_at=None)


@dataclass(frozen=True)
class FormGroups(PhaseStep):
    """The facilitator splits everyone into groups; the session moves to the groups phase."""

    event: ClassVar[str] = "form_groups"
    roles: ClassVar = STAFF
    phases: ClassVar = frozenset({Phase.LOBBY})

    def run(self, state: Session, actor: Actor, now: float) -> Change:
        require(bool(state.participants), "no_participants", "Nobody has joined yet")
        return Change(replace(formed_groups(state), phase=Phase.GROUPS))


@dataclass(frozen=True)
class Reshuffle(Command):
    """The facilitator deals the groups again with a fresh draw."""

    event: ClassVar[str] = "reshuffle"
    roles: ClassVar = STAFF
    phases: ClassVar = frozenset({Phase.GROUPS})

    def run(self, state: Session, actor: Actor, now: float) -> Change:
        require(bool(state.participants), "no_participants", "Nobody is left to group")
        return Change(formed_groups(state))


@dataclass(frozen=True)
class MoveParticipant(Command):
    """The facilitator moves one person to another group (their answers stay with the old group)."""

    event: ClassVar[str] = "move_participant"
    roles: ClassVar = STAFF
    phases: ClassVar = frozenset({Phase.GROUPS, Phase.STORIES, Phase.PLANNING})

    participant: str
    group: int

    def run(self, state: Session, actor: Actor, now: float) -> Change:
        person = known_participant(state, self.participant)
        target = existing_group(state, self.group)
        source = state.group_of(person.id)
        require(source is None or source.number != target.number, "same_group",
                f"{person.name} is already in group {target.number}")
        if source is not None:
            state = state.with_group(without_member(source, person.id))
        state = state.with_group(replace(target, members=target.members + (person.id,)))
        state = replace(state, participants={**state.participants, person.id: replace(person, late_group=None)})
        affected = target.members + (person.id,) + (source.members if source else ())
        return Change(state, phones=frozenset(affected))
