"""People's choice through the real Socket.IO handlers: who hears of a ballot (that phone and the
staff screens, not the other phones), a resent ballot (same cid) applied once, and the acks."""

from __future__ import annotations

from helpers import steps_to_planning


def played(room, n: int = 8):
    control = room.facilitator()
    phones = {}
    for i in range(n):
        phone, reply = room.join(f"Person {i}", title=f"Story {i}")
        phones[reply["participant_id"]] = phone
    for event, payload in (*steps_to_planning(10), ("start_showcase", {"from_phase": "planning"})):
        assert control.call(event, payload)["ok"]
    projector = room.projector()
    return control, projector, phones


def test_a_ballot_reaches_that_phone_and_the_staff_screens_only(room):
    control, projector, phones = played(room)
    assert control.call("open_vote", {"votes_each": 2, "vote": 1})["ok"]
    for screen in (control, projector, *phones.values()):
        screen.views()  # what came before
    voter = room.state.groups[0].members[0]
    reply = phones[voter].call("set_ballot", {"vote": 1, "groups": [2], "cid": "ballot-1"})
    assert reply["ok"] and reply["ballot"] == [2] and reply["votes_left"] == 0
    assert phones[voter].views()[-1]["vote"]["ballot"] == [2]
    assert control.views()[-1]["vote"] == {"number": 1, "votes_each": 2, "open": True, "voters": 1,
                                          "electorate": 8, "results": None}
    assert projector.views()[-1]["vote"]["voters"] == 1
    for pid, phone in phones.items():
        if pid != voter:
            assert phone.views() == [], f"{pid} heard of someone else's ballot"
    version = room.state.version
    again = phones[voter].call("set_ballot", {"vote": 1, "groups": [2], "cid": "ballot-1"})
    assert again["ok"] and again["duplicate"] and room.state.version == version


def test_opening_and_closing_reach_every_phone_and_the_wire_refuses_a_malformed_ballot(room):
    control, projector, phones = played(room)
    for screen in phones.values():
        screen.views()
    assert control.call("open_vote", {"votes_each": 2, "vote": 1})["ok"]
    assert all(phone.views()[-1]["vote"]["number"] == 1 for phone in phones.values())
    voter = room.state.groups[0].members[0]
    for payload, code in (({"vote": 1, "groups": "2"}, "bad_payload"), ({"groups": [2]}, "bad_payload"),
                          ({"vote": 1, "groups": [1]}, "own_group"), ({"vote": 1, "groups": [2, 3]}, "unknown_group")):
        reply = phones[voter].call("set_ballot", payload)
        assert not reply["ok"] and reply["error"]["code"] == code, (payload, reply)
    assert control.call("open_vote", {"vote": 1})["error"]["code"] == "already_moved"
    assert control.call("close_vote", {"vote": 1})["ok"]
    assert all(phone.views()[-1]["vote"] is None for phone in phones.values())
    assert projector.views()[-1]["vote"]["results"] is not None
