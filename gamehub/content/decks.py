"""Organiser decks: the built-in workshop deck plus decks kept in the store, validated by the
same code as formats.yaml, with errors that name a form field ("list 3, format 2: empty").

A deck's data has the shape of formats.yaml: {title, instructions, questions: [4 texts],
formats: {1: [3 texts], 2: [...]}}. Stored as JSON, whose keys are strings, so the store holds
`formats` with "1", "2"... keys; `from_stored` turns them back into numbers.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from pathlib import Path

import yaml

from ..engine.deck import Deck
from .formats import (
    FormatsError,
    default_formats_path,
    load_deck,
    parse_deck,
    safe_load,
)
from .resources import resource

BUILTIN_ID = "workshop"  # the workshop's own deck: shown, copied, never changed or deleted
MAX_UPLOAD_BYTES = 64 * 1024  # a deck is a few hundred bytes; anything near this is not one
MAX_DEPTH = 4  # top mapping > formats mapping > a list > a text: deeper is not a deck
MAX_LISTS = 50
# A store holds decks for every organiser of the server, each a few KB at most: a facilitator
# keeps a handful, so this bounds only a script or a stuck button (the app's MAX_DECKS overrides it).
MAX_DECKS = 100
# Generous for a projector, small enough that one deck cannot fill a page or a database row.
MAX_TITLE, MAX_INSTRUCTIONS, MAX_QUESTION, MAX_FORMAT = 120, 2000, 300, 120
_DECK_ID = re.compile(r"^[A-Za-z0-9_-]{1,32}$")


class DeckError(ValueError):
    """A deck that cannot be saved; `field` names the form field, `message` says why, for people."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field, self.message = field, message

    def to_dict(self) -> dict:
        return {"field": self.field, "message": self.message}


@dataclass(frozen=True)
class DeckData:
    """A validated deck, and its data in formats.yaml shape (numbers as keys)."""

    deck: Deck
    data: dict


def new_deck_id() -> str:
    return "d" + secrets.token_hex(6)


def valid_deck_id(deck_id: object) -> bool:
    return isinstance(deck_id, str) and _DECK_ID.match(deck_id) is not None


# The workshop deck in each language it ships in: English is formats.yaml itself, the others
# are translations beside it (decks/workshop.<language>.yaml), each a built-in deck of its own.
BUILTIN_LANGUAGES = ("en", "de", "fr", "es")


def builtin_id(language: str = "en") -> str:
    """The id of the workshop deck in `language` ("workshop" for English, "workshop-de"...)."""
    return BUILTIN_ID if language == "en" else f"{BUILTIN_ID}-{language}"


def is_builtin(deck_id: str) -> bool:
    return deck_id in {builtin_id(language) for language in BUILTIN_LANGUAGES}


def builtin_path(language: str = "en") -> Path:
    """Where the workshop deck in `language` is; ValueError for a language it is not in."""
    if language not in BUILTIN_LANGUAGES:
        raise ValueError(f"the workshop deck is in {', '.join(BUILTIN_LANGUAGES)}, not {language!r}")
    return default_formats_path() if language == "en" else resource("decks") / f"workshop.{language}.yaml"


def builtin_deck(language: str = "en") -> Deck:
    """The workshop deck in `language`, for a session played in that language."""
    return load_deck(builtin_path(language))


def deck_for(formats: str | Path | None, language: str) -> Deck:
    """The deck a new session plays: the formats file given, else the workshop deck in the
    room's language (`de-AT` plays the German one), else the English one."""
    if formats is not None:
        return load_deck(formats)
    base = language.replace("_", "-").split("-")[0].lower()
    return builtin_deck(base if base in BUILTIN_LANGUAGES else "en")


def builtin_data(language: str = "en") -> dict:
    """The workshop deck (formats.yaml as shipped, or its translation), in formats.yaml shape."""
    return data_of(builtin_deck(language))


def data_of(deck: Deck) -> dict:
    return {"title": deck.title, "instructions": deck.instructions, "questions": list(deck.questions),
            "formats": {i + 1: list(options) for i, options in enumerate(deck.lists)}}


def to_stored(data: dict) -> dict:
    return {**data, "formats": {str(k): v for k, v in data["formats"].items()}}


def from_stored(data: dict) -> dict:
    return {**data, "formats": {int(k): v for k, v in data["formats"].items()}}


def validate(data: object) -> DeckData:
    """A deck from form or YAML data, or DeckError naming the field. `formats` may be a mapping
    (formats.yaml) or a list of lists (the form), whose position is the group number."""
    if isinstance(data, dict) and isinstance(data.get("formats"), list):
        data = {**data, "formats": {i + 1: v for i, v in enumerate(data["formats"])}}
    if isinstance(data, dict) and isinstance(data.get("formats"), dict) and len(data["formats"]) > MAX_LISTS:
        raise DeckError("formats", f"at most {MAX_LISTS} lists")
    try:
        deck = parse_deck(data, Path("deck"))
    except FormatsError as error:
        raise DeckError(*_field(error.key, error.problem)) from None
    _check_lengths(deck)
    return DeckData(deck, data_of(deck))


def _field(key: str, problem: str) -> tuple[str, str]:
    """formats.py's key ('formats.3[1]', 'questions[2]') as a form field and a sentence."""
    empty = "empty" if "non-empty" in problem else problem
    if m := re.fullmatch(r"formats\.(\d+)\[(\d+)\]", key):
        return f"formats.{m[1]}.{int(m[2]) + 1}", f"list {m[1]}, format {int(m[2]) + 1}: {empty}"
    if m := re.fullmatch(r"formats\.(\S+)", key):
        return f"formats.{m[1]}", f"list {m[1]}: {problem}"
    if m := re.fullmatch(r"questions\[(\d+)\]", key):
        return f"questions.{int(m[1]) + 1}", f"question {int(m[1]) + 1}: {empty}"
    if key in ("title", "instructions", "questions", "formats"):
        return key, f"{key}: {problem}"
    return "file", f"{key}: {problem}"


def _check_lengths(deck: Deck) -> None:
    if not deck.title:
        raise DeckError("title", "title: empty")
    for field, text, limit in (("title", deck.title, MAX_TITLE), ("instructions", deck.instructions, MAX_INSTRUCTIONS)):
        if len(text) > limit:
            raise DeckError(field, f"{field}: {len(text)} characters, at most {limit}")
    for i, question in enumerate(deck.questions, 1):
        if len(question) > MAX_QUESTION:
            raise DeckError(f"questions.{i}", f"question {i}: {len(question)} characters, at most {MAX_QUESTION}")
    for n, options in enumerate(deck.lists, 1):
        for i, option in enumerate(options, 1):
            if len(option) > MAX_FORMAT:
                raise DeckError(f"formats.{n}.{i}", f"list {n}, format {i}: {len(option)} characters, "
                                                    f"at most {MAX_FORMAT}")


def parse_yaml(raw: bytes) -> DeckData:
    """An uploaded YAML deck: capped, UTF-8, safe-loaded, not nested deeper than a deck, no
    aliases (a few lines of anchors can expand into millions of nodes), then validated."""
    if len(raw) > MAX_UPLOAD_BYTES:
        raise DeckError("file", f"the file is {len(raw) // 1024} KB; a deck file is at most "
                                f"{MAX_UPLOAD_BYTES // 1024} KB")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise DeckError("file", "the file is not UTF-8 text: is it a YAML file?") from None
    try:
        depth = 0
        # The event stream is read without recursion, so depth and aliases are checked before
        # anything is built from the document.
        for event in yaml.parse(text, Loader=yaml.SafeLoader):
            if isinstance(event, yaml.AliasEvent):
                raise DeckError("file", "YAML anchors and aliases (&, *) are not allowed in a deck")
            if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
                depth += 1
                if depth > MAX_DEPTH:
                    raise DeckError("file", "nested too deep: a deck is title, instructions, questions "
                                            "and numbered format lists (see formats.yaml)")
            elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
                depth -= 1
        data = safe_load(text, Path("deck"))
    except FormatsError as error:
        raise DeckError(*_field(error.key, error.problem)) from None
    except yaml.YAMLError as error:
        where = getattr(error, "problem_mark", None)
        line = f" (line {where.line + 1})" if where is not None else ""
        raise DeckError("file", f"not valid YAML{line}: {getattr(error, 'problem', None) or error}") from None
    return validate(data)


def to_yaml(data: dict) -> str:
    """A deck as a formats.yaml file (the same shape `--formats` and the upload read)."""
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)

