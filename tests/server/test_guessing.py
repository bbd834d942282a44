"""The failed-attempt budgets (30 a minute per address and target, 120 per address) hold when
guesses arrive all at once; past them nothing is looked up, and guesses at one target leave the
others open (docs/security.md). The same on a real server is tests/process/test_guessing_served.py,
across processes sharing Redis tests/cluster/test_guessing_shared.py.

Guesses are sent concurrently (asyncio clients, a thread pool for pages), so each reaches the
server while others are being looked up: the budget must be charged in the same step as its
check, not after the lookup."""

from __future__ import annotations

import hmac
import threading
from collections import Counter

import pytest

from conftest import PUBLIC_URL, Room
from gamehub.storage import organiser_key
from gamehub.engine import Settings
from gamehub.server import create_app
from gamehub.server.cluster.failures import RedisFailures
from gamehub.server.failures import Attempt, MemoryFailures
from server_process import BUDGET, free_port

# -- in one process: what is spent, and what stays open -----------------------------------------

GUESSER = "203.0.113.7"


def app_with(**config):
    return create_app({"ASYNC_MODE": "threading", "PUBLIC_URL": PUBLIC_URL, "KEY_CHECK_SECONDS": 0,
                       "SETTINGS": Settings(), "TRUSTED_PROXIES": 1, **config})


def count_lookups(monkeypatch, store) -> Counter:
    """Every read of a session, a facilitator hash or a setting (the organiser key's) from now on."""
    calls: Counter = Counter()
    for name in ("get", "facilitator_hash", "setting"):
        real = getattr(store, name)
        monkeypatch.setattr(store, name, lambda *args, _name=name, _real=real: calls.update([_name]) or _real(*args))
    return calls


def spend(room: Room, role: str, refusal: str) -> None:
    """Thirty wrong keys (or phone tokens) for `role` at `room` from GUESSER: its target's budget."""
    tries = [room.connect(role, f"wrong-guess-number-{i:04d}-for-this-room", address=GUESSER).refused
             for i in range(BUDGET)]
    assert tries == [refusal] * BUDGET


@pytest.mark.parametrize("role, refusal", [("projector", "bad_key"), ("facilitator", "bad_key"),
                                           ("phone", "unknown_participant")])
def test_past_its_budget_a_right_key_is_refused_like_a_wrong_one_and_nothing_is_looked_up(monkeypatch, role, refusal):
    room = Room(app_with())
    phone, reply = room.join("Ada", address=GUESSER)
    phone.client.disconnect()
    right = {"projector": room.record.projector_key, "facilitator": room.facilitator_token, "phone": reply["token"]}[role]
    spend(room, role, refusal)
    lookups = count_lookups(monkeypatch, room.hub.store)
    answers = [room.connect(role, token, address=GUESSER).client.refusal for token in (right, "wrong-" + right)]
    assert answers[0] == answers[1] and answers[0]["message"] == "rate_limited"
    assert lookups == Counter(), "past the budget, a token must be refused before any lookup"
    # Another address is not affected.
    assert room.connect(role, right, address="198.51.100.9").connected


def test_guesses_at_one_rooms_keys_leave_its_join_page_other_rooms_and_the_organiser_open(tmp_path):
    app = app_with()
    room, other = Room(app), Room(app)
    elsewhere, reply = other.join("Bo", address=GUESSER)
    elsewhere.client.disconnect()
    key = organiser_key.rotate(room.hub.store, tmp_path)
    for role, refusal in [("projector", "bad_key"), ("facilitator", "bad_key"), ("phone", "unknown_participant")]:
        spend(room, role, refusal)
    assert room.connect("projector", room.record.projector_key, address=GUESSER).refused == "rate_limited"

    # Everyone else behind the guesser's address: the room's join page and its phones...
    http, me = app.test_client(), {"X-Forwarded-For": GUESSER}
    assert http.get(f"/j/{room.code}", headers=me).status_code == 200
    newcomer = room.connect("phone", address=GUESSER)
    assert newcomer.connected and newcomer.call("join", {"name": "Cy"})["ok"]
    # ...the other room's screens, with their keys...
    assert http.get(f"/s/{other.code}/projector", headers=me).status_code == 200
    assert other.connect("projector", other.record.projector_key, address=GUESSER).connected
    assert other.connect("facilitator", other.facilitator_token, address=GUESSER).connected
    assert other.connect("phone", reply["token"], address=GUESSER).connected
    # ...and the organiser.
    home = http.get("/organiser/api/home", headers={**me, "Authorization": f"Bearer {key}"})
    assert home.status_code == 200


def test_a_repeated_wrong_code_meets_its_own_budget_and_a_spray_of_codes_the_addresss():
    app = app_with(RATE_LIMIT_FAILURES_PER_ADDRESS="12/minute", RATE_LIMIT_FAILURES_PER_TARGET="3/minute")
    room = Room(app)
    http, me = app.test_client(), {"X-Forwarded-For": GUESSER}
    assert [http.get("/j/ZZZZZZZZ", headers=me).status_code for _ in range(4)] == [404, 404, 404, 429]
    assert http.get("/j/zzzz-zzzz", headers=me).status_code == 429  # the same code, as the lookup reads it
    assert http.get(f"/j/{room.code}", headers=me).status_code == 200
    # Nine more different codes: twelve failures in all, the address's budget.
    assert [http.get(f"/j/YYYYYY{i:02d}", headers=me).status_code for i in range(9)] == [404] * 9
    assert http.get(f"/j/{room.code}", headers=me).status_code == 429
    assert room.connect("phone", address=GUESSER).refused == "rate_limited"
    assert http.get(f"/j/{room.code}", headers={"X-Forwarded-For": "198.51.100.9"}).status_code == 200


def test_a_phone_token_is_compared_with_every_stored_hash_in_constant_time(monkeypatch):
    room = Room(app_with())
    tokens = [room.join(f"Person {i}")[1]["token"] for i in range(5)]
    gone = room.join("Gone")[1]["participant_id"]
    assert room.facilitator().call("remove_participant", {"participant": gone})["ok"]
    compared = []
    real = hmac.compare_digest
    monkeypatch.setattr(hmac, "compare_digest", lambda a, b: compared.append(b) or real(a, b))
    for token in (tokens[0], tokens[-1]):
        compared.clear()
        assert room.connect("phone", token).connected
        assert len(compared) == 5, "every participant's hash, not just up to the match"
    compared.clear()
    assert room.connect("phone", "a-token-nobody-has-in-this-room").refused == "unknown_participant"
    assert len(compared) == 5 + 1  # and the removed one's
# -- the budget itself ----------------------------------------------------------------------


def test_while_lookups_in_flight_fill_the_budget_a_new_attempt_waits_for_them_and_is_not_refused():
    budget = MemoryFailures(limit=3, window=60)
    failing = Attempt(budget, "203.0.113.7")
    failing.failed()
    in_flight = [Attempt(budget, "203.0.113.7") for _ in range(2)]
    assert not any(a.spent for a in in_flight)
    # Both lookups succeed a moment later (one gives its place back by leaving its block).
    threading.Timer(0.2, lambda: [a.__exit__(None, None, None) for a in in_flight]).start()
    waiting = Attempt(budget, "203.0.113.7")
    assert not waiting.spent, "a right code behind the same address must wait, not be refused"
    waiting.failed()
    last = Attempt(budget, "203.0.113.7")
    assert not last.spent
    last.failed()
    assert Attempt(budget, "203.0.113.7").spent and not Attempt(budget, "198.51.100.9").spent


def test_failures_spend_their_targets_budget_and_their_addresss_but_no_other_targets():
    budget = MemoryFailures(limit=5, window=60, per_target=2)
    for _ in range(2):
        with Attempt(budget, "203.0.113.7", "ROOMAAAA:projector") as attempt:
            attempt.failed()
    assert Attempt(budget, "203.0.113.7", "ROOMAAAA:projector").spent
    # The same room's join page, another room, another address: each its own budget.
    assert not any(Attempt(budget, address, target).spent for address, target in [
        ("203.0.113.7", "ROOMAAAA:code"), ("203.0.113.7", "ROOMBBBB:projector"), ("198.51.100.9", "ROOMAAAA:projector")])
    # Three more targets use up the address's five: then every target of it is spent.
    for code in ("ZZZ1", "ZZZ2", "ZZZ3"):
        with Attempt(budget, "203.0.113.7", f"{code}:code") as attempt:
            attempt.failed()
    assert Attempt(budget, "203.0.113.7", "ROOMBBBB:code").spent
    assert not Attempt(budget, "198.51.100.9", "ROOMBBBB:code").spent


def test_an_attempt_whose_lookup_raises_gives_its_place_back():
    budget = MemoryFailures(limit=1, window=60)
    with pytest.raises(RuntimeError), Attempt(budget, "203.0.113.7"):
        raise RuntimeError("the store failed")
    with Attempt(budget, "203.0.113.7") as attempt:
        assert not attempt.spent
        attempt.failed()
    assert Attempt(budget, "203.0.113.7").spent


def test_without_redis_each_process_still_counts_failures_in_its_own_memory():
    nobody = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    budget = RedisFailures(nobody, limit=5, window=60, local=MemoryFailures(limit=5, window=60))
    for _ in range(5):
        with Attempt(budget, "203.0.113.7") as attempt:
            assert not attempt.spent
            attempt.failed()
    assert Attempt(budget, "203.0.113.7").spent
