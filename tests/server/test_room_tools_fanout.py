"""The room tools through the real hub: a message to one group and a raised hand reach that
group's phones and the facilitator (as a patch of that group) and nobody else; a message to
everyone reaches every phone and both staff screens (engine/room_tools.py)."""

from __future__ import annotations

from test_fanout import planning, received


def names(screen) -> list[str]:
    return [m["name"] for m in received(screen)]


def test_a_group_message_and_a_hand_reach_only_that_group_and_the_facilitator(room):
    facilitator, projector, phones = planning(room, 12)
    for screen in (facilitator, projector, *phones.values()):
        received(screen)  # drain
    one, two, three = room.state.groups

    assert facilitator.call("send_message", {"text": "Group 2: time to wrap up", "group": 2})["ok"]
    for pid in two.members:
        view, = [m["args"][0] for m in received(phones[pid])]
        assert view["message"]["text"] == "Group 2: time to wrap up" and view["message"]["to"] == "group"
    for pid in one.members + three.members:
        assert names(phones[pid]) == []
    patch, = received(facilitator)
    assert patch["name"] == "view_patch" and [g["number"] for g in patch["args"][0]["groups"]] == [2]
    assert patch["args"][0]["groups"][0]["message"]["text"] == "Group 2: time to wrap up"
    assert names(projector) == []  # its rendition of group 2 did not change

    asker = phones[three.members[0]]
    reply = asker.call("ask_help", {})
    assert reply["ok"] and reply["ticket"] == reply["version"]
    assert asker.call("ask_help", {})["error"]["code"] == "already_asked"
    for pid in three.members:
        views = [m["args"][0] for m in received(phones[pid])]
        assert len(views) == 1 and views[0]["group"]["help"]["ticket"] == reply["ticket"]
    for pid in one.members + two.members:
        assert names(phones[pid]) == []
    patch, = received(facilitator)
    assert patch["args"][0]["groups"][0]["help"]["ticket"] == reply["ticket"]
    assert names(projector) == []

    assert facilitator.call("clear_help", {"group": 3, "ticket": reply["ticket"]})["ok"]
    again = facilitator.call("clear_help", {"group": 3, "ticket": reply["ticket"]})
    assert again["error"]["code"] == "already_cleared"
    for pid in three.members:
        view, = [m["args"][0] for m in received(phones[pid])]
        assert view["group"]["help"]["lowered"]["by"] == "facilitator"


def test_a_message_to_everyone_reaches_every_phone_and_both_staff_screens(room):
    facilitator, projector, phones = planning(room, 8)
    for screen in (facilitator, projector, *phones.values()):
        received(screen)
    too_long = facilitator.call("send_message", {"text": "x" * 201})
    assert too_long["error"] == {"code": "too_long", "message": too_long["error"]["message"],
                                 "details": {"field": "text", "length": 201, "limit": 200}}
    assert facilitator.call("send_message", {"text": "Five minutes left"})["ok"]
    for phone in phones.values():
        view, = [m["args"][0] for m in received(phone)]
        assert view["message"]["text"] == "Five minutes left"
    shown, = received(projector)
    assert shown["name"] == "view" and shown["args"][0]["message"]["text"] == "Five minutes left"
    assert received(facilitator)[-1]["args"][0]["message"]["text"] == "Five minutes left"
    assert phones[next(iter(phones))].call("send_message", {"text": "Me too"})["error"]["code"] == "forbidden"
