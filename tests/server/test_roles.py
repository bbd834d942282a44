"""Every event x every role, through the real handlers: allowed, or rejected with a clear code
and no change at all to the target session (its version and a JSON dump of it, compared).

The roles: a guest phone (connected, not joined), a participant of the target group, a
participant of another group, the projector, the facilitator of this session, and the
facilitator of another session (whose commands can only ever reach its own session).
"""

from __future__ import annotations

import json

import pytest

from conftest import PUBLIC_URL, Room, dump
from sheets import Typist

from gamehub.engine import COMMANDS, Phase, Role
from gamehub.engine.codec import encode
from gamehub.engine.sheet import EMPTY_STATE_VECTOR
from gamehub.server import create_app
from helpers import steps_to_planning

ROLES = ("guest", "member", "other_member", "projector", "facilitator", "other_facilitator")

OK = "ok"
# Allowed, but it acts on the sender's own group or session: the target must not change.
ELSEWHERE = "elsewhere"

STAFF = {"guest": "forbidden", "member": "forbidden", "other_member": "forbidden", "projector": "forbidden",
         "facilitator": OK, "other_facilitator": ELSEWHERE}
MEMBERS = {"guest": "not_joined", "member": OK, "other_member": ELSEWHERE, "projector": "forbidden",
           "facilitator": "forbidden", "other_facilitator": "forbidden"}
GUESTS = {"guest": OK, "member": "already_joined", "other_member": "already_joined", "projector": "forbidden",
          "facilitator": "forbidden", "other_facilitator": "forbidden"}
DELETE = {**STAFF, "other_facilitator": "bad_payload"}  # it must type back its own room code
# The payload names group 1's sheet: a member of another group is refused, not sent elsewhere.
SHEET = {**MEMBERS, "other_member": "not_your_group"}
NOT_STORED = {"sheet_sync"}  # answered, never a change
ONE_PAGE = {**STAFF, "facilitator": "no_more_pages"}
# No hand is up in the played room: lowering one is refused as already done (the raised case is
# in tests/server/test_room_tools_fanout.py).
NO_HAND_CANCEL = {**MEMBERS, "member": "already_cleared", "other_member": "already_cleared"}
NO_HAND_CLEAR = {**STAFF, "facilitator": "already_cleared"}
NO_VOTE = {**STAFF, "facilitator": "no_vote"}
BALLOT = {**MEMBERS, "member": "vote_closed", "other_member": "vote_closed"}

# event -> (phase to try it in, payload given the target room, who may send it)
EVENTS = {
    "join": ("lobby", lambda r: {"name": "Newcomer"}, GUESTS),
    "add_participant": ("lobby", lambda r: {"name": "No Phone"}, STAFF),
    "remove_participant": ("groups", lambda r: {"participant": r.target}, STAFF),
    "remove_joined_since": ("groups", lambda r: {"participant": r.target, "through": r.target, "count": 1}, STAFF),
    "set_locked": ("lobby", lambda r: {"locked": True}, STAFF),
    "hide_text": ("planning", lambda r: {"participant": r.target, "hidden": True}, STAFF),
    "rename_participant": ("lobby", lambda r: {"participant": r.target, "name": "Renamed"}, STAFF),
    "form_groups": ("lobby", lambda r: {"from_phase": "lobby"}, STAFF),
    "reshuffle": ("groups", lambda r: {}, STAFF),
    "move_participant": ("groups", lambda r: {"participant": r.target, "group": 2}, STAFF),
    "pick_stories": ("groups", lambda r: {"from_phase": "groups"}, STAFF),
    "reroll_story": ("stories", lambda r: {"group": 1, "from_owner": r.owner_of_group_1}, STAFF),
    "start_planning": ("stories", lambda r: {"from_phase": "stories", "minutes": 5}, STAFF),
    "extend_timer": ("planning", lambda r: {"minutes": 5}, STAFF),
    "choose_format": ("planning", lambda r: {"format": 1}, MEMBERS),
    "sheet_update": ("planning", lambda r: {"sheet": r.sheet, "update": Typist().append(0, "Our plan")}, SHEET),
    "sheet_sync": ("planning", lambda r: {"sheet": r.sheet, "state_vector": EMPTY_STATE_VECTOR}, SHEET),
    "start_showcase": ("planning", lambda r: {"from_phase": "planning"}, STAFF),
    "showcase_step": ("showcase", lambda r: {"delta": 1, "from_index": 0}, STAFF),
    "showcase_gallery": ("showcase", lambda r: {"on": True}, STAFF),
    "back": ("groups", lambda r: {"from_phase": "groups"}, STAFF),
    "set_presenter_timer": ("showcase", lambda r: {"seconds": 90}, STAFF),
    "set_sound": ("lobby", lambda r: {"on": False}, STAFF),
    "set_language": ("lobby", lambda r: {"language": "de"}, STAFF),
    # Eight phones make two groups, one page: the facilitator may turn, but there is no next page.
    "turn_page": ("groups", lambda r: {"delta": 1, "from_page": 0}, ONE_PAGE),
    "end_session": ("showcase", lambda r: {"from_phase": "showcase"}, STAFF),
    "delete_session": ("lobby", lambda r: {"confirm": r.code}, DELETE),
    # the facilitator's tools for the room (engine/room_tools.py)
    "send_message": ("planning", lambda r: {"text": "Five minutes left", "group": 1}, STAFF),
    "ask_help": ("planning", lambda r: {}, MEMBERS),
    "cancel_help": ("planning", lambda r: {"ticket": 1}, NO_HAND_CANCEL),
    "clear_help": ("planning", lambda r: {"group": 1, "ticket": 1}, NO_HAND_CLEAR),
    # people's choice: no vote is open in a freshly played room, so a member's ballot is refused
    # as such (engine tests and tests/browser/test_browser_vote.py cover accepted ones)
    "open_vote": ("showcase", lambda r: {"votes_each": 2, "vote": 1}, STAFF),
    "close_vote": ("showcase", lambda r: {"vote": 1}, NO_VOTE),
    "set_ballot": ("showcase", lambda r: {"groups": [2], "vote": 1}, BALLOT),
}

STEPS = (*steps_to_planning(10), ("start_showcase", {"from_phase": "planning"}))


def test_the_table_covers_every_event_and_matches_the_engines_roles():
    assert set(EVENTS) == set(COMMANDS) | {"delete_session", "sheet_sync"}
    for event, command in COMMANDS.items():
        phase, _, expected = EVENTS[event]
        assert Phase(phase) in command.phases, event
        if event == "sheet_update":
            assert command.roles == {Role.PARTICIPANT}
        elif event != "join":
            assert expected is (MEMBERS if Role.PARTICIPANT in command.roles else STAFF) or any(
                expected is special for special in (ONE_PAGE, NO_HAND_CANCEL, NO_HAND_CLEAR, NO_VOTE, BALLOT)), event


class PlayedRoom(Room):
    """A room with eight phones, played to `phase`; `target` is a member of group 1 (or the
    second person, in the lobby) whom commands name."""

    def __init__(self, app, phase: str):
        super().__init__(app)
        self.control = self.facilitator()
        self.phones = {}
        for i in range(8):
            phone, reply = self.join(f"Person {i}", title=f"Story {i}")
            self.phones[reply["participant_id"]] = phone
        for event, payload in STEPS:
            if self.state.phase.value == phase:
                break
            assert self.control.call(event, payload)["ok"]
        assert self.state.phase.value == phase
        if self.state.groups:
            self.member_id, self.target = self.state.groups[0].members[:2]
            self.other_member_id = self.state.groups[1].members[0]
            self.sheet = self.state.groups[0].sheet.id
            story = self.state.groups[0].story
            self.owner_of_group_1 = story.owner if story else ""
        else:
            self.owner_of_group_1 = ""
            self.member_id, self.target, self.other_member_id = "p1", "p2", "p3"
            self.sheet = "0.1"

    def group_dump(self, number: int) -> str:
        return json.dumps(encode(self.state)["groups"][number - 1], sort_keys=True)


@pytest.fixture(scope="module")
def app():
    # One app for the whole table: sessions are independent, and the handlers are the same
    # under eventlet (the other tests run both modes). Rate limits would only get in the way.
    return create_app({"ASYNC_MODE": "threading", "PUBLIC_URL": PUBLIC_URL, "KEY_CHECK_SECONDS": 0,
                       "RATE_LIMIT_EVENTS_PER_CONNECTION": "100000/second",
                       "RATE_LIMIT_EVENTS_PER_ADDRESS": "100000/second",
                       "RATE_LIMIT_CONNECTS_PER_ADDRESS": "100000/second"})


def sender(room: PlayedRoom, other: PlayedRoom, role: str):
    return {
        "guest": lambda: room.connect("phone"),
        "member": lambda: room.phones[room.member_id],
        "other_member": lambda: room.phones[room.other_member_id],
        "projector": lambda: room.projector(),
        "facilitator": lambda: room.control,
        "other_facilitator": lambda: other.control,
    }[role]()


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("event", sorted(EVENTS))
def test_every_event_from_every_role(app, event, role):
    phase, payload_for, expected = EVENTS[event]
    room, other = PlayedRoom(app, phase), PlayedRoom(app, phase)
    screen = sender(room, other, role)
    before, version, other_before = dump(room.state), room.state.version, dump(other.state)
    groups_before = {n: room.group_dump(n) for n in (1, 2)} if room.state.groups else {}

    reply = screen.call(event, payload_for(room))

    assert isinstance(reply, dict) and isinstance(reply.get("ok"), bool), reply
    outcome = expected[role]
    if outcome == OK:
        assert reply["ok"], reply
        if event == "delete_session":
            assert room.hub.store.get(room.code) is None
        elif event in NOT_STORED:
            assert room.state.version == version and dump(room.state) == before
        else:
            assert room.state.version == version + 1
    elif outcome == ELSEWHERE:
        if role == "other_facilitator":
            assert dump(room.state) == before, "another session's facilitator changed this session"
        else:
            assert reply["ok"], reply  # a member of group 2 edits group 2...
            assert room.group_dump(1) == groups_before[1], "...and never group 1"
            assert room.group_dump(2) != groups_before[2]
    else:
        assert not reply["ok"] and reply["error"]["code"] == outcome, reply
        assert isinstance(reply["error"]["message"], str) and reply["error"]["message"]
        assert room.state.version == version and dump(room.state) == before
    if role != "other_facilitator":
        assert dump(other.state) == other_before, "a command reached another session"


@pytest.mark.parametrize("role,token,code", [
    ("facilitator", "projector_key", "bad_key"),
    ("facilitator", "other_facilitator_token", "bad_key"),
    ("facilitator", None, "bad_key"),
    ("projector", "facilitator_token", "bad_key"),
    ("projector", "other_projector_key", "bad_key"),
    ("phone", "facilitator_token", "unknown_participant"),
    ("phone", "other_phone_token", "unknown_participant"),
    ("referee", "facilitator_token", "bad_auth"),
])
def test_a_credential_opens_only_its_own_role_in_its_own_session(app, role, token, code):
    room, other = Room(app), Room(app)
    _, reply = other.join("Elsewhere Eve")
    secrets = {"projector_key": room.record.projector_key, "facilitator_token": room.facilitator_token,
               "other_facilitator_token": other.facilitator_token,
               "other_projector_key": other.record.projector_key, "other_phone_token": reply["token"]}
    screen = room.connect(role, secrets[token] if token else None)
    assert not screen.connected and screen.refused == code


@pytest.mark.parametrize("auth", [None, "ABCD2345", {"session": 5, "role": "phone"}, {"role": "phone"},
                                  {"session": "X", "role": "phone", "token": ["a"]}, [1, 2]])
def test_a_malformed_auth_is_refused_as_bad_auth(app, auth):
    from conftest import socket_client

    client = socket_client(app, auth)
    assert not client.is_connected() and client.refusal["message"] in ("bad_auth", "unknown_session")


def test_no_phone_or_projector_ever_receives_a_key_a_token_or_a_hash(app):
    room = PlayedRoom(app, "showcase")
    projector = room.projector()
    room.control.call("showcase_gallery", {"on": True})
    received = json.dumps([m for screen in (*room.phones.values(), projector) for m in screen.client.queue])
    record = room.hub.store.get(room.code)
    secrets = [room.facilitator_token, record.facilitator_hash, room.state.seed]
    secrets += [p.token_hash for p in room.state.participants.values() if p.token_hash]
    for secret in secrets:
        assert secret not in received
    phone_views = json.dumps([m for screen in room.phones.values() for m in screen.client.queue])
    assert record.projector_key not in phone_views
