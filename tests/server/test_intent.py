"""Intent, not clicks: a phase step names the phase it leaves, so a double click, a double Enter,
a second facilitator tab or a resend can never move the game on twice."""

from __future__ import annotations

import pytest

from gamehub.engine import COMMANDS, Phase
from gamehub.engine.command import PhaseStep
from gamehub.engine.game.groups import FormGroups
from gamehub.engine.game.navigation import Back
from gamehub.engine.game.planning import StartPlanning
from gamehub.engine.game.showcase import ShowcaseStep, StartShowcase
from gamehub.engine.game.stories import PickStories

from helpers import outcome, played_to, rejects, run

# Each phase step, the phase it is made in, and where one copy takes the game.
STEPS = [
    (FormGroups, "lobby", "groups"),
    (PickStories, "groups", "stories"),
    (StartPlanning, "stories", "planning"),
    (StartShowcase, "planning", "showcase"),
    (Back, "showcase", "planning"),
    (Back, "planning", "stories"),
    (Back, "stories", "groups"),
    (Back, "groups", "lobby"),
]


def test_every_phase_moving_command_is_a_phase_step():
    moving = {name for name, cls in COMMANDS.items() if issubclass(cls, PhaseStep)}
    # end_session leaves the phase as it is, but names it like the others (tests/server/test_ending.py)
    assert moving == {"form_groups", "pick_stories", "start_planning", "start_showcase", "back", "end_session"}


@pytest.mark.parametrize("command, leaving, reaching", STEPS)
def test_a_phase_step_sent_twice_moves_the_game_once(command, leaving, reaching):
    state = played_to(leaving if leaving != "showcase" else "showcase", 9)
    step = command(from_phase=leaving)
    once = run(state, step)
    assert once.phase is Phase(reaching)
    error = rejects(once, step, code="already_moved")
    assert error.details == {"phase": reaching}
    # The same step made on a second tab that still showed the old phase: refused alike.
    rejects(once, command(from_phase=leaving), code="already_moved")


def test_a_step_for_a_phase_that_does_not_exist_is_a_bad_payload():
    rejects(played_to("lobby", 4), FormGroups(from_phase="planing"), code="bad_payload")


def test_a_step_named_for_the_current_phase_but_not_allowed_there_is_still_wrong_phase():
    rejects(played_to("lobby", 4), StartShowcase(from_phase="lobby"), code="wrong_phase")


def test_a_double_click_on_next_shows_the_next_card_not_the_one_after():
    state = played_to("showcase", 13)  # three groups
    step = ShowcaseStep(delta=1, from_index=0)
    state = run(state, step)
    assert state.showcase.index == 1
    assert rejects(state, step, code="already_moved").details == {"index": 1, "step": 0}
    state = run(state, ShowcaseStep(delta=1, from_index=1))
    assert state.showcase.index == 2


def test_the_server_requires_the_intent_of_every_phase_step():
    for event in ("form_groups", "pick_stories", "start_planning", "start_showcase", "back"):
        with pytest.raises(Exception) as refused:
            COMMANDS[event].from_payload({})
        assert refused.value.code == "bad_payload" and "from_phase" in refused.value.message
    with pytest.raises(Exception) as refused:
        COMMANDS["showcase_step"].from_payload({"delta": 1})
    assert refused.value.code == "bad_payload" and "from_index" in refused.value.message


def test_through_the_handlers_a_second_tab_pressing_the_same_button_is_told_it_is_already_done(room):
    first, second = room.facilitator(), room.facilitator()
    for i in range(8):
        room.join(f"Person {i}")
    assert first.call("form_groups", {"from_phase": "lobby"})["ok"]
    version = room.state.version
    reply = second.call("form_groups", {"from_phase": "lobby"})
    assert reply == {"ok": False, "error": {"code": "already_moved", "message": reply["error"]["message"],
                                            "details": {"phase": "groups"}}}
    assert room.state.version == version and room.state.phase is Phase.GROUPS
    assert outcome(room.state, PickStories(from_phase="groups")).ok


def test_a_double_click_on_re_roll_re_rolls_once():
    from gamehub.engine.game.stories import RerollStory

    state = played_to("planning", 9)
    owner = state.group(1).story.owner
    once = run(state, RerollStory(group=1, from_owner=owner))
    assert once.group(1).story.owner != owner
    error = rejects(once, RerollStory(group=1, from_owner=owner), code="already_moved")
    assert error.details == {"owner": once.group(1).story.owner}
    with pytest.raises(Exception) as refused:
        COMMANDS["reroll_story"].from_payload({"group": 1})
    assert refused.value.code == "bad_payload" and "from_owner" in refused.value.message


def test_a_too_long_text_says_which_field_and_by_how_much():
    from gamehub.engine.lobby import Join

    from helpers import GUEST, session

    error = rejects(session(0), Join(name="Amara", pitch="x" * 281, token_hash="t"), actor=GUEST, code="too_long")
    assert error.details == {"field": "pitch", "length": 281, "limit": 280}
