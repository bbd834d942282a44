"""The room's language, set by the facilitator: the projector shows it, and phones whose
browser asks for no language gamehub has fall back to it (docs/translating.md)."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import ClassVar

from .command import STAFF, Change, Command, require
from .state import Actor, Session

# A BCP 47 language with an optional region or script (de, pt-BR, en-XA). Which languages have
# a catalog is the server's business: an unknown one shows English, the source.
LANGUAGE_TAG = re.compile(r"^[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})?$")


@dataclass(frozen=True)
class SetLanguage(Command):
    """The facilitator sets the room's language (a tag such as "de" or "pt-BR")."""

    event: ClassVar[str] = "set_language"
    roles: ClassVar = STAFF

    language: str

    def run(self, state: Session, actor: Actor, now: float) -> Change:
        require(bool(LANGUAGE_TAG.match(self.language)), "bad_language",
                "Choose a language tag such as de or pt-BR")
        settings = replace(state.settings, language=self.language)
        return Change(replace(state, settings=settings))  # every screen may follow it
