"""The facilitator's tools for the room, straight against the engine and the views: messages to
everyone or to one group, and a group's raised hand (engine/room_tools.py)."""

from __future__ import annotations

import json

import pytest
from helpers import FACILITATOR, NOW, outcome, participant, played_to, rejects, run, run_outcome, session

from gamehub.engine import COMMANDS, Phase, Rejected
from gamehub.engine.codec import decode, encode
from gamehub.engine.game.navigation import Back
from gamehub.engine.room_tools import (MESSAGE_CHARS, PHONE_SECONDS, PROJECTOR_SECONDS, AskHelp, CancelHelp, ClearHelp, SendMessage)
from gamehub.views.screens import facilitator_view, phone_view, projector_view


def members(state, number: int) -> list[str]:
    return list(state.group(number).members)


def other_people(state, number: int) -> list[str]:
    return [pid for pid in state.participants if pid not in state.group(number).members]


# -- messages ----------------------------------------------------------------------------

@pytest.mark.parametrize("phase", [p.value for p in Phase])
def test_a_message_to_everyone_reaches_every_phone_and_the_projector_in_every_phase(phase):
    state = played_to(phase, 8)
    result = run_outcome(state, SendMessage(text="  5 minutes left:   pick your best idea "))
    assert result.phones is None and result.groups is None  # every phone, both staff views
    message = result.state.message
    assert (message.text, message.at, message.id) == ("5 minutes left: pick your best idea", NOW, result.state.version)
    for pid in result.state.participants:
        assert phone_view(result.state, pid, NOW + 1)["message"] == {
            "id": message.id, "text": message.text, "at": NOW, "to": "everyone"}
    assert projector_view(result.state, NOW + 1, "u")["message"] == {
        "id": message.id, "text": message.text, "at": NOW, "until": NOW + PROJECTOR_SECONDS}
    assert facilitator_view(result.state, NOW + 1, {}, set())["message"] == {
        "id": message.id, "text": message.text, "at": NOW}


def test_a_message_to_one_group_changes_only_that_groups_phones_and_its_staff_card():
    state = played_to("planning", 12)
    result = run_outcome(state, SendMessage(text="Group 2: come to the front", group=2))
    assert result.phones == frozenset(members(state, 2))
    assert result.groups == frozenset({2})
    after = result.state
    assert after.message is None and after.group(1).message is None and after.group(3).message is None
    for pid in members(after, 2):
        assert phone_view(after, pid, NOW)["message"]["text"] == "Group 2: come to the front"
        assert phone_view(after, pid, NOW)["message"]["to"] == "group"
    for pid in other_people(after, 2):
        assert phone_view(after, pid, NOW)["message"] is None
    assert projector_view(after, NOW, "u")["message"] is None  # the room does not see it
    cards = facilitator_view(after, NOW, {}, set())["groups"]
    assert cards[1]["message"]["text"] == "Group 2: come to the front"
    assert cards[0]["message"] is None


def test_a_phone_sees_the_newest_of_the_room_message_and_its_group_message():
    state = played_to("planning", 8)
    state = run(state, SendMessage(text="To everyone"))
    state = run(state, SendMessage(text="To group 1", group=1), now=NOW + 5)
    first, second = members(state, 1)[0], members(state, 2)[0]
    assert phone_view(state, first, NOW + 6)["message"]["text"] == "To group 1"
    assert phone_view(state, second, NOW + 6)["message"]["text"] == "To everyone"
    state = run(state, SendMessage(text="Everyone again"), now=NOW + 7)
    assert phone_view(state, first, NOW + 8)["message"]["text"] == "Everyone again"


def test_a_message_is_seen_by_a_reloading_phone_while_recent_and_on_the_projector_only_briefly():
    state = run(played_to("groups", 4), SendMessage(text="Hello room"))
    pid = "p1"
    assert phone_view(state, pid, NOW + PHONE_SECONDS - 1)["message"]["text"] == "Hello room"
    assert phone_view(state, pid, NOW + PHONE_SECONDS)["message"] is None
    assert projector_view(state, NOW + PROJECTOR_SECONDS - 1, "u")["message"]["text"] == "Hello room"
    assert projector_view(state, NOW + PROJECTOR_SECONDS, "u")["message"] is None
    # The facilitator always sees what was sent last.
    assert facilitator_view(state, NOW + 10 * PHONE_SECONDS, {}, set())["message"]["text"] == "Hello room"


def test_a_message_in_the_lobby_reaches_the_joined_phones():
    state = session(3)
    state = run(state, SendMessage(text="We start at ten past"))
    assert phone_view(state, "p2", NOW)["message"]["text"] == "We start at ten past"


def test_a_message_over_the_limit_is_refused_as_too_long_and_one_at_the_limit_is_sent():
    state = played_to("planning", 4)
    error = rejects(state, SendMessage(text="x" * (MESSAGE_CHARS + 1)), code="too_long")
    assert error.details == {"field": "text", "length": MESSAGE_CHARS + 1, "limit": MESSAGE_CHARS}
    assert run(state, SendMessage(text="x" * MESSAGE_CHARS)).message.text == "x" * MESSAGE_CHARS


@pytest.mark.parametrize("text", ["", "   ", "\n\t"])
def test_an_empty_message_is_refused(text):
    assert rejects(played_to("planning", 4), SendMessage(text=text), code="missing_text").details == {"field": "text"}


@pytest.mark.parametrize("group", [-1, 3, 99])
def test_a_message_to_a_group_that_does_not_exist_is_refused(group):
    rejects(played_to("planning", 8), SendMessage(text="Hi", group=group), code="unknown_group")


def test_a_message_to_a_group_before_there_are_groups_is_refused():
    rejects(session(4), SendMessage(text="Hi", group=1), code="unknown_group")


def test_only_the_facilitator_may_send_a_message():
    state = played_to("planning", 4)
    rejects(state, SendMessage(text="I am the boss now"), participant("p1"), "forbidden")


def test_a_message_payload_is_checked_like_every_command():
    cls = COMMANDS["send_message"]
    assert cls.from_payload({"text": "Hi"}) == SendMessage(text="Hi", group=0)
    assert cls.from_payload({"text": "Hi", "group": 2}) == SendMessage(text="Hi", group=2)
    for bad in ({}, {"text": 3}, {"text": "Hi", "group": "2"}, {"text": "Hi", "group": True}, {"text": "Hi", "to": 1}):
        with pytest.raises(Rejected) as caught:
            cls.from_payload(bad)
        assert caught.value.code == "bad_payload"


# -- asking for help ---------------------------------------------------------------------

def test_a_member_raises_the_groups_hand_seen_by_the_group_and_the_facilitator_only():
    state = played_to("planning", 8)
    asker = members(state, 2)[1]
    result = run_outcome(state, AskHelp(), participant(asker), now=NOW + 3)
    assert result.phones == frozenset(members(state, 2)) and result.groups == frozenset({2})
    ticket = result.state.version
    assert result.result == {"ticket": ticket}
    after = result.state
    name = after.participants[asker].name
    for pid in members(after, 2):
        assert phone_view(after, pid, NOW + 4)["group"]["help"] == {
            "ticket": ticket, "at": NOW + 3, "by": {"id": asker, "name": name}, "mine": pid == asker,
            "lowered": None}
    for pid in members(after, 1):
        assert phone_view(after, pid, NOW + 4)["group"]["help"] is None
    cards = facilitator_view(after, NOW + 4, {}, set())["groups"]
    assert cards[1]["help"] == {"ticket": ticket, "at": NOW + 3, "by": {"id": asker, "name": name}}
    assert cards[0]["help"] is None
    assert "help" not in projector_view(after, NOW + 4, "u")["groups"][1]


def test_asking_twice_raises_the_hand_once():
    state = played_to("groups", 8)
    first, second = members(state, 1)[:2]
    state = run(state, AskHelp(), participant(first), now=NOW + 1)
    hand = state.group(1).help
    for pid in (first, second):  # a double click, or a groupmate at the same moment
        error = rejects(state, AskHelp(), participant(pid), "already_asked", now=NOW + 2)
        assert error.details == {"ticket": hand.ticket, "at": NOW + 1}
    assert state.group(1).help == hand


def test_the_facilitator_clears_a_hand_once_and_a_second_click_is_already_done():
    state = played_to("planning", 8)
    state = run(state, AskHelp(), participant(members(state, 1)[0]))
    ticket = state.group(1).help.ticket
    result = run_outcome(state, ClearHelp(group=1, ticket=ticket), now=NOW + 30)
    assert result.phones == frozenset(members(state, 1)) and result.groups == frozenset({1})
    cleared = result.state
    assert not cleared.group(1).help.up
    assert facilitator_view(cleared, NOW + 31, {}, set())["groups"][0]["help"] is None
    error = rejects(cleared, ClearHelp(group=1, ticket=ticket), code="already_cleared")
    assert error.details == {"group": 1, "help": None}
    for pid in members(cleared, 1):  # the phones say who lowered it, for a while
        seen = phone_view(cleared, pid, NOW + 31)["group"]["help"]
        assert seen["lowered"] == {"at": NOW + 30, "by": "facilitator", "member": None, "mine": False}
        assert phone_view(cleared, pid, NOW + 30 + PHONE_SECONDS)["group"]["help"] is None


def test_clearing_names_the_hand_it_saw_so_a_hand_raised_again_stays_up():
    state = played_to("planning", 8)
    pid = members(state, 1)[0]
    state = run(state, AskHelp(), participant(pid))
    old = state.group(1).help.ticket
    state = run(state, ClearHelp(group=1, ticket=old))
    state = run(state, AskHelp(), participant(pid), now=NOW + 60)
    new = state.group(1).help
    error = rejects(state, ClearHelp(group=1, ticket=old), code="already_cleared")  # the double click's second
    assert error.details == {"group": 1, "help": {"ticket": new.ticket, "at": NOW + 60}}
    assert state.group(1).help == new


def test_any_member_may_lower_their_groups_hand_once_but_not_another_groups():
    state = played_to("planning", 8)
    asker, mate = members(state, 1)[:2]
    state = run(state, AskHelp(), participant(asker))
    ticket = state.group(1).help.ticket
    stranger = members(state, 2)[0]
    rejects(state, CancelHelp(ticket=ticket), participant(stranger), "already_cleared")  # their own group has none
    assert state.group(1).help is not None
    lowered = run(state, CancelHelp(ticket=ticket), participant(mate), now=NOW + 9)
    assert not lowered.group(1).help.up
    assert facilitator_view(lowered, NOW + 9, {}, set())["groups"][0]["help"] is None
    rejects(lowered, CancelHelp(ticket=ticket), participant(asker), "already_cleared")
    name = lowered.participants[mate].name
    for pid, mine in ((asker, False), (mate, True)):
        assert phone_view(lowered, pid, NOW + 10)["group"]["help"]["lowered"] == {
            "at": NOW + 9, "by": "member", "member": {"id": mate, "name": name}, "mine": mine}
    again = run(lowered, AskHelp(), participant(asker), now=NOW + 11)  # and it can be raised again
    assert again.group(1).help.up and again.group(1).help.at == NOW + 11


def test_help_is_for_members_of_a_group_from_the_groups_phase_on():
    rejects(session(4), AskHelp(), participant("p1"), "wrong_phase")
    state = played_to("groups", 4)
    rejects(state, AskHelp(), FACILITATOR, "forbidden")
    rejects(state, ClearHelp(group=1, ticket=1), participant("p1"), "forbidden")
    rejects(state, ClearHelp(group=7, ticket=1), code="unknown_group")


def test_a_hand_is_kept_through_the_phases_and_gone_with_the_groups():
    state = played_to("groups", 8)
    state = run(state, AskHelp(), participant(members(state, 2)[0]))
    hand = state.group(2).help
    for step in ("pick_stories", "start_planning", "start_showcase"):
        state = run(state, COMMANDS[step]())
        assert state.group(2).help == hand
    state = run(state, Back())
    assert state.group(2).help == hand
    state = run(run(run(state, Back()), Back()), Back())  # back to the lobby: groups dissolved
    assert state.groups == ()


def test_the_hand_of_someone_removed_since_still_shows_without_a_name():
    state = played_to("planning", 8)
    asker = members(state, 1)[0]
    state = run(state, AskHelp(), participant(asker))
    state = run(state, COMMANDS["remove_participant"](participant=asker))
    card = facilitator_view(state, NOW, {}, set())["groups"][0]
    assert card["help"]["by"] is None and card["help"]["ticket"] == state.group(1).help.ticket


# -- stored like every state ----------------------------------------------------------

def test_messages_and_hands_survive_the_codec_through_json():
    state = played_to("planning", 8)
    state = run(state, SendMessage(text="Everyone ✨"))
    state = run(state, SendMessage(text="Only group 2", group=2), now=NOW + 1)
    state = run(state, AskHelp(), participant(members(state, 1)[0]), now=NOW + 2)
    again = decode(json.loads(json.dumps(encode(state))))
    assert again == state
    assert again.message.text == "Everyone ✨" and again.group(2).message.text == "Only group 2"
    assert again.group(1).help.at == NOW + 2


def test_a_snapshot_from_before_room_tools_decodes_with_no_message_and_no_hands():
    state = played_to("planning", 8)
    data = json.loads(json.dumps(encode(state)))
    data.pop("message")
    for group in data["groups"]:
        group.pop("message")
        group.pop("help")
    old = decode(data)
    assert old == state and old.message is None
    assert all(g.message is None and g.help is None for g in old.groups)


def test_a_replay_of_the_logged_commands_gives_the_same_messages_and_hands():
    state = played_to("planning", 8)
    asker = members(state, 1)[0]
    log = [(SendMessage(text="Hi"), FACILITATOR, NOW + 1), (AskHelp(), participant(asker), NOW + 2),
           (SendMessage(text="Group 2 only", group=2), FACILITATOR, NOW + 3)]
    end = state
    for command, actor, now in log:
        end = run(end, command, actor, now)
    replayed = state
    for command, actor, now in log:
        again = COMMANDS[command.event].from_payload(json.loads(json.dumps(command.as_record())))
        replayed = outcome(replayed, again, actor, now).state
    assert replayed == end
