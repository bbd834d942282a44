"""Going back a phase, for when the facilitator moved on too soon."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import ClassVar

from ..command import STAFF, Change, PhaseStep
from ..state import Actor, Phase, Session


@dataclass(frozen=True)
class Back(PhaseStep):
    """The facilitator returns to the previous phase. What each step undoes:

    groups -> lobby: the groups are dissolved; stories -> groups: the picks are undone;
    planning -> stories: the timer stops, formats and answers are kept (late sheet updates
    are still merged for a short grace, as after the showcase starts);
    showcase -> planning: nothing is lost, the timer is as it was (extend it for more time).
    """

    event: ClassVar[str] = "back"
    roles: ClassVar = STAFF
    phases: ClassVar = frozenset({Phase.GROUPS, Phase.STORIES, Phase.PLANNING, Phase.SHOWCASE})

    def run(self, state: Session, actor: Actor, now: float) -> Change:
        if state.phase is Phase.GROUPS:
            participants = {pid: replace(p, late_group=None) for pid, p in state.participants.items()}
            return Change(replace(state, phase=Phase.LOBBY, groups=(), participants=participants))
        if state.phase is Phase.STORIES:
            groups = tuple(replace(g, story=None) for g in state.groups)
            return Change(replace(state, phase=Phase.GROUPS, groups=groups))
        if state.phase is Phase.PLANNING:
            return Change(replace(state, phase=Phase.STORIES, timer=None, sheets_closed_at=now))
        return Change(replace(state, phase=Phase.PLANNING))
