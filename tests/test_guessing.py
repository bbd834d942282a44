"""The failed-attempt budget (30 a minute per address) holds when guesses arrive all at once,
on a real server and across two processes sharing Redis (docs/security.md).

Guesses are sent concurrently (asyncio clients, a thread pool for pages), so each reaches the
server while others are being looked up: the budget must be charged in the same step as its
check, not after the lookup."""

from __future__ import annotations

import asyncio
import contextlib
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
from gamehub.server.failures import Attempt, MemoryFailures, RedisFailures
from gamehub.server.ratelimit import CONFIG_DEFAULTS as RATE_LIMIT_DEFAULTS
from gamehub.server.ratelimit import RateLimiter
from server_process import ServerProcess, free_port

BUDGET = 30  # RATE_LIMIT_FAILURES_PER_ADDRESS's default, "30/minute"


async def _connect_once(url: str, code: str, headers: dict) -> str:
    """Connect as a phone with `code`: "connected", or the code the server refused it with."""
    client = socketio.AsyncClient(reconnection=False)
    refusals: list = []
    client.on("connect_error", refusals.append)
    try:
        await client.connect(url, auth={"session": code, "role": "phone"}, headers=headers,
                             transports=["websocket"], wait_timeout=30)
        return "connected"
    except socketio.exceptions.ConnectionError as error:
        return refusals[0]["message"] if refusals else f"no answer: {error}"
    finally:
        await client.disconnect()


def connect_all_at_once(attempts: list[tuple[str, str]], headers: dict | None = None) -> list[str]:
    """Every (url, code) connection attempt at once; their outcomes in the same order."""
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
def test_a_hundred_wrong_codes_at_once_are_looked_up_exactly_thirty_times_and_successes_are_not_charged(async_mode):
    with ServerProcess(args=["--async-mode", async_mode]) as server:
        code = server.sessions[0].code
        # Right codes first, a hundred at once, on sockets and pages: none is charged...
        assert connect_all_at_once([(server.url, code)] * 50) == ["connected"] * 50
        assert get_all_at_once([f"{server.url}/j/{code}"] * 50) == [200] * 50
        # ...so the whole budget is still there for the wrong ones.
        outcomes = Counter(connect_all_at_once([(server.url, c) for c in wrong_codes(100)]))
        assert outcomes == {"unknown_session": BUDGET, "rate_limited": 100 - BUDGET}, outcomes
        # Spent: the right code is refused like a wrong one, on sockets and on pages.
        assert connect_all_at_once([(server.url, code)]) == ["rate_limited"]
        assert get_all_at_once([f"{server.url}/j/{code}"]) == [429]


def test_a_hundred_wrong_codes_on_the_pages_at_once_get_thirty_404s_and_seventy_429s():
    with ServerProcess() as server:  # eventlet, the default
        code = server.sessions[0].code
        pages = [f"{server.url}/j/{c}" for c in wrong_codes(50)]
        pages += [f"{server.url}/s/{c}/projector" for c in wrong_codes(50, prefix="YYY")]
        statuses = Counter(get_all_at_once(pages))
        assert statuses == {404: BUDGET, 429: 100 - BUDGET}, statuses
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
        # ...leave ten for everything else, however it is spread: through nginx, on A, on B.
        spread = [(url, c) for url, c in zip([proxy.url, a.url, b.url] * 27, wrong_codes(80, prefix="YYY"))]
        assert {url for url, _ in spread} == {proxy.url, a.url, b.url}
        rest = Counter(connect_all_at_once(spread))
        assert rest == {"unknown_session": BUDGET - 20, "rate_limited": 80 - (BUDGET - 20)}, rest

        # Spent on every process, for pages too...
        assert connect_all_at_once([(b.url, code), (proxy.url, code)]) == ["rate_limited"] * 2
        assert get_all_at_once([f"{a.url}/j/{code}", f"{b.url}/j/{code}"]) == [429, 429]
        # ...and a forged X-Forwarded-For does not get past nginx: it appends the address it saw,
        # the last one, which is what the processes count.
        forged = {"X-Forwarded-For": "198.51.100.9"}
        assert connect_all_at_once([(proxy.url, code)], headers=forged) == ["rate_limited"]


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


def test_a_reconnection_with_a_credential_does_not_wait_for_lookups_in_flight():
    budget = MemoryFailures(limit=2, window=60)
    held = [Attempt(budget, "203.0.113.7") for _ in range(2)]
    slept = []
    reconnecting = Attempt(budget, "203.0.113.7", sleep=slept.append, wait=False)
    assert reconnecting.spent and slept == []  # looked up at once, answered as if spent when wrong
    for attempt in held:
        attempt.__exit__(None, None, None)
    assert not Attempt(budget, "203.0.113.7", sleep=slept.append, wait=False).spent


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
        one, two = (RedisFailures(redis.url, limit=3, window=60, local=MemoryFailures(limit=3, window=60))
                    for _ in range(2))
        for _ in range(10):
            with Attempt(one, "203.0.113.7") as attempt:
                assert not attempt.spent  # a success, given back
        for budget in (one, two, one):
            with Attempt(budget, "203.0.113.7") as attempt:
                assert not attempt.spent
                attempt.failed()
        assert Attempt(two, "203.0.113.7").spent and Attempt(one, "203.0.113.7").spent
        assert not Attempt(two, "198.51.100.9").spent


def limiter_on(queue: str, **config) -> RateLimiter:
    return RateLimiter({**RATE_LIMIT_DEFAULTS, "MESSAGE_QUEUE": queue, **config})


def test_connection_attempts_are_one_budget_for_every_process_on_the_queue_and_local_while_redis_is_down():
    with redis_server() as redis:
        one, two = (limiter_on(redis.url, RATE_LIMIT_CONNECTS_PER_ADDRESS="5/minute") for _ in range(2))
        allowed = [limiter.connect("203.0.113.7") for limiter in (one, two) * 4]
        assert allowed == [True] * 5 + [False] * 3
        assert two.connect("198.51.100.9")
    nobody = limiter_on(f"redis://127.0.0.1:{free_port()}/0", RATE_LIMIT_CONNECTS_PER_ADDRESS="2/minute")
    assert [nobody.connect("203.0.113.7") for _ in range(3)] == [True, True, False]
