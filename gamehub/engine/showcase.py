"""The showcase: one group's card at a time on the projector, or a gallery of all."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import ClassVar

from .command import STAFF, Change, Command, PhaseStep, require
from .state import Actor, Phase, Session, Showcase

SHOWCASE = frozenset({Phase.SHOWCASE})


@dataclass(frozen=True)
class StartShowcase(PhaseStep):
    """The facilitator ends planning; the projector shows group 1's card."""

    event: ClassVar[str] = "start_showcase"
    roles: ClassVar = STAFF
    phases: ClassVar = frozenset({Phase.PLANNING})

    def run(self, state: Session, actor: Actor, now: float) -> Change:
        return Change(replace(state, phase=Phase.SHOWCASE, showcase=Showcase(), sheets_closed_at=now))


@dataclass(frozen=True)
class ShowcaseStep(Command):
    """The facilitator shows the next (+1) or previous (-1) group's card."""

    event: ClassVar[str] = "showcase_step"
    roles: ClassVar = STAFF
    phases: ClassVar = SHOWCASE

    delta: int
    # The card the sender saw (`showcase.index`): a double click on "Next" shows the next
    # group, not the one after it.
    from_index: int | None = field(default=None, kw_only=True)
    required: ClassVar[tuple[str, ...]] = ("from_index",)

    def run(self, state: Session, actor: Actor, now: float) -> Change:
        require(self.delta in (-1, 1), "bad_step", "Step by +1 or -1")
        require(self.from_index is None or self.from_index == state.showcase.index, "already_moved",
                f"Already done: the projector shows card {state.showcase.index + 1} now",
                {"index": state.showcase.index})
        index = state.showcase.index + self.delta
        require(0 <= index < len(state.groups), "no_more_groups",
                "That was the last group" if self.delta > 0 else "This is the first group")
        return Change(replace(state, showcase=Showcase(index=index)), phones=frozenset())


@dataclass(frozen=True)
class ShowcaseGallery(Command):
    """The facilitator switches the projector between one card and the gallery of all cards."""

    event: ClassVar[str] = "showcase_gallery"
    roles: ClassVar = STAFF
    phases: ClassVar = SHOWCASE

    on: bool

    def run(self, state: Session, actor: Actor, now: float) -> Change:
        return Change(replace(state, showcase=replace(state.showcase, gallery=self.on)), phones=frozenset())
