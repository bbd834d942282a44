"""Targeted fan-out: a sheet update in group k goes to group k's other phones (as the update
itself) and, as a patch of group k alone, to the staff; whole staff views and patches are
coalesced. The cost of an edit does not grow with the room."""

from __future__ import annotations

import json
import time

from conftest import PUBLIC_URL, Room, merge_patch
from sheets import Typist

from gamehub.server import create_app
from helpers import steps_to_planning


def received(screen) -> list[dict]:
    return [m for m in screen.client.get_received() if m["name"] in ("view", "view_patch")]


def planning(room: Room, people: int):
    """The staff screens and `people` phones (by participant id), played into planning."""
    facilitator, projector = room.facilitator(), room.projector()
    phones = {}
    for i in range(people):
        phone, reply = room.join(f"Person {i}")
        phones[reply["participant_id"]] = phone
    for event, payload in steps_to_planning():
        assert facilitator.call(event, payload)["ok"]
    return facilitator, projector, phones


def everything(screen) -> list[str]:
    return [m["name"] for m in screen.client.get_received()]


def test_an_edit_goes_to_its_group_and_as_a_one_group_patch_to_the_staff(room):
    facilitator, projector, phones = planning(room, 12)
    for screen in (facilitator, projector, *phones.values()):
        received(screen)  # drain
    one, two, three = room.state.groups
    writer, typist = phones[one.members[0]], Typist()

    def send(update):
        return writer.call("sheet_update", {"sheet": one.sheet.id, "update": update})

    assert send(typist.append(0, "First words"))["ok"]
    patch, = received(facilitator)
    assert patch["name"] == "view_patch"
    assert [g["number"] for g in patch["args"][0]["groups"]] == [1]
    assert patch["args"][0]["groups"][0]["answers"][0]["text"] == "First words"
    assert patch["args"][0]["groups"][0]["active_at"] == patch["args"][0]["now"]  # typing just now
    shown, = received(projector)  # the field went from empty to written: 1/4 answered
    assert shown["name"] == "view_patch" and shown["args"][0]["groups"][0]["answered"] == 1
    for pid in one.members[1:]:  # the update itself, no view
        assert everything(phones[pid]) == ["sheet_update"]
    assert everything(writer) == []
    for pid in two.members + three.members:
        assert everything(phones[pid]) == []

    # Rewording a written answer changes nothing the projector shows during planning.
    assert send(typist.set_text(0, "Better words"))["ok"]
    assert received(projector) == []
    assert [m["name"] for m in received(facilitator)] == ["view_patch"]


def test_what_one_edit_sends_does_not_grow_with_the_number_of_groups():
    sizes = {}
    for people in (8, 400):
        # 400 test phones from one address: past any join budget that stops a flood (security.md).
        app = create_app({"ASYNC_MODE": "threading", "PUBLIC_URL": PUBLIC_URL, "KEY_CHECK_SECONDS": 0,
                          "STAFF_VIEW_SECONDS": 0, "JOIN_BUDGET": "off"})
        room = Room(app)
        facilitator, projector = room.facilitator(), room.projector()
        writer, reply = room.join("Writer")
        for i in range(people - 1):
            room.join(f"Person {i}")[0].client.disconnect()
        for event, payload in steps_to_planning():
            assert facilitator.call(event, payload)["ok"]
        received(facilitator), received(projector), received(writer)
        sheet = room.state.group_of(reply["participant_id"]).sheet.id
        assert writer.call("sheet_update", {"sheet": sheet, "update": Typist(client_id=7).append(1, "x" * 300)})["ok"]
        sent = received(facilitator) + received(projector) + received(writer)
        sizes[people] = sum(len(json.dumps(m["args"][0])) - len(json.dumps(m["args"][0].get("now"))) for m in sent)
    assert sizes[400] <= sizes[8] * 1.1, sizes


def test_whole_staff_views_are_coalesced_while_a_room_joins():
    app = create_app({"ASYNC_MODE": "threading", "PUBLIC_URL": PUBLIC_URL, "KEY_CHECK_SECONDS": 0,
                      "STAFF_VIEW_SECONDS": 0.2})
    room = Room(app)
    projector = room.projector()
    received(projector)
    started = time.monotonic()
    for i in range(40):
        room.join(f"Person {i}")
    took = time.monotonic() - started
    time.sleep(0.5)  # the last coalesced view is due within the interval
    views = [m["args"][0] for m in received(projector) if m["name"] == "view"]
    assert views[-1]["participant_count"] == 40 and len(views[-1]["names"]) == 40
    assert len(views) <= took / 0.2 + 3, (len(views), took)  # at most one per interval, not one per join
    assert len(views) < 40


def test_the_projector_gets_a_rooms_progress_a_few_times_a_second_not_once_per_edit():
    app = create_app({"ASYNC_MODE": "threading", "PUBLIC_URL": PUBLIC_URL, "KEY_CHECK_SECONDS": 0,
                      "STAFF_VIEW_SECONDS": 0.2, "JOIN_BUDGET": "off"})  # 48 phones from one address
    room = Room(app)
    facilitator, projector, phones = planning(room, 48)
    time.sleep(0.5)
    projector.views(), facilitator.views()  # drain, keeping the latest whole views
    started = time.monotonic()
    for group in room.state.groups:  # every group writes its first answer at once
        update = Typist().append(0, "Hi")
        assert phones[group.members[0]].call("sheet_update", {"sheet": group.sheet.id, "update": update})["ok"]
    took = time.monotonic() - started
    time.sleep(0.5)
    # The facilitator's patches are coalesced the same way, and between them carry every group.
    for screen, check in ((projector, lambda g: g["answered"] == 1),
                          (facilitator, lambda g: g["answers"][0]["text"] == "Hi" and g["active_at"] is not None)):
        patches = [m for m in screen.client.get_received() if m["name"] == "view_patch"]
        assert len(patches) <= took / 0.2 + 2, (screen, len(patches), took)
        shown = screen.latest
        for patch in patches:
            shown = merge_patch(shown, patch["args"][0]) if patch["args"][0]["version"] > shown["version"] else shown
        assert len(shown["groups"]) == len(room.state.groups) == 12
        assert all(check(g) for g in shown["groups"]), shown["groups"]
