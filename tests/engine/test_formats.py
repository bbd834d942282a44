"""formats.yaml: the shipped deck is the workshop's, verbatim; a broken file names file and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from gamehub.content import decks
from gamehub.engine.deck import Deck
from gamehub.content.formats import FormatsError, default_formats_path, load_deck

REPO = Path(__file__).resolve().parents[2]

# Verbatim from the deck's "Unconventional sci-comm" game slides (checked against the seed text
# in shared/seed/ when this was written; that folder is not part of the repository).
QUESTIONS = (
    "Who’s your audience?",  # the deck's typographic apostrophe
    "What part(s) of the story can you communicate better using this format?",
    "What are the advantages of this format?",
    "What are the challenges?",
)
LISTS = (
    ("A stand-up monologue", "A short film", "A sci-fi book"),
    ("A dance choreography", "A photograph collection", "A food dish"),
    ("A comic", "An escape room", "A sitcom"),
    ("A theatre play", "A painting", "A sculpture"),
    ("A performance at a music festival", "A book for children", "A video game"),
)


def test_the_shipped_formats_file_holds_the_decks_five_lists_of_three_formats_and_four_questions():
    deck = load_deck()
    assert deck.questions == QUESTIONS
    assert deck.lists == LISTS
    assert len(deck.lists) == 5 and all(len(formats) == 3 for formats in deck.lists)
    assert deck.title == "Unconventional sci-comm"
    assert "choose one of the three formats" in deck.instructions


def test_the_default_formats_file_is_the_one_at_the_repository_root():
    assert default_formats_path().resolve() == (REPO / "formats.yaml").resolve()
    assert load_deck(REPO / "formats.yaml") == load_deck()


@pytest.mark.parametrize(("number", "expected"), [
    (1, 1), (2, 2), (3, 3), (4, 4), (5, 5), (6, 1), (7, 2), (10, 5), (11, 1), (123, 3),
])
def test_group_n_uses_list_n_minus_1_mod_l_plus_1(number, expected):
    assert load_deck().formats_for(number) == LISTS[expected - 1]


def test_with_two_lists_groups_alternate_between_them():
    deck = Deck(title="t", instructions="", questions=QUESTIONS, lists=LISTS[:2])
    assert [deck.formats_for(n) for n in range(1, 6)] == [LISTS[0], LISTS[1], LISTS[0], LISTS[1], LISTS[0]]


def test_a_deck_round_trips_through_plain_data():
    deck = load_deck()
    assert Deck.from_dict(deck.to_dict()) == deck


GOOD = """\
title: My deck
instructions: Do it.
questions: ["Who?", "What?", "Why?", "How?"]
formats:
  1: ["a", "b", "c"]
  2: ["d", "e", "f"]
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "deck.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_valid_custom_deck_loads_into_a_frozen_deck(tmp_path):
    deck = load_deck(write(tmp_path, GOOD))
    assert deck == Deck(title="My deck", instructions="Do it.", questions=("Who?", "What?", "Why?", "How?"),
                        lists=(("a", "b", "c"), ("d", "e", "f")))
    with pytest.raises(AttributeError):
        deck.title = "changed"  # type: ignore[misc]


def test_title_and_instructions_are_optional(tmp_path):
    deck = load_deck(write(tmp_path, 'questions: ["1", "2", "3", "4"]\nformats:\n  1: ["a", "b", "c"]\n'))
    assert deck.title == "Unconventional sci-comm" and deck.instructions == ""


BROKEN = [  # (file text, the key the error must name)
    ("questions: [unclosed\n", "(file)"),
    ("title: [\n", "(file)"),
    ("- just\n- a list\n", "(top level)"),
    ("", "(top level)"),
    ("formats:\n  1: [\"a\", \"b\", \"c\"]\n", "questions"),  # missing key
    ('questions: ["1", "2", "3", "4"]\n', "formats"),  # missing key
    ('questions: "Who?"\nformats:\n  1: ["a", "b", "c"]\n', "questions"),  # wrong type
    ('questions: ["1", "2", "3", "4"]\nformats: ["a", "b", "c"]\n', "formats"),  # wrong type
    ('questions: ["1", "2", "3", "4"]\nformats:\n  1: "a, b, c"\n', "formats.1"),  # wrong type
    ('questions: ["1", "2", "3", "4"]\nformats:\n  1: ["a", "b", 3]\n', "formats.1[2]"),  # wrong item type
    ('questions: ["1", "2", "3"]\nformats:\n  1: ["a", "b", "c"]\n', "questions"),  # wrong count
    ('questions: ["1", "2", "3", "4", "5"]\nformats:\n  1: ["a", "b", "c"]\n', "questions"),  # wrong count
    ('questions: ["1", "2", "3", "4"]\nformats:\n  1: ["a", "b", "c"]\n  2: ["d", "e"]\n', "formats.2"),
    ('questions: ["1", "2", "3", "4"]\nformats:\n  1: ["a", "b", "c", "d"]\n', "formats.1"),
    ('questions: ["1", "", "3", "4"]\nformats:\n  1: ["a", "b", "c"]\n', "questions[1]"),  # empty text
    ('questions: ["1", "2", "3", "4"]\nformats:\n  1: ["a", "b", "c"]\n  3: ["d", "e", "f"]\n', "formats"),  # gap
    ('questions: ["1", "2", "3", "4"]\nformats:\n  one: ["a", "b", "c"]\n', "formats.one"),
    ('questions: ["1", "2", "3", "4"]\nformats: {}\n', "formats"),
    ('title: 3\nquestions: ["1", "2", "3", "4"]\nformats:\n  1: ["a", "b", "c"]\n', "title"),
    ('instructions: [1]\nquestions: ["1", "2", "3", "4"]\nformats:\n  1: ["a", "b", "c"]\n', "instructions"),
    ('question: ["1", "2", "3", "4"]\nformats:\n  1: ["a", "b", "c"]\n', "question"),  # a typo'd key
    # Values YAML reads and Python cannot build: past int's 4,300 digits, a date that is not one.
    ('title: ' + "9" * 4301 + '\nquestions: ["1", "2", "3", "4"]\nformats:\n  1: ["a", "b", "c"]\n', "title"),
    ('questions: ["1", ' + "9" * 5000 + ', "3", "4"]\nformats:\n  1: ["a", "b", "c"]\n', "questions[1]"),
    ('questions: ["1", "2", "3", "4"]\nformats:\n  1: ["a", "b", 1' + "0" * 5000 + ']\n', "formats.1[2]"),
    ('questions: ["1", "2", "3", "4"]\nformats:\n  1: ["a", "b", "c"]\n  ? ' + "2" * 5000 + '\n  : [a]\n', "formats"),
    ('title: 2026-02-30\nquestions: ["1", "2", "3", "4"]\nformats:\n  1: ["a", "b", "c"]\n', "title"),
    ('instructions: !!int nope\nquestions: ["1", "2", "3", "4"]\nformats:\n  1: ["a", "b", "c"]\n', "instructions"),
]


@pytest.mark.parametrize(("text", "key"), BROKEN, ids=[f"{i}:{key}" for i, (_, key) in enumerate(BROKEN)])
def test_a_broken_formats_file_raises_formats_error_naming_the_file_and_the_key(tmp_path, text, key):
    path = write(tmp_path, text)
    with pytest.raises(FormatsError) as caught:
        load_deck(path)
    error = caught.value
    assert error.path == path and error.key == key
    assert str(path) in str(error) and key in str(error)


def test_a_missing_formats_file_raises_formats_error_naming_the_file(tmp_path):
    path = tmp_path / "nowhere.yaml"
    with pytest.raises(FormatsError) as caught:
        load_deck(path)
    assert caught.value.path == path and caught.value.key == "(file)"
    assert str(path) in str(caught.value)


def test_a_formats_file_that_is_not_utf8_raises_formats_error(tmp_path):
    path = tmp_path / "latin1.yaml"
    path.write_bytes("title: caf\xe9\n".encode("latin-1"))
    with pytest.raises(FormatsError) as caught:
        load_deck(path)
    assert caught.value.key == "(file)" and str(path) in str(caught.value)


def test_formats_error_is_a_value_error_so_callers_can_catch_it_broadly(tmp_path):
    with pytest.raises(ValueError):
        load_deck(write(tmp_path, "questions: nope\n"))


@pytest.mark.parametrize("language", ["de", "fr", "es"])
def test_each_translated_workshop_deck_has_the_shape_of_the_english_one_and_other_words(language):
    english, translated = decks.builtin_deck("en"), decks.builtin_deck(language)
    assert len(translated.questions) == 4 and [len(options) for options in translated.lists] == [3] * 5
    shared = set(english.lists[0] + english.lists[1] + english.questions) & set(translated.lists[0] + translated.lists[1]
                                                                                  + translated.questions)
    assert not shared and translated.title != english.title and translated.instructions != english.instructions
    decks.validate(decks.builtin_data(language))  # within the organiser's limits too


def test_there_is_no_workshop_deck_in_a_language_not_shipped():
    with pytest.raises(ValueError):
        decks.builtin_path("xx")


@pytest.mark.parametrize("language, title_of", [("de", "de"), ("de-AT", "de"), ("fr_CA", "fr"), ("es", "es"),
                                                ("en", "en"), ("en-XA", "en"), ("pt", "en")])
def test_a_room_in_a_language_plays_the_workshop_deck_in_that_language_when_there_is_one(language, title_of):
    assert decks.deck_for(None, language).title == decks.builtin_deck(title_of).title


def test_a_formats_file_given_wins_over_the_rooms_language(tmp_path):
    mine = tmp_path / "mine.yaml"
    mine.write_text(default_formats_path().read_text(encoding="utf-8").replace(
        "title: Unconventional sci-comm", "title: My own deck"), encoding="utf-8")
    assert decks.deck_for(mine, "de").title == "My own deck"
