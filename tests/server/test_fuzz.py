"""Hostile payloads for every event, through the real Socket.IO handlers, in every phase.

Hypothesis makes the payloads: wrong types, unknown keys, nested objects 100 levels deep,
huge strings, lone surrogates, non-object payloads, None, extra arguments, and made-up or
reserved event names; for the sheet's events also random base64 of random bytes, Yjs updates
with a byte changed or cut short, and state vectors that are none. Whatever arrives, the ack
is a dict with `ok` and never `internal`, a refused event changes nothing, and the engine's
invariants hold. (A message over the size cap on a real server: tests/process/test_fuzz_served.py.)
"""

from __future__ import annotations

import base64
import dataclasses

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from conftest import PUBLIC_URL, Room, dump
from sheets import Typist

from gamehub.engine import COMMANDS, Phase
from gamehub.engine.sheet import MAX_STATE_VECTOR, MAX_UPDATE
from gamehub.server import create_app
from helpers import steps_to_planning

PHASES = [p.value for p in Phase]
SENDERS = ("facilitator", "member", "guest", "projector")
STEPS = (*steps_to_planning(10), ("start_showcase", {"from_phase": "planning"}))

SCHEMAS = {event: command.payload_schema() for event, command in COMMANDS.items()}
REQUIRED = {event: {f.name for f in dataclasses.fields(command) if f.name in SCHEMAS[event]
                    and f.default is dataclasses.MISSING} for event, command in COMMANDS.items()}
FIELDS = {event: list(schema) for event, schema in SCHEMAS.items()}
FIELDS["join"] = [*FIELDS["join"], "token"]
FIELDS["delete_session"] = ["confirm"]
FIELDS["sheet_sync"] = ["sheet", "state_vector"]
EVENTS = sorted(FIELDS)
MEMBER_EVENTS = {"choose_format", "sheet_update", "sheet_sync", "set_ballot"}


def nested(depth: int, leaf: object = "deep") -> object:
    value = leaf
    for level in range(depth):
        value = {"a": value} if level % 2 else [value]
    return value


surrogates = st.sampled_from(["\ud800", "a\udfffb", "\udc00" * 3, "name\ud83d"])
huge = st.integers(min_value=3000, max_value=70_000).map(lambda n: "x" * n)
deep = st.integers(min_value=90, max_value=100).map(nested)
leaves = (st.none() | st.booleans() | st.integers() | st.integers(min_value=-2**80, max_value=2**80)
          | st.floats() | st.text(max_size=40) | surrogates | huge | deep
          | st.sampled_from([0, 1, 2, -1, 3, "p1", "p2", "p99", "", " ", "ABCD2345"]))
values = st.recursive(leaves, lambda inner: st.lists(inner, max_size=3)
                      | st.dictionaries(st.text(max_size=6), inner, max_size=3), max_leaves=8)


# Values of the declared types, near the edges, so that some commands are accepted and move
# the session on: the invariants are checked after every accepted one.
TYPED = {str: st.sampled_from(["p1", "p2", "p5", "p9", "Ada", " ", "A" * 41]) | st.text(max_size=30),
         int: st.integers(min_value=-1, max_value=4), bool: st.booleans(),
         list: st.lists(st.integers(min_value=-1, max_value=4), max_size=4)}  # a ballot's groups

# The sheet's fields: ids near the real one ("0.1" is the fuzzing member's sheet once grouped),
# real updates, and base64 that is anything but.
typed_text = st.text(st.characters(exclude_categories=("Cs",)), max_size=60)
real_updates = st.builds(lambda q, text: Typist(questions=6).append(q, text), st.integers(0, 5), typed_text)


def _changed(update: str, at: int, byte: int) -> str:
    raw = bytearray(base64.b64decode(update))
    raw[at % len(raw)] = byte
    return base64.b64encode(bytes(raw)).decode()


def _cut(update: str, keep: int) -> str:
    raw = base64.b64decode(update)
    return base64.b64encode(raw[: keep % len(raw)]).decode()


random_base64 = st.binary(max_size=400).map(lambda raw: base64.b64encode(raw).decode())
SHEET_FIELDS = {
    "sheet": st.sampled_from(["0.1", "0.2", "1.1", "0.1 ", "", "None"]) | st.text(max_size=8) | surrogates,
    "update": real_updates | st.builds(_changed, real_updates, st.integers(0, 200), st.integers(0, 255))
    | st.builds(_cut, real_updates, st.integers(0, 200)) | random_base64 | st.text(max_size=40) | surrogates
    | st.integers(MAX_UPDATE - 8, MAX_UPDATE + 8).map(lambda n: "A" * n) | huge,
    "state_vector": st.sampled_from(["AA==", "AAA=", "AQ==", ""]) | random_base64
    | st.builds(lambda q, text: Typist().append(q, text), st.integers(0, 3), typed_text).map(
        lambda update: base64.b64encode(base64.b64decode(update)[:6]).decode())
    | st.integers(MAX_STATE_VECTOR - 4, MAX_STATE_VECTOR + 8).map(lambda n: "A" * n) | surrogates | huge,
}


@st.composite
def calls(draw) -> tuple[str, str, tuple]:
    """Who sends (half the time, someone allowed to), an event name, and its arguments."""
    if draw(st.integers(min_value=0, max_value=9)) < 8:
        event = draw(st.sampled_from(EVENTS))
    else:
        event = draw(st.sampled_from(["connect", "disconnect", "message", "*", ""]) | st.text(max_size=20)
                     | surrogates)
    sender = draw(st.sampled_from(SENDERS))
    if draw(st.booleans()) and event in FIELDS:
        sender = "guest" if event == "join" else "member" if event in MEMBER_EVENTS else "facilitator"
    return (sender, event, *draw(arguments(event)))


@st.composite
def arguments(draw, event: str) -> tuple[tuple]:
    fields = FIELDS.get(event, ["name", "participant", "group"])
    keys = st.sampled_from([*fields, "cid", "__proto__", "constructor", "extra"]) | st.text(max_size=5) | surrogates
    shape = draw(st.sampled_from(["typed", "typed", "fields", "fields", "value", "none", "extra_args", "no_args"]))
    if shape == "typed" and event in ("sheet_update", "sheet_sync"):
        fields = FIELDS[event]
        payload = draw(st.fixed_dictionaries({f: SHEET_FIELDS[f] for f in fields if draw(st.integers(0, 9))},
                                             optional={"extra": values}))
        if draw(st.booleans()):
            payload["cid"] = draw(st.text(min_size=1, max_size=8) | surrogates)
        return ((payload,),)
    if shape == "typed" and event in SCHEMAS:
        typed = {f: TYPED[t] for f, t in SCHEMAS[event].items()}
        payload = draw(st.fixed_dictionaries({f: typed.pop(f) for f in REQUIRED[event]}, optional=typed))
        if draw(st.booleans()):
            payload["cid"] = draw(st.text(min_size=1, max_size=8) | surrogates)
        return ((payload,),)
    if shape in ("typed", "fields"):
        return ((draw(st.dictionaries(keys, values, max_size=len(fields) + 2)),),)
    if shape == "value":
        return ((draw(values),),)
    if shape == "none":
        return ((None,),)
    if shape == "extra_args":
        return ((draw(st.dictionaries(keys, values, max_size=2)), draw(values)),)
    return ((),)


class PhaseRoom(Room):
    """Nine phones (groups of 5 and 4) played to a phase; rebuilt when a command moved it on."""

    def __init__(self, app, phase: str):
        super().__init__(app)
        self.phase = phase
        self.screens = {"facilitator": self.facilitator(), "projector": self.projector(),
                        "guest": self.connect("phone")}
        phones = {}
        for i in range(9):
            phone, reply = self.join(f"Person {i}", title=f"Story {i}", pitch=f"Pitch {i}")
            phones[reply["participant_id"]] = phone
        for event, payload in STEPS:
            if self.state.phase.value == phase:
                break
            assert self.screens["facilitator"].call(event, payload)["ok"]
        self.member = self.state.groups[0].members[0] if self.state.groups else "p1"
        self.screens["member"] = phones[self.member]
        self.mate = phones[self.state.groups[0].members[1] if self.state.groups else "p2"]


@pytest.fixture(scope="module")
def rooms():
    app = create_app({"ASYNC_MODE": "threading", "PUBLIC_URL": PUBLIC_URL, "KEY_CHECK_SECONDS": 0,
                      "RATE_LIMIT_EVENTS_PER_CONNECTION": "1000000/second",
                      "RATE_LIMIT_EVENTS_PER_ADDRESS": "1000000/second",
                      "RATE_LIMIT_CONNECTS_PER_ADDRESS": "1000000/second"})
    cache: dict[str, PhaseRoom] = {}

    def room_in(phase: str, fresh: bool = False) -> PhaseRoom:
        if fresh:  # not one the fuzzer has already played with
            return PhaseRoom(app, phase)
        room = cache.get(phase)
        if room is None or room.hub.store.get(room.code) is None or room.state.phase.value != phase:
            room = cache[phase] = PhaseRoom(app, phase)
        return room

    return room_in


def check_invariants(state, regrouped: bool) -> None:
    members = [pid for group in state.groups for pid in group.members]
    assert len(members) == len(set(members)), "someone is in two groups"
    assert set(members) <= set(state.participants), "a group holds someone who is not in the session"
    assert [g.number for g in state.groups] == list(range(1, len(state.groups) + 1)), "groups are not 1..G"
    if state.phase is Phase.LOBBY:
        assert state.groups == ()
    else:
        assert set(members) == set(state.participants), "after grouping, everyone is in a group"
    for group in state.groups:
        assert len(group.texts) == len(group.sheet.authors) == len(state.deck.questions)
        assert all(len(text) <= state.settings.max_answer for text in group.texts)
        assert group.format is None or 0 <= group.format < 3
        assert group.story is None or group.story.owner in group.members
    if regrouped:
        sizes = [len(g.members) for g in state.groups]
        assert max(sizes) - min(sizes) <= 1, f"sizes {sizes} right after grouping"


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(phase=st.sampled_from(PHASES), call=calls())
def test_no_payload_crashes_a_handler_or_breaks_the_rules(rooms, phase, call):
    sender, name, args = call
    room = rooms(phase)
    screen = room.screens[sender]
    before, state_before = dump(room.state), room.state

    reply = screen.client.emit(name, *args, callback=True)

    assert isinstance(reply, dict) and isinstance(reply.get("ok"), bool), (name, args, reply)
    event("accepted" if reply["ok"] else f"refused: {reply['error']['code']}")
    assert screen.client.is_connected()
    if not reply["ok"]:
        error = reply["error"]
        assert isinstance(error["code"], str) and isinstance(error["message"], str)
        assert error["code"] != "internal", (name, args, reply)
        assert dump(room.state) == before, "a refused event changed the session"
        return
    if name == "delete_session":
        return
    state = room.state
    if name == "sheet_sync":  # an answer, never a change
        assert set(reply) == {"ok", "sheet", "update", "state_vector"} and reply["sheet"] == "0.1", reply
        assert dump(state) == before
        return
    assert state.version == state_before.version + (0 if reply.get("duplicate") else 1)
    check_invariants(state, regrouped=name in ("form_groups", "reshuffle"))
    if name in ("sheet_update", "choose_format"):
        own = state_before.group_of(room.member).number
        for old, new in zip(state_before.groups, state.groups):
            assert old == new or old.number == own, "a member's edit reached another group"


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(phase=st.sampled_from(["planning", "showcase"]), name=st.sampled_from(["sheet_update", "sheet_sync"]),
       data=st.data())
def test_malformed_sheet_events_are_refused_cleanly_and_a_refusal_reaches_nobody(rooms, phase, name, data):
    """The sheet's two events from a member of group 1, while the sheet takes changes."""
    room = rooms(phase)
    if data.draw(st.integers(0, 9), label="well formed") < 7:  # the right keys, the values anything
        field = FIELDS[name][1]
        sheet = "0.1" if data.draw(st.integers(0, 4), label="own sheet") else data.draw(SHEET_FIELDS["sheet"])
        args = ({"sheet": sheet, field: data.draw(SHEET_FIELDS[field], label=field)},)
    else:
        (args,) = data.draw(arguments(name))
    screen = room.screens["member"]
    room.mate.client.get_received()  # drain
    before, version = dump(room.state), room.state.version

    reply = screen.client.emit(name, *args, callback=True)

    assert isinstance(reply, dict) and isinstance(reply.get("ok"), bool), (name, args, reply)
    event("accepted" if reply["ok"] else f"refused: {reply['error']['code']}")
    assert screen.client.is_connected()
    echoes = [m for m in room.mate.client.get_received() if m["name"] == "sheet_update"]
    if not reply["ok"]:
        assert reply["error"]["code"] in {"bad_payload", "bad_update", "update_too_large", "not_your_group",
                                          "too_long", "wrong_phase"}, (args, reply)
        assert dump(room.state) == before and echoes == []
    elif name == "sheet_sync":
        assert dump(room.state) == before and echoes == []
    else:
        assert room.state.version == version + (0 if reply.get("duplicate") else 1)
        assert len(echoes) == (0 if reply.get("duplicate") else 1)
        check_invariants(room.state, regrouped=False)


@pytest.mark.parametrize("phase", PHASES)
def test_the_rooms_the_fuzzer_starts_from_hold_the_invariants(rooms, phase):
    room = rooms(phase, fresh=True)
    assert room.state.phase.value == phase
    check_invariants(room.state, regrouped=phase == "groups")
