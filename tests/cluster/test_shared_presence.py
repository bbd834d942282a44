"""Who is online, shared by several server processes through Redis (the machine's Redis at
127.0.0.1:6379; each test uses its own keys and deletes them)."""

from __future__ import annotations

import secrets
import time

import pytest
import redis

from gamehub.server.cluster.presence import SharedPresence

REDIS_URL = "redis://127.0.0.1:6379/0"


@pytest.fixture
def session_id():
    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.ConnectionError:
        pytest.fail("Redis is not running on 127.0.0.1:6379 (start it: see the env notes in README)")
    code = "T" + secrets.token_hex(6).upper()
    yield code
    for key in client.scan_iter(f"gamehub:online:{code}*"):
        client.delete(key)


def process(local: dict, ttl: int = 30) -> SharedPresence:
    """One server process's view of it; `local` maps a session to its own online participants."""
    return SharedPresence(REDIS_URL, lambda sid: set(local.get(sid, ())), start_task=lambda fn: None,
                          sleep=time.sleep, ttl=ttl)


def test_each_process_sees_the_phones_online_on_every_process(session_id):
    on_a, on_b = {session_id: {"p1"}}, {session_id: {"p2", "p3"}}
    a, b = process(on_a), process(on_b)
    a.changed(session_id), b.changed(session_id)
    assert a.online(session_id) == b.online(session_id) == {"p1", "p2", "p3"}
    on_b[session_id] = {"p3"}  # p2's phone went away from process B
    b.changed(session_id)
    assert a.online(session_id) == {"p1", "p3"}


def test_a_dead_process_s_phones_drop_out_when_its_entry_expires(session_id):
    a, dead = process({session_id: {"p1"}}), process({session_id: {"p9"}}, ttl=1)
    a.changed(session_id), dead.changed(session_id)
    assert a.online(session_id) == {"p1", "p9"}
    time.sleep(1.5)  # the dead process no longer renews its entry
    assert a.online(session_id) == {"p1"}


def test_without_redis_a_process_still_knows_its_own_phones():
    lost = SharedPresence("redis://127.0.0.1:1/0", lambda sid: {"p1"}, start_task=lambda fn: None, sleep=time.sleep)
    lost.changed("ANY")
    assert lost.online("ANY") == {"p1"}
