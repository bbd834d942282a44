"""The security review's insert bomb through the real Socket.IO handlers: each update is
answered within a bounded time, another session's phones keep getting fast acks between them,
and what a groupmate typed before is still there (docs/security.md, "Shared sheets")."""

from __future__ import annotations

import time

import yjs_craft as y
from conftest import Room
from helpers import steps_to_planning
from sheets import SheetPhone

from gamehub.engine.sheet import MAX_UPDATE_PLACED

BOUND = 1.0  # seconds for any one answer: the review measured 15 s for one such update


def in_planning(room: Room, people: int = 4) -> dict:
    """The session in planning; its phones by participant id."""
    facilitator = room.facilitator()
    phones = {}
    for i in range(people):
        screen, reply = room.join(f"Person {i}", title=f"Story {i}")
        phones[reply["participant_id"]] = screen
    for event, payload in steps_to_planning(15):
        assert facilitator.call(event, payload)["ok"]
    return phones


def timed(screen, event: str, payload: dict) -> tuple[dict, float]:
    started = time.perf_counter()
    reply = screen.call(event, payload)
    return reply, time.perf_counter() - started


def bombs(count: int, first_client: int):
    """Updates of the review's shape, each filling its 64 KB: one-character inserts at the
    start of a root, every one from a new client id; in root `x`, then in the first answer."""
    for k in range(count):
        root = "x" if k % 2 == 0 else "q0"
        start = first_client + k * 4_000
        yield y.update({start + i: (0, [y.item("a", root=root)]) for i in range(3_700)})


def tombstones(count: int):
    """The most an update may hold, placed as expensively as it can be: deleted runs at the
    start of an answer from the sender's own client ids, concurrent with all that is there.
    These are taken, each costing pycrdt what the caps allow."""
    for k in range(count):
        yield y.update({200_000 + c: (k * 4, [y.item(content=y.DELETED) for _ in range(4)])
                        for c in range(MAX_UPDATE_PLACED // 4)})


def test_the_insert_bomb_is_answered_fast_other_sessions_stay_fast_and_nothing_is_lost(room):
    phones = in_planning(room)
    group = room.state.groups[0]
    friend_id, foe_id = group.members[:2]
    friend, foe = SheetPhone(phones[friend_id], group.sheet.id), SheetPhone(phones[foe_id], group.sheet.id)
    sheet = group.sheet.id
    assert friend.type(0, "Our plan")["ok"]

    other = Room(room.app)  # another session, in planning too
    pid, screen = next(iter(in_planning(other).items()))
    theirs = SheetPhone(screen, other.state.group_of(pid).sheet.id)

    slowest_bomb = slowest_other = 0.0
    for update, taken in [*((u, False) for u in bombs(6, 100_000)), *((u, True) for u in tombstones(10))]:
        reply, took = timed(foe.screen, "sheet_update", {"sheet": sheet, "update": update})
        if taken:
            assert reply["ok"], reply
        else:
            assert reply["ok"] is False and reply["error"]["code"] in {"bad_update", "update_too_large"}, reply
        slowest_bomb = max(slowest_bomb, took)
        ack, took = timed(theirs.screen, "sheet_update",
                          {"sheet": theirs.sheet, "update": theirs.typist.append(1, ".")})
        assert ack["ok"], ack
        slowest_other = max(slowest_other, took)
    assert slowest_bomb < BOUND and slowest_other < BOUND, (slowest_bomb, slowest_other)
    assert room.state.groups[0].sheet.texts[0] == "Our plan"
    assert friend.type(0, ", kept")["ok"]
    assert room.state.groups[0].sheet.texts[0] == "Our plan, kept"
    foe.sync()
    assert foe.text(0) == "Our plan, kept"
