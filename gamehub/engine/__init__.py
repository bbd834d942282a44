"""The game's rules as pure code: no Flask, no Socket.IO, no I/O.

`apply(state, command, actor, now)` checks a command against a session and returns the new
session plus which phones must hear of it, or the unchanged session and a `Rejected` error.
The clock comes in as `now`; randomness comes from the seed kept in the session.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .command import Change, Command, SheetEcho
from .deck import Deck
from .errors import Rejected
from .game.ending import EndSession, check_not_ended
from .game.groups import FormGroups, MoveParticipant, Reshuffle
from .game.navigation import Back
from .game.planning import ChooseFormat, EditSheet, ExtendTimer, StartPlanning
from .game.showcase import (
    SetPresenterTimer,
    ShowcaseGallery,
    ShowcaseStep,
    StartShowcase,
)
from .game.stories import PickStories, RerollStory
from .game.vote import CloseVote, OpenVote, SetBallot
from .language import SetLanguage
from .lobby import AddParticipant, Join, RemoveParticipant, SetLocked
from .moderation import HideText, RemoveJoinedSince, RenameParticipant
from .room import SetSound, TurnPage
from .room_tools import AskHelp, CancelHelp, ClearHelp, SendMessage
from .sheet import Sheet
from .state import (
    Actor,
    Group,
    Participant,
    Phase,
    Role,
    Session,
    Settings,
    Story,
    Timer,
)

COMMANDS: dict[str, type[Command]] = {
    cls.event: cls
    for cls in (
        Join, AddParticipant, RemoveParticipant, SetLocked, HideText, RenameParticipant, RemoveJoinedSince,
        FormGroups, Reshuffle, MoveParticipant,
        PickStories, RerollStory,
        StartPlanning, ExtendTimer, ChooseFormat, EditSheet,
        StartShowcase, ShowcaseStep, ShowcaseGallery, SetPresenterTimer,
        SetSound, TurnPage, SetLanguage,
        SendMessage, AskHelp, CancelHelp, ClearHelp,
        OpenVote, SetBallot, CloseVote,
        Back, EndSession,
    )
}


@dataclass(frozen=True)
class Outcome:
    """The result of `apply`. On rejection `state` is the input state, untouched."""

    state: Session
    phones: frozenset[str] | None = None
    result: dict = field(default_factory=dict)
    error: Rejected | None = None
    groups: frozenset[int] | None = None  # see Change
    echo: SheetEcho | None = None  # see Change

    @property
    def ok(self) -> bool:
        return self.error is None


def new_session(session_id: str, seed: str, deck: Deck, settings: Settings, now: float) -> Session:
    """A fresh session in the lobby."""
    return Session(id=session_id, seed=seed, deck=deck, settings=settings, created_at=now)


def apply(state: Session, command: Command, actor: Actor, now: float) -> Outcome:
    """Apply one command; every accepted command bumps the session's version by one."""
    try:
        if actor.role not in command.roles:
            raise Rejected("forbidden", f"'{command.event}' is not allowed for a {actor.role.value}")
        command.check_intent(state)
        check_not_ended(state, command)
        if state.phase not in command.phases:
            allowed = ", ".join(p.value for p in Phase if p in command.phases)
            raise Rejected("wrong_phase", f"'{command.event}' is only possible in: {allowed} "
                                          f"(the session is in {state.phase.value})")
        change: Change = command.run(state, actor, now)
    except Rejected as error:
        return Outcome(state=state, error=error)
    return Outcome(state=change.state.bumped(), phones=change.phones,
                   result=change.result, groups=change.groups, echo=change.echo)


__all__ = [
    "COMMANDS", "Actor", "Command", "Deck", "Group", "Outcome", "Participant", "Phase",
    "Rejected", "Role", "Session", "Settings", "Sheet", "SheetEcho", "Story", "Timer", "apply", "new_session",
]
