"""The end of the game (issue 13, item 6): the facilitator ends it from the showcase, once; an
ended session refuses what would change the game and keeps showing every screen its closing
state; the ending survives the codec, old snapshots and a replay of the log."""

from __future__ import annotations

import pytest
from helpers import FACILITATOR, GUEST, NOW, PROJECTOR, outcome, participant, played_to, rejects, run
from sheets import edit_command

from gamehub.engine import COMMANDS, Phase
from gamehub.engine.codec import decode, encode
from gamehub.engine.game.ending import AFTER_END, EndSession
from gamehub.engine.lobby import AddParticipant, Join, RemoveParticipant, SetLocked
from gamehub.engine.moderation import HideText, RenameParticipant
from gamehub.engine.game.navigation import Back
from gamehub.engine.game.planning import ChooseFormat
from gamehub.engine.room import SetSound, TurnPage
from gamehub.engine.room_tools import AskHelp, CancelHelp
from gamehub.engine.game.showcase import SetPresenterTimer, ShowcaseGallery, ShowcaseStep
from gamehub.engine.game.vote import CloseVote, OpenVote, SetBallot
from gamehub.views.screens import HIDDEN_TEXT, facilitator_view, guest_view, phone_view, projector_view

END = EndSession(from_phase="showcase")
LATER = NOW + 5


def showcase_with_answers():
    """Eight people in two groups, group 1 with two answers typed before the showcase."""
    state = played_to("planning", 8)
    first, second = state.groups[0].members[:2]
    state = run(state, edit_command(state, first, 0, "Night-shift nurses"), participant(first))
    state = run(state, edit_command(state, second, 2, "It can be tasted"), participant(second))
    state = run(state, ChooseFormat(format=1), participant(first))
    return run(state, COMMANDS["start_showcase"](from_phase="planning"))


@pytest.fixture(scope="module")
def ended():
    return run(showcase_with_answers(), END, now=LATER)


def test_the_facilitator_ends_the_game_from_the_showcase_and_the_presenter_countdown_stops(ended):
    before = showcase_with_answers()
    assert before.showcase.presenter is not None and before.ended_at is None
    result = outcome(before, END, now=LATER)
    assert result.ok and result.state.ended_at == LATER
    assert result.phones is None  # every phone turns to its thank-you
    assert result.state.phase is Phase.SHOWCASE and result.state.showcase.presenter is None
    assert result.state.groups == before.groups  # nothing of the game is lost


@pytest.mark.parametrize("actor", [GUEST, PROJECTOR, participant("p1")])
def test_only_the_facilitator_may_end_the_game(actor):
    rejects(showcase_with_answers(), END, actor, "forbidden")


@pytest.mark.parametrize("phase", ["lobby", "groups", "stories", "planning"])
def test_the_game_ends_only_from_the_showcase(phase):
    state = played_to(phase, 8)
    rejects(state, EndSession(from_phase=phase), code="wrong_phase")


def test_a_screen_must_say_which_phase_it_ended_from():
    with pytest.raises(Exception) as refused:
        EndSession.from_payload({})
    assert refused.value.code == "bad_payload"
    assert EndSession.from_payload({"from_phase": "showcase"}) == END


def test_a_second_end_a_double_click_or_another_tab_is_already_moved_and_changes_nothing(ended):
    error = rejects(ended, END, code="already_moved", now=LATER + 0.15)
    assert error.details == {"phase": "showcase", "ended_at": LATER}
    # A screen still on planning that sends its step late is refused as before, not ended twice.
    rejects(ended, COMMANDS["start_showcase"](from_phase="planning"), code="already_moved")


def refused_after_the_end(state):
    """One well-formed command per thing an ended session must refuse, with its sender."""
    member = state.groups[0].members[0]
    return {
        "join": (Join(name="Latecomer", token_hash="token-hash-late"), GUEST),
        "add_participant": (AddParticipant(name="No phone"), FACILITATOR),
        "remove_participant": (RemoveParticipant(participant=member), FACILITATOR),
        "remove_joined_since": (COMMANDS["remove_joined_since"](participant=member, through=member, count=1), FACILITATOR),
        "set_locked": (SetLocked(locked=True), FACILITATOR),
        "choose_format": (ChooseFormat(format=0), participant(member)),
        "sheet_update": (edit_command(state, member, 1, "one more idea"), participant(member)),
        "showcase_step": (ShowcaseStep(delta=1, from_index=0, from_step=state.showcase.step), FACILITATOR),
        "showcase_gallery": (ShowcaseGallery(on=True), FACILITATOR),
        "set_presenter_timer": (SetPresenterTimer(seconds=60), FACILITATOR),
        "turn_page": (TurnPage(delta=1, from_page=0), FACILITATOR),
        "back": (Back(from_phase="showcase"), FACILITATOR),
        "ask_help": (AskHelp(), participant(member)),
        "cancel_help": (CancelHelp(ticket=1), participant(member)),
        "open_vote": (OpenVote(votes_each=2, vote=1), FACILITATOR),
        "set_ballot": (SetBallot(groups=(2,), vote=1), participant(member)),
        "close_vote": (CloseVote(vote=1), FACILITATOR),
    }


def test_the_table_of_refusals_covers_every_command_an_ended_session_refuses(ended):
    assert set(refused_after_the_end(ended)) | AFTER_END >= set(COMMANDS) - {"form_groups", "reshuffle",
                                                                           "move_participant", "pick_stories",
                                                                           "reroll_story", "start_planning",
                                                                           "extend_timer", "start_showcase"}
    assert AFTER_END <= set(COMMANDS)


@pytest.mark.parametrize("event", sorted(refused_after_the_end(showcase_with_answers())))
def test_an_ended_session_refuses_joining_typing_and_moving_on(ended, event):
    command, actor = refused_after_the_end(ended)[event]
    # Each is accepted just before the end (or fails for its own reason, never as ended)...
    before = outcome(showcase_with_answers(), command, actor, now=NOW + 1)
    assert before.ok or before.error.code != "session_ended"
    # ...and refused after it, with the time it ended, changing nothing.
    error = rejects(ended, command, actor, "session_ended", now=LATER + 1)
    assert error.details == {"ended_at": LATER}


def test_a_sheet_update_within_the_grace_after_planning_is_refused_once_the_game_ended():
    state = showcase_with_answers()  # the showcase started at NOW: updates are taken for a while
    member = state.groups[0].members[0]
    late = edit_command(state, member, 1, "typed as the showcase began")
    assert outcome(state, late, participant(member), now=NOW + 2).ok
    ended = run(state, END, now=NOW + 1)
    rejects(ended, late, participant(member), "session_ended", now=NOW + 2)


def test_an_ended_session_still_takes_moderation_and_the_projectors_mute(ended):
    member = ended.groups[0].members[0]
    hidden = run(ended, HideText(participant=member, hidden=True), now=LATER + 1)
    assert hidden.participants[member].hidden
    renamed = run(hidden, RenameParticipant(participant=member, name="Ama"), now=LATER + 2)
    assert renamed.participants[member].name == "Ama"
    muted = run(renamed, SetSound(on=False), now=LATER + 3)
    assert muted.sound is False and muted.ended_at == LATER


def test_every_view_says_when_the_game_ended(ended):
    assert phone_view(ended, "p1", NOW)["ended_at"] == LATER
    assert guest_view(ended, NOW)["ended_at"] == LATER
    assert projector_view(ended, NOW, "http://x/j/TESTROOM")["ended_at"] == LATER
    assert facilitator_view(ended, NOW, {"join": "", "projector": ""}, set())["ended_at"] == LATER
    before = showcase_with_answers()
    assert phone_view(before, "p1", NOW)["ended_at"] is None
    assert projector_view(before, NOW, "")["ended_at"] is None


def test_after_the_end_a_phone_still_has_its_own_groups_card_and_no_other(ended):
    first, second = ended.groups
    view = phone_view(ended, first.members[0], NOW)
    card = view["group"]
    assert card["number"] == 1 and [m["id"] for m in card["members"]] == list(first.members)
    assert card["answers"][0]["text"] == "Night-shift nurses" and card["answers"][2]["text"] == "It can be tasted"
    assert card["format"] == 1 and card["story"]["owner_id"] == first.story.owner
    other = phone_view(ended, second.members[0], NOW)
    assert "Night-shift nurses" not in str(other) and other["group"]["number"] == 2


def test_after_the_end_a_hidden_owners_story_stays_hidden_from_their_groupmates(ended):
    owner = ended.groups[0].story.owner
    state = run(ended, HideText(participant=owner, hidden=True), now=LATER + 1)
    mate = next(pid for pid in state.groups[0].members if pid != owner)
    assert phone_view(state, mate, NOW)["group"]["story"]["title"] == HIDDEN_TEXT
    assert phone_view(state, owner, NOW)["group"]["story"]["title"] == f"Title {owner[1:]}"  # their own


def test_after_the_end_someone_removed_gets_no_card_but_learns_the_game_ended():
    state = showcase_with_answers()
    removed = state.groups[1].members[0]
    state = run(state, RemoveParticipant(participant=removed))
    state = run(state, END, now=LATER)
    gone = phone_view(state, removed, NOW)
    assert gone["status"] == "removed" and gone["group"] is None and gone["ended_at"] == LATER


def test_the_ending_survives_the_codec_and_an_old_snapshot_decodes_as_not_ended(ended):
    assert decode(encode(ended)) == ended and decode(encode(ended)).ended_at == LATER
    old = encode(showcase_with_answers())
    del old["ended_at"]  # a snapshot made before the ending existed
    assert decode(old).ended_at is None


def test_the_log_replays_to_the_same_ending():
    from gamehub.storage.replay import replay
    from gamehub.storage.store import LogEntry

    start = showcase_with_answers()
    ended = run(start, END, now=LATER)
    entry = LogEntry(version=ended.version, event="end_session", payload=END.as_record(),
                     actor={"role": "facilitator"}, at=LATER)
    assert replay(start, [entry]) == ended



def test_a_session_that_ended_keeps_refusing_after_moderation(ended):
    state = run(ended, SetSound(on=False), now=LATER + 1)
    rejects(state, Join(name="Latecomer", token_hash="token-hash-late"), GUEST, "session_ended")


# ---------------------------------------------------------------------------------------------
# Through the real handlers (conftest.Room): who hears of the end, and what a connection is told.

def ended_room(room):
    """Eight phones played into the showcase and ended; returns (control, phones by id, removed id)."""
    from helpers import steps_to_planning

    control = room.facilitator()
    phones, tokens = {}, {}
    for i in range(8):
        phone, reply = room.join(f"Person {i}")
        phones[reply["participant_id"]], tokens[reply["participant_id"]] = phone, reply["token"]
    for event, payload in (*steps_to_planning(10), ("start_showcase", {"from_phase": "planning"})):
        assert control.call(event, payload)["ok"]
    removed = room.state.groups[1].members[0]
    assert control.call("remove_participant", {"participant": removed})["ok"]
    assert control.call("end_session", {"from_phase": "showcase"})["ok"]
    return control, phones, tokens, removed


def test_every_phone_hears_of_the_end_and_a_removed_phone_is_told_the_game_ended(room):
    control, phones, tokens, removed = ended_room(room)
    for pid, phone in phones.items():
        if pid == removed:
            continue
        last = phone.views()[-1]
        assert last["ended_at"] is not None and last["group"]["number"] == room.state.group_of(pid).number
    again = room.connect("phone", tokens[removed])
    assert not again.connected and again.client.refusal["message"] == "removed"
    assert again.client.refusal["data"]["ended"] is True
    # Before the end, the same refusal says nothing of an ending.
    other = type(room)(room.app)
    _, reply = other.join("Soon gone")
    assert other.facilitator().call("remove_participant", {"participant": reply["participant_id"]})["ok"]
    early = other.connect("phone", reply["token"])
    assert early.client.refusal["message"] == "removed" and "ended" not in early.client.refusal["data"]


def test_after_the_end_a_guest_is_refused_as_session_ended_and_a_member_still_reads_its_sheet(room):
    control, phones, tokens, removed = ended_room(room)
    guest = room.connect("phone")
    view = guest.views()[-1]
    assert view["status"] == "guest" and view["ended_at"] is not None  # the page says it ended
    reply = guest.call("join", {"name": "Latecomer"})
    assert not reply["ok"] and reply["error"]["code"] == "session_ended"
    member = next(pid for pid in phones if pid != removed)
    sheet = room.state.group_of(member).sheet.id
    sync = phones[member].call("sheet_sync", {"sheet": sheet, "state_vector": "AA=="})
    assert sync["ok"]  # reading is no change: it goes on
    assert control.call("end_session", {"from_phase": "showcase"})["error"]["code"] == "already_moved"


def test_ending_closes_an_open_vote_so_its_ballots_count_and_the_results_are_final():
    state = showcase_with_answers()
    state = outcome(state, OpenVote(votes_each=1, vote=1)).state
    voter = state.groups[0].members[0]
    state = outcome(state, SetBallot(groups=(2,), vote=1), actor=participant(voter)).state
    ended = outcome(state, END, now=LATER).state
    assert ended.vote is not None and not ended.vote.open and ended.vote.closed_at == LATER
    assert ended.vote.ballots == {voter: (2,)}
