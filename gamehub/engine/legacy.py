"""Commands that clients no longer send, kept so that sessions stored before can still be replayed.

`edit_answer` replaced a whole answer's text against a revision number, until group sheets
became shared documents. A log written then still holds such commands; replaying one sets
the answer's text, as it did (docs/protocol.md no longer lists it: the server refuses it).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import ClassVar

from .codec import legacy_sheet
from .command import MEMBERS, Change, Command
from .game.planning import own_group
from .state import Actor, Phase, Session


@dataclass(frozen=True)
class LegacyEditAnswer(Command):
    """A whole-text answer edit from a log written before shared sheets."""

    event: ClassVar[str] = "edit_answer"
    roles: ClassVar = MEMBERS
    phases: ClassVar = frozenset({Phase.PLANNING})

    question: int
    text: str
    base_rev: int = 0

    def run(self, state: Session, actor: Actor, now: float) -> Change:
        group = own_group(state, actor)
        texts = list(group.sheet.texts)
        texts[self.question] = self.text
        by = [names[-1] if names else None for names in group.sheet.authors]
        by[self.question] = actor.participant_id
        sheet = legacy_sheet(group.sheet.id, texts, by)
        return Change(state.with_group(replace(group, sheet=sheet)), groups=frozenset({group.number}))


LEGACY_COMMANDS: dict[str, type[Command]] = {LegacyEditAnswer.event: LegacyEditAnswer}
