"""Nothing typed is lost: a phone that drops mid-edit, a resent command, two members typing into
one answer at once (docs/protocol.md, "The group sheet")."""

from __future__ import annotations

import pytest
from sheets import SheetPhone, Typist
from helpers import steps_to_planning

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
    for event, payload in steps_to_planning(15):
        assert facilitator.call(event, payload)["ok"]
    phones = {pid: room.connect("phone", token) for pid, token in tokens.items()}
    return facilitator, phones, tokens


def group_members(room, number):
    return list(room.state.groups[number - 1].members)


def text(room, number, question):
    return room.state.groups[number - 1].texts[question]


def sheet_phone(room, screen, pid) -> SheetPhone:
    """The phone's sheet, synced as the page does on connecting."""
    phone = SheetPhone(screen, room.state.group_of(pid).sheet.id)
    phone.sync()
    return phone


def test_a_phone_that_drops_mid_edit_comes_back_and_what_it_typed_offline_merges_in(room, planning):
    facilitator, phones, tokens = planning
    ada, bob, cy, _ = group_members(room, 1)
    sheets = {pid: sheet_phone(room, phones[pid], pid) for pid in (ada, bob, cy)}
    assert sheets[ada].type(0, "A first draft")["ok"]
    sheets[bob].hear()

    phones[ada].client.disconnect()  # the wifi drops while Ada keeps typing
    sheets[ada].typist.append(0, ", now longer")  # kept on the phone (localStorage), not sent
    assert sheets[bob].send(sheets[bob].typist.insert(0, 0, "Bob: "))["ok"]
    assert text(room, 1, 0) == "Bob: A first draft"
    people_before = len(room.state.participants)

    back = room.connect("phone", tokens[ada])
    view = back.views()[-1]
    assert view["me"]["id"] == ada and view["phase"] == "planning"
    assert view["group"]["sheet"] == sheets[ada].sheet
    assert view["group"]["answers"][0] == {"text": "Bob: A first draft", "authors": [
        room.state.participants[ada].name, room.state.participants[bob].name]}
    assert len(room.state.participants) == people_before  # the same participant, not a new one

    # On reconnecting the page syncs: it gets Bob's words, the server gets what Ada typed offline.
    sheets[ada].screen = back
    version = room.state.version
    sheets[ada].sync()
    assert room.state.version == version + 1  # the offline typing, sent back by the sync
    assert text(room, 1, 0) == sheets[ada].text(0) == "Bob: A first draft, now longer"
    # Cy's phone heard every change as it was made, and shows the same.
    sheets[cy].hear()
    assert sheets[cy].text(0) == text(room, 1, 0)


def test_a_sheet_update_resent_with_the_same_client_id_is_applied_once(room, planning):
    facilitator, phones, tokens = planning
    ada = group_members(room, 1)[0]
    phone = sheet_phone(room, phones[ada], ada)
    update = phone.typist.append(1, "Once")
    first = phone.send(update, cid="edit-1")
    assert first == {"ok": True, "version": room.state.version}
    version = room.state.version

    # The ack was lost; the phone reconnects and sends the very same update again.
    phones[ada].client.disconnect()
    phone.screen = room.connect("phone", tokens[ada])
    replay = phone.send(update, cid="edit-1")
    assert replay == {"ok": True, "version": version, "duplicate": True}
    assert room.state.version == version and text(room, 1, 1) == "Once"
    assert [e.cid for e in room.hub.store.log(room.code)].count(f"{ada}:edit-1") == 1
    # Without its cid it would be stored again, and still change nothing: Yjs applies it once.
    assert phone.send(update)["ok"] and text(room, 1, 1) == "Once"


def test_a_facilitator_command_resent_with_its_client_id_extends_the_timer_once(room, planning):
    facilitator, phones, tokens = planning
    deadline = room.state.timer.deadline
    for _ in range(3):
        assert facilitator.call("extend_timer", {"minutes": 5, "cid": "extend-1"})["ok"]
    assert room.state.timer.deadline == pytest.approx(deadline + 300)


def test_client_ids_are_per_sender_so_nobody_can_swallow_another_phones_command(room, planning):
    facilitator, phones, tokens = planning
    ada, bob = group_members(room, 1)[:2]
    assert sheet_phone(room, phones[ada], ada).type(2, "Ada's", cid="same")["ok"]
    reply = sheet_phone(room, phones[bob], bob).type(3, "Bob's", cid="same")
    assert reply["ok"] and "duplicate" not in reply
    assert text(room, 1, 3) == "Bob's"


def test_two_members_typing_into_one_answer_at_once_both_texts_are_kept(room, planning):
    facilitator, phones, tokens = planning
    ada, bob, cy, _ = group_members(room, 1)
    sheets = {pid: sheet_phone(room, phones[pid], pid) for pid in (ada, bob, cy)}
    # Neither phone has heard of the other's typing yet; both send.
    first = sheets[ada].type(2, "Ada: a puppet show")
    second = sheets[bob].type(2, "Bob: a cooking show")
    assert first["ok"] and second["ok"]  # nothing is refused because someone typed first
    merged = text(room, 1, 2)
    assert sorted([merged[:18], merged[18:]]) == ["Ada: a puppet show", "Bob: a cooking show"]
    for pid in (ada, bob, cy):
        sheets[pid].hear()
        assert sheets[pid].text(2) == merged
    # Both updates are in the session's log, and replaying them gives the same text.
    logged = [e.payload for e in room.hub.store.log(room.code) if e.event == "sheet_update"]
    assert len(logged) == 2
    again = Typist()
    for payload in logged:
        again.apply(payload["update"])
    assert again.text(2) == merged


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
