"""Issue 22, item 4: a public join URL cannot be flooded from one address, and the facilitator
takes a flood out in one step. The engine's `remove_joined_since` (table-driven, and checked
against removing the same people one by one), the per-address join budget through the real
Socket.IO handlers, and the default budget's arithmetic."""

from __future__ import annotations

import time
from dataclasses import replace

import pytest
from helpers import (FACILITATOR, GUEST, NOW, add, join, participant, played_to, rejects, run, run_outcome, session,
                     token_of)

from conftest import PUBLIC_URL, Room, dump
from gamehub.engine import Settings
from gamehub.engine.lobby import Join, RemoveParticipant
from gamehub.engine.moderation import HideText, RemoveJoinedSince
from gamehub.server import create_app
from gamehub.server.joinbudget import DEFAULT, BadBudget, JoinBudget, parse_budget

# -- the engine: remove_joined_since ----------------------------------------------------------


def one_by_one(state, ids):
    for pid in ids:
        state = run(state, RemoveParticipant(participant=pid))
    return state


def same_room(a, b) -> bool:
    """Equal but for the version (one command against several)."""
    return replace(a, version=0) == replace(b, version=0)


def lobby_with_a_flood():
    """Five real people, then twelve fake phones, then a person added by hand."""
    state = session(5)
    for i in range(100, 112):
        state = join(state, i, name=f"bot{i}", now=NOW + i)
    return add(state, "Latecomer", now=NOW + 200)


def in_planning():
    return played_to("planning", n_people=12)


REMOVALS = [  # (name, state, first, through, count, the ids removed)
    ("a flood at the end of the lobby", lobby_with_a_flood, "p6", "p18", 13, [f"p{i}" for i in range(6, 19)]),
    ("a range in the middle, later joiners stay", lobby_with_a_flood, "p6", "p17", 12, [f"p{i}" for i in range(6, 18)]),
    ("one person", lobby_with_a_flood, "p18", "p18", 1, ["p18"]),
    ("everyone", lambda: session(4), "p1", "p4", 4, ["p1", "p2", "p3", "p4"]),
    ("across groups in planning, story owners among them", in_planning, "p5", "p12", 8, [f"p{i}" for i in range(5, 13)]),
]


@pytest.mark.parametrize("name,make,first,through,count,gone", REMOVALS, ids=[r[0] for r in REMOVALS])
def test_remove_joined_since_removes_exactly_the_range_as_one_by_one_removals_would(name, make, first, through, count, gone):
    state = make()
    result = run_outcome(state, RemoveJoinedSince(participant=first, through=through, count=count))
    assert result.result == {"removed": count}
    assert set(gone).isdisjoint(result.state.participants)
    assert list(result.state.participants) == [pid for pid in state.participants if pid not in gone]
    assert same_room(result.state, one_by_one(state, gone))  # groups, picks, barred tokens alike
    # The removed phones and every group that lost someone hear of it; nobody else.
    touched = {pid for g in state.groups if set(g.members) & set(gone) for pid in g.members}
    assert result.phones == frozenset(gone) | (touched - set(gone))


REFUSALS = [  # (name, first, through, count, code)
    ("a stale count, too high", "p6", "p18", 14, "count_changed"),
    ("a stale count, too low", "p6", "p18", 12, "count_changed"),
    ("no count", "p6", "p18", 0, "count_changed"),
    ("the first is gone", "p99", "p18", 1, "unknown_participant"),
    ("the newest is gone", "p6", "p99", 1, "unknown_participant"),
    ("backwards", "p18", "p6", 13, "bad_payload"),
]


@pytest.mark.parametrize("name,first,through,count,code", REFUSALS, ids=[r[0] for r in REFUSALS])
def test_remove_joined_since_removes_nobody_unless_the_confirmation_still_holds(name, first, through, count, code):
    state = lobby_with_a_flood()
    error = rejects(state, RemoveJoinedSince(participant=first, through=through, count=count), FACILITATOR, code)
    if code == "count_changed":
        assert error.details == {"count": 13}


def test_a_confirmation_made_before_someone_in_the_range_was_removed_removes_nobody():
    state = lobby_with_a_flood()
    asked = RemoveJoinedSince(participant="p6", through="p18", count=13)  # what the screen counted
    state = run(state, RemoveParticipant(participant="p10"))  # another tab, meanwhile
    rejects(state, asked, FACILITATOR, "count_changed")


def test_only_the_facilitator_removes_and_removed_phones_cannot_join_again():
    state = lobby_with_a_flood()
    command = RemoveJoinedSince(participant="p6", through="p17", count=12)
    for actor in (GUEST, participant("p1")):
        rejects(state, command, actor, "forbidden")
    state = run(state, command)
    rejects(state, Join(name="Again", token_hash=token_of(105)), GUEST, "removed")  # bot105 was p11


def test_someone_hidden_in_the_range_stays_hidden_in_the_sheets():
    state = run(lobby_with_a_flood(), HideText(participant="p7", hidden=True))
    state = run(state, RemoveJoinedSince(participant="p6", through="p18", count=13))
    assert "p7" in state.hidden_removed


# -- the default budget's arithmetic ----------------------------------------------------------


def admitted(budget: JoinBudget, attempts: list[float]) -> list[float]:
    """When each attempt (at these times, from one address) got in."""
    return [at for at in attempts if budget.take("ROOM", "203.0.113.7", at)]


def test_the_default_lets_a_room_of_500_behind_one_address_in_within_two_minutes():
    budget = JoinBudget(DEFAULT)
    waiting, at, joined = 500, 0.0, 0
    while waiting and at < 600:  # every waiting phone tries once a second, as the page does at worst
        got = len(admitted(budget, [at] * waiting))
        joined, waiting, at = joined + got, waiting - got, at + 1
    assert joined == 500 and at <= 120, at


def test_the_default_makes_150_joins_in_1_4_seconds_from_one_address_impossible():
    budget = JoinBudget(DEFAULT)
    attempts = [i * 1.4 / 150 for i in range(150)]
    assert len(admitted(budget, attempts)) <= 40 + 1.4 * 4 < 150
    assert budget.take("OTHER", "203.0.113.7", 1.4)  # another session's budget is its own
    assert budget.take("ROOM", "198.51.100.9", 1.4)  # and so is another address's


@pytest.mark.parametrize("spec", ["", "40", "40,", "a,b", "0,10", "10,0", "40,240,1", "-1,5", "99999,1"])
def test_a_join_budget_that_is_not_burst_comma_per_minute_is_refused(spec):
    with pytest.raises(BadBudget):
        parse_budget(spec)


def test_off_turns_the_budget_off():
    assert parse_budget(" OFF ") is None
    budget = JoinBudget("off")
    assert all(budget.take("ROOM", "203.0.113.7", 0.0) for _ in range(1000))


# -- through the Socket.IO handlers -----------------------------------------------------------


def budget_app(spec: str, **settings):
    return create_app({"ASYNC_MODE": "threading", "PUBLIC_URL": PUBLIC_URL, "KEY_CHECK_SECONDS": 0,
                       "STAFF_VIEW_SECONDS": 0, "TRUSTED_PROXIES": 1, "JOIN_BUDGET": spec,
                       "SETTINGS": Settings(**settings)})


NAT = "203.0.113.7"
TOKENS = [f"flood-test-phone-token-{i:04d}" for i in range(10)]


def test_joins_past_the_budget_are_refused_with_too_many_joins_and_add_nobody():
    room = Room(budget_app("3,6"))
    for i in range(3):
        room.join(f"Person {i}", address=NAT)
    before = dump(room.state)
    reply = room.connect("phone", address=NAT).call("join", {"name": "Fake", "token": TOKENS[0]})
    assert reply["ok"] is False
    assert reply["error"]["code"] == "too_many_joins"
    assert reply["error"]["message"] == ("Many people are joining from your network at once: "
                                         "your phone tries again in a moment")
    assert 0 < reply["error"]["details"]["retry_after"] <= 10  # one place back at 6 a minute
    assert dump(room.state) == before
    # Another address, and the same address in another session, have budgets of their own.
    assert room.join("Elsewhere", address="198.51.100.9")[1]["ok"]
    other = Room(room.app)
    assert other.join("Other room", address=NAT)[1]["ok"]


def test_a_returning_phone_is_not_a_join_and_is_never_refused_by_the_budget():
    room = Room(budget_app("2,1"))
    phone = room.connect("phone", address=NAT)
    first = phone.call("join", {"name": "Ada", "token": TOKENS[1]})
    assert first["ok"]
    room.join("Grace", address=NAT)
    assert room.connect("phone", address=NAT).call("join", {"name": "Fake"})["error"]["code"] == "too_many_joins"
    # The budget is spent; Ada's phone reconnects with its token (not a join at all)...
    back = room.connect("phone", first["token"], address=NAT)
    assert back.connected and back.views()[-1]["status"] == "joined"
    # ...and a join resent with her token after a lost ack is her again, not a refusal.
    again = room.connect("phone", address=NAT).call("join", {"name": "Ada", "token": TOKENS[1]})
    assert again["ok"] and again["duplicate"] and again["participant_id"] == first["participant_id"]
    assert len(room.state.participants) == 2


def test_a_join_the_session_refuses_uses_none_of_the_budget():
    room = Room(budget_app("2,1"))
    facilitator = room.facilitator()
    assert facilitator.call("set_locked", {"locked": True})["ok"]
    for i in range(5):
        reply = room.connect("phone", address=NAT).call("join", {"name": f"Early {i}"})
        assert reply["error"]["code"] == "locked"
    assert facilitator.call("set_locked", {"locked": False})["ok"]
    for i in range(2):
        room.join(f"Person {i}", address=NAT)


def test_a_flood_from_one_address_gets_in_only_as_far_as_the_default_budget():
    room = Room(budget_app(DEFAULT))
    started = time.monotonic()
    codes = [room.connect("phone", address=NAT).call("join", {"name": f"bot{i}"}) for i in range(60)]
    took = time.monotonic() - started
    joined = sum(1 for reply in codes if reply["ok"])
    assert 40 <= joined <= 40 + took * 4 + 1
    assert {reply["error"]["code"] for reply in codes if not reply["ok"]} == {"too_many_joins"}
    # The facilitator takes them all out in one step, with the count the screen showed.
    facilitator = room.facilitator()
    view = facilitator.views()[-1]
    first, newest = view["participants"][0], view["participants"][-1]
    assert isinstance(first["joined_at"], float) and first["joined_at"] <= newest["joined_at"]
    stale = facilitator.call("remove_joined_since", {"participant": first["id"], "through": newest["id"],
                                                     "count": joined + 1})
    assert stale["error"]["code"] == "count_changed" and stale["error"]["details"] == {"count": joined}
    done = facilitator.call("remove_joined_since", {"participant": first["id"], "through": newest["id"],
                                                    "count": joined})
    assert done["ok"] and done["removed"] == joined
    assert room.state.participants == {}
    twice = facilitator.call("remove_joined_since", {"participant": first["id"], "through": newest["id"],
                                                     "count": joined})
    assert twice["error"]["code"] == "unknown_participant"
