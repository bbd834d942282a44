"""The deck a session plays: format lists by group number and the planning questions."""

from __future__ import annotations

from dataclasses import dataclass

FORMATS_PER_LIST = 3
QUESTION_COUNT = 4


@dataclass(frozen=True)
class Deck:
    """A validated, immutable deck. Build one with `gamehub.content.formats.load_deck`."""

    title: str
    instructions: str
    questions: tuple[str, ...]
    lists: tuple[tuple[str, ...], ...]

    def formats_for(self, group_number: int) -> tuple[str, ...]:
        """The three formats of group N: list ((N - 1) mod L) + 1, as the deck rules."""
        return self.lists[(group_number - 1) % len(self.lists)]

    def to_dict(self) -> dict:
        return {
            "title": self.title,
            "instructions": self.instructions,
            "questions": list(self.questions),
            "lists": [list(formats) for formats in self.lists],
        }

    @classmethod
    def from_dict(cls, data: dict) -> Deck:
        return cls(
            title=data["title"],
            instructions=data["instructions"],
            questions=tuple(data["questions"]),
            lists=tuple(tuple(formats) for formats in data["lists"]),
        )
