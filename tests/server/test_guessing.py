"""The failed-attempt budgets (30 a minute per address and target, 120 per address) hold when
guesses arrive all at once, on a real server and across two processes sharing Redis; past them
nothing is looked up, and guesses at one target leave the others open (docs/security.md).

Guesses are sent concurrently (asyncio clients, a thread pool for pages), so each reaches the
server while others are being looked up: the budget must be charged in the same step as its
check, not after the lookup."""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import threading
import tempfile
import urllib.error
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import socketio

from cluster import GamehubProcess, nginx, pg_schema, redis_server
from conftest import PUBLIC_URL, Room
from gamehub.storage import organiser_key
from gamehub.engine import Settings
from gamehub.server import create_app
from gamehub.server.cluster.failures import RedisFailures
from gamehub.server.cluster.limits import SharedLimits
from gamehub.server.failures import Attempt, MemoryFailures
from gamehub.server.ratelimit import CONFIG_DEFAULTS as RATE_LIMIT_DEFAULTS
from gamehub.server.ratelimit import RateLimiter
from server_process import ServerProcess, free_port

BUDGET = 30  # RATE_LIMIT_FAILURES_PER_TARGET's default, "30/minute"
ADDRESS_BUDGET = 120  # RATE_LIMIT_FAILURES_PER_ADDRESS's default, "120/minute"


async def _connect_once(url: str, code: str | dict, headers: dict) -> str:
    """Connect as a phone with `code` (or with this `auth`): "connected", or the code the
    server refused it with."""
    client = socketio.AsyncClient(reconnection=False)
    refusals: list = []
    client.on("connect_error", refusals.append)
    auth = code if isinstance(code, dict) else {"session": code, "role": "phone"}
    try:
        await client.connect(url, auth=auth, headers=headers,
                             transports=["websocket"], wait_timeout=30)
        return "connected"
    except socketio.exceptions.ConnectionError as error:
        return refusals[0]["message"] if refusals else f"no answer: {error}"
    finally:
        await client.disconnect()


def connect_all_at_once(attempts: list[tuple[str, str | dict]], headers: dict | None = None) -> list[str]:
    """Every (url, code or auth) connection attempt at once; their outcomes in the same order."""
    async def run():
        return await asyncio.gather(*(_connect_once(url, code, headers or {}) for url, code in attempts))
    return asyncio.run(run())


def get_all_at_once(urls: list[str]) -> list[int]:
    """Every page requested at once; their HTTP statuses."""
    def status(url: str) -> int:
        try:
            with urllib.request.urlopen(url, timeout=30) as response:
                return response.status
        except urllib.error.HTTPError as error:
            return error.code
    with ThreadPoolExecutor(max_workers=len(urls)) as pool:
        return list(pool.map(status, urls))


def wrong_codes(count: int, prefix: str = "ZZZ") -> list[str]:
    return [f"{prefix}{i:05d}" for i in range(count)]


@pytest.mark.parametrize("async_mode", ["eventlet", "gevent"])
def test_a_hundred_wrong_keys_at_once_are_looked_up_exactly_thirty_times_and_leave_the_room_open(async_mode):
    with ServerProcess(args=["--async-mode", async_mode]) as server:
        session = server.sessions[0]
        projector = {"session": session.code, "role": "projector", "token": session.projector_key}
        # Right keys first, fifty at once, on sockets and pages: none is charged...
        assert connect_all_at_once([(server.url, projector)] * 50) == ["connected"] * 50
        assert get_all_at_once([f"{server.url}/j/{session.code}"] * 50) == [200] * 50
        # ...so the whole budget is still there for the wrong ones.
        guesses = [(server.url, {**projector, "token": f"guess-{i}"}) for i in range(100)]
        outcomes = Counter(connect_all_at_once(guesses))
        assert outcomes == {"bad_key": BUDGET, "rate_limited": 100 - BUDGET}, outcomes
        # Spent: the right key is refused like a wrong one...
        assert connect_all_at_once([(server.url, projector)]) == ["rate_limited"]
        # ...while the room's phones still load the join page and get in from the same address.
        assert get_all_at_once([f"{server.url}/j/{session.code}"] * 10) == [200] * 10
        assert connect_all_at_once([(server.url, session.code)] * 10) == ["connected"] * 10


def test_wrong_codes_on_the_pages_at_once_meet_the_addresss_cap_exactly():
    with ServerProcess() as server:  # eventlet, the default
        code = server.sessions[0].code
        pages = [f"{server.url}/j/{c}" for c in wrong_codes(75)]
        pages += [f"{server.url}/s/{c}/projector" for c in wrong_codes(75, prefix="YYY")]
        statuses = Counter(get_all_at_once(pages))
        assert statuses == {404: ADDRESS_BUDGET, 429: 150 - ADDRESS_BUDGET}, statuses
        # A spray of codes spends the address's budget: every lookup from it waits the minute.
        assert get_all_at_once([f"{server.url}/s/{code}/qr.svg"]) == [429]


def test_two_processes_behind_nginx_share_one_budget_per_address():
    """The processes trust nginx's X-Forwarded-For (`--trusted-proxies 1`), as docs/deployment.md
    says to: behind nginx and directly, a client here is 127.0.0.1, and its failures on either
    process count against one budget in Redis."""
    with contextlib.ExitStack() as stack:
        schema = stack.enter_context(pg_schema())
        redis = stack.enter_context(redis_server())
        data = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="gamehub-cluster-")))
        a, b = (stack.enter_context(GamehubProcess(database_url=schema.url, message_queue=redis.url, data_dir=data,
                                                   extra_args=["--trusted-proxies", "1"])) for _ in range(2))
        proxy = stack.enter_context(nginx([a.port, b.port]))
        code = a.sessions[0].code

        # Twenty failures on A...
        first = Counter(connect_all_at_once([(a.url, c) for c in wrong_codes(20)]))
        assert first == {"unknown_session": 20}, first
        # ...leave a hundred for everything else, however it is spread: through nginx, on A, on B.
        spread = [(url, c) for url, c in zip([proxy.url, a.url, b.url] * 50, wrong_codes(150, prefix="YYY"))]
        assert {url for url, _ in spread} == {proxy.url, a.url, b.url}
        rest = Counter(connect_all_at_once(spread))
        left = ADDRESS_BUDGET - 20
        assert rest == {"unknown_session": left, "rate_limited": 150 - left}, rest

        # Spent on every process, for pages too...
        assert connect_all_at_once([(b.url, code), (proxy.url, code)]) == ["rate_limited"] * 2
        assert get_all_at_once([f"{a.url}/j/{code}", f"{b.url}/j/{code}"]) == [429, 429]
        # ...and a forged X-Forwarded-For does not get past nginx: it appends the address it saw,
        # the last one, which is what the processes count.
        forged = {"X-Forwarded-For": "198.51.100.9"}
        assert connect_all_at_once([(proxy.url, code)], headers=forged) == ["rate_limited"]


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


def test_in_redis_a_success_is_given_back_and_failures_are_shared_by_every_process():
    with redis_server() as redis:
        one, two = (RedisFailures(redis.url, limit=5, window=60, per_target=3,
                                  local=MemoryFailures(limit=5, window=60, per_target=3)) for _ in range(2))
        for _ in range(10):
            with Attempt(one, "203.0.113.7", "ROOMAAAA:projector") as attempt:
                assert not attempt.spent  # a success, given back
        for budget in (one, two, one):
            with Attempt(budget, "203.0.113.7", "ROOMAAAA:projector") as attempt:
                assert not attempt.spent
                attempt.failed()
        assert Attempt(two, "203.0.113.7", "ROOMAAAA:projector").spent
        assert Attempt(one, "203.0.113.7", "ROOMAAAA:projector").spent
        assert not Attempt(two, "198.51.100.9", "ROOMAAAA:projector").spent
        # Another target of the address has its own budget, up to the address's five in all.
        for budget in (two, one):
            with Attempt(budget, "203.0.113.7", "ROOMAAAA:code") as attempt:
                assert not attempt.spent
                attempt.failed()
        assert Attempt(one, "203.0.113.7", "ROOMBBBB:code").spent


def limiter_on(queue: str, **config) -> RateLimiter:
    return RateLimiter({**RATE_LIMIT_DEFAULTS, "MESSAGE_QUEUE": queue, **config}, shared=SharedLimits(queue))


def test_connection_attempts_are_one_budget_for_every_process_on_the_queue_and_local_while_redis_is_down():
    with redis_server() as redis:
        one, two = (limiter_on(redis.url, RATE_LIMIT_CONNECTS_PER_ADDRESS="5/minute") for _ in range(2))
        allowed = [limiter.connect("203.0.113.7") for limiter in (one, two) * 4]
        assert allowed == [True] * 5 + [False] * 3
        assert two.connect("198.51.100.9")
    nobody = limiter_on(f"redis://127.0.0.1:{free_port()}/0", RATE_LIMIT_CONNECTS_PER_ADDRESS="2/minute")
    assert [nobody.connect("203.0.113.7") for _ in range(3)] == [True, True, False]
