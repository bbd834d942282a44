"""The planning phase: the timer, a group's format, and its shared sheet of answers."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import ClassVar

from .command import MEMBERS, STAFF, Change, Command, require
from .errors import Rejected
from .state import Actor, Answer, Group, Phase, Session, Timer
from .stories import with_missing_stories


def check_minutes(state: Session, minutes: int) -> None:
    limit = state.settings.max_timer_minutes
    require(1 <= minutes <= limit, "bad_minutes", f"Minutes must be between 1 and {limit}")


@dataclass(frozen=True)
class StartPlanning(Command):
    """The facilitator starts planning with a timer; any group still without a story gets one."""

    event: ClassVar[str] = "start_planning"
    roles: ClassVar = STAFF
    phases: ClassVar = frozenset({Phase.STORIES})

    minutes: int = 15

    def run(self, state: Session, actor: Actor, now: float) -> Change:
        check_minutes(state, self.minutes)
        timer = Timer(started_at=now, deadline=now + self.minutes * 60)
        return Change(replace(with_missing_stories(state), phase=Phase.PLANNING, timer=timer))


@dataclass(frozen=True)
class ExtendTimer(Command):
    """The facilitator adds minutes to the planning timer (counted from now if it already ran out)."""

    event: ClassVar[str] = "extend_timer"
    roles: ClassVar = STAFF
    phases: ClassVar = frozenset({Phase.PLANNING})

    minutes: int = 5

    def run(self, state: Session, actor: Actor, now: float) -> Change:
        check_minutes(state, self.minutes)
        started = state.timer.started_at if state.timer else now
        deadline = max(state.timer.deadline if state.timer else now, now) + self.minutes * 60
        return Change(replace(state, timer=Timer(started_at=started, deadline=deadline)))


def own_group(state: Session, actor: Actor) -> Group:
    group = state.group_of(actor.participant_id or "")
    if group is None:
        raise Rejected("no_group", "You are not in a group yet")
    return group


@dataclass(frozen=True)
class ChooseFormat(Command):
    """Any member picks (or changes) the group's format: 0, 1 or 2 in the group's list."""

    event: ClassVar[str] = "choose_format"
    roles: ClassVar = MEMBERS
    phases: ClassVar = frozenset({Phase.PLANNING})

    format: int

    def run(self, state: Session, actor: Actor, now: float) -> Change:
        group = own_group(state, actor)
        options = state.deck.formats_for(group.number)
        require(0 <= self.format < len(options), "unknown_format",
                f"Choose a format between 0 and {len(options) - 1}")
        state = state.with_group(replace(group, format=self.format))
        return Change(state, phones=frozenset(group.members), groups=frozenset({group.number}))


@dataclass(frozen=True)
class EditAnswer(Command):
    """A member replaces the text of one answer. `base_rev` is the rev the edit was made
    against; if someone else saved first, the edit is rejected as stale with the current text.
    A member's edit over their own later text is no conflict (a resend after a lost ack)."""

    event: ClassVar[str] = "edit_answer"
    roles: ClassVar = MEMBERS
    phases: ClassVar = frozenset({Phase.PLANNING})

    question: int
    text: str
    base_rev: int

    def run(self, state: Session, actor: Actor, now: float) -> Change:
        group = own_group(state, actor)
        count = len(group.answers)
        require(0 <= self.question < count, "unknown_question", f"Questions are numbered 0 to {count - 1}")
        limit = state.settings.max_answer
        require(len(self.text) <= limit, "too_long", f"An answer is at most {limit} characters")
        current = group.answers[self.question]
        if self.base_rev != current.rev and current.by != actor.participant_id:
            author = state.participants.get(current.by or "")
            raise Rejected("stale_edit", "Someone else changed this answer first",
                           {"question": self.question, "text": current.text, "rev": current.rev,
                            "by": author.name if author else None})
        answers = list(group.answers)
        answers[self.question] = Answer(text=self.text, rev=current.rev + 1, by=actor.participant_id)
        state = state.with_group(replace(group, answers=tuple(answers)))
        return Change(state, phones=frozenset(group.members), groups=frozenset({group.number}),
                      result={"rev": current.rev + 1})
