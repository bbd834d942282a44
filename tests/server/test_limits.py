"""Limits: people per session, sessions per server, text lengths, group sizes, and the rate
limits on Socket.IO events and connections (per connection and per client address)."""

from __future__ import annotations

import time

import pytest

from conftest import PUBLIC_URL, Room, dump, socket_client
from gamehub.engine import Settings
from gamehub.server import create_app
from gamehub.server.ratelimit import client_address
from gamehub.server.sessions import TooManySessions, open_session
from gamehub.storage.store import MemoryStore
from sheets import SheetPhone, Typist
from helpers import steps_to_planning


def app_with(async_mode="threading", settings=None, **config):
    return create_app({"ASYNC_MODE": async_mode, "PUBLIC_URL": PUBLIC_URL, "KEY_CHECK_SECONDS": 0,
                       "SETTINGS": settings or Settings(), **config})


# -- people, sessions, texts, group sizes -------------------------------------------------------


def test_a_full_session_refuses_the_next_phone_and_the_facilitator_alike():
    room = Room(app_with(settings=Settings(max_participants=3)))
    facilitator = room.facilitator()
    for i in range(3):
        room.join(f"Person {i}")
    before = dump(room.state)
    assert room.connect("phone").call("join", {"name": "One too many"})["error"]["code"] == "session_full"
    assert facilitator.call("add_participant", {"name": "No phone"})["error"]["code"] == "session_full"
    assert dump(room.state) == before


@pytest.mark.parametrize("field,limit", [("name", "max_name"), ("title", "max_title"), ("pitch", "max_pitch")])
def test_joining_texts_are_held_to_their_limits(room, field, limit):
    size = getattr(Settings(), limit)
    fields = {"name": "Ada", field: "x" * (size + 1)}
    before = dump(room.state)
    assert room.connect("phone").call("join", fields)["error"]["code"] == "too_long"
    assert dump(room.state) == before
    _, reply = room.join(**{"name": "Ada", **{field: "x" * size}})
    assert reply["ok"]


def test_an_answer_is_held_to_its_limit_on_the_text_merged_from_everyone(room):
    facilitator = room.facilitator()
    phones = [room.join(f"P{i}")[0] for i in range(4)]
    for event, payload in steps_to_planning(5):
        assert facilitator.call(event, payload)["ok"]
    sheet = room.state.groups[0].sheet.id
    limit = Settings().max_answer
    before = dump(room.state)
    reply = SheetPhone(phones[0], sheet).type(0, "x" * (limit + 1))
    assert reply["error"] == {"code": "too_long", "message": reply["error"]["message"],
                              "details": {"question": 0, "length": limit + 1, "limit": limit}}
    assert dump(room.state) == before
    # Each under the limit, together over it: the second is refused, and its groupmates hear nothing.
    first, second = SheetPhone(phones[0], sheet), SheetPhone(phones[1], sheet)
    assert first.type(0, "a" * (limit // 2 + 1))["ok"]
    phones[2].events("sheet_update")
    before = dump(room.state)
    reply = second.type(0, "b" * (limit // 2 + 1))
    assert reply["error"]["code"] == "too_long" and reply["error"]["details"]["length"] == limit + 2
    assert dump(room.state) == before and phones[2].events("sheet_update") == []
    second = SheetPhone(phones[1], sheet)  # the page starts again from the server's document
    second.sync()
    assert second.type(0, "b" * (limit // 2 - 1))["ok"]
    assert len(room.state.groups[0].texts[0]) == limit


def test_an_update_over_its_limit_gets_an_error_ack_and_the_connection_stays(room):
    facilitator = room.facilitator()
    phone = room.join("P0")[0]
    for event, payload in steps_to_planning(5):
        assert facilitator.call(event, payload)["ok"]
    sheet = room.state.groups[0].sheet.id
    before = dump(room.state)
    big = Typist().append(0, "x" * 60_000)  # a paste far over any answer: 80,000 base64 characters
    assert 65_536 < len(big) < room.app.config["MAX_MESSAGE_BYTES"]
    reply = phone.call("sheet_update", {"sheet": sheet, "update": big})
    assert reply["error"]["code"] == "update_too_large" and reply["error"]["details"]["limit"] == 65_536
    assert phone.connected and dump(room.state) == before
    assert phone.call("sheet_update", {"sheet": sheet, "update": Typist().append(0, "fine")})["ok"]


def test_open_session_refuses_past_max_sessions():
    app = app_with()
    store = MemoryStore()
    open_session(store, app.config["DECK"], Settings(), time.time(), max_sessions=2)
    open_session(store, app.config["DECK"], Settings(), time.time(), max_sessions=2)
    with pytest.raises(TooManySessions):
        open_session(store, app.config["DECK"], Settings(), time.time(), max_sessions=2)
    assert len(store.session_ids()) == 2


# -- rate limits ----------------------------------------------------------------------------------


def planning_room(app, people=8):
    room = Room(app)
    facilitator = room.facilitator()
    phones = {}
    for i in range(people):
        phone, reply = room.join(f"Person {i}")
        phones[reply["participant_id"]] = phone
    for event, payload in steps_to_planning(5):
        assert facilitator.call(event, payload)["ok"]
    return room, facilitator, phones


def test_a_flood_of_a_thousand_events_is_cut_off_while_another_phone_goes_on_promptly(room):
    room, _, phones = planning_room(room.app)
    group = room.state.groups[0]
    flooder, calm = phones[group.members[0]], phones[group.members[1]]
    codes: dict[str, int] = {}
    calm_replies, calm_times, sent = [], [], 0
    started = time.monotonic()
    flooding, calming = Typist(), Typist()
    for i in range(1000):
        try:
            reply = flooder.call("sheet_update", {"sheet": group.sheet.id, "update": flooding.append(0, f"spam {i}")})
        except RuntimeError:  # the server closed the connection
            break
        sent += 1
        code = "ok" if reply["ok"] else reply["error"]["code"]
        codes[code] = codes.get(code, 0) + 1
        if i % 10 == 0:
            t = time.monotonic()
            calm_replies.append(calm.call("sheet_update", {"sheet": group.sheet.id,
                                                           "update": calming.append(1, f"calm {i}")}))
            calm_times.append(time.monotonic() - t)
    elapsed = time.monotonic() - started

    assert not flooder.client.is_connected(), "a sustained flood must be disconnected"
    assert sent < 1000 and elapsed < 5
    # The bucket's burst of 20, plus what it refills (10 a second) while the flood lasts.
    assert codes.get("ok", 0) <= 20 + 10 * elapsed, (codes, elapsed)
    assert set(codes) == {"ok", "rate_limited"}, codes
    assert codes["rate_limited"] >= 90 and codes["rate_limited"] > sent * 0.8, codes
    assert all(r["ok"] for r in calm_replies), calm_replies
    assert max(calm_times) < 0.5
    assert calm.call("sheet_update", {"sheet": group.sheet.id, "update": calming.append(2, "still here")})["ok"]
    assert room.state.groups[0].texts[1] == calming.text(1) and calming.text(1).startswith("calm 0")


def test_a_rate_limited_event_costs_no_state_and_says_when_to_retry():
    app = app_with(RATE_LIMIT_EVENTS_PER_CONNECTION="3/second")
    room = Room(app)
    facilitator = room.facilitator()
    for _ in range(3):
        assert facilitator.call("set_locked", {"locked": True})["ok"]
    before = dump(room.state)
    reply = facilitator.call("set_locked", {"locked": False})
    assert reply["error"]["code"] == "rate_limited" and 0 <= reply["error"]["details"]["retry_after"] <= 1
    assert dump(room.state) == before and facilitator.connected
    time.sleep(1.05)
    assert facilitator.call("set_locked", {"locked": False})["ok"]


@pytest.mark.parametrize("event,payload", [("no_such_event", {}), ("join", {"name": ""}), ("delete_session", {}),
                                           ("form_groups", "not an object")])
def test_every_event_counts_unknown_ones_join_and_malformed_ones_included(event, payload):
    app = app_with(RATE_LIMIT_EVENTS_PER_CONNECTION="5/second", RATE_LIMIT_DROP_AFTER="10/10seconds")
    room = Room(app)
    guest = room.connect("phone")
    codes = []
    for _ in range(100):
        try:
            codes.append(guest.call(event, payload)["error"]["code"])
        except RuntimeError:
            break
    # 5 answered, 10 refused and tolerated, the 11th refused one closes the connection.
    assert codes.count("rate_limited") == 11 and len(codes) == 16
    assert not guest.connected


def test_a_client_cannot_reset_its_budget_or_presence_by_sending_connect_or_disconnect_events():
    app = app_with(RATE_LIMIT_EVENTS_PER_CONNECTION="3/second")
    room = Room(app)
    phone, reply = room.join("Ada")
    codes = [phone.call("disconnect", "client namespace disconnect")["error"]["code"],
             phone.call("connect", {"session": room.code, "role": "facilitator", "token": "guess"})["error"]["code"]]
    assert codes == ["unknown_event", "unknown_event"]
    assert phone.client.emit("connect", {}, {"session": room.code, "role": "phone"}, callback=True)["error"]["code"] \
        == "rate_limited"  # join + 2 fake events used the 3: the fake disconnect reset nothing
    assert phone.connected and room.hub.presence.online(room.code) == {reply["participant_id"]}


def test_an_address_shares_one_budget_across_its_connections_and_other_addresses_keep_theirs():
    app = app_with(RATE_LIMIT_EVENTS_PER_ADDRESS="10/second", TRUSTED_PROXIES=1)
    room = Room(app)
    crowd = [room.connect("phone", address="203.0.113.7") for _ in range(3)]
    started = time.monotonic()
    codes = [screen.call("no_such_event")["error"]["code"] for screen in crowd for _ in range(5)]
    refilled = int(10 * (time.monotonic() - started))  # the bucket refills 10 a second
    assert 10 <= codes.count("unknown_event") <= 10 + refilled and codes.count("rate_limited") >= 5 - refilled
    assert all(screen.connected for screen in crowd), "a shared address must not get its phones dropped"
    elsewhere = room.connect("phone", address="198.51.100.9")
    assert elsewhere.call("join", {"name": "Someone else"})["ok"]


def test_guessing_room_codes_is_throttled_per_address_without_telling_codes_apart():
    app = app_with(TRUSTED_PROXIES=1, RATE_LIMIT_FAILURES_PER_ADDRESS="30/minute")
    room = Room(app)
    projector_key = room.record.projector_key
    phone, reply = room.join("Ada", address="203.0.113.7")
    phone.client.disconnect()

    guesser = "203.0.113.7"
    refusals = [socket_client(app, {"session": f"ZZZZZZ{i:02d}", "role": "phone"}, guesser).refusal["message"]
                for i in range(30)]
    assert refusals == ["unknown_session"] * 30
    # Past the budget, the right code is refused exactly like a wrong one.
    for code in (room.code, "ZZZZZZZZ"):
        client = socket_client(app, {"session": code, "role": "phone"}, guesser)
        assert not client.is_connected() and client.refusal["message"] == "rate_limited"
    bad_key = socket_client(app, {"session": room.code, "role": "facilitator", "token": "guess"}, guesser)
    assert bad_key.refusal["message"] == "rate_limited"
    # Pages that look a code up are throttled alike.
    http = app.test_client()
    assert http.get(f"/j/{room.code}", headers={"X-Forwarded-For": guesser}).status_code == 429
    assert http.get("/j/ZZZZZZZZ", headers={"X-Forwarded-For": guesser}).status_code == 429

    # A credential is refused too, before it is looked up: its answer and its time would tell.
    assert room.connect("phone", reply["token"], address=guesser).refused == "rate_limited"
    assert room.connect("projector", projector_key, address=guesser).refused == "rate_limited"
    # Other addresses are not affected.
    assert room.connect("phone", address="198.51.100.9").connected
    assert http.get(f"/j/{room.code}", headers={"X-Forwarded-For": "198.51.100.9"}).status_code == 200


def test_wrong_codes_on_the_pages_count_toward_the_same_budget():
    app = app_with(RATE_LIMIT_FAILURES_PER_ADDRESS="5/minute", TRUSTED_PROXIES=1)
    room = Room(app)
    http = app.test_client()
    me = {"X-Forwarded-For": "203.0.113.7"}
    assert [http.get(f"/j/ZZZZZZ{i:02d}", headers=me).status_code for i in range(4)] == [404] * 4
    assert http.post(f"/s/{room.code}/export", data={"key": "guess", "format": "md"}, headers=me).status_code == 403
    assert http.get(f"/j/{room.code}", headers=me).status_code == 429
    assert http.get(f"/j/{room.code}", headers=me).headers["Retry-After"] == "60"
    assert room.connect("phone", address="203.0.113.7").refused == "rate_limited"


def test_connection_attempts_are_throttled_per_address():
    app = app_with(RATE_LIMIT_CONNECTS_PER_ADDRESS="5/minute", TRUSTED_PROXIES=1)
    room = Room(app)
    screens = [room.connect("phone", address="203.0.113.7") for _ in range(6)]
    assert [s.connected for s in screens] == [True] * 5 + [False]
    assert screens[-1].refused == "rate_limited"
    assert room.connect("phone", address="198.51.100.9").connected


def test_the_client_address_is_the_peer_unless_proxies_are_trusted_and_ipv6_counts_per_64():
    environ = {"REMOTE_ADDR": "10.0.0.5", "HTTP_X_FORWARDED_FOR": "1.2.3.4, 203.0.113.7"}
    assert client_address(environ) == "10.0.0.5"
    assert client_address(environ, trusted_proxies=1) == "203.0.113.7"  # a client cannot append
    assert client_address(environ, trusted_proxies=2) == "1.2.3.4"
    assert client_address({"REMOTE_ADDR": "10.0.0.5"}, trusted_proxies=1) == "10.0.0.5"
    assert client_address({"REMOTE_ADDR": "2001:db8:1:2:aaaa::1"}) == client_address({"REMOTE_ADDR": "2001:db8:1:2::9"})
    assert client_address({"REMOTE_ADDR": "::ffff:10.0.0.5"}) == "10.0.0.5"
    assert client_address({}) == "unknown"
