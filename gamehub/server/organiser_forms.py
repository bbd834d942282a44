"""Checking what the organiser's home sends: a new session's settings, field by field, with
errors that name the field (docs/organiser.md). Pure functions: no Flask, no store."""

from __future__ import annotations

from ..engine.state import GROUP_SIZES, PARTICIPANT_LIMITS, Settings
from ..i18n import SOURCE, available, language_error, tag

MINUTES = range(1, 181)  # as `start_planning` accepts them (Settings.max_timer_minutes)
MAX_BLOCKED_WORDS = 500
MAX_BLOCKED_WORD = 60
SESSION_FIELDS = {"deck", "group_size", "planning_minutes", "max_participants", "blocked_words", "language"}


class FieldError(ValueError):
    """A field the organiser must fix; `code` for scripts, `message` for people."""

    def __init__(self, field: str | None, message: str, code: str = "bad_field", status: int = 400):
        super().__init__(message)
        self.field, self.message, self.code, self.status = field, message, code, status

    def to_dict(self) -> dict:
        return {"error": {"code": self.code, "field": self.field, "message": self.message}}


def body_object(data: object, allowed: set[str]) -> dict:
    if not isinstance(data, dict):
        raise FieldError(None, "Send a JSON object", "bad_payload")
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise FieldError(unknown[0], f"{unknown[0]} is not a known field", "bad_payload")
    return data


def _whole(data: dict, field: str, allowed: range, default: int, label: str) -> int:
    value = data.get(field, default)
    if isinstance(value, bool) or not isinstance(value, int) or value not in allowed:
        raise FieldError(field, f"{label} must be a whole number from {allowed.start} to {allowed.stop - 1}")
    return value


def blocked_words(value: object) -> tuple[str, ...]:
    """The name filter: a list of words or phrases (tidied, duplicates dropped), as --blocked-words."""
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(w, str) for w in value):
        raise FieldError("blocked_words", "The name filter must be a list of words")
    words = tuple(dict.fromkeys(" ".join(w.split()) for w in value if w.strip()))
    if len(words) > MAX_BLOCKED_WORDS:
        raise FieldError("blocked_words", f"At most {MAX_BLOCKED_WORDS} words in the name filter")
    for word in words:
        if len(word) > MAX_BLOCKED_WORD:
            raise FieldError("blocked_words", f"“{word[:20]}…” is longer than {MAX_BLOCKED_WORD} characters")
    return words


def _language(value: object) -> str:
    """The room's language: one gamehub has a catalog for (docs/translating.md)."""
    if not isinstance(value, str) or language_error("language", value):
        raise FieldError("language", f"Choose one of the languages gamehub has: {', '.join(available())}")
    return tag(value)


def session_settings(data: dict, default_deck: str = "workshop") -> tuple[str, Settings]:
    """The deck id and the Settings of a new session, from the New session form."""
    data = body_object(data, SESSION_FIELDS)
    deck = data.get("deck", default_deck)
    if not isinstance(deck, str) or not deck:
        raise FieldError("deck", "Choose a deck")
    settings = Settings(
        group_size=_whole(data, "group_size", GROUP_SIZES, 4, "Group size"),
        planning_minutes=_whole(data, "planning_minutes", MINUTES, 15, "Planning minutes"),
        max_participants=_whole(data, "max_participants", PARTICIPANT_LIMITS, 500, "Most participants"),
        blocked_words=blocked_words(data.get("blocked_words")),
        language=_language(data.get("language", SOURCE)),
    )
    return deck, settings


def settings_dict(settings: Settings) -> dict:
    return {"group_size": settings.group_size, "planning_minutes": settings.planning_minutes,
            "max_participants": settings.max_participants, "blocked_words": list(settings.blocked_words),
            "language": settings.language}
