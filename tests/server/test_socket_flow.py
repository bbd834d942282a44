"""A whole game through the real Socket.IO handlers, under eventlet and threading."""

from __future__ import annotations

import json

from sheets import Typist

from gamehub.storage.tokens import token_hash
from helpers import steps_to_planning


def play_to_planning(room, people=13):
    facilitator, projector = room.facilitator(), room.projector()
    phones = {}
    for i in range(people):
        phone, reply = room.join(f"Person {i}", title=f"Story {i}", pitch=f"Pitch {i}", opt_out=(i % 4 == 0))
        phones[reply["participant_id"]] = phone
    for event, payload in steps_to_planning(10):
        reply = facilitator.call(event, payload)
        assert reply["ok"], reply
    return facilitator, projector, phones


def members_of(room, number):
    return list(room.state.groups[number - 1].members)


def test_thirteen_people_make_groups_of_5_4_4_and_every_phone_shows_its_group(room):
    facilitator, projector, phones = play_to_planning(room)
    assert [len(g.members) for g in room.state.groups] == [5, 4, 4]
    for group in room.state.groups:
        for pid in group.members:
            view = phones[pid].views()[-1]
            assert view["phase"] == "planning"
            assert view["group"]["number"] == group.number
            assert sorted(m["id"] for m in view["group"]["members"]) == sorted(group.members)
            assert view["group"]["story"]["owner_id"] == group.story.owner
            assert view["timer"]["deadline"] > view["now"]
    assert [g["number"] for g in projector.views()[-1]["groups"]] == [1, 2, 3]


def test_an_edit_in_group_1_reaches_group_1_phones_and_the_staff_but_no_phone_of_group_2(room):
    facilitator, projector, phones = play_to_planning(room)
    for screen in (facilitator, projector, *phones.values()):
        screen.views()  # drain
    writer, *others = members_of(room, 1)
    sheet = room.state.groups[0].sheet.id

    assert phones[writer].call("choose_format", {"format": 1})["ok"]
    update = Typist().append(0, "Secret plan of group one")
    reply = phones[writer].call("sheet_update", {"sheet": sheet, "update": update})
    assert reply == {"ok": True, "version": room.state.version}

    name = room.state.participants[writer].name
    for pid in others:
        (echo,) = phones[pid].events("sheet_update")
        assert echo == {"session": room.code, "sheet": sheet, "update": update,
                        "by": {"id": writer, "name": name}, "fields": [0]}
        latest = phones[pid].views()[-1]  # the format's view; the text came as the update
        assert latest["group"]["format"] == 1 and latest["group"]["format_by"] == {"id": writer, "name": name}
    assert phones[writer].events("sheet_update") == []  # not back to the phone that sent it
    for pid in members_of(room, 2) + members_of(room, 3):
        assert "Secret plan of group one" not in json.dumps(phones[pid].client.queue)
        assert phones[pid].events("sheet_update") == []
    facilitator_view = facilitator.views()[-1]
    assert facilitator_view["groups"][0]["answers"][0] == {"text": "Secret plan of group one", "authors": [name]}
    assert facilitator_view["groups"][0]["answered"] == 1
    progress = projector.views()[-1]["groups"][0]
    assert progress["answered"] == 1 and progress["format"] == room.state.deck.formats_for(1)[1]
    assert progress["answers"] is None  # the room sees answers in the showcase, not while planning
    assert "Secret plan" not in json.dumps(projector.client.queue)

    assert facilitator.call("start_showcase", {"from_phase": "planning"})["ok"]
    assert projector.views()[-1]["groups"][0]["answers"][0] == "Secret plan of group one"


def test_the_showcase_steps_through_every_group_and_stops_at_the_ends(room):
    facilitator, projector, phones = play_to_planning(room)
    assert facilitator.call("start_showcase", {"from_phase": "planning"})["ok"]
    seen = [projector.views()[-1]["showcase"]["index"]]
    while (reply := facilitator.call("showcase_step", {"delta": 1, "from_index": seen[-1]}))["ok"]:
        seen.append(projector.views()[-1]["showcase"]["index"])
    assert seen == [0, 1, 2]
    assert reply["error"]["code"] == "no_more_groups"
    assert facilitator.call("showcase_gallery", {"on": True})["ok"]
    assert projector.views()[-1]["showcase"]["gallery"] is True
    phone_view = next(iter(phones.values())).views()[-1]
    assert phone_view["phase"] == "showcase" and phone_view["group"]["answers"] is not None


def test_a_phone_cannot_send_facilitator_commands_and_nothing_changes(room):
    facilitator, projector, phones = play_to_planning(room)
    phone = next(iter(phones.values()))
    version = room.state.version
    for event in ("form_groups", "start_showcase", "extend_timer", "remove_participant"):
        reply = phone.call(event, {"participant": "p1"} if event == "remove_participant" else {})
        assert reply["ok"] is False and reply["error"]["code"] in ("forbidden", "bad_payload")
    assert room.state.version == version


def test_a_guest_phone_may_only_join(room):
    guest = room.connect("phone")
    assert guest.views()[-1]["status"] == "guest"
    update = {"sheet": "0.1", "update": Typist().append(0, "x")}
    assert guest.call("sheet_update", update)["error"]["code"] == "not_joined"
    assert guest.call("sheet_sync", {"sheet": "0.1", "state_vector": "AA=="})["error"]["code"] == "not_joined"
    assert guest.call("edit_answer", {"question": 0, "text": "x", "base_rev": 0})["error"]["code"] == "unknown_event"
    assert guest.call("form_groups", {"from_phase": "lobby"})["error"]["code"] == "forbidden"


def test_bad_payloads_and_unknown_events_get_clear_errors(room):
    facilitator = room.facilitator()
    room.join("Ada")
    assert facilitator.call("move_participant", {"participant": "p1", "group": "one"})["error"]["code"] == "bad_payload"
    assert facilitator.call("no_such_event")["error"]["code"] == "unknown_event"
    assert facilitator.client.emit("set_locked", ["not", "an", "object"], callback=True)["error"]["code"] == "bad_payload"


def test_a_phone_that_reconnects_with_its_token_is_the_same_participant(room):
    phone, reply = room.join("Grace", title="Compilers", pitch="Teaching machines to read")
    phone.client.disconnect()
    again = room.connect("phone", reply["token"])
    view = again.views()[-1]
    assert view["status"] == "joined" and view["me"]["id"] == reply["participant_id"]
    assert len(room.state.participants) == 1


def test_wrong_keys_and_unknown_tokens_are_refused(room):
    assert not room.connect("facilitator", "not-the-token").client.is_connected()
    assert not room.connect("projector", "not-the-key").client.is_connected()
    assert not room.connect("phone", "a-token-nobody-has").client.is_connected()
    assert room.facilitator().client.is_connected()


def test_the_facilitator_token_is_stored_only_as_a_hash_and_never_sent(room):
    facilitator = room.facilitator()
    phone, reply = room.join("Lin")
    assert room.record.facilitator_hash == token_hash(room.facilitator_token)
    for screen in (facilitator, phone, room.projector()):
        assert room.facilitator_token not in json.dumps(screen.views())
    assert reply["token"] not in json.dumps(facilitator.views())


def test_a_late_joiner_goes_to_the_smallest_group_and_is_told_so(room):
    facilitator, projector, phones = play_to_planning(room)
    late, reply = room.join("Late Larry")
    assert reply["group"] == 2  # groups are 5/4/4: group 2 is the smallest with the lowest number
    view = late.views()[-1]
    assert view["late_group"] == 2 and view["group"]["number"] == 2


def test_the_facilitator_sees_who_is_connected(room):
    facilitator = room.facilitator()
    phone, reply = room.join("Ana")
    assert facilitator.views()[-1]["participants"][0]["connected"] is True
    phone.client.disconnect()
    assert facilitator.views()[-1]["participants"][0]["connected"] is False


def test_a_removed_phone_is_told_and_cannot_come_back(room):
    facilitator = room.facilitator()
    phone, reply = room.join("Troll")
    assert facilitator.call("remove_participant", {"participant": reply["participant_id"]})["ok"]
    assert phone.views()[-1]["status"] == "removed"
    assert not room.connect("phone", reply["token"]).client.is_connected()
