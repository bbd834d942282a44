"""What the facilitator sets for the room's big screen: its sounds, and which page of group
cards it shows when they do not fit on one (pages turn only when the facilitator says so)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import ClassVar

from .command import STAFF, Change, Command, require
from .state import Actor, Phase, Session

PAGE_SIZE = 12  # group cards on one projector screen, readable from the back row at 1080p
PAGED = frozenset({Phase.GROUPS, Phase.STORIES, Phase.PLANNING, Phase.SHOWCASE})


def page_count(state: Session) -> int:
    return max(1, -(-len(state.groups) // PAGE_SIZE))


def shown_page(state: Session) -> int:
    """The page the projector shows (a page past the end, after a reshuffle, is the last)."""
    return min(state.page, page_count(state) - 1)


@dataclass(frozen=True)
class SetSound(Command):
    """The facilitator mutes (false) or unmutes (true) the projector's sounds."""

    event: ClassVar[str] = "set_sound"
    roles: ClassVar = STAFF

    on: bool

    def run(self, state: Session, actor: Actor, now: float) -> Change:
        return Change(replace(state, sound=self.on), phones=frozenset())


@dataclass(frozen=True)
class TurnPage(Command):
    """The facilitator turns the projector's page of group cards (+1 or -1). `from_page` is
    the page the sender saw, so a double click turns one page."""

    event: ClassVar[str] = "turn_page"
    roles: ClassVar = STAFF
    phases: ClassVar = PAGED

    delta: int
    from_page: int

    def run(self, state: Session, actor: Actor, now: float) -> Change:
        require(self.delta in (-1, 1), "bad_step", "Turn by +1 or -1")
        page = shown_page(state)
        require(self.from_page == page, "already_moved", f"Already done: the projector shows page {page + 1} now",
                {"page": page})
        target = page + self.delta
        require(0 <= target < page_count(state), "no_more_pages",
                "That was the last page" if self.delta > 0 else "This is the first page")
        return Change(replace(state, page=target), phones=frozenset())
