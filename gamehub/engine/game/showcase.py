"""The showcase: one group's card at a time on the projector, revealed step by step, with a
presenter countdown per group; or a gallery of all cards.

A card's steps: 0 shows the group's number and members, 1 its story, 2 its format, and each
step after that one part of one non-empty answer (`reveal_parts`): an answer too long to read
from the back row at a readable size is split into parts, never shrunk. The steps are server
state, so every projector (and a reloaded one) shows the same step.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import ClassVar

from ..command import STAFF, Change, Command, PhaseStep, require
from ..state import Actor, Group, Phase, Session, Showcase, Timer

SHOWCASE = frozenset({Phase.SHOWCASE})
HEAD_STEPS = 3  # number and members, story, format
PART_CHARS = 600  # at most this much of an answer per step (a line break counts as LINE_COST)
LINE_COST = 60
PRESENTER_SECONDS = range(0, 1801)  # 0 turns the presenter countdown off


def answer_hidden(state: Session, authors: tuple[str, ...]) -> bool:
    """Whether the room may not see an answer: someone hidden (or removed while hidden) typed in it."""
    people = state.participants
    return any(people[pid].hidden if pid in people else pid in state.hidden_removed for pid in authors)


def split_answer(text: str, limit: int = PART_CHARS) -> list[str]:
    """An answer in parts of at most `limit` (line breaks weigh LINE_COST each), cut after a
    sentence when one ends in the second half of a part, else between words; a word longer
    than a part is cut where it must be. Short answers are one part."""
    text = text.strip()
    if not text:
        return []
    parts: list[str] = []
    rest = text
    while rest:
        if _weight(rest) <= limit:
            parts.append(rest)
            break
        # The longest prefix within the limit.
        end, weight = 0, 0
        while end < len(rest):
            cost = LINE_COST if rest[end] == "\n" else 1
            if weight + cost > limit:
                break
            weight += cost
            end += 1
        head = rest[:end]
        cut = max((m.end() for m in re.finditer(r"[.!?…](?=\s)|\n", head)), default=0)
        if cut < end // 2:
            space = head.rfind(" ")
            cut = space if space > end // 3 else end
        parts.append(rest[:cut].strip())
        rest = rest[cut:].strip()
    return [p for p in parts if p]


def _weight(text: str) -> int:
    return len(text) + (LINE_COST - 1) * text.count("\n")


def reveal_parts(state: Session, group: Group) -> list[tuple[int, int, int, str | None]]:
    """The answer steps of a group's card, in order: (question, part, parts, text), with text
    None for an answer the facilitator hid (one step, whatever its length). Empty answers have
    no step."""
    if group.sheet is None:
        return []
    steps = []
    for question, (text, authors) in enumerate(zip(group.sheet.texts, group.sheet.authors)):
        if not text.strip():
            continue
        if answer_hidden(state, authors):
            steps.append((question, 0, 1, None))
            continue
        parts = split_answer(text)
        steps.extend((question, i, len(parts), part) for i, part in enumerate(parts))
    return steps


def last_step(state: Session, index: int) -> int:
    """The step at which a card is fully revealed."""
    return HEAD_STEPS - 1 + len(reveal_parts(state, state.groups[index]))


def presenter_timer(state: Session, now: float) -> Timer | None:
    seconds = state.showcase.presenter_seconds
    return Timer(started_at=now, deadline=now + seconds) if seconds else None


@dataclass(frozen=True)
class StartShowcase(PhaseStep):
    """The facilitator ends planning; the projector shows group 1's card, its first step, and
    the presenter countdown starts."""

    event: ClassVar[str] = "start_showcase"
    roles: ClassVar = STAFF
    phases: ClassVar = frozenset({Phase.PLANNING})

    def run(self, state: Session, actor: Actor, now: float) -> Change:
        showcase = Showcase(presenter_seconds=state.showcase.presenter_seconds)
        state = replace(state, phase=Phase.SHOWCASE, showcase=showcase, sheets_closed_at=now)
        return Change(replace(state, showcase=replace(showcase, presenter=presenter_timer(state, now))))


@dataclass(frozen=True)
class ShowcaseStep(Command):
    """The facilitator reveals the next (+1) or hides the last (-1) step of the card on screen,
    going on to the next card after the last step (and back to the previous card, fully
    revealed, before the first). Without `from_step` (older clients) or with `card`, the step
    moves a whole card: the next one at its first step, the previous one fully revealed. A new
    card restarts the presenter countdown."""

    event: ClassVar[str] = "showcase_step"
    roles: ClassVar = STAFF
    phases: ClassVar = SHOWCASE

    delta: int
    # The card and step the sender saw: a double click on "Next" reveals one step, not two.
    from_index: int | None = field(default=None, kw_only=True)
    from_step: int | None = field(default=None, kw_only=True)
    card: bool = field(default=False, kw_only=True)
    required: ClassVar[tuple[str, ...]] = ("from_index",)

    def run(self, state: Session, actor: Actor, now: float) -> Change:
        show = state.showcase
        require(self.delta in (-1, 1), "bad_step", "Step by +1 or -1")
        where = {"index": show.index, "step": show.step}
        require(self.from_index is None or self.from_index == show.index, "already_moved",
                f"Already done: the projector shows card {show.index + 1} now", where)
        require(self.from_step is None or self.from_step == show.step, "already_moved",
                f"Already done: the projector shows step {show.step + 1} of card {show.index + 1} now", where)
        last = last_step(state, show.index)
        step = min(show.step, last)
        if self.from_step is not None and not self.card and 0 <= step + self.delta <= last:
            return Change(replace(state, showcase=replace(show, step=step + self.delta, gallery=False)),
                          phones=frozenset())
        index = show.index + self.delta
        require(0 <= index < len(state.groups), "no_more_groups",
                "That was the last group" if self.delta > 0 else "This is the first group")
        step = 0 if self.delta > 0 else last_step(state, index)
        showcase = replace(show, index=index, step=step, gallery=False, presenter=presenter_timer(state, now))
        return Change(replace(state, showcase=showcase), phones=frozenset())


@dataclass(frozen=True)
class ShowcaseGallery(Command):
    """The facilitator switches the projector between one card and the gallery of all cards."""

    event: ClassVar[str] = "showcase_gallery"
    roles: ClassVar = STAFF
    phases: ClassVar = SHOWCASE

    on: bool

    def run(self, state: Session, actor: Actor, now: float) -> Change:
        return Change(replace(state, showcase=replace(state.showcase, gallery=self.on)), phones=frozenset())


@dataclass(frozen=True)
class SetPresenterTimer(Command):
    """The facilitator sets how long each group presents (0: no countdown). In the showcase the
    countdown of the card on screen starts again with it, so this also restarts it."""

    event: ClassVar[str] = "set_presenter_timer"
    roles: ClassVar = STAFF

    seconds: int

    def run(self, state: Session, actor: Actor, now: float) -> Change:
        require(self.seconds in PRESENTER_SECONDS, "bad_seconds",
                f"Presenter time must be 0 to {PRESENTER_SECONDS[-1]} seconds")
        show = replace(state.showcase, presenter_seconds=self.seconds)
        state = replace(state, showcase=show)
        if state.phase is Phase.SHOWCASE:
            state = replace(state, showcase=replace(show, presenter=presenter_timer(state, now)))
        return Change(state, phones=frozenset())
