"""Commands that pick whose story each group tells."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import ClassVar

from .. import draws
from ..command import STAFF, Change, Command, PhaseStep, existing_group, require
from ..state import Actor, Group, Phase, Session, Story


def picked(state: Session, group: Group) -> tuple[Session, Group]:
    """Draw a story owner for `group` among its candidates; a re-roll avoids the current owner."""
    opted_out = {pid for pid in group.members if state.participants[pid].opt_out}
    in_join_order = [pid for pid in state.participants if pid in group.members]
    current = group.story.owner if group.story else None
    candidates = draws.story_candidates(in_join_order, opted_out, exclude=current)
    draw = state.draws
    owner = draws.rng_for(state.seed, f"story:{group.number}", draw).choice(candidates)
    group = replace(group, story=Story(owner=owner, candidates=candidates, draw=draw))
    return replace(state.with_group(group), draws=draw + 1), group


def with_missing_stories(state: Session) -> Session:
    """Pick a story for every group that has members but no story yet."""
    for group in state.groups:
        if group.members and group.story is None:
            state, _ = picked(state, group)
    return state


@dataclass(frozen=True)
class PickStories(PhaseStep):
    """The facilitator draws one story per group; the session moves to the stories phase."""

    event: ClassVar[str] = "pick_stories"
    roles: ClassVar = STAFF
    phases: ClassVar = frozenset({Phase.GROUPS})

    def run(self, state: Session, actor: Actor, now: float) -> Change:
        cleared = replace(state, groups=tuple(replace(g, story=None) for g in state.groups))
        return Change(replace(with_missing_stories(cleared), phase=Phase.STORIES))


@dataclass(frozen=True)
class RerollStory(Command):
    """The facilitator draws group N's story again (someone else's, if anyone else can be picked)."""

    event: ClassVar[str] = "reroll_story"
    roles: ClassVar = STAFF
    phases: ClassVar = frozenset({Phase.STORIES, Phase.PLANNING})

    group: int
    # The story owner the sender's screen showed ("" for none): a double click or a second tab
    # re-rolls once, not twice.
    from_owner: str | None = field(default=None, kw_only=True)
    required: ClassVar[tuple[str, ...]] = ("from_owner",)

    def run(self, state: Session, actor: Actor, now: float) -> Change:
        group = existing_group(state, self.group)
        owner = group.story.owner if group.story else ""
        require(self.from_owner is None or self.from_owner == owner, "already_moved",
                f"Already done: group {group.number} has a new story", {"owner": owner})
        require(bool(group.members), "empty_group", f"Group {self.group} has nobody in it")
        state, group = picked(state, group)
        return Change(state, phones=frozenset(group.members), groups=frozenset({group.number}))
