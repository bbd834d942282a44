"""Guessing budgets shared by several processes: behind nginx, and through Redis (its own
redis-server), and local while Redis is down."""

from __future__ import annotations

import contextlib
import tempfile
from collections import Counter
from pathlib import Path

from cluster import GamehubProcess, nginx, pg_schema, redis_server
from gamehub.server.cluster.failures import RedisFailures
from gamehub.server.cluster.limits import SharedLimits
from gamehub.server.failures import Attempt, MemoryFailures
from gamehub.server.ratelimit import CONFIG_DEFAULTS as RATE_LIMIT_DEFAULTS
from gamehub.server.ratelimit import RateLimiter
from server_process import ADDRESS_BUDGET, connect_all_at_once, free_port, get_all_at_once, wrong_codes


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
