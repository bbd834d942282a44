"""The facilitator's moderation: hiding someone's texts, renaming, the name filter, locking and
removing, through the real Socket.IO handlers."""

from __future__ import annotations

import json

import pytest

from conftest import PUBLIC_URL, Room, dump
from gamehub.engine import Settings
from gamehub.engine.codec import decode, encode
from gamehub.server import create_app
from gamehub.views.screens import HIDDEN_NAME, HIDDEN_TEXT
from sheets import SheetPhone
from helpers import steps_to_planning


def app_with(async_mode="threading", **settings):
    return create_app({"ASYNC_MODE": async_mode, "PUBLIC_URL": PUBLIC_URL, "KEY_CHECK_SECONDS": 0,
                       "SETTINGS": Settings(**settings)})


def play_to_planning(room, people=8):
    facilitator, projector = room.facilitator(), room.projector()
    phones = {}
    for i in range(people):
        phone, reply = room.join(f"Person {i}", title=f"Secret title {i}", pitch=f"Secret pitch {i}")
        phones[reply["participant_id"]] = phone
    for event, payload in steps_to_planning(10):
        assert facilitator.call(event, payload)["ok"]
    return facilitator, projector, phones


def latest(screen) -> dict:
    """The newest view the screen has received (the same one again if nothing came since)."""
    views = screen.views()
    if views:
        screen.last_view = views[-1]
    return screen.last_view


def test_hiding_a_participant_takes_their_name_story_and_answers_off_the_projector_and_showing_brings_them_back(room):
    facilitator, projector, phones = play_to_planning(room)
    group = room.state.groups[0]
    owner = group.story.owner
    other = next(pid for pid in group.members if pid != owner)
    person = room.state.participants[owner]
    assert SheetPhone(phones[owner], group.sheet.id).type(0, "Rude words here")["ok"]

    reply = facilitator.call("hide_text", {"participant": owner, "hidden": True})
    assert reply["ok"], reply
    assert facilitator.call("start_showcase", {"from_phase": "planning"})["ok"]
    shown = json.dumps(latest(projector))
    for secret in (person.name, person.title, person.pitch, "Rude words here"):
        assert secret not in shown, secret
    view = latest(projector)
    card = view["groups"][0]
    assert card["story"]["owner_name"] == HIDDEN_NAME and card["story"]["title"] == HIDDEN_TEXT
    assert card["story"]["pitch"] == "" and card["answers"][0] == HIDDEN_TEXT
    assert HIDDEN_NAME in card["members"] and HIDDEN_NAME in view["names"]

    # The other members keep the name (they sit together) but not the story's text.
    member_story = latest(phones[other])["group"]["story"]
    assert member_story["owner_name"] == person.name
    assert member_story["title"] == HIDDEN_TEXT and member_story["pitch"] == ""
    # The person's own phone and the facilitator see everything, and the facilitator sees the flag.
    own = latest(phones[owner])
    assert own["me"]["title"] == person.title and own["group"]["story"]["title"] == person.title
    control = latest(facilitator)
    row = next(p for p in control["participants"] if p["id"] == owner)
    assert row["hidden"] is True and row["title"] == person.title
    assert control["groups"][0]["answers"][0]["text"] == "Rude words here"

    assert facilitator.call("hide_text", {"participant": owner, "hidden": False})["ok"]
    shown = json.dumps(latest(projector))
    for secret in (person.name, person.title, person.pitch, "Rude words here"):
        assert secret in shown, secret
    assert latest(phones[other])["group"]["story"]["title"] == person.title
    assert next(p for p in latest(facilitator)["participants"] if p["id"] == owner)["hidden"] is False


def test_hiding_someone_hides_every_answer_they_typed_in_on_the_projector_only_and_showing_restores_it(room):
    facilitator, projector, phones = play_to_planning(room)
    group = room.state.groups[0]
    hidden, other, third = group.members[:3]
    sheets = {pid: SheetPhone(phones[pid], group.sheet.id) for pid in (hidden, other, third)}
    assert sheets[hidden].type(0, "Rude words here")["ok"]
    assert sheets[other].type(1, "Clean words")["ok"]
    assert sheets[other].type(2, "Shared start, ")["ok"]
    sheets[hidden].hear()
    assert sheets[hidden].type(2, "rude end")["ok"]  # one answer typed by two people
    texts = ["Rude words here", "Clean words", "Shared start, rude end", ""]
    assert list(room.state.groups[0].texts) == texts

    assert facilitator.call("hide_text", {"participant": hidden, "hidden": True})["ok"]
    assert facilitator.call("start_showcase", {"from_phase": "planning"})["ok"]
    assert latest(projector)["groups"][0]["answers"] == [HIDDEN_TEXT, "Clean words", HIDDEN_TEXT, ""]
    assert "rude" not in json.dumps(latest(projector)).lower()
    # Everywhere else the answers are whole: the facilitator, the group's phones, the export.
    assert [a["text"] for a in latest(facilitator)["groups"][0]["answers"]] == texts
    for pid in (hidden, other, third):
        assert [a["text"] for a in latest(phones[pid])["group"]["answers"]] == texts
    exported = room.app.test_client().post(f"/s/{room.code}/export",
                                           data={"key": room.facilitator_token, "format": "json"}).get_json()
    assert [a["answer"] for a in exported["groups"][0]["answers"]] == texts

    # Typing in the grace after planning: an answer the hidden person joins is hidden too.
    sheets[hidden].hear()
    assert sheets[hidden].type(1, " (and mine)")["ok"]
    texts[1] = "Clean words (and mine)"
    assert latest(projector)["groups"][0]["answers"] == [HIDDEN_TEXT, HIDDEN_TEXT, HIDDEN_TEXT, ""]
    assert [a["text"] for a in latest(facilitator)["groups"][0]["answers"]] == texts
    assert [a["text"] for a in latest(phones[third])["group"]["answers"]] == texts

    assert facilitator.call("hide_text", {"participant": hidden, "hidden": False})["ok"]
    assert latest(projector)["groups"][0]["answers"] == texts


def test_a_hidden_name_is_hidden_in_the_lobby_list_of_the_projector(room):
    facilitator, projector = room.facilitator(), room.projector()
    _, reply = room.join("Trollface McTroll")
    assert facilitator.call("hide_text", {"participant": reply["participant_id"], "hidden": True})["ok"]
    assert latest(projector)["names"] == [HIDDEN_NAME]
    assert "Trollface" not in json.dumps(latest(projector))


def test_only_the_facilitator_hides_or_renames_and_a_bad_target_changes_nothing(room):
    facilitator, projector = room.facilitator(), room.projector()
    phone, reply = room.join("Ada")
    pid = reply["participant_id"]
    before = dump(room.state)
    for screen, code in ((phone, "forbidden"), (projector, "forbidden")):
        assert screen.call("hide_text", {"participant": pid, "hidden": True})["error"]["code"] == code
        assert screen.call("rename_participant", {"participant": pid, "name": "X"})["error"]["code"] == code
    assert facilitator.call("hide_text", {"participant": "p99", "hidden": True})["error"]["code"] == "unknown_participant"
    assert facilitator.call("rename_participant", {"participant": "p99", "name": "X"})["error"]["code"] == "unknown_participant"
    assert facilitator.call("hide_text", {"participant": pid, "hidden": "yes"})["error"]["code"] == "bad_payload"
    assert facilitator.call("hide_text", {"participant": pid})["error"]["code"] == "bad_payload"
    assert dump(room.state) == before


def test_renaming_changes_the_name_everywhere_with_the_limits_of_joining(room):
    facilitator, projector = room.facilitator(), room.projector()
    phone, reply = room.join("Ada Lovelcae")
    pid = reply["participant_id"]
    before = dump(room.state)
    assert facilitator.call("rename_participant", {"participant": pid, "name": "   "})["error"]["code"] == "missing_text"
    long_name = "x" * (Settings().max_name + 1)
    assert facilitator.call("rename_participant", {"participant": pid, "name": long_name})["error"]["code"] == "too_long"
    assert dump(room.state) == before

    assert facilitator.call("rename_participant", {"participant": pid, "name": "  Ada \n Lovelace "})["ok"]
    assert room.state.participants[pid].name == "Ada Lovelace"
    assert latest(projector)["names"] == ["Ada Lovelace"]
    assert latest(phone)["me"]["name"] == "Ada Lovelace"
    assert next(p for p in latest(facilitator)["participants"] if p["id"] == pid)["name"] == "Ada Lovelace"


def test_a_rename_reaches_the_phones_of_the_persons_group():
    room = Room(app_with())
    facilitator, _, phones = play_to_planning(room)
    group = room.state.groups[1]
    target, other = group.members[0], group.members[1]
    assert facilitator.call("rename_participant", {"participant": target, "name": "New Name"})["ok"]
    members = latest(phones[other])["group"]["members"]
    assert {"id": target, "name": "New Name", "me": False} in members


def test_the_name_filter_is_off_unless_configured(room):
    _, reply = room.join("Badword Person")
    assert reply["ok"]


@pytest.mark.parametrize("name", ["badword", "BADWORD", "Mr Badword", "badword!", "Dr. BadWord-Smith", "the  Very   rude  one"])
def test_with_a_name_filter_a_name_containing_a_blocked_word_is_refused_everywhere(name):
    room = Room(app_with(blocked_words=("badword", "very rude")))
    facilitator = room.facilitator()
    guest = room.connect("phone")
    assert guest.call("join", {"name": name})["error"]["code"] == "name_not_allowed"
    assert facilitator.call("add_participant", {"name": name})["error"]["code"] == "name_not_allowed"
    _, reply = room.join("Fine Name")
    before = dump(room.state)
    reply = facilitator.call("rename_participant", {"participant": reply["participant_id"], "name": name})
    assert reply["error"]["code"] == "name_not_allowed"
    assert "badword" not in reply["error"]["message"].lower()  # the list is not read out to the room
    assert dump(room.state) == before and len(room.state.participants) == 1


@pytest.mark.parametrize("name", ["Cassandra", "Badwordsworth", "Passion", "Verity Rude"])
def test_the_name_filter_matches_whole_words_only(name):
    room = Room(app_with(blocked_words=("ass", "badword", "very rude")))
    _, reply = room.join(name)
    assert reply["ok"]


def test_a_locked_session_refuses_new_phones_but_lets_joined_ones_reconnect_and_the_facilitator_add(room):
    facilitator = room.facilitator()
    phone, reply = room.join("Ada")
    assert facilitator.call("set_locked", {"locked": True})["ok"]
    guest = room.connect("phone")
    assert latest(guest)["locked"] is True
    assert guest.call("join", {"name": "Late Larry"})["error"]["code"] == "locked"

    phone.client.disconnect()
    back = room.connect("phone", reply["token"])
    assert back.connected and latest(back)["status"] == "joined" and latest(back)["me"]["name"] == "Ada"
    assert facilitator.call("add_participant", {"name": "No Phone Nora"})["ok"]
    assert [p.name for p in room.state.participants.values()] == ["Ada", "No Phone Nora"]


def test_a_removed_phone_cannot_come_back_nor_join_again_with_its_token(room):
    facilitator = room.facilitator()
    token = "R" * 30
    phone, reply = room.join("Mallory", token=token)
    assert facilitator.call("remove_participant", {"participant": reply["participant_id"]})["ok"]
    assert latest(phone)["status"] == "removed"
    refused = room.connect("phone", token)
    assert not refused.connected and refused.refused == "removed"
    guest = room.connect("phone")
    assert guest.call("join", {"name": "Mallory again", "token": token})["error"]["code"] == "removed"
    assert room.state.participants == {}


def test_sessions_stored_before_hiding_and_the_name_filter_existed_still_load():
    room = Room(app_with())
    room.join("Ada")
    data = encode(room.state)
    for person in data["participants"]:
        del person["hidden"]
    del data["settings"]["blocked_words"]
    state = decode(json.loads(json.dumps(data)))
    assert state.participants["p1"].hidden is False and state.settings.blocked_words == ()
    assert state == room.state


def test_the_name_filter_round_trips_through_the_codec():
    room = Room(app_with(blocked_words=("one", "two words")))
    assert decode(json.loads(json.dumps(encode(room.state)))) == room.state


def test_hidden_renamed_and_filtered_sessions_come_back_whole_from_a_reopened_database(tmp_path, monkeypatch):
    from gamehub.storage import sql as sqlstore
    from gamehub.storage.sql import SqlStore, sqlite_url

    monkeypatch.setattr(sqlstore, "SNAPSHOT_EVERY", 3)  # replay from a snapshot and from the log alike
    url = sqlite_url(str(tmp_path / "db.sqlite3"))
    app = create_app({"ASYNC_MODE": "threading", "PUBLIC_URL": PUBLIC_URL, "KEY_CHECK_SECONDS": 0,
                      "STORE": SqlStore(url), "SETTINGS": Settings(blocked_words=("badword",))})
    room = Room(app)
    facilitator = room.facilitator()
    _, ada = room.join("Ada")
    _, bob = room.join("Bob")
    assert facilitator.call("hide_text", {"participant": ada["participant_id"], "hidden": True})["ok"]
    assert facilitator.call("rename_participant", {"participant": bob["participant_id"], "name": "Robert"})["ok"]
    assert facilitator.call("rename_participant", {"participant": bob["participant_id"], "name": "Badword"})["error"]
    reopened = SqlStore(url).get(room.code).state
    assert reopened == room.state
    assert reopened.participants[ada["participant_id"]].hidden and reopened.participants["p2"].name == "Robert"
    assert reopened.settings.blocked_words == ("badword",)
