"""Nothing typed is lost: a phone that drops mid-edit, a resent command, two members typing into
one answer at once (docs/protocol.md, "Editing an answer")."""

from __future__ import annotations

import pytest

PEOPLE = 8  # two groups of four


@pytest.fixture
def planning(room):
    """A session in planning, with every phone's token kept as the page keeps it."""
    facilitator = room.facilitator()
    tokens = {}
    for i in range(PEOPLE):
        phone, reply = room.join(f"Person {i}", title=f"Story {i}", token=f"device-token-of-person-{i:04d}")
        tokens[reply["participant_id"]] = reply["token"]
        phone.client.disconnect()
    for event, payload in (("form_groups", {}), ("pick_stories", {}), ("start_planning", {"minutes": 15})):
        assert facilitator.call(event, payload)["ok"]
    phones = {pid: room.connect("phone", token) for pid, token in tokens.items()}
    return facilitator, phones, tokens


def group_members(room, number):
    return list(room.state.groups[number - 1].members)


def answer(room, number, question):
    return room.state.groups[number - 1].answers[question]


def test_a_phone_that_drops_mid_edit_comes_back_to_the_latest_sheet_and_its_stale_edit_is_not_lost(room, planning):
    facilitator, phones, tokens = planning
    ada, bob, cy, _ = group_members(room, 1)
    assert phones[ada].call("edit_answer", {"question": 0, "text": "A first draft", "base_rev": 0})["ok"]

    phones[ada].client.disconnect()  # the wifi drops while Ada keeps typing
    assert phones[bob].call("edit_answer", {"question": 0, "text": "Bob's version", "base_rev": 1})["ok"]
    people_before = len(room.state.participants)

    back = room.connect("phone", tokens[ada])
    view = back.views()[-1]
    assert view["me"]["id"] == ada and view["phase"] == "planning"
    assert view["group"]["answers"][0] == {"text": "Bob's version", "rev": 2, "by": room.state.participants[bob].name}
    assert len(room.state.participants) == people_before  # the same participant, not a new one

    # The edit Ada typed offline was made against rev 1: it is refused with Bob's text, so her
    # phone can show both, and nothing changes on the server.
    version = room.state.version
    stale = back.call("edit_answer", {"question": 0, "text": "A first draft, now longer", "base_rev": 1, "cid": "ada-7"})
    assert stale["ok"] is False and stale["error"]["code"] == "stale_edit"
    assert stale["error"]["details"] == {"question": 0, "text": "Bob's version", "rev": 2,
                                         "by": room.state.participants[bob].name}
    assert room.state.version == version and answer(room, 1, 0).text == "Bob's version"

    # "Keep mine": the same words against the rev the phone now knows.
    kept = back.call("edit_answer", {"question": 0, "text": "A first draft, now longer", "base_rev": 2, "cid": "ada-8"})
    assert kept == {"ok": True, "version": version + 1, "rev": 3}
    assert phones[cy].views()[-1]["group"]["answers"][0]["text"] == "A first draft, now longer"


def test_a_command_resent_with_the_same_client_id_is_applied_once(room, planning):
    facilitator, phones, tokens = planning
    ada = group_members(room, 1)[0]
    first = phones[ada].call("edit_answer", {"question": 1, "text": "Once", "base_rev": 0, "cid": "edit-1"})
    assert first["ok"] and first["rev"] == 1
    version = room.state.version

    # The ack was lost; the phone reconnects and sends the very same command again.
    phones[ada].client.disconnect()
    again = room.connect("phone", tokens[ada])
    replay = again.call("edit_answer", {"question": 1, "text": "Once", "base_rev": 0, "cid": "edit-1"})
    assert replay["ok"] is True and replay["duplicate"] is True and replay["rev"] == 1
    assert room.state.version == version and answer(room, 1, 1).rev == 1
    assert [e.cid for e in room.hub.store.log(room.code)].count(f"{ada}:edit-1") == 1


def test_a_facilitator_command_resent_with_its_client_id_extends_the_timer_once(room, planning):
    facilitator, phones, tokens = planning
    deadline = room.state.timer.deadline
    for _ in range(3):
        assert facilitator.call("extend_timer", {"minutes": 5, "cid": "extend-1"})["ok"]
    assert room.state.timer.deadline == pytest.approx(deadline + 300)


def test_client_ids_are_per_sender_so_nobody_can_swallow_another_phones_command(room, planning):
    facilitator, phones, tokens = planning
    ada, bob = group_members(room, 1)[:2]
    assert phones[ada].call("edit_answer", {"question": 2, "text": "Ada's", "base_rev": 0, "cid": "same"})["ok"]
    reply = phones[bob].call("edit_answer", {"question": 3, "text": "Bob's", "base_rev": 0, "cid": "same"})
    assert reply["ok"] and "duplicate" not in reply
    assert answer(room, 1, 3).text == "Bob's"


def test_two_members_typing_into_one_answer_at_once_neither_text_silently_disappears(room, planning):
    facilitator, phones, tokens = planning
    ada, bob, cy, _ = group_members(room, 1)
    # Both phones last saw rev 0; both send.
    first = phones[ada].call("edit_answer", {"question": 2, "text": "Ada: a puppet show", "base_rev": 0})
    second = phones[bob].call("edit_answer", {"question": 2, "text": "Bob: a cooking show", "base_rev": 0})
    assert first["ok"] and second["error"]["code"] == "stale_edit"
    # Bob's phone is given Ada's text (to show beside his own, which it keeps)...
    assert second["error"]["details"]["text"] == "Ada: a puppet show"
    # ...and Bob chooses to keep both.
    merged = "Ada: a puppet show / Bob: a cooking show"
    assert phones[bob].call("edit_answer", {"question": 2, "text": merged,
                                            "base_rev": second["error"]["details"]["rev"]})["ok"]
    assert phones[cy].views()[-1]["group"]["answers"][2]["text"] == merged
    # Both accepted texts stay in the session's log.
    texts = [e.payload["text"] for e in room.hub.store.log(room.code) if e.event == "edit_answer"]
    assert texts == ["Ada: a puppet show", merged]


def test_joining_again_with_the_same_device_token_is_the_same_participant(room):
    guest = room.connect("phone")
    token = "a-phone-made-this-token-itself"
    first = guest.call("join", {"name": "Mo", "token": token})
    guest.client.disconnect()  # the ack was lost on the way; the page sends join again
    again = room.connect("phone").call("join", {"name": "Mo", "token": token})
    assert again["ok"] and again["duplicate"] is True
    assert again["participant_id"] == first["participant_id"]
    assert len(room.state.participants) == 1


def test_a_join_with_a_token_that_is_not_url_safe_is_refused(room):
    reply = room.connect("phone").call("join", {"name": "Mo", "token": "short"})
    assert reply["error"]["code"] == "bad_payload"
    assert not room.state.participants
