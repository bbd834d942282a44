"""The showcase as a show (issue 13): a card revealed step by step on Next, long answers split
into parts instead of shrunk, empty answers left out, a presenter countdown per group, the
projector's sound and its pages of group cards, all server state."""

from __future__ import annotations

import pytest
from helpers import FACILITATOR, NOW, participant, played_to, rejects, run
from sheets import edit_command

from gamehub.engine import COMMANDS, Phase, Timer
from gamehub.engine.codec import decode, encode
from gamehub.engine.moderation import HideText
from gamehub.engine.game.navigation import Back
from gamehub.engine.room import PAGE_SIZE, SetSound, TurnPage
from gamehub.engine.game.showcase import (PART_CHARS, SetPresenterTimer, ShowcaseStep, StartShowcase, last_step, split_answer)
from gamehub.views.screens import facilitator_view, projector_view

LONG = " ".join(f"Sentence number {i} of a very long answer." for i in range(60))[:2000]


def planned(texts_by_group: dict[int, list[str]], n_people: int = 12):
    """A session in planning whose groups wrote these answers (question by question)."""
    state = played_to("planning", n_people)
    for number, texts in texts_by_group.items():
        writer = state.group(number).members[0]
        for question, text in enumerate(texts):
            if text:
                state = run(state, edit_command(state, writer, question, text), participant(writer))
    return state


def showcase(texts_by_group, **kw):
    return run(planned(texts_by_group, **kw), StartShowcase())


def step(state, delta=1, **kw):
    return run(state, ShowcaseStep(delta=delta, from_index=state.showcase.index, from_step=state.showcase.step, **kw),
               now=NOW + 10)


def test_a_card_is_revealed_step_by_step_then_the_next_card_starts_at_its_first_step():
    state = showcase({1: ["Nurses", "", "Fun", ""]})
    assert (state.showcase.index, state.showcase.step) == (0, 0)
    seen = []
    while state.showcase.index == 0:
        seen.append(state.showcase.step)
        state = step(state)
    # number and members, story, format, and the two answers that have text
    assert seen == [0, 1, 2, 3, 4]
    assert (state.showcase.index, state.showcase.step) == (1, 0)
    # Previous from a card's first step goes back to the card before, fully revealed.
    state = step(state, -1)
    assert (state.showcase.index, state.showcase.step) == (0, 4)


def test_a_double_click_on_next_reveals_one_step():
    state = showcase({1: ["A", "B", "C", "D"]})
    command = ShowcaseStep(delta=1, from_index=0, from_step=0)
    once = run(state, command)
    assert once.showcase.step == 1
    error = rejects(once, command, code="already_moved")
    assert error.details == {"index": 0, "step": 1}


def test_without_from_step_or_with_card_a_step_moves_a_whole_card():
    state = showcase({1: ["A", "B", "C", "D"]})
    state = run(state, ShowcaseStep(delta=1, from_index=0))
    assert (state.showcase.index, state.showcase.step) == (1, 0)
    state = run(state, ShowcaseStep(delta=-1, from_index=1, from_step=0, card=True))
    assert (state.showcase.index, state.showcase.step) == (0, last_step(state, 0)) == (0, 6)


def test_the_last_step_of_the_last_card_goes_nowhere():
    state = showcase({})
    while state.showcase.index < len(state.groups) - 1 or state.showcase.step < 2:
        state = step(state)
    rejects(state, ShowcaseStep(delta=1, from_index=2, from_step=2), code="no_more_groups")


def test_a_long_answer_is_split_into_parts_each_a_step_and_nothing_is_lost():
    parts = split_answer(LONG)
    assert len(parts) >= 4 and all(len(p) <= PART_CHARS for p in parts)
    assert " ".join(parts).split() == LONG.split()
    assert all(p.endswith(".") for p in parts[:-1])  # cut after a sentence
    assert split_answer("one line") == ["one line"] and split_answer("  \n ") == []
    state = showcase({1: [LONG, "", "", ""]})
    assert last_step(state, 0) == 2 + len(parts)
    view = projector_view(state, NOW, "http://x/j/TESTROOM")
    assert [p["text"] for p in view["showcase"]["reveal"]] == parts
    assert {(p["question"], p["parts"]) for p in view["showcase"]["reveal"]} == {(0, len(parts))}
    assert view["showcase"]["steps"] == 3 + len(parts)


def test_many_short_lines_are_split_too():
    parts = split_answer("\n".join(f"line {i}" for i in range(40)))
    assert len(parts) > 1 and all(p.count("\n") < 10 for p in parts)


def test_a_word_longer_than_a_part_is_cut_where_it_must():
    parts = split_answer("x" * 2000)
    assert "".join(parts) == "x" * 2000 and all(len(p) <= PART_CHARS for p in parts)


def test_empty_answers_have_no_step_and_a_hidden_answer_is_one_step_saying_so():
    state = planned({1: ["Kept", "   ", LONG, ""]})
    writer = state.group(1).members[0]
    state = run(run(state, HideText(participant=writer, hidden=True)), StartShowcase())
    reveal = projector_view(state, NOW, "u")["showcase"]["reveal"]
    assert [(p["question"], p["text"]) for p in reveal] == [(0, "(hidden by the facilitator)"),
                                                            (2, "(hidden by the facilitator)")]


def test_the_presenter_countdown_starts_with_each_card_and_can_be_set_and_turned_off():
    state = showcase({})
    assert state.showcase.presenter == Timer(NOW, NOW + 120)
    state = run(state, SetPresenterTimer(seconds=90), now=NOW + 5)
    assert state.showcase.presenter == Timer(NOW + 5, NOW + 95) and state.showcase.presenter_seconds == 90
    state = step(state)  # a step within the card keeps the countdown
    assert state.showcase.presenter == Timer(NOW + 5, NOW + 95)
    state = run(state, ShowcaseStep(delta=1, from_index=0, card=True), now=NOW + 200)
    assert state.showcase.presenter == Timer(NOW + 200, NOW + 290)
    state = run(state, SetPresenterTimer(seconds=0))
    assert state.showcase.presenter is None
    rejects(state, SetPresenterTimer(seconds=1801), code="bad_seconds")
    rejects(state, SetPresenterTimer(seconds=-1), code="bad_seconds")


def test_the_presenter_time_set_before_the_showcase_is_used_when_it_starts():
    state = run(played_to("planning", 8), SetPresenterTimer(seconds=60))
    assert state.showcase.presenter is None
    state = run(state, StartShowcase(), now=NOW + 1)
    assert state.showcase.presenter == Timer(NOW + 1, NOW + 61)
    state = run(run(state, Back()), StartShowcase(), now=NOW + 2)
    assert state.showcase.presenter_seconds == 60


def test_both_staff_views_carry_the_step_and_the_presenter_countdown():
    state = step(showcase({1: ["A", "", "", ""]}))
    links = {"join": "j", "projector": "p"}
    for view in (projector_view(state, NOW, "u"), facilitator_view(state, NOW, links, set())):
        show = view["showcase"]
        assert (show["index"], show["step"], show["steps"]) == (0, 1, 4)
        assert show["presenter"] == {"started_at": NOW, "deadline": NOW + 120}
        assert show["presenter_seconds"] == 120
    assert "reveal" not in facilitator_view(state, NOW, links, set())["showcase"]


def test_the_sound_is_on_until_the_facilitator_mutes_it_in_any_phase():
    state = played_to("lobby", 4)
    assert projector_view(state, NOW, "u")["sound"] is True
    state = run(state, SetSound(on=False))
    assert projector_view(state, NOW, "u")["sound"] is False
    assert facilitator_view(state, NOW, {"join": "j", "projector": "p"}, set())["sound"] is False


def test_pages_turn_only_when_the_facilitator_turns_them_and_a_double_click_turns_one():
    state = played_to("groups", 4 * (PAGE_SIZE + 1))  # 13 groups: two pages
    view = projector_view(state, NOW, "u")
    assert (view["page"], view["pages"], view["page_size"]) == (0, 2, PAGE_SIZE)
    turn = TurnPage(delta=1, from_page=0)
    state = run(state, turn)
    assert projector_view(state, NOW, "u")["page"] == 1
    assert rejects(state, turn, code="already_moved").details == {"page": 1}
    rejects(state, TurnPage(delta=1, from_page=1), code="no_more_pages")
    rejects(played_to("groups", 8), TurnPage(delta=1, from_page=0), code="no_more_pages")
    rejects(state, TurnPage(delta=2, from_page=1), code="bad_step")


def test_the_new_fields_survive_the_store_and_old_snapshots_still_decode():
    state = run(step(showcase({1: ["A", "", "", ""]})), SetSound(on=False))
    assert decode(encode(state)) == state
    old = encode(state)
    for key in ("sound", "page"):
        del old[key]
    old["showcase"] = {"index": 0, "gallery": False}
    assert decode(old).showcase.presenter_seconds == 120 and decode(old).sound is True


@pytest.mark.parametrize("event", ["set_presenter_timer", "set_sound", "turn_page"])
def test_the_new_commands_are_facilitator_only(event):
    command = COMMANDS[event]
    assert command.roles == frozenset({FACILITATOR.role})


def test_the_showcase_step_payload_takes_from_step_and_card():
    command = COMMANDS["showcase_step"].from_payload({"delta": 1, "from_index": 0, "from_step": 2, "card": True})
    assert (command.from_step, command.card) == (2, True)
    assert Phase.SHOWCASE in command.phases
