"""The group sheet through the real Socket.IO handlers, under eventlet and threading:
`sheet_update` and its echo to the groupmates, `sheet_sync`, what the facilitator sees of the
typing, and the showcase starting while a phone types (docs/protocol.md, "The group sheet").
"""

from __future__ import annotations

import json
import threading
import time

import pytest
from sheets import EMPTY_STATE_VECTOR, SheetPhone, Typist

from gamehub.engine.sheet import MAX_STATE_VECTOR, SHEET_GRACE, TOO_LARGE
from helpers import steps_to_planning

PEOPLE = 8  # two groups of four


@pytest.fixture
def planning(room):
    """A session in planning: the facilitator, and each phone (by participant id) with its token."""
    facilitator = room.facilitator()
    phones, tokens = {}, {}
    for i in range(PEOPLE):
        phone, reply = room.join(f"Person {i}", title=f"Story {i}")
        phones[reply["participant_id"]] = phone
        tokens[reply["participant_id"]] = reply["token"]
    for event, payload in steps_to_planning(15):
        assert facilitator.call(event, payload)["ok"]
    for screen in (facilitator, *phones.values()):
        screen.views()  # drain: from here on, what each screen receives is the test's
    return facilitator, phones, tokens


def sheet_of(room, number: int = 1):
    return room.state.groups[number - 1].sheet


def export_json(room) -> dict:
    response = room.app.test_client().post(f"/s/{room.code}/export",
                                           data={"key": room.facilitator_token, "format": "json"})
    assert response.status_code == 200
    return json.loads(response.data)


# ---------------------------------------------------------------------------------------------
# sheet_update and its echo

def test_each_update_goes_to_every_other_screen_of_the_group_with_who_typed_where(room, planning):
    facilitator, phones, tokens = planning
    a, b, c, d = room.state.groups[0].members
    sheet = sheet_of(room).id
    second_tab = room.connect("phone", tokens[a])  # Ada has the page open twice
    second_tab.views()
    screens = {"a": phones[a], "a2": second_tab, "b": phones[b], "c": phones[c], "d": phones[d]}
    copies = {name: SheetPhone(screen, sheet) for name, screen in screens.items()}

    # Ada and Bo type at the same moment, neither having heard of the other.
    from_a, from_b = copies["a"].typist.append(0, "Ada's audience"), copies["b"].typist.append(1, "Bo's part")
    first = copies["a"].send(from_a)
    assert first == {"ok": True, "version": room.state.version}
    assert copies["b"].send(from_b) == {"ok": True, "version": first["version"] + 1}

    names = room.state.participants
    echo_a = {"session": room.code, "sheet": sheet, "update": from_a, "by": {"id": a, "name": names[a].name},
              "fields": [0]}
    echo_b = {"session": room.code, "sheet": sheet, "update": from_b, "by": {"id": b, "name": names[b].name},
              "fields": [1]}
    heard = {name: copy.hear() for name, copy in copies.items()}
    assert heard["a"] == [echo_b]  # not its own, back
    assert heard["a2"] == [echo_a, echo_b]  # Ada's other tab gets hers too
    assert heard["b"] == [echo_a]
    assert heard["c"] == heard["d"] == [echo_a, echo_b]
    for pid in room.state.groups[1].members:
        assert phones[pid].events("sheet_update") == []
        assert "Ada's audience" not in json.dumps(phones[pid].client.queue)
    # Every copy (the senders' own included) now reads as the server does.
    texts = sheet_of(room).texts
    assert texts == ("Ada's audience", "Bo's part", "", "")
    assert {name: copy.texts for name, copy in copies.items()} == dict.fromkeys(copies, texts)
    # No phone got a view for typing: the update is the message.
    for pid in room.state.groups[0].members:
        assert phones[pid].views() == []


def test_the_same_update_resent_with_its_cid_is_acknowledged_once_and_echoed_once(room, planning):
    facilitator, phones, tokens = planning
    a, b = room.state.groups[0].members[:2]
    sheet = sheet_of(room).id
    writer, reader = SheetPhone(phones[a], sheet), SheetPhone(phones[b], sheet)
    update = writer.typist.append(2, "once")
    first = writer.send(update, cid="u-1")
    again = writer.send(update, cid="u-1")
    assert first["ok"] and again == {"ok": True, "version": first["version"], "duplicate": True}
    assert len(reader.hear()) == 1 and reader.text(2) == "once"


def test_a_refused_update_reaches_nobody_and_changes_nothing(room, planning):
    facilitator, phones, tokens = planning
    a, b = room.state.groups[0].members[:2]
    own, other = sheet_of(room, 1).id, sheet_of(room, 2).id
    facilitator.views()
    before, version = room.state, room.state.version
    cases = [
        ({"sheet": other, "update": Typist().append(0, "x")}, "not_your_group", {"sheet": own}),
        ({"sheet": own, "update": "not base64"}, "bad_update", None),
        ({"sheet": own, "update": "QUJD"}, "bad_update", None),
        ({"sheet": own, "update": "A" * 70_000}, "update_too_large", TOO_LARGE),
        ({"sheet": own, "update": Typist().append(0, "x" * 2001)}, "too_long", {"question": 0, "length": 2001,
                                                                               "limit": 2000}),
        ({"sheet": own}, "bad_payload", None),
        ({"sheet": own, "update": 5}, "bad_payload", None),
        ({"sheet": own, "update": "AAA=", "extra": 1}, "bad_payload", None),
        ({"question": 0, "text": "the old way", "base_rev": 0}, "bad_payload", None),
    ]
    for payload, code, details in cases:
        reply = phones[a].call("sheet_update", payload)
        assert reply["ok"] is False and reply["error"]["code"] == code, (payload, reply)
        assert reply["error"].get("details") == details, reply
    assert room.state.version == version and room.state == before
    assert phones[b].events("sheet_update") == [] and facilitator.views() == []


# ---------------------------------------------------------------------------------------------
# sheet_sync

def test_sheet_sync_gives_a_fresh_phone_what_it_lacks_and_the_servers_state_vector(room, planning):
    facilitator, phones, tokens = planning
    a, b, c = room.state.groups[0].members[:3]
    sheet = sheet_of(room).id
    writer = SheetPhone(phones[a], sheet)
    assert writer.type(0, "Teenagers who game")["ok"]
    assert writer.type(3, "Time")["ok"]
    version, log = room.state.version, len(room.hub.store.log(room.code))
    assert len(phones[b].events("sheet_update")) == 2  # the two updates; nothing more after this

    fresh = SheetPhone(phones[c], sheet)
    reply = fresh.screen.call("sheet_sync", {"sheet": sheet, "state_vector": EMPTY_STATE_VECTOR})
    assert set(reply) == {"ok", "sheet", "update", "state_vector"} and reply["ok"] and reply["sheet"] == sheet
    assert reply["state_vector"] == sheet_of(room).state_vector() == writer.typist.state_vector()
    fresh.typist.apply(reply["update"])
    assert fresh.texts == sheet_of(room).texts == ("Teenagers who game", "", "", "Time")
    # Nothing stored, nothing changed, nobody told.
    assert room.state.version == version and len(room.hub.store.log(room.code)) == log
    assert phones[b].events("sheet_update") == []

    # A phone that already has part of it gets only the rest.
    partial = Typist()
    partial.apply(writer.typist.missing_for(EMPTY_STATE_VECTOR))
    assert writer.type(1, " and more")["ok"]
    rest = phones[c].call("sheet_sync", {"sheet": sheet, "state_vector": partial.state_vector()})
    everything = phones[c].call("sheet_sync", {"sheet": sheet, "state_vector": EMPTY_STATE_VECTOR})
    assert len(rest["update"]) < len(everything["update"])
    partial.apply(rest["update"])
    assert tuple(partial.text(q) for q in range(4)) == sheet_of(room).texts


def test_a_phone_with_changes_the_server_lacks_sends_them_after_its_sync(room, planning):
    facilitator, phones, tokens = planning
    a, b = room.state.groups[0].members[:2]
    sheet = sheet_of(room).id
    assert SheetPhone(phones[a], sheet).type(0, "server side")["ok"]
    offline = SheetPhone(phones[b], sheet)
    offline.typist.append(1, "typed offline")  # never sent
    version = room.state.version
    offline.sync()  # takes the server's text, sends its own
    assert room.state.version == version + 1
    assert sheet_of(room).texts == offline.texts == ("server side", "typed offline", "", "")
    assert phones[a].events("sheet_update")[0]["fields"] == [1]


def test_sheet_sync_refusals(room, planning):
    facilitator, phones, tokens = planning
    a = room.state.groups[0].members[0]
    own, other = sheet_of(room, 1).id, sheet_of(room, 2).id
    version = room.state.version
    cases = [
        (phones[a], {"sheet": other, "state_vector": EMPTY_STATE_VECTOR}, "not_your_group"),
        (phones[a], {"sheet": own, "state_vector": "not base64"}, "bad_update"),
        (phones[a], {"sheet": own, "state_vector": "A" * (MAX_STATE_VECTOR + 4)}, "bad_update"),
        (phones[a], {"sheet": own, "state_vector": "/w=="}, "bad_update"),  # a var-int cut short
        (phones[a], {"sheet": own, "state_vector": "AAA="}, "bad_update"),  # a byte after the vector
        (phones[a], {"sheet": own}, "bad_payload"),
        (phones[a], {"sheet": own, "state_vector": 1}, "bad_payload"),
        (phones[a], {"sheet": own, "state_vector": EMPTY_STATE_VECTOR, "more": True}, "bad_payload"),
        (phones[a], None, "bad_payload"),
        (facilitator, {"sheet": own, "state_vector": EMPTY_STATE_VECTOR}, "forbidden"),
        (room.projector(), {"sheet": own, "state_vector": EMPTY_STATE_VECTOR}, "forbidden"),
        (room.connect("phone"), {"sheet": own, "state_vector": EMPTY_STATE_VECTOR}, "not_joined"),
    ]
    for screen, payload, code in cases:
        reply = screen.client.emit("sheet_sync", payload, callback=True)
        assert reply["ok"] is False and reply["error"]["code"] == code, (payload, reply)
    reply = phones[a].call("sheet_sync", {"sheet": other, "state_vector": EMPTY_STATE_VECTOR})
    assert reply["error"]["details"] == {"sheet": own}
    assert room.state.version == version


def test_sheet_sync_works_whenever_the_group_has_a_sheet_even_long_after_planning(room, planning):
    facilitator, phones, tokens = planning
    a = room.state.groups[0].members[0]
    sheet = sheet_of(room).id
    assert SheetPhone(phones[a], sheet).type(0, "kept")["ok"]
    clock = [time.time() + 0.0]
    room.hub._clock = lambda: clock[0]
    assert facilitator.call("start_showcase", {"from_phase": "planning"})["ok"]
    clock[0] += 3600
    late = SheetPhone(phones[a], sheet)
    late.sync()
    assert late.text(0) == "kept"
    # A sheet id from before a regrouping is no one's; the phone is told its current one.
    for leaving in ("showcase", "planning", "stories"):
        assert facilitator.call("back", {"from_phase": leaving})["ok"]
    assert facilitator.call("reshuffle")["ok"]
    reply = phones[a].call("sheet_sync", {"sheet": sheet, "state_vector": EMPTY_STATE_VECTOR})
    assert reply["error"] == {"code": "not_your_group", "message": reply["error"]["message"],
                              "details": {"sheet": room.state.group_of(a).sheet.id}}
    assert room.state.group_of(a).sheet.id != sheet


# ---------------------------------------------------------------------------------------------
# What the staff see

def test_the_facilitator_sees_which_group_typed_when_and_the_projector_does_not(room, planning):
    facilitator, phones, tokens = planning
    projector = room.projector()
    projector.views(), facilitator.views()
    clock = [2_000_000_000.0]
    room.hub._clock = lambda: clock[0]
    one, two = room.state.groups
    assert SheetPhone(phones[one.members[0]], one.sheet.id).type(0, "typing in one")["ok"]
    shown = facilitator.views()[-1]
    assert [g["active_at"] for g in shown["groups"]] == [clock[0], None]
    assert shown["groups"][0]["answers"][0] == {"text": "typing in one",
                                                "authors": [room.state.participants[one.members[0]].name]}
    clock[0] += 5
    assert SheetPhone(phones[two.members[1]], two.sheet.id).type(3, "and in two")["ok"]
    shown = facilitator.views()[-1]
    assert [g["active_at"] for g in shown["groups"]] == [clock[0] - 5, clock[0]]
    # A facilitator screen opened now gets the same in its whole view.
    assert [g["active_at"] for g in room.facilitator().views()[-1]["groups"]] == [clock[0] - 5, clock[0]]
    for view in projector.views():
        assert all("active_at" not in g and g["answers"] is None for g in view["groups"])
    # A format chosen is not typing: it does not move active_at.
    clock[0] += 5
    assert phones[one.members[1]].call("choose_format", {"format": 2})["ok"]
    shown = facilitator.views()[-1]
    assert shown["groups"][0]["active_at"] == clock[0] - 10 and shown["groups"][0]["format"] == 2


# ---------------------------------------------------------------------------------------------
# The facilitator moves on while a phone types

def test_a_phone_typing_while_the_showcase_starts_loses_nothing_it_was_told_was_saved(room, planning):
    facilitator, phones, tokens = planning
    a = room.state.groups[0].members[0]
    phone = SheetPhone(phones[a], sheet_of(room).id)
    acked, refused = [], []
    enough_before, stop = threading.Event(), threading.Event()

    def type_on():
        """A page: an update every 60 ms, the next once the last is acknowledged; a rate-limited
        update is sent again when the server says."""
        k = 0
        while not stop.is_set():
            chunk = f"<{k}>"
            update = phone.typist.append(k % 4, chunk)
            while True:
                reply = phone.send(update)
                if reply["ok"] or reply["error"]["code"] != "rate_limited":
                    break
                time.sleep(reply["error"]["details"]["retry_after"])
            (acked if reply["ok"] else refused).append((chunk, reply))
            if len(acked) >= 8:
                enough_before.set()
            k += 1
            time.sleep(0.06)

    typing = threading.Thread(target=type_on, daemon=True)
    typing.start()
    assert enough_before.wait(10)
    moved_on = facilitator.call("start_showcase", {"from_phase": "planning"})
    assert moved_on["ok"]
    deadline = time.monotonic() + 10
    while sum(r["version"] > moved_on["version"] for _, r in acked) < 5 and time.monotonic() < deadline:
        time.sleep(0.05)
    stop.set()
    typing.join(10)
    assert not typing.is_alive()
    assert refused == []  # all within the grace
    after = [chunk for chunk, r in acked if r["version"] > moved_on["version"]]
    assert len(after) >= 5, "no update was acknowledged after the showcase started"
    exported = "".join(a["answer"] for a in export_json(room)["groups"][0]["answers"])
    assert [chunk for chunk, _ in acked if chunk not in exported] == []
    assert sheet_of(room).texts == phone.texts
    assert room.state.phase.value == "showcase"


def test_updates_sent_within_30_seconds_of_the_showcase_are_kept_and_later_ones_refused(room, planning):
    facilitator, phones, tokens = planning
    a, b = room.state.groups[0].members[:2]
    clock = [2_000_000_000.0]
    room.hub._clock = lambda: clock[0]
    sheet = sheet_of(room).id
    writer, mate = SheetPhone(phones[a], sheet), SheetPhone(phones[b], sheet)
    assert writer.type(0, "in planning")["ok"]
    projector = room.projector()
    assert facilitator.call("start_showcase", {"from_phase": "planning"})["ok"]
    for phone in phones.values():
        phone.views()
    clock[0] += SHEET_GRACE - 0.5
    late = writer.type(0, ", just in time")
    assert late["ok"], late
    # The room sees it: the groupmates' cards, the projector, the export.
    assert mate.hear()[0]["fields"] == [0]
    card = phones[b].views()[-1]
    assert card["phase"] == "showcase" and card["group"]["answers"][0]["text"] == "in planning, just in time"
    assert projector.views()[-1]["groups"][0]["answers"][0] == "in planning, just in time"
    assert export_json(room)["groups"][0]["answers"][0]["answer"] == "in planning, just in time"
    clock[0] += 1  # past the grace
    version = room.state.version
    too_late = writer.type(0, " too late")
    assert too_late["ok"] is False and too_late["error"]["code"] == "wrong_phase"
    assert room.state.version == version and mate.hear() == []
    assert export_json(room)["groups"][0]["answers"][0]["answer"] == "in planning, just in time"
    # Back to planning: the sheet takes changes again. The refused change is still on the
    # phone, and what it types next builds on it: it syncs first, as the pages do after
    # `wrong_phase`, which sends it along (an update building on what the server lacks is refused).
    assert facilitator.call("back", {"from_phase": "showcase"})["ok"]
    writer.sync()
    assert writer.type(1, "more planning")["ok"]
    assert room.state.groups[0].sheet.texts[:2] == ("in planning, just in time too late", "more planning")


# ---------------------------------------------------------------------------------------------
# After a message-queue outage

def test_after_a_queue_outage_each_phone_gets_its_whole_sheet_and_catches_up(room, planning):
    facilitator, phones, tokens = planning
    a, b = room.state.groups[0].members[:2]
    sheet = sheet_of(room).id
    writer, missed = SheetPhone(phones[a], sheet), SheetPhone(phones[b], sheet)
    assert writer.type(0, "first")["ok"]
    phones[b].events("sheet_update")  # lost on the way (the queue was down): never applied
    assert writer.type(0, " and second")["ok"]
    missed.hear()  # builds on the lost one: Yjs keeps it back
    assert missed.text(0) == "" and sheet_of(room).texts[0] == "first and second"

    room.hub.resync_local()  # what the hub does once the queue answers again
    (whole,) = missed.hear()
    assert whole["by"] is None and whole["fields"] == [] and whole["sheet"] == sheet
    assert missed.texts == sheet_of(room).texts
    # The other group's phones get their own sheet, never this one.
    other = room.state.groups[1]
    for pid in other.members:
        (theirs,) = phones[pid].events("sheet_update")
        assert theirs["sheet"] == other.sheet.id and "first" not in json.dumps(theirs)
