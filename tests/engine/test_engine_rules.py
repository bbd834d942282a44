"""The game's rules, command by command, straight against the pure engine (no server).

Each test is named after the rule it checks. `run` asserts a command is accepted and bumps the
version by one; `rejects` asserts the error code and that the very same state comes back.
"""

from __future__ import annotations

from dataclasses import replace
from functools import lru_cache

import pytest
from helpers import (
    FACILITATOR,
    GUEST,
    NOW,
    PROJECTOR,
    add,
    blank,
    group_of,
    outcome,
    participant,
    played_to,
    rejects,
    run,
    run_outcome,
    session,
    shipped_deck,
    sizes,
    token_of,
)
from sheets import Typist, edit_command, typist_for

from gamehub.engine import COMMANDS, Actor, Deck, Phase, Role, Settings, Sheet, Timer
from gamehub.engine import draws as engine_draws
from gamehub.engine.draws import rng_for
from gamehub.engine.game.ending import EndSession
from gamehub.engine.game.groups import FormGroups, MoveParticipant, Reshuffle
from gamehub.engine.lobby import AddParticipant, Join, RemoveParticipant, SetLocked
from gamehub.engine.game.navigation import Back
from gamehub.engine.room_tools import AskHelp, CancelHelp, ClearHelp, SendMessage
from gamehub.engine.game.planning import ChooseFormat, EditSheet, ExtendTimer, StartPlanning
from gamehub.engine.sheet import MAX_UPDATE, SHEET_GRACE
from gamehub.engine.language import SetLanguage
from gamehub.engine.room import SetSound, TurnPage
from gamehub.engine.game.vote import CloseVote, OpenVote, SetBallot
from gamehub.engine.game.showcase import SetPresenterTimer, ShowcaseGallery, ShowcaseStep, StartShowcase
from gamehub.engine.state import Showcase
from gamehub.engine.game.stories import PickStories, RerollStory
from gamehub.views.screens import facilitator_view

TWO_LISTS = Deck(title="Two lists", instructions="Plan it.", questions=("Q1", "Q2", "Q3", "Q4"),
                 lists=(("A1", "A2", "A3"), ("B1", "B2", "B3")))


@lru_cache(maxsize=None)
def at(phase: str, n_people: int = 8, group_size: int = 4, seed: str = "s") -> object:
    """A session played into `phase` (cached: states are immutable)."""
    return played_to(phase, n_people=n_people, group_size=group_size, seed=seed)


def members(state, number: int) -> tuple[str, ...]:
    return state.group(number).members


def owner(state, number: int) -> str | None:
    story = state.group(number).story
    return story.owner if story else None


# ---------------------------------------------------------------------------------------------
# The documented table of who may send what, in which phases (docs/protocol.md).

ALL = {"lobby", "groups", "stories", "planning", "showcase"}
DOCUMENTED = {  # event: (roles, phases), as docs/protocol.md's command table says
    "join": ({Role.GUEST}, ALL),
    "add_participant": ({Role.FACILITATOR}, ALL),
    "remove_participant": ({Role.FACILITATOR}, ALL),
    "set_locked": ({Role.FACILITATOR}, ALL),
    # moderation, added while these tests were written: facilitator only, any phase
    "hide_text": ({Role.FACILITATOR}, ALL),
    "rename_participant": ({Role.FACILITATOR}, ALL),
    "remove_joined_since": ({Role.FACILITATOR}, ALL),  # a flood of joins at once (tests/server/test_join_flood.py)
    "form_groups": ({Role.FACILITATOR}, {"lobby"}),
    "reshuffle": ({Role.FACILITATOR}, {"groups"}),
    "move_participant": ({Role.FACILITATOR}, {"groups", "stories", "planning"}),
    "pick_stories": ({Role.FACILITATOR}, {"groups"}),
    "reroll_story": ({Role.FACILITATOR}, {"stories", "planning"}),
    "start_planning": ({Role.FACILITATOR}, {"stories"}),
    "extend_timer": ({Role.FACILITATOR}, {"planning"}),
    "choose_format": ({Role.PARTICIPANT}, {"planning"}),
    "sheet_update": ({Role.PARTICIPANT}, {"planning"}),  # and for SHEET_GRACE seconds after (below)
    "start_showcase": ({Role.FACILITATOR}, {"planning"}),
    "showcase_step": ({Role.FACILITATOR}, {"showcase"}),
    "showcase_gallery": ({Role.FACILITATOR}, {"showcase"}),
    "back": ({Role.FACILITATOR}, {"groups", "stories", "planning", "showcase"}),
    # the room's big screen (issue 13)
    "set_presenter_timer": ({Role.FACILITATOR}, ALL),
    "set_sound": ({Role.FACILITATOR}, ALL),
    "set_language": ({Role.FACILITATOR}, ALL),
    "turn_page": ({Role.FACILITATOR}, {"groups", "stories", "planning", "showcase"}),
    # the facilitator's tools for the room (issue 13; tests/engine/test_room_tools.py)
    "send_message": ({Role.FACILITATOR}, ALL),
    "ask_help": ({Role.PARTICIPANT}, {"groups", "stories", "planning", "showcase"}),
    "cancel_help": ({Role.PARTICIPANT}, {"groups", "stories", "planning", "showcase"}),
    "clear_help": ({Role.FACILITATOR}, ALL),
    "end_session": ({Role.FACILITATOR}, {"showcase"}),  # the ending (tests/server/test_ending.py)
    # people's choice (issue 13)
    "open_vote": ({Role.FACILITATOR}, {"showcase"}),
    "set_ballot": ({Role.PARTICIPANT}, {"showcase"}),
    "close_vote": ({Role.FACILITATOR}, {"showcase"}),
}

SAMPLE = {  # one well-formed command per event
    "join": Join(name="Newcomer", token_hash="token-hash-new"),
    "add_participant": AddParticipant(name="No phone"),
    "remove_participant": RemoveParticipant(participant="p1"),
    "set_locked": SetLocked(locked=True),
    "hide_text": COMMANDS["hide_text"].from_payload({"participant": "p1", "hidden": True}),
    "rename_participant": COMMANDS["rename_participant"].from_payload({"participant": "p1", "name": "Renamed"}),
    "remove_joined_since": COMMANDS["remove_joined_since"].from_payload({"participant": "p1", "through": "p1", "count": 1}),
    "form_groups": FormGroups(),
    "reshuffle": Reshuffle(),
    "move_participant": MoveParticipant(participant="p1", group=2),
    "pick_stories": PickStories(),
    "reroll_story": RerollStory(group=1),
    "start_planning": StartPlanning(),
    "extend_timer": ExtendTimer(),
    "choose_format": ChooseFormat(format=0),
    "sheet_update": EditSheet(sheet="0.1", update=Typist(client_id=1).append(0, "x")),
    "start_showcase": StartShowcase(),
    "showcase_step": ShowcaseStep(delta=1),
    "showcase_gallery": ShowcaseGallery(on=True),
    "back": Back(),
    "set_presenter_timer": SetPresenterTimer(seconds=90),
    "set_sound": SetSound(on=False),
    "set_language": SetLanguage(language="de"),
    "turn_page": TurnPage(delta=1, from_page=0),
    "send_message": SendMessage(text="Five minutes left"),
    "ask_help": AskHelp(),
    "cancel_help": CancelHelp(ticket=1),
    "clear_help": ClearHelp(group=1, ticket=1),
    "end_session": EndSession(),
    "open_vote": OpenVote(votes_each=2, vote=1),
    "set_ballot": SetBallot(groups=(2,), vote=1),
    "close_vote": CloseVote(vote=1),
}

ACTOR_OF_ROLE = {
    Role.GUEST: GUEST,
    Role.PARTICIPANT: participant("p1"),
    Role.PROJECTOR: PROJECTOR,
    Role.FACILITATOR: FACILITATOR,
}


def allowed_actor(event: str) -> Actor:
    (role,) = DOCUMENTED[event][0]
    return ACTOR_OF_ROLE[role]


# A sheet update is also taken for SHEET_GRACE seconds after planning ends, whatever the phase
# then: the command lets every phase through and checks planning-or-grace itself.
PHASE_CHECKED_IN_RUN = {"sheet_update"}
LATER = NOW + SHEET_GRACE + 1  # long after any planning that `at` ended at NOW


def test_the_tables_here_cover_every_engine_command_and_match_its_roles_and_phases():
    assert set(SAMPLE) == set(COMMANDS) == set(DOCUMENTED)
    for event, cls in COMMANDS.items():
        roles, phases = DOCUMENTED[event]
        assert set(cls.roles) == roles, event
        assert {p.value for p in cls.phases} == (ALL if event in PHASE_CHECKED_IN_RUN else phases), event
        assert type(SAMPLE[event]) is cls


WRONG_PHASE_CASES = [(event, phase) for event, (_, phases) in DOCUMENTED.items()
                     for phase in sorted(ALL - phases)]


@pytest.mark.parametrize(("event", "phase"), WRONG_PHASE_CASES)
def test_every_command_sent_in_a_phase_it_is_not_allowed_in_is_rejected_as_wrong_phase(event, phase):
    rejects(at(phase), SAMPLE[event], allowed_actor(event), "wrong_phase", now=LATER)


RIGHT_PHASE_CASES = [(event, phase) for event, (_, phases) in DOCUMENTED.items() for phase in sorted(phases)]


@pytest.mark.parametrize(("event", "phase"), RIGHT_PHASE_CASES)
def test_every_command_in_an_allowed_phase_gets_past_the_phase_check(event, phase):
    result = outcome(at(phase), SAMPLE[event], allowed_actor(event))
    assert result.ok or result.error.code != "wrong_phase", (event, phase, result.error)


FORBIDDEN_CASES = [(event, role) for event, (roles, _) in DOCUMENTED.items()
                   for role in Role if role not in roles]


@pytest.mark.parametrize(("event", "role"), FORBIDDEN_CASES)
def test_every_command_from_a_role_that_may_not_send_it_is_forbidden_in_every_phase(event, role):
    for phase in sorted(ALL):
        rejects(at(phase), SAMPLE[event], ACTOR_OF_ROLE[role], "forbidden")


@pytest.mark.parametrize("event", [e for e, (roles, _) in DOCUMENTED.items() if roles == {Role.FACILITATOR}])
def test_every_facilitator_command_from_a_participant_is_forbidden(event):
    rejects(at("planning"), SAMPLE[event], participant("p1"), "forbidden")
    rejects(at("planning"), SAMPLE[event], participant("p99"), "forbidden")


def test_the_projector_may_send_no_command_at_all():
    for event, command in SAMPLE.items():
        for phase in sorted(ALL):
            rejects(at(phase), command, PROJECTOR, "forbidden")


# ---------------------------------------------------------------------------------------------
# Versions: accepted commands bump by one, rejected ones change nothing.

def test_every_accepted_command_of_a_whole_game_bumps_the_version_by_exactly_one():
    state = blank()
    assert state.version == 0
    script = [
        (Join(name="Ada", token_hash="t1"), GUEST),
        (Join(name="Bo", token_hash="t2"), GUEST),
        (AddParticipant(name="Cy"), FACILITATOR),
        (Join(name="Di", token_hash="t4", opt_out=True), GUEST),
        (SetLocked(locked=True), FACILITATOR),
        (FormGroups(), FACILITATOR),
        (Reshuffle(), FACILITATOR),
        (PickStories(), FACILITATOR),
        (RerollStory(group=1), FACILITATOR),
        (StartPlanning(minutes=10), FACILITATOR),
        (ExtendTimer(minutes=2), FACILITATOR),
        (ChooseFormat(format=2), participant("p1")),
        (lambda state: edit_command(state, "p2", 0, "Kids"), participant("p2")),
        (StartShowcase(), FACILITATOR),
        (ShowcaseGallery(on=True), FACILITATOR),
        (Back(), FACILITATOR),
        (StartShowcase(), FACILITATOR),
    ]
    for expected_version, (command, actor) in enumerate(script, start=1):
        if callable(command):  # a sheet update is made against the sheet as it is then
            command = command(state)
        state = run(state, command, actor)
        assert state.version == expected_version


def test_every_rejected_command_hands_back_the_same_state_with_the_same_version():
    state = at("planning")
    pid = state.group(1).members[0]
    bad = [
        (Join(name="", token_hash="tx"), GUEST, "missing_text"),
        (Join(name="X", token_hash=token_of(1)), GUEST, "already_joined"),
        (RemoveParticipant(participant="p99"), FACILITATOR, "unknown_participant"),
        (MoveParticipant(participant=pid, group=1), FACILITATOR, "same_group"),
        (MoveParticipant(participant=pid, group=9), FACILITATOR, "unknown_group"),
        (RerollStory(group=0), FACILITATOR, "unknown_group"),
        (ExtendTimer(minutes=0), FACILITATOR, "bad_minutes"),
        (ChooseFormat(format=3), participant(pid), "unknown_format"),
        (EditSheet(sheet=state.group(2).sheet.id, update=Typist().append(0, "x")), participant(pid),
         "not_your_group"),
        (EditSheet(sheet=state.group(1).sheet.id, update="not base64!"), participant(pid), "bad_update"),
        (EditSheet(sheet=state.group(1).sheet.id, update="A" * (MAX_UPDATE + 4)), participant(pid),
         "update_too_large"),
        (edit_command(state, pid, 0, "x" * 2001), participant(pid), "too_long"),
        (FormGroups(), FACILITATOR, "wrong_phase"),
        (FormGroups(), participant(pid), "forbidden"),
    ]
    for command, actor, code in bad:
        rejects(state, command, actor, code)  # asserts identity, equality and version


# ---------------------------------------------------------------------------------------------
# join and add_participant

@pytest.mark.parametrize("name", ["", "   ", "\n\t ", "\u3000"])
def test_join_requires_a_name_that_is_not_only_whitespace(name):
    rejects(session(1), Join(name=name, token_hash="t"), GUEST, "missing_text")
    rejects(session(1), AddParticipant(name=name), FACILITATOR, "missing_text")


@pytest.mark.parametrize(("field", "limit"), [("name", 40), ("title", 120), ("pitch", 280)])
def test_join_accepts_a_text_at_its_limit_and_rejects_one_character_more(field, limit):
    base = {"name": "Ada"}
    at_limit = run(blank(), Join(**{**base, field: "x" * limit}, token_hash="t"), GUEST)
    assert getattr(at_limit.participants["p1"], field) == "x" * limit
    rejects(blank(), Join(**{**base, field: "x" * (limit + 1)}, token_hash="t"), GUEST, "too_long")
    rejects(blank(), AddParticipant(**{**base, field: "x" * (limit + 1)}), FACILITATOR, "too_long")


def test_join_limits_come_from_the_sessions_settings():
    state = blank(settings=Settings(max_name=5, max_title=6, max_pitch=7))
    rejects(state, Join(name="abcdef", token_hash="t"), GUEST, "too_long")
    rejects(state, Join(name="a", title="abcdefg", token_hash="t"), GUEST, "too_long")
    rejects(state, Join(name="a", pitch="abcdefgh", token_hash="t"), GUEST, "too_long")
    run(state, Join(name="abcde", title="abcdef", pitch="abcdefg", token_hash="t"), GUEST)


def test_join_trims_and_folds_whitespace_in_one_line_fields_before_checking_the_limit():
    state = run(blank(), Join(name="  Ada \n  Lovelace ", title="\tEngines\n", pitch="x" * 280 + "   \n",
                              token_hash="t"), GUEST)
    person = state.participants["p1"]
    assert (person.name, person.title, person.pitch) == ("Ada Lovelace", "Engines", "x" * 280)


def test_title_and_pitch_are_optional():
    state = run(blank(), Join(name="Ada", token_hash="t"), GUEST)
    assert (state.participants["p1"].title, state.participants["p1"].pitch) == ("", "")


def test_join_records_the_person_with_their_phone_and_opt_out_and_returns_their_id():
    result = run_outcome(blank(), Join(name="Ada", title="T", pitch="P", opt_out=True, token_hash="tok"), GUEST,
                         now=1234.5)
    person = result.state.participants["p1"]
    assert result.result == {"participant_id": "p1"}
    assert (person.name, person.title, person.pitch, person.opt_out) == ("Ada", "T", "P", True)
    assert (person.has_phone, person.token_hash, person.joined_at, person.late_group) == (True, "tok", 1234.5, None)
    assert result.phones == frozenset({"p1"})


def test_add_participant_records_a_person_without_a_phone():
    result = run_outcome(blank(), AddParticipant(name="Bo", opt_out=True))
    person = result.state.participants["p1"]
    assert result.result == {"participant_id": "p1"}
    assert (person.has_phone, person.token_hash, person.opt_out) == (False, None, True)


def test_opt_out_defaults_to_false():
    state = session(2, opt_out=[2])
    assert [p.opt_out for p in state.participants.values()] == [False, True]


def test_join_is_rejected_while_locked_but_the_facilitator_can_still_add_people():
    state = run(session(1), SetLocked(locked=True))
    rejects(state, Join(name="Late", token_hash="t9"), GUEST, "locked")
    state = add(state, "No phone")
    assert [p.name for p in state.participants.values()] == ["Person 1", "No phone"]
    state = run(state, SetLocked(locked=False))
    state = run(state, Join(name="Late", token_hash="t9"), GUEST)
    assert len(state.participants) == 3


@pytest.mark.parametrize("phase", sorted(ALL))
def test_set_locked_locks_and_unlocks_joining_in_every_phase(phase):
    state = run(at(phase), SetLocked(locked=True))
    assert state.locked and state.phase.value == phase
    rejects(state, Join(name="X", token_hash="t-new"), GUEST, "locked")
    state = run(state, SetLocked(locked=False))
    assert not state.locked
    run(state, Join(name="X", token_hash="t-new"), GUEST)


def test_join_without_an_identity_token_is_rejected():
    rejects(blank(), Join(name="Ada"), GUEST, "no_token")


def test_a_phone_cannot_join_twice():
    rejects(session(2), Join(name="Again", token_hash=token_of(2)), GUEST, "already_joined")


def test_a_removed_phone_cannot_join_again_but_a_new_phone_can():
    state = run(session(2), RemoveParticipant(participant="p1"))
    assert token_of(1) in state.removed_tokens
    rejects(state, Join(name="Back", token_hash=token_of(1)), GUEST, "removed")
    run(state, Join(name="New", token_hash="other"), GUEST)


def test_a_full_session_rejects_both_join_and_add_participant():
    state = session(2, settings=Settings(max_participants=2))
    rejects(state, Join(name="Third", token_hash="t3"), GUEST, "session_full")
    rejects(state, AddParticipant(name="Third"), FACILITATOR, "session_full")
    state = run(state, RemoveParticipant(participant="p1"))
    run(state, AddParticipant(name="Third"))


def test_participant_ids_follow_join_order_and_are_never_reused():
    state = run(session(3), RemoveParticipant(participant="p3"))
    state = add(state, "Next")
    assert list(state.participants) == ["p1", "p2", "p4"]


@pytest.mark.parametrize("phase", ["groups", "stories", "planning", "showcase"])
def test_join_is_possible_in_every_phase_and_a_late_joiner_lands_in_a_group(phase):
    result = run_outcome(at(phase), Join(name="Late", token_hash="t-late"), GUEST)
    pid = result.result["participant_id"]
    assert result.result["group"] == group_of(result.state, pid)
    assert result.state.participants[pid].late_group == result.result["group"]


def test_a_late_joiner_goes_to_the_smallest_group_lowest_number_on_a_tie():
    state = played_to("groups", n_people=10)  # 10 in fours: 3 groups of 4, 3, 3
    assert sizes(state) == [4, 3, 3]
    expected = [2, 3, 1, 2, 3, 1]  # 3,3 tie -> 2; then 3 -> 3; then all 4 -> 1; ...
    for i, number in enumerate(expected):
        result = run_outcome(state, Join(name=f"Late {i}", token_hash=f"late-{i}"), GUEST)
        assert result.result["group"] == number
        state = result.state
        pid = result.result["participant_id"]
        assert members(state, number)[-1] == pid
        assert state.participants[pid].late_group == number
    assert sizes(state) == [6, 5, 5]


def test_a_late_joiner_goes_to_a_group_made_smallest_by_moves_or_removals():
    state = played_to("groups", n_people=12)  # 4, 4, 4
    for pid in members(state, 3)[:3]:
        state = run(state, MoveParticipant(participant=pid, group=1))
    state = run(state, RemoveParticipant(participant=members(state, 2)[0]))
    assert sizes(state) == [7, 3, 1]
    state = add(state, "Late")
    assert state.participants["p13"].late_group == 3
    assert members(state, 3)[-1] == "p13"


def test_a_late_joiner_goes_to_an_emptied_group_first():
    state = played_to("groups", n_people=8)
    for pid in members(state, 2):
        state = run(state, MoveParticipant(participant=pid, group=1))
    assert sizes(state) == [8, 0]
    state = add(state, "Late")
    assert members(state, 2) == ("p9",)


def test_a_late_joiners_news_goes_to_their_new_group_and_to_them_only():
    state = played_to("groups", n_people=10)
    result = run_outcome(state, Join(name="Late", token_hash="t-late"), GUEST)
    assert result.phones == frozenset(members(state, 2)) | {"p11"}


def test_forming_or_reshuffling_groups_again_clears_the_late_joiner_flag():
    state = add(played_to("groups", n_people=10), "Late")
    assert state.participants["p11"].late_group == 2
    assert run(state, Reshuffle()).participants["p11"].late_group is None
    state = run(run(state, Back()), FormGroups())
    assert state.participants["p11"].late_group is None


def test_before_grouping_a_joiner_is_in_no_group():
    result = run_outcome(session(3), Join(name="X", token_hash="t-x"), GUEST)
    assert "group" not in result.result and result.state.groups == ()


# ---------------------------------------------------------------------------------------------
# remove_participant

@pytest.mark.parametrize("phase", sorted(ALL))
def test_removing_an_unknown_participant_is_rejected(phase):
    rejects(at(phase), RemoveParticipant(participant="p99"), FACILITATOR, "unknown_participant")
    rejects(at(phase), RemoveParticipant(participant=""), FACILITATOR, "unknown_participant")


def test_removing_a_person_takes_them_out_of_the_session_and_their_group():
    state = at("planning")
    pid = members(state, 2)[1]
    result = run_outcome(state, RemoveParticipant(participant=pid))
    assert pid not in result.state.participants
    assert result.state.group_of(pid) is None
    assert members(result.state, 2) == tuple(m for m in members(state, 2) if m != pid)
    assert result.state.groups[0] == state.groups[0]
    assert result.phones == frozenset(members(state, 2))


def test_removing_a_person_without_a_phone_bars_no_token():
    state = add(session(1), "No phone")
    state = run(state, RemoveParticipant(participant="p2"))
    assert state.removed_tokens == frozenset()


@pytest.mark.parametrize("phase", ["stories", "planning"])
def test_removing_a_story_owner_undoes_that_groups_pick_only(phase):
    state = at(phase)
    gone = owner(state, 1)
    after = run(state, RemoveParticipant(participant=gone))
    assert after.group(1).story is None
    assert after.group(2).story == state.group(2).story


def test_during_planning_a_group_whose_owner_left_has_no_story_until_the_facilitator_rerolls():
    state = at("planning")
    state = run(state, RemoveParticipant(participant=owner(state, 1)))
    assert state.group(1).story is None
    state = run(state, RerollStory(group=1))
    assert owner(state, 1) in members(state, 1)
    assert explained(state, state.group(1)) == owner(state, 1)


def test_removing_someone_who_is_not_the_owner_keeps_the_pick():
    state = at("stories")
    other = next(m for m in members(state, 1) if m != owner(state, 1))
    after = run(state, RemoveParticipant(participant=other))
    assert after.group(1).story == state.group(1).story


def test_removing_everyone_in_the_lobby_leaves_nobody_to_group():
    state = run(session(1), RemoveParticipant(participant="p1"))
    assert state.participants == {}
    rejects(state, FormGroups(), FACILITATOR, "no_participants")


# ---------------------------------------------------------------------------------------------
# form_groups and reshuffle

FORM_GROUPS_TABLE = [  # n, size, groups, sizes (halves round up, larger groups first)
    (1, 4, 1, [1]),
    (2, 4, 1, [2]),   # 0.5 -> 1
    (3, 4, 1, [3]),
    (5, 4, 1, [5]),   # 1.25 -> 1
    (6, 4, 2, [3, 3]),  # 1.5 -> 2
    (7, 4, 2, [4, 3]),
    (8, 4, 2, [4, 4]),
    (9, 4, 2, [5, 4]),  # 2.25 -> 2
    (10, 4, 3, [4, 3, 3]),  # 2.5 -> 3, not 2 as Python's round() would say
    (14, 4, 4, [4, 4, 3, 3]),  # 3.5 -> 4
    (18, 4, 5, [4, 4, 4, 3, 3]),  # 4.5 -> 5
    (1, 2, 1, [1]),
    (3, 2, 2, [2, 1]),  # 1.5 -> 2
    (5, 2, 3, [2, 2, 1]),  # 2.5 -> 3
    (7, 3, 2, [4, 3]),  # 2.33 -> 2
    (6, 12, 1, [6]),  # 0.5 -> 1
    (5, 12, 1, [5]),  # 0.42 -> max(1, 0)
    (30, 12, 3, [10, 10, 10]),  # 2.5 -> 3
    (500, 4, 125, [4] * 125),
    (500, 12, 42, [12] * 38 + [11] * 4),  # 41.67 -> 42
]


@pytest.mark.parametrize(("n", "size", "count", "expected_sizes"), FORM_GROUPS_TABLE)
def test_form_groups_makes_round_half_up_n_over_size_groups_of_sizes_differing_by_at_most_one(
        n, size, count, expected_sizes):
    state = blank(group_size=size)
    for i in range(n):  # add_participant keeps this fast for 500 people
        state = run(state, AddParticipant(name=f"P{i}"))
    result = run_outcome(state, FormGroups())
    state = result.state
    assert state.phase is Phase.GROUPS
    assert len(state.groups) == count
    assert [g.number for g in state.groups] == list(range(1, count + 1))
    assert sizes(state) == expected_sizes
    assert max(sizes(state)) - min(sizes(state)) <= 1
    everyone = [pid for g in state.groups for pid in g.members]
    assert sorted(everyone) == sorted(state.participants)
    assert result.phones is None  # every phone's view changes


def test_form_groups_with_nobody_in_the_room_is_rejected():
    rejects(blank(), FormGroups(), FACILITATOR, "no_participants")


def test_new_groups_have_no_story_no_format_and_a_blank_sheet_of_its_own_with_one_answer_per_question():
    state = at("groups")
    for group in state.groups:
        assert group.story is None and group.format is None and group.format_by is None
        assert group.sheet == Sheet.blank(f"{state.grouping_draw}.{group.number}", len(shipped_deck().questions))
        assert group.texts == ("",) * 4 and group.sheet.authors == ((),) * 4
        assert group.sheet.updates == ()
    assert len({g.sheet.id for g in state.groups}) == len(state.groups)


def test_the_same_seed_deals_the_same_groups():
    first = played_to("groups", n_people=20, seed="same")
    again = played_to("groups", n_people=20, seed="same")
    assert [g.members for g in first.groups] == [g.members for g in again.groups]


def test_different_seeds_usually_deal_different_groups():
    dealt = {tuple(g.members for g in played_to("groups", n_people=20, seed=f"seed-{i}").groups)
             for i in range(10)}
    assert len(dealt) >= 8  # 20! / (4!^5) ways: collisions among ten seeds are practically impossible


def test_a_grouping_is_explainable_by_replaying_its_draw_with_the_seed():
    state = played_to("groups", n_people=13, group_size=3, seed="explain-me")
    rng = rng_for("explain-me", "groups", state.grouping_draw)
    dealt = engine_draws.deal_groups(list(state.participants), 3, rng)
    assert [g.members for g in state.groups] == dealt
    assert state.draws == state.grouping_draw + 1


def test_members_are_dealt_at_random_not_in_join_order():
    state = played_to("groups", n_people=20, seed="s")
    assert [pid for g in state.groups for pid in g.members] != list(state.participants)


def test_reshuffle_deals_again_with_the_next_draw_and_keeps_the_size_rule():
    state = played_to("groups", n_people=14)
    again = run(state, Reshuffle())
    assert again.phase is Phase.GROUPS
    assert again.grouping_draw == state.draws
    assert [g.members for g in again.groups] != [g.members for g in state.groups]
    assert sizes(again) == [4, 4, 3, 3]
    assert sorted(pid for g in again.groups for pid in g.members) == sorted(state.participants)
    rng = rng_for("s", "groups", again.grouping_draw)
    assert [g.members for g in again.groups] == engine_draws.deal_groups(list(state.participants), 4, rng)


def test_reshuffle_undoes_moves_and_counts_late_joiners_and_removals():
    state = played_to("groups", n_people=8)
    state = run(state, MoveParticipant(participant=members(state, 1)[0], group=2))
    state = run(state, RemoveParticipant(participant="p3"))
    state = add(state, "Late")
    state = run(state, Reshuffle())
    assert sizes(state) == [4, 4]
    assert sorted(pid for g in state.groups for pid in g.members) == sorted(state.participants)
    assert "p3" not in state.participants


def test_reshuffle_with_everyone_removed_is_rejected():
    state = played_to("groups", n_people=1)
    state = run(state, RemoveParticipant(participant="p1"))
    rejects(state, Reshuffle(), FACILITATOR, "no_participants")


# ---------------------------------------------------------------------------------------------
# move_participant

@pytest.mark.parametrize("phase", ["groups", "stories", "planning"])
def test_moving_a_person_puts_them_in_the_target_group_only(phase):
    state = at(phase)
    pid = members(state, 1)[0]
    result = run_outcome(state, MoveParticipant(participant=pid, group=2))
    assert group_of(result.state, pid) == 2
    assert members(result.state, 2) == members(state, 2) + (pid,)
    assert pid not in members(result.state, 1)
    assert result.phones == frozenset(members(state, 1) + members(state, 2))


def test_move_rejects_an_unknown_participant_an_unknown_group_and_the_same_group():
    state = at("groups")
    pid = members(state, 1)[0]
    cases = [
        ("p99", 2, "unknown_participant"),
        ("", 2, "unknown_participant"),
        (pid, 0, "unknown_group"),
        (pid, -1, "unknown_group"),
        (pid, 3, "unknown_group"),
        (pid, 1, "same_group"),
    ]
    for who, number, code in cases:
        rejects(state, MoveParticipant(participant=who, group=number), FACILITATOR, code)


def test_moving_a_story_owner_undoes_their_old_groups_pick_and_keeps_the_new_groups_pick():
    state = at("stories")
    mover, kept = owner(state, 1), state.group(2).story
    after = run(state, MoveParticipant(participant=mover, group=2))
    assert after.group(1).story is None
    assert after.group(2).story == kept


def test_moving_someone_who_is_not_the_owner_keeps_both_picks():
    state = at("stories")
    mover = next(m for m in members(state, 1) if m != owner(state, 1))
    after = run(state, MoveParticipant(participant=mover, group=2))
    assert after.group(1).story == state.group(1).story
    assert after.group(2).story == state.group(2).story


def test_a_moved_persons_answers_stay_with_their_old_group():
    state = at("planning")
    mover = members(state, 1)[0]
    state = run(state, edit_command(state, mover, 0, "mine"), participant(mover))
    after = run(state, MoveParticipant(participant=mover, group=2))
    assert after.group(1).sheet == state.group(1).sheet and after.group(1).sheet.id == state.group(1).sheet.id
    assert after.group(1).texts[0] == "mine" and after.group(1).sheet.authors[0] == (mover,)
    assert after.group(2).sheet == state.group(2).sheet
    # From now on the mover types in the new group's sheet, not the old one.
    run(after, edit_command(after, mover, 0, "new group"), participant(mover))
    rejects(after, EditSheet(sheet=state.group(1).sheet.id, update=Typist().append(0, "x")), participant(mover),
            "not_your_group")


def test_a_moved_late_joiner_is_no_longer_marked_late():
    state = add(played_to("groups", n_people=8), "Late")
    assert state.participants["p9"].late_group == 1
    state = run(state, MoveParticipant(participant="p9", group=2))
    assert state.participants["p9"].late_group is None


def test_rerolling_a_group_emptied_by_moves_is_rejected_and_planning_skips_it():
    state = at("stories")
    for pid in members(state, 1):
        state = run(state, MoveParticipant(participant=pid, group=2))
    assert members(state, 1) == () and state.group(1).story is None
    rejects(state, RerollStory(group=1), FACILITATOR, "empty_group")
    planned = run(state, StartPlanning())
    assert planned.group(1).story is None
    assert planned.group(2).story is not None


# ---------------------------------------------------------------------------------------------
# pick_stories and reroll_story

def explained(state, group) -> str:
    """Replay a group's pick from the seed and its draw number."""
    story = group.story
    return rng_for(state.seed, f"story:{group.number}", story.draw).choice(story.candidates)


@pytest.mark.parametrize("seed", [f"seed-{i}" for i in range(8)])
def test_pick_stories_picks_one_member_per_group_and_is_explainable_by_replaying_its_draw(seed):
    before = played_to("groups", n_people=18, seed=seed)
    state = run(before, PickStories())
    assert state.phase is Phase.STORIES
    for group in state.groups:
        assert group.story.owner in group.members
        assert group.story.candidates == tuple(pid for pid in state.participants if pid in group.members)
        assert explained(state, group) == group.story.owner
    numbers = [g.story.draw for g in state.groups]
    assert numbers == list(range(before.draws, before.draws + len(state.groups)))
    assert state.draws == before.draws + len(state.groups)


@pytest.mark.parametrize("seed", [f"seed-{i}" for i in range(8)])
def test_pick_stories_never_picks_an_opted_out_member_unless_everyone_in_the_group_opted_out(seed):
    opted = [i for i in range(1, 13) if i % 3 != 1]  # p1, p4, p7, p10 may be picked
    state = played_to("stories", n_people=12, seed=seed, opt_out=opted)
    for group in state.groups:
        willing = [pid for pid in state.participants if pid in group.members
                   and not state.participants[pid].opt_out]
        if willing:
            assert group.story.candidates == tuple(willing)
            assert not state.participants[group.story.owner].opt_out
        else:
            assert group.story.candidates == tuple(pid for pid in state.participants if pid in group.members)
        assert explained(state, group) == group.story.owner


def test_when_everyone_in_the_group_opted_out_the_pick_falls_back_to_all_members():
    state = played_to("stories", n_people=4, opt_out=[1, 2, 3, 4])
    story = state.group(1).story
    assert story.candidates == ("p1", "p2", "p3", "p4")
    assert story.owner in story.candidates


def test_the_only_member_who_did_not_opt_out_is_always_picked():
    for seed in ("a", "b", "c", "d", "e"):
        state = played_to("stories", n_people=4, seed=seed, opt_out=[1, 2, 4])
        assert state.group(1).story.owner == "p3"


def test_pick_stories_skips_an_empty_group():
    state = at("groups")
    for pid in members(state, 2):
        state = run(state, MoveParticipant(participant=pid, group=1))
    state = run(state, PickStories())
    assert state.group(2).story is None and state.group(1).story is not None


def test_reroll_story_avoids_the_current_owner_when_anyone_else_can_be_picked():
    state = at("stories")
    for _ in range(15):
        previous = state.group(1).story
        result = run_outcome(state, RerollStory(group=1))
        state = result.state
        story = state.group(1).story
        assert story.owner != previous.owner
        assert previous.owner not in story.candidates
        assert explained(state, state.group(1)) == story.owner
        assert story.draw == state.draws - 1 and story.draw > previous.draw
        assert state.group(2).story == at("stories").group(2).story
        assert result.phones == frozenset(members(state, 1))


def test_reroll_story_keeps_the_only_member_who_may_be_picked():
    state = played_to("stories", n_people=4, opt_out=[2, 3, 4])
    assert owner(state, 1) == "p1"
    assert owner(run(state, RerollStory(group=1)), 1) == "p1"


def test_reroll_story_when_everyone_opted_out_still_avoids_the_current_owner():
    state = played_to("stories", n_people=4, opt_out=[1, 2, 3, 4])
    for _ in range(6):
        previous = owner(state, 1)
        state = run(state, RerollStory(group=1))
        assert owner(state, 1) != previous


def test_reroll_story_of_a_one_person_group_keeps_that_person():
    state = played_to("stories", n_people=1)
    assert owner(run(state, RerollStory(group=1)), 1) == "p1"


@pytest.mark.parametrize("number", [0, -1, 3, 99])
def test_reroll_story_of_an_unknown_group_is_rejected(number):
    rejects(at("stories"), RerollStory(group=number), FACILITATOR, "unknown_group")


def test_reroll_story_works_in_planning_and_keeps_the_groups_format_and_answers():
    state = at("planning")
    pid = members(state, 1)[0]
    state = run(state, ChooseFormat(format=1), participant(pid))
    state = run(state, edit_command(state, pid, 2, "idea"), participant(pid))
    after = run(state, RerollStory(group=1))
    assert owner(after, 1) != owner(state, 1)
    assert after.group(1).format == 1 and after.group(1).format_by == pid
    assert after.group(1).sheet == state.group(1).sheet and after.group(1).texts[2] == "idea"


# ---------------------------------------------------------------------------------------------
# start_planning and extend_timer

@pytest.mark.parametrize(("minutes", "ok"), [(-5, False), (0, False), (1, True), (15, True), (180, True),
                                             (181, False), (10_000, False)])
def test_start_planning_takes_between_1_and_180_minutes(minutes, ok):
    if ok:
        state = run(at("stories"), StartPlanning(minutes=minutes), now=5000.0)
        assert state.timer == Timer(started_at=5000.0, deadline=5000.0 + minutes * 60)
    else:
        rejects(at("stories"), StartPlanning(minutes=minutes), FACILITATOR, "bad_minutes")


def test_the_timer_is_stored_as_a_deadline_from_now_with_15_minutes_by_default():
    state = run(at("stories"), StartPlanning(), now=2000.0)
    assert state.phase is Phase.PLANNING
    assert state.timer == Timer(started_at=2000.0, deadline=2000.0 + 15 * 60)


def test_the_longest_timer_comes_from_the_settings():
    state = played_to("stories", n_people=4, settings=Settings(max_timer_minutes=30))
    rejects(state, StartPlanning(minutes=31), FACILITATOR, "bad_minutes")
    run(state, StartPlanning(minutes=30))


def test_start_planning_picks_a_story_for_a_group_whose_owner_was_removed_and_keeps_the_others():
    state = at("stories")
    state = run(state, RemoveParticipant(participant=owner(state, 1)))
    assert state.group(1).story is None
    planned = run(state, StartPlanning())
    assert planned.group(1).story.owner in members(planned, 1)
    assert planned.group(1).story.draw == state.draws
    assert explained(planned, planned.group(1)) == owner(planned, 1)
    assert planned.group(2).story == state.group(2).story


def test_extend_timer_adds_minutes_to_the_deadline_and_keeps_the_start():
    state = run(at("stories"), StartPlanning(minutes=10), now=1000.0)
    state = run(state, ExtendTimer(), now=1100.0)
    assert state.timer == Timer(started_at=1000.0, deadline=1000.0 + 600 + 5 * 60)
    state = run(state, ExtendTimer(minutes=3), now=1200.0)
    assert state.timer.deadline == 1000.0 + 600 + 300 + 180


def test_extend_timer_after_the_deadline_counts_from_now():
    state = run(at("stories"), StartPlanning(minutes=1), now=1000.0)
    state = run(state, ExtendTimer(minutes=2), now=5000.0)
    assert state.timer == Timer(started_at=1000.0, deadline=5000.0 + 120)


@pytest.mark.parametrize("minutes", [0, -1, 181])
def test_extend_timer_takes_between_1_and_180_minutes(minutes):
    rejects(at("planning"), ExtendTimer(minutes=minutes), FACILITATOR, "bad_minutes")


# ---------------------------------------------------------------------------------------------
# choose_format

def test_any_member_can_choose_and_change_the_groups_format():
    state = at("planning")
    for index, pid in enumerate(members(state, 1)):
        result = run_outcome(state, ChooseFormat(format=index % 3), participant(pid))
        state = result.state
        assert state.group(1).format == index % 3
        assert state.group(1).format_by == pid  # so every phone can say who chose it
        assert result.phones == frozenset(members(state, 1))
    assert state.group(2).format is None and state.group(2).format_by is None


@pytest.mark.parametrize("index", [-1, 3, 99])
def test_a_format_index_outside_0_to_2_is_rejected(index):
    state = at("planning")
    rejects(state, ChooseFormat(format=index), participant(members(state, 1)[0]), "unknown_format")


def test_choosing_a_format_changes_only_the_senders_group():
    state = at("planning")
    chooser = members(state, 2)[0]
    after = run(state, ChooseFormat(format=2), participant(chooser))
    assert after.group(2) == replace(state.group(2), format=2, format_by=chooser)
    assert after.group(1) == state.group(1)


@pytest.mark.parametrize(("number", "expected"), [(1, 0), (2, 1), (3, 2), (4, 3), (5, 4), (6, 0), (7, 1), (11, 0)])
def test_group_n_gets_deck_list_n_minus_1_mod_l_plus_1(number, expected):
    deck = shipped_deck()
    assert len(deck.lists) == 5
    assert deck.formats_for(number) == deck.lists[expected]


def test_a_chosen_format_is_named_from_the_groups_own_list_when_there_are_more_groups_than_lists():
    state = played_to("planning", n_people=20, deck=TWO_LISTS)  # five groups, two lists
    for number in range(1, 6):
        state = run(state, ChooseFormat(format=1), participant(members(state, number)[0]))
    view = facilitator_view(state, NOW, {"join": "j", "projector": "p"}, set())
    names = [g["format_name"] for g in view["groups"]]
    assert names == ["A2", "B2", "A2", "B2", "A2"]
    assert [g["formats"] for g in view["groups"]][:2] == [["A1", "A2", "A3"], ["B1", "B2", "B3"]]


def test_a_participant_in_no_group_or_unknown_to_the_session_has_no_group_to_act_for():
    state = at("planning")
    update = EditSheet(sheet=state.group(1).sheet.id, update=Typist().append(0, "x"))
    for actor in (participant("p99"), Actor(Role.PARTICIPANT)):
        rejects(state, ChooseFormat(format=0), actor, "no_group")
        # A sheet update names a sheet: not theirs, and they have none (docs/protocol.md).
        assert rejects(state, update, actor, "not_your_group").details == {"sheet": None}
    gone = members(state, 1)[0]
    state = run(state, RemoveParticipant(participant=gone))
    rejects(state, ChooseFormat(format=0), participant(gone), "no_group")
    assert rejects(state, update, participant(gone), "not_your_group").details == {"sheet": None}


# ---------------------------------------------------------------------------------------------
# sheet_update (the shared document itself: tests/engine/test_sheet.py)

def test_a_sheet_update_is_merged_and_goes_to_the_groupmates_as_an_echo_not_as_views():
    state = at("planning")
    pid, other = members(state, 1)[:2]
    phone = Typist()
    update = phone.append(1, "Teenagers")
    result = run_outcome(state, EditSheet(sheet=state.group(1).sheet.id, update=update), participant(pid))
    assert result.state.group(1).texts == ("", "Teenagers", "", "")
    assert result.state.group(1).sheet.authors == ((), (pid,), (), ())
    assert result.result == {}  # the ack is {ok, version}
    assert result.phones == frozenset()  # no phone's view changes: the update itself goes on
    assert result.groups == frozenset({1})  # the staff get this group alone
    echo = result.echo
    assert (echo.group, echo.sheet, echo.update, echo.by, echo.fields) == (1, state.group(1).sheet.id, update, pid, (1,))
    # A groupmate that applied the echo types on top of it.
    mate = Typist()
    mate.apply(echo.update)
    after = run_outcome(result.state, EditSheet(sheet=echo.sheet, update=mate.set_text(1, "Kids")), participant(other))
    assert after.state.group(1).texts[1] == "Kids" and after.echo.fields == (1,) and after.echo.by == other
    assert after.state.group(1).sheet.authors[1] == (pid, other)


def test_two_members_who_saw_the_same_text_both_change_one_answer_and_both_changes_are_kept():
    # Once the second of two edits was refused as stale; in a shared document both merge.
    state = at("planning")
    first, second = members(state, 1)[:2]
    state = run(state, edit_command(state, first, 3, "Time"), participant(first))
    a, b = typist_for(state, 1), typist_for(state, 1)  # both phones show "Time"
    sheet = state.group(1).sheet.id
    state = run(state, EditSheet(sheet=sheet, update=a.append(3, " and money")), participant(first))
    state = run(state, EditSheet(sheet=sheet, update=b.insert(3, 0, "Lost ")), participant(second))
    assert state.group(1).texts[3] == "Lost Time and money"
    assert state.group(1).sheet.authors[3] == (first, second)


def test_a_resent_update_is_accepted_again_and_changes_nothing():
    # A phone that lost the ack sends the same update again (or sheet_sync sends it): Yjs
    # applies an update once, however often it arrives.
    state = at("planning")
    pid = members(state, 1)[0]
    command = edit_command(state, pid, 0, "draft")
    state = run(state, command, participant(pid))
    again = run_outcome(state, command, participant(pid))
    assert again.state.group(1).sheet == state.group(1).sheet
    assert again.echo.fields == ()
    assert again.state.group(1).texts == ("draft", "", "", "")


def test_typing_over_the_text_of_a_removed_member_merges_and_names_only_those_still_here():
    state = at("planning")
    first, second = members(state, 1)[:2]
    state = run(state, edit_command(state, first, 0, "orphan"), participant(first))
    state = run(state, RemoveParticipant(participant=first))
    state = run(state, edit_command(state, second, 0, "orphan text"), participant(second))
    assert state.group(1).texts[0] == "orphan text"
    view = facilitator_view(state, NOW, {"join": "j", "projector": "p"}, set())
    assert view["groups"][0]["answers"][0] == {"text": "orphan text", "authors": [state.participants[second].name]}


def test_an_update_that_builds_on_one_the_server_lacks_is_refused_and_taken_after_that_one():
    # Yjs would keep it waiting, stored and passed on for ever if the one before never came:
    # refused instead (a phone has one update in flight, and syncs after any refusal).
    state = at("planning")
    pid = members(state, 1)[0]
    sheet = state.group(1).sheet.id
    phone = Typist()
    earlier, later = phone.append(0, "one"), phone.append(0, " two")
    rejects(state, EditSheet(sheet=sheet, update=later), participant(pid), "bad_update")
    first = run_outcome(state, EditSheet(sheet=sheet, update=earlier), participant(pid))
    done = run_outcome(first.state, EditSheet(sheet=sheet, update=later), participant(pid))
    assert done.state.group(1).texts[0] == "one two" and done.echo.fields == (0,)


def test_an_answer_may_be_2000_characters_but_not_more():
    state = at("planning")
    pid = members(state, 1)[0]
    assert run(state, edit_command(state, pid, 0, "x" * 2000), participant(pid)).group(1).texts[0] == "x" * 2000
    error = rejects(state, edit_command(state, pid, 0, "x" * 2001), participant(pid), "too_long")
    assert error.details == {"question": 0, "length": 2001, "limit": 2000}


def test_the_limit_counts_code_points_not_utf16_units():
    state = at("planning")
    pid = members(state, 1)[0]
    run(state, edit_command(state, pid, 2, "😀" * 2000), participant(pid))
    assert rejects(state, edit_command(state, pid, 2, "😀" * 2001), participant(pid),
                   "too_long").details["length"] == 2001


def test_an_answer_may_be_emptied_again():
    state = at("planning")
    pid = members(state, 1)[0]
    state = run(state, edit_command(state, pid, 0, "x"), participant(pid))
    state = run(state, edit_command(state, pid, 0, ""), participant(pid))
    assert state.group(1).texts[0] == "" and state.group(1).sheet.authors[0] == (pid,)


def test_text_outside_the_four_answers_is_refused():
    # The document has q0..q3 only; another root (a fifth "question", a client's own data)
    # would be stored and passed on to every groupmate, outside any limit.
    state = at("planning")
    pid = members(state, 1)[0]
    rejects(state, EditSheet(sheet=state.group(1).sheet.id, update=Typist(questions=5).append(4, "x")),
            participant(pid), "bad_update")


def test_an_update_changes_only_the_senders_own_group():
    state = at("planning")
    pid = members(state, 2)[0]
    after = run(state, edit_command(state, pid, 2, "ours"), participant(pid))
    assert after.group(1) == state.group(1)
    assert after.group(2).texts == ("", "", "ours", "")
    assert after.group(2).sheet.authors == ((), (), (pid,), ())
    assert replace(after.group(2), sheet=state.group(2).sheet) == state.group(2)


# ---------------------------------------------------------------------------------------------
# showcase

def test_start_showcase_shows_the_first_groups_card_and_keeps_the_timer():
    state = at("planning")
    after = run(state, StartShowcase())
    assert after.phase is Phase.SHOWCASE
    assert after.showcase == Showcase(index=0, gallery=False, presenter=Timer(NOW, NOW + 120))
    assert after.timer == state.timer and after.groups == state.groups


def test_showcase_step_walks_forward_and_back_within_the_groups():
    state = played_to("showcase", n_people=12)  # three groups
    rejects(state, ShowcaseStep(delta=-1), FACILITATOR, "no_more_groups")
    for index in (1, 2):
        state = run(state, ShowcaseStep(delta=1))
        assert state.showcase.index == index
    rejects(state, ShowcaseStep(delta=1), FACILITATOR, "no_more_groups")
    for index in (1, 0):
        state = run(state, ShowcaseStep(delta=-1))
        assert state.showcase.index == index
    rejects(state, ShowcaseStep(delta=-1), FACILITATOR, "no_more_groups")


@pytest.mark.parametrize("delta", [0, 2, -2, 5])
def test_showcase_step_is_plus_or_minus_one_only(delta):
    rejects(played_to("showcase", n_people=20), ShowcaseStep(delta=delta), FACILITATOR, "bad_step")


def test_a_one_group_showcase_can_step_nowhere():
    state = played_to("showcase", n_people=3)
    rejects(state, ShowcaseStep(delta=1), FACILITATOR, "no_more_groups")
    rejects(state, ShowcaseStep(delta=-1), FACILITATOR, "no_more_groups")


def test_showcase_gallery_switches_on_and_off_and_keeps_the_card_index():
    state = run(at("showcase"), ShowcaseStep(delta=1))
    state = run(state, ShowcaseGallery(on=True))
    assert (state.showcase.index, state.showcase.gallery) == (1, True)
    state = run(state, ShowcaseGallery(on=False))
    assert (state.showcase.index, state.showcase.gallery) == (1, False)


def test_starting_the_showcase_again_starts_from_the_first_group():
    state = run(run(at("showcase"), ShowcaseStep(delta=1)), ShowcaseGallery(on=True))
    state = run(run(state, Back()), StartShowcase())
    assert state.showcase == Showcase(index=0, gallery=False, presenter=Timer(NOW, NOW + 120))


# ---------------------------------------------------------------------------------------------
# back

def test_back_from_groups_to_lobby_dissolves_the_groups_and_keeps_everyone():
    state = add(at("groups"), "Late")
    after = run(state, Back())
    assert after.phase is Phase.LOBBY and after.groups == ()
    assert list(after.participants) == list(state.participants)
    assert all(p.late_group is None for p in after.participants.values())
    regrouped = run(after, FormGroups())  # forming again takes a fresh draw
    assert regrouped.grouping_draw == state.draws


def test_back_from_stories_to_groups_undoes_the_picks_and_keeps_the_groups():
    state = at("stories")
    after = run(state, Back())
    assert after.phase is Phase.GROUPS
    assert [g.members for g in after.groups] == [g.members for g in state.groups]
    assert all(g.story is None for g in after.groups)


def test_back_from_planning_to_stories_stops_the_timer_and_keeps_formats_answers_and_picks():
    state = at("planning")
    pid = members(state, 1)[0]
    state = run(state, ChooseFormat(format=2), participant(pid))
    state = run(state, edit_command(state, pid, 0, "kept"), participant(pid))
    after = run(state, Back())
    assert after.phase is Phase.STORIES and after.timer is None
    assert after.groups == state.groups
    again = run(after, StartPlanning(minutes=5), now=9000.0)
    assert again.groups == state.groups  # nothing re-picked, nothing lost
    assert again.timer == Timer(started_at=9000.0, deadline=9000.0 + 300)


def test_back_from_showcase_to_planning_keeps_everything_and_the_timer_as_it_was():
    state = at("planning")
    pid = members(state, 2)[0]
    state = run(state, edit_command(state, pid, 1, "kept"), participant(pid))
    state = run(run(state, StartShowcase()), ShowcaseStep(delta=1))
    after = run(state, Back(), now=NOW + 10_000)
    assert after.phase is Phase.PLANNING
    assert after.timer == state.timer and after.groups == state.groups
    assert list(after.participants) == list(state.participants)
    # Planning again, long after the grace: the sheet takes changes because it is planning.
    more = run(after, edit_command(after, pid, 1, "kept, more"), participant(pid), now=NOW + 10_000)
    assert more.group(2).texts[1] == "kept, more"


def test_back_walks_all_the_way_to_the_lobby_and_the_game_can_be_played_again():
    state = at("showcase")
    for phase in (Phase.PLANNING, Phase.STORIES, Phase.GROUPS, Phase.LOBBY):
        state = run(state, Back())
        assert state.phase is phase
    rejects(state, Back(), FACILITATOR, "wrong_phase")
    state = run(state, FormGroups())
    assert sizes(state) == [4, 4]
