"""What each audience sees: privacy (searched for planted strings in the JSON) and the shapes
docs/protocol.md's "Views" section promises."""

from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path

import pytest
from helpers import GUEST, NOW, participant, run
from sheets import edit_command

from gamehub.engine import Phase, Settings, new_session
from gamehub.engine.game.groups import FormGroups, MoveParticipant
from gamehub.engine.lobby import AddParticipant, Join, RemoveParticipant, SetLocked
from gamehub.engine.game.navigation import Back
from gamehub.engine.game.planning import ChooseFormat, StartPlanning
from gamehub.engine.game.showcase import StartShowcase
from gamehub.engine.game.stories import PickStories
from gamehub.content.formats import load_deck
from gamehub.views.screens import facilitator_view, guest_view, phone_view, projector_view

SEED = "SEED-5eed-zq"
PROJECTOR_KEY = "PROJKEY-k3y-zq"
JOIN_URL = "http://gamehub.test/j/TESTROOM"
LINKS = {"join": JOIN_URL, "projector": f"http://gamehub.test/s/TESTROOM/projector#key={PROJECTOR_KEY}"}
N_PHONES = 12  # plus one person without a phone: 13 people in fours, groups of 5, 4, 4


def title(i: int) -> str:
    return f"TITLE-{i}-zq"


def pitch(i: int) -> str:
    return f"PITCH-{i}-zq"


def token(i: int) -> str:
    return f"TOKENHASH-{i}-zq"


def answer(number: int, question: int) -> str:
    return f"ANSWER-g{number}-q{question}-zq"


SECRETS = [SEED, PROJECTOR_KEY, "TOKENHASH-"]


def dump(view: dict) -> str:
    return json.dumps(view, ensure_ascii=False)  # fails on anything that is not plain JSON


@lru_cache(maxsize=1)
def scenario() -> dict[str, object]:
    """One game with planted strings, as a dict of named states along the way."""
    state = new_session("TESTROOM", seed=SEED, deck=load_deck(), settings=Settings(), now=NOW)
    for i in range(1, N_PHONES + 1):
        state = run(state, Join(name=f"Name-{i}-n", title=title(i), pitch=pitch(i), opt_out=i % 5 == 0,
                                token_hash=token(i)), GUEST)
    state = run(state, AddParticipant(name=f"Name-{N_PHONES + 1}-n", title=title(N_PHONES + 1),
                                      pitch=pitch(N_PHONES + 1)))
    states = {"lobby": state}
    state = run(state, FormGroups())
    states["groups"] = state
    state = run(state, Join(name="Name-late-n", title=title(99), pitch=pitch(99), token_hash=token(99)), GUEST)
    states["groups_with_late_joiner"] = state
    state = run(state, PickStories())
    states["stories"] = state
    state = run(state, StartPlanning(minutes=20))
    states["planning_empty"] = state
    for group in state.groups:
        state = run(state, ChooseFormat(format=group.number % 3), participant(group.members[0]))
        for q in range(4):
            author = group.members[q % len(group.members)]
            state = run(state, edit_command(state, author, q, answer(group.number, q)), participant(author))
    states["planning"] = state
    states["stories_after_back"] = run(state, Back())  # answers kept, phase before planning
    state = run(state, StartShowcase())
    states["showcase"] = state
    states["planning_after_back"] = run(state, Back())
    return states


ALL_STATES = ["lobby", "groups", "groups_with_late_joiner", "stories", "planning_empty", "planning",
              "stories_after_back", "showcase", "planning_after_back"]
PEOPLE = [f"p{i}" for i in range(1, N_PHONES + 2)]  # p1..p13 (p14 is the late joiner)


def number_of(pid: str) -> int:
    return int(pid[1:]) if pid != "p14" else 99


def all_answers(state) -> set[str]:
    return {text for g in state.groups for text in g.texts if text}


# ---------------------------------------------------------------------------------------------
# Phones

@pytest.mark.parametrize("name", ALL_STATES)
def test_a_phone_never_sees_another_groups_answers_any_token_the_seed_or_others_stories(name):
    state = scenario()[name]
    for pid in state.participants:
        text = dump(phone_view(state, pid, NOW))
        for secret in SECRETS:
            assert secret not in text, (name, pid, secret)
        group = state.group_of(pid)
        own = {text for text in group.texts if text} if group else set()
        for other in all_answers(state) - own:
            assert other not in text, (name, pid, other)
        visible = {pid}
        if group and group.story and state.phase not in (Phase.LOBBY, Phase.GROUPS):
            visible.add(group.story.owner)
        for someone in state.participants:
            if someone not in visible:
                assert title(number_of(someone)) not in text, (name, pid, someone)
                assert pitch(number_of(someone)) not in text, (name, pid, someone)


@pytest.mark.parametrize("name", ["planning", "showcase", "planning_after_back"])
def test_a_phone_sees_its_own_groups_answers_from_planning_on(name):
    state = scenario()[name]
    for pid in state.participants:
        group = state.group_of(pid)
        view = phone_view(state, pid, NOW)
        assert [a["text"] for a in view["group"]["answers"]] == [answer(group.number, q) for q in range(4)]
        assert view["group"]["format"] == group.number % 3


def test_a_phone_sees_its_own_story_and_its_groups_picked_story_with_title_and_pitch():
    state = scenario()["stories"]
    for pid in state.participants:
        view = phone_view(state, pid, NOW)
        owner = state.group_of(pid).story.owner
        assert view["me"]["title"] == title(number_of(pid)) and view["me"]["pitch"] == pitch(number_of(pid))
        story = view["group"]["story"]
        assert story == {"owner_id": owner, "owner_name": state.participants[owner].name,
                         "title": title(number_of(owner)), "pitch": pitch(number_of(owner)), "mine": owner == pid}


@pytest.mark.parametrize("name", ["stories", "stories_after_back"])
def test_a_phone_sees_no_answers_before_planning_even_after_going_back(name):
    state = scenario()[name]
    for pid in state.participants:
        view = phone_view(state, pid, NOW)
        assert view["group"]["answers"] is None
        assert "ANSWER-" not in dump(view)


def test_a_phone_sees_no_story_before_the_stories_phase():
    state = scenario()["groups"]
    for pid in state.participants:
        assert phone_view(state, pid, NOW)["group"]["story"] is None


def test_a_phone_sees_only_its_own_group_members():
    state = scenario()["planning"]
    for pid in state.participants:
        group = state.group_of(pid)
        members = phone_view(state, pid, NOW)["group"]["members"]
        assert members == [{"id": m, "name": state.participants[m].name, "me": m == pid} for m in group.members]


def test_a_late_joiners_phone_says_which_group_they_joined():
    state = scenario()["groups_with_late_joiner"]
    view = phone_view(state, "p14", NOW)
    assert view["late_group"] == state.group_of("p14").number == view["group"]["number"]
    assert phone_view(state, "p1", NOW)["late_group"] is None


def test_a_removed_participant_learns_only_that_they_were_removed():
    state = scenario()["planning"]
    gone = state.groups[0].members[1]
    state = run(state, RemoveParticipant(participant=gone))
    view = phone_view(state, gone, NOW)
    assert view["status"] == "removed" and view["me"] is None and view["group"] is None
    text = dump(view)
    assert "ANSWER-" not in text and "TITLE-" not in text and "Name-" not in text


def test_a_moved_phone_sees_its_new_groups_answers_and_no_longer_its_old_ones():
    state = scenario()["planning"]
    mover = state.groups[0].members[0]
    state = run(state, MoveParticipant(participant=mover, group=2))
    text = dump(phone_view(state, mover, NOW))
    assert answer(2, 0) in text
    assert all(answer(1, q) not in text for q in range(4))


# ---------------------------------------------------------------------------------------------
# Guest

def test_a_guest_sees_the_limits_and_whether_joining_is_locked_and_nothing_about_anyone():
    settings = Settings(max_name=11, max_title=22, max_pitch=33, max_answer=44)
    state = new_session("TESTROOM", seed=SEED, deck=load_deck(), settings=settings, now=NOW)
    state = run(state, Join(name="Name-1-n", title=title(1), pitch=pitch(1), token_hash=token(1)), GUEST)
    view = guest_view(state, NOW)
    assert view["status"] == "guest" and view["locked"] is False
    assert view["limits"] == {"name": 11, "title": 22, "pitch": 33, "answer": 44}
    assert view["me"] is None and view["group"] is None
    assert guest_view(run(state, SetLocked(locked=True)), NOW)["locked"] is True
    text = dump(view)
    for secret in SECRETS + ["Name-1-n", title(1), pitch(1)]:
        assert secret not in text


@pytest.mark.parametrize("name", ALL_STATES)
def test_a_guest_view_holds_no_names_stories_answers_or_secrets_in_any_phase(name):
    text = dump(guest_view(scenario()[name], NOW))
    for planted in SECRETS + ["Name-", "TITLE-", "PITCH-", "ANSWER-"]:
        assert planted not in text


# ---------------------------------------------------------------------------------------------
# Projector

@pytest.mark.parametrize("name", ALL_STATES)
def test_the_projector_never_sees_tokens_keys_or_the_seed(name):
    text = dump(projector_view(scenario()[name], NOW, JOIN_URL))
    for secret in SECRETS:
        assert secret not in text


@pytest.mark.parametrize("name", [n for n in ALL_STATES if n != "showcase"])
def test_the_projector_never_sees_answers_before_the_showcase(name):
    state = scenario()[name]
    view = projector_view(state, NOW, JOIN_URL)
    assert "ANSWER-" not in dump(view)
    assert all(g["answers"] is None for g in view["groups"])
    assert view["showcase"] is None


def test_the_projector_shows_every_groups_answers_in_the_showcase():
    state = scenario()["showcase"]
    view = projector_view(state, NOW, JOIN_URL)
    assert [g["answers"] for g in view["groups"]] == [[answer(g.number, q) for q in range(4)] for g in state.groups]
    assert {k: view["showcase"][k] for k in ("index", "gallery", "step")} == {"index": 0, "gallery": False, "step": 0}
    assert [p["text"] for p in view["showcase"]["reveal"]] == [answer(1, q) for q in range(4)]


def test_the_projector_counts_answered_questions_during_planning_without_showing_them():
    state = scenario()["planning"]
    pid = state.groups[0].members[0]
    state = run(state, edit_command(state, pid, 0, "   "), participant(pid))
    counts = [g["answered"] for g in projector_view(state, NOW, JOIN_URL)["groups"]]
    assert counts == [3] + [4] * (len(state.groups) - 1)
    assert [g["answered"] for g in projector_view(scenario()["planning_empty"], NOW, JOIN_URL)["groups"]] == \
        [0] * len(state.groups)


@pytest.mark.parametrize("name", ALL_STATES)
def test_the_projector_shows_only_the_picked_stories(name):
    state = scenario()[name]
    text = dump(projector_view(state, NOW, JOIN_URL))
    picked = {g.story.owner for g in state.groups if g.story} \
        if state.phase not in (Phase.LOBBY, Phase.GROUPS) else set()
    for pid in state.participants:
        shown = title(number_of(pid)) in text
        assert shown == (pid in picked), (name, pid)
        assert (pitch(number_of(pid)) in text) == (pid in picked), (name, pid)


def test_the_projector_shows_the_chosen_formats_name_from_planning_on():
    state = scenario()["planning"]
    view = projector_view(state, NOW, JOIN_URL)
    deck = state.deck
    assert [g["format"] for g in view["groups"]] == \
        [deck.formats_for(g.number)[g.number % 3] for g in state.groups]
    assert all(g["format"] is None for g in projector_view(scenario()["stories_after_back"], NOW, JOIN_URL)["groups"])


# ---------------------------------------------------------------------------------------------
# Facilitator

@pytest.mark.parametrize("name", ALL_STATES)
def test_the_facilitator_sees_no_token_hashes_and_the_projector_key_only_in_the_links(name):
    state = scenario()[name]
    view = facilitator_view(state, NOW, LINKS, set())
    assert view["links"] == LINKS
    text = dump({k: v for k, v in view.items() if k != "links"})
    assert "TOKENHASH-" not in text and PROJECTOR_KEY not in text
    assert view["seed"] == SEED  # documented: the facilitator may replay every draw


def test_the_facilitator_sees_every_groups_answers_with_authors_names():
    state = scenario()["planning"]
    view = facilitator_view(state, NOW, LINKS, set())
    for g, group in zip(view["groups"], state.groups, strict=True):
        assert g["answers"] == [{"text": answer(group.number, q),
                                 "authors": [state.participants[group.members[q % len(group.members)]].name]}
                                for q in range(4)]
        assert g["answered"] == 4
        assert g["active_at"] is None  # the server's own record, not the state's


def test_the_facilitator_sees_when_each_group_last_typed():
    state = scenario()["planning"]
    view = facilitator_view(state, NOW, LINKS, set(), {2: NOW - 3.5})
    assert [g["active_at"] for g in view["groups"]] == [None, NOW - 3.5, None]


def test_every_phone_of_a_group_gets_its_sheet_id_and_who_chose_the_format():
    state = scenario()["planning"]
    for pid in state.participants:
        group = state.group_of(pid)
        view = phone_view(state, pid, NOW)["group"]
        assert view["sheet"] == group.sheet.id == f"{state.grouping_draw}.{group.number}"
        chooser = group.members[0]
        assert view["format_by"] == {"id": chooser, "name": state.participants[chooser].name}
    for pid in scenario()["stories"].participants:
        assert phone_view(scenario()["stories"], pid, NOW)["group"]["format_by"] is None


def test_the_facilitator_sees_who_is_connected_and_who_joined_late():
    state = scenario()["groups_with_late_joiner"]
    view = facilitator_view(state, NOW, LINKS, {"p2", "p14"})
    people = {p["id"]: p for p in view["participants"]}
    assert [p["id"] for p in view["participants"]] == list(state.participants)
    assert {pid for pid, p in people.items() if p["connected"]} == {"p2", "p14"}
    assert {pid for pid, p in people.items() if p["late"]} == {"p14"}
    assert people["p13"]["has_phone"] is False and people["p1"]["has_phone"] is True
    assert all(p["group"] == state.group_of(pid).number for pid, p in people.items())


def test_the_facilitator_sees_how_each_story_was_drawn():
    state = scenario()["stories"]
    view = facilitator_view(state, NOW, LINKS, set())
    for g, group in zip(view["groups"], state.groups, strict=True):
        assert g["story"]["candidates"] == list(group.story.candidates)
        assert g["story"]["draw"] == group.story.draw
        assert g["story"]["owner_id"] == group.story.owner
    assert view["grouping_draw"] == state.grouping_draw


# ---------------------------------------------------------------------------------------------
# Shapes (docs/protocol.md, "Views")

HEADER = {"audience", "session", "version", "now", "phase", "title", "language", "timer", "ended_at"}
HEX = re.compile(r"^#[0-9A-Fa-f]{6}$")
PROTOCOL = (Path(__file__).resolve().parents[2] / "docs" / "protocol.md").read_text(encoding="utf-8")
VIEWS_DOC = PROTOCOL[PROTOCOL.index("## Views"):PROTOCOL.index("## Error codes")]


def check_keys(actual: dict, documented: set[str], where: str) -> None:
    """Every field the docs list is there, and any other field is at least named in the docs' Views section."""
    assert documented <= set(actual), f"{where}: missing {sorted(documented - set(actual))}"
    undocumented = [key for key in set(actual) - documented if f"`{key}`" not in VIEWS_DOC]
    assert not undocumented, f"{where}: fields not in docs/protocol.md's Views section: {sorted(undocumented)}"


def check_header(view: dict, state, audience: str) -> None:
    assert view["audience"] == audience
    assert view["session"] == state.id and view["version"] == state.version and view["now"] == NOW
    assert view["phase"] == state.phase.value and view["title"] == state.deck.title
    assert view["language"] == state.settings.language
    if state.timer is None:
        assert view["timer"] is None
    else:
        assert view["timer"] == {"started_at": state.timer.started_at, "deadline": state.timer.deadline}


def check_colour(colour: dict) -> None:
    assert set(colour) == {"name", "hex"} and isinstance(colour["name"], str) and HEX.match(colour["hex"])


def test_the_guest_view_has_the_documented_shape():
    state = scenario()["lobby"]
    view = guest_view(state, NOW)
    check_header(view, state, "phone")
    check_keys(view, HEADER | {"status", "locked", "limits", "me", "group"}, "guest view")
    assert set(view["limits"]) == {"name", "title", "pitch", "answer"}


@pytest.mark.parametrize("name", ALL_STATES)
def test_a_joined_phone_view_has_the_documented_shape(name):
    state = scenario()[name]
    for pid in state.participants:
        view = phone_view(state, pid, NOW)
        check_header(view, state, "phone")
        check_keys(view, HEADER | {"status", "me", "late_group", "group"}, "phone view")  # + limits, below
        assert view["status"] == "joined"
        check_keys(view["me"], {"id", "name", "title", "pitch", "opt_out"}, "phone me")
        assert view["me"]["id"] == pid
        group = view["group"]
        if state.phase is Phase.LOBBY:
            assert group is None
            continue
        check_keys(group, {"number", "colour", "members", "story", "formats", "format", "format_by", "questions",
                           "instructions", "sheet", "answers"}, "phone group")
        assert group["sheet"] == state.group_of(pid).sheet.id
        check_colour(group["colour"])
        for member in group["members"]:
            check_keys(member, {"id", "name", "me"}, "phone member")
        assert sum(m["me"] for m in group["members"]) == 1
        if state.phase is Phase.GROUPS:
            assert group["story"] is None
        else:
            check_keys(group["story"], {"owner_id", "owner_name", "title", "pitch", "mine"}, "phone story")
        assert len(group["formats"]) == 3 and all(isinstance(f, str) for f in group["formats"])
        assert group["format"] is None or group["format"] in (0, 1, 2)
        assert group["questions"] == list(state.deck.questions) and len(group["questions"]) == 4
        if state.phase in (Phase.PLANNING, Phase.SHOWCASE):
            assert len(group["answers"]) == 4
            for a in group["answers"]:
                check_keys(a, {"text", "authors"}, "phone answer")
            names = {p.name for p in state.participants.values()}
            assert all(set(a["authors"]) <= names and (a["authors"] or not a["text"]) for a in group["answers"])
        else:
            assert group["answers"] is None


def test_a_joined_phone_also_gets_the_answer_limit_which_the_protocol_doc_lists_for_guests_only():
    view = phone_view(scenario()["planning"], "p1", NOW)
    assert view["limits"] == {"answer": Settings().max_answer}


def test_a_removed_phone_view_has_the_documented_shape():
    state = run(scenario()["groups"], RemoveParticipant(participant="p1"))
    view = phone_view(state, "p1", NOW)
    check_header(view, state, "phone")
    check_keys(view, HEADER | {"status", "me", "group"}, "removed phone view")


@pytest.mark.parametrize("name", ALL_STATES)
def test_the_projector_view_has_the_documented_shape(name):
    state = scenario()[name]
    view = projector_view(state, NOW, JOIN_URL)
    check_header(view, state, "projector")
    check_keys(view, HEADER | {"join_url", "locked", "participant_count", "names", "questions", "showcase",
                               "groups", "sound", "page", "pages", "page_size"}, "projector view")
    assert view["join_url"] == JOIN_URL and view["locked"] is state.locked
    assert view["participant_count"] == len(state.participants)
    assert view["names"] == [p.name for p in state.participants.values()]
    assert view["questions"] == list(state.deck.questions)
    assert [g["number"] for g in view["groups"]] == list(range(1, len(state.groups) + 1))
    for g in view["groups"]:
        check_keys(g, {"number", "colour", "members", "story", "format", "answered", "answers"}, "projector group")
        check_colour(g["colour"])
        assert all(isinstance(m, str) for m in g["members"])
        if g["story"] is not None:
            check_keys(g["story"], {"owner_id", "owner_name", "title", "pitch"}, "projector story")
        assert g["format"] is None or isinstance(g["format"], str)
        assert isinstance(g["answered"], int) and 0 <= g["answered"] <= 4
        assert g["answers"] is None or (len(g["answers"]) == 4 and all(isinstance(a, str) for a in g["answers"]))


@pytest.mark.parametrize("name", ALL_STATES)
def test_the_facilitator_view_has_the_documented_shape(name):
    state = scenario()[name]
    view = facilitator_view(state, NOW, LINKS, set())
    check_header(view, state, "facilitator")
    check_keys(view, HEADER | {"links", "locked", "seed", "grouping_draw", "settings", "questions", "showcase",
                               "sound", "page", "pages", "page_size",
                               "participants", "groups"}, "facilitator view")
    assert set(view["links"]) == {"join", "projector"}
    check_keys(view["settings"], {"group_size", "max_participants", "planning_minutes"}, "facilitator settings")
    assert view["settings"]["group_size"] == state.settings.group_size
    assert view["settings"]["max_participants"] == state.settings.max_participants
    check_keys(view["showcase"], {"index", "gallery", "step", "steps", "presenter", "presenter_seconds"},
               "facilitator showcase")
    for p in view["participants"]:
        check_keys(p, {"id", "name", "title", "pitch", "opt_out", "has_phone", "connected", "group", "late"},
                   "facilitator participant")
    for g in view["groups"]:
        check_keys(g, {"number", "colour", "members", "story", "formats", "format", "format_name", "answered",
                       "answers", "active_at"}, "facilitator group")
        check_colour(g["colour"])
        for member in g["members"]:
            check_keys(member, {"id", "name"}, "facilitator member")
        if g["story"] is not None:
            check_keys(g["story"], {"owner_id", "owner_name", "title", "pitch", "candidates", "draw"},
                       "facilitator story")
        assert len(g["formats"]) == 3 and len(g["answers"]) == 4
        for a in g["answers"]:
            check_keys(a, {"text", "authors"}, "facilitator answer")
        assert (g["format"] is None) == (g["format_name"] is None)


def test_groups_are_shown_with_distinct_colours_and_always_their_number():
    state = scenario()["groups"]
    view = projector_view(state, NOW, JOIN_URL)
    colours = [g["colour"]["name"] for g in view["groups"]]
    assert len(set(colours)) == len(colours)
    assert [g["number"] for g in view["groups"]] == [1, 2, 3]

