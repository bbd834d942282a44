"""The planning phase: the timer, a group's format, and its shared sheet of answers."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import ClassVar

from ..command import MEMBERS, STAFF, Change, Command, PhaseStep, SheetEcho, require
from ..errors import Rejected
from ..sheet import SHEET_GRACE
from ..state import Actor, Group, Phase, Session, Timer
from .stories import with_missing_stories


def check_minutes(state: Session, minutes: int) -> None:
    limit = state.settings.max_timer_minutes
    require(1 <= minutes <= limit, "bad_minutes", f"Minutes must be between 1 and {limit}")


@dataclass(frozen=True)
class StartPlanning(PhaseStep):
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
        state = state.with_group(replace(group, format=self.format, format_by=actor.participant_id))
        return Change(state, phones=frozenset(group.members), groups=frozenset({group.number}))


@dataclass(frozen=True)
class EditSheet(Command):
    """A member's change to the group's shared sheet: a Yjs update, merged with everyone
    else's, character by character. Still taken for `SHEET_GRACE` seconds after planning
    ends, so what was typed up to the moment the facilitator moved on arrives."""

    event: ClassVar[str] = "sheet_update"
    roles: ClassVar = MEMBERS

    sheet: str
    update: str

    def run(self, state: Session, actor: Actor, now: float) -> Change:
        if state.phase is not Phase.PLANNING and not sheets_open(state, now):
            raise Rejected("wrong_phase", "The planning time is over: the sheet no longer takes changes")
        group = sheet_group(state, actor, self.sheet)
        sheet, changed = group.sheet.merged(self.update, actor.participant_id, state.settings.max_answer)
        state = state.with_group(replace(group, sheet=sheet))
        echo = SheetEcho(group=group.number, sheet=sheet.id, update=self.update, by=actor.participant_id,
                         fields=changed)
        # While planning, no views: the update itself goes to the groupmates (the echo), whose
        # pages edit the document; the staff get a patch. Once planning is over, the phones
        # show the group's card from their view, so a late update brings them a new one.
        phones = frozenset() if state.phase is Phase.PLANNING else frozenset(group.members)
        # In the showcase, the card on screen is revealed in steps made from its answers (the
        # projector view's `showcase.reveal`): a late update there sends whole staff views.
        on_screen = state.phase is Phase.SHOWCASE and state.showcase.index == group.number - 1
        return Change(state, phones=phones, groups=None if on_screen else frozenset({group.number}), echo=echo)


def sheets_open(state: Session, now: float) -> bool:
    """Whether planning ended so recently that late sheet updates are still merged."""
    return state.sheets_closed_at is not None and now - state.sheets_closed_at <= SHEET_GRACE


def sheet_group(state: Session, actor: Actor, sheet_id: str) -> Group:
    """The sender's group, if `sheet_id` is its current sheet."""
    group = state.group_of(actor.participant_id or "")
    current = group.sheet.id if group and group.sheet else None
    if current is None or current != sheet_id:
        raise Rejected("not_your_group", "This is not your group's sheet", {"sheet": current})
    return group
