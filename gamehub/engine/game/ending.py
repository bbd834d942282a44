"""The end of the game: the facilitator ends it after the showcase, and the session becomes a
keepsake. Phones show a thank-you and their group's card until the session is deleted.

An ended session keeps its phase (the showcase) and everything in it; `Session.ended_at` says
when it ended. From then on it refuses every command as `session_ended`, except the ones in
`AFTER_END`: what the room sees may still be corrected (a name, a hidden text) and the
projector muted, but nobody joins, nothing is typed or chosen, no phase moves, and the game
cannot be started again. Exports, deleting and the views are not commands: they go on.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import ClassVar

from ..command import STAFF, Change, Command, PhaseStep, require
from ..errors import Rejected
from ..state import Actor, Phase, Session

# Still accepted after the end (EndSession itself answers a second end as `already_moved`).
# The facilitator may still message the phones (where to find the cards later, say) and lower
# a hand left up; nobody raises a new one.
# The room's language may change too: the thank-you and the cards read in it.
AFTER_END = frozenset({"end_session", "hide_text", "rename_participant", "set_sound", "send_message", "clear_help",
                       "set_language"})


def check_not_ended(state: Session, command: Command) -> None:
    """Refuse a command an ended session no longer takes."""
    if state.ended_at is not None and command.event not in AFTER_END:
        raise Rejected("session_ended", "The game has ended: the session only shows its results now",
                       {"ended_at": state.ended_at})


@dataclass(frozen=True)
class EndSession(PhaseStep):
    """The facilitator ends the game after the showcase. Phones turn to a thank-you and their
    group's card, the projector to a closing screen; the presenter countdown stops. A second
    end (a double click, another tab) is refused as `already_moved`, changing nothing."""

    event: ClassVar[str] = "end_session"
    roles: ClassVar = STAFF
    phases: ClassVar = frozenset({Phase.SHOWCASE})

    def run(self, state: Session, actor: Actor, now: float) -> Change:
        require(state.ended_at is None, "already_moved", "Already done: the game has ended",
                {"phase": state.phase.value, "ended_at": state.ended_at})
        showcase = replace(state.showcase, presenter=None, gallery=False)
        vote = state.vote
        if vote is not None and vote.open:  # the ballots cast count; the results go in the export
            vote = replace(vote, open=False, closed_at=now)
        return Change(replace(state, ended_at=now, showcase=showcase, vote=vote))
