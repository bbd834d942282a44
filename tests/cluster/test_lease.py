"""Session leases and forwarding, in one test process: two hubs on one PostgreSQL schema and
one redis-server stand for two server processes (docs/deployment.md, "One owner per session").

The whole-process faults (kill -9, restart, nginx) are in tests/cluster/test_ownership.py; here each
step is checked where it happens: who holds the lock, what each store read, who applied what.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator

import pytest

from cluster import pg_schema, redis_server
from gamehub.engine import COMMANDS, Rejected, Role, Settings
from gamehub.content.formats import load_deck
from gamehub.server.cluster.lease import Leases, lease_key
from gamehub.server.cluster.forward import OwnerState
from gamehub.server.cluster import Several
from gamehub.server.hub import Hub
from gamehub.server.cluster.ownership import Ownership, _detached_connection
from gamehub.server.presence import Connection
from gamehub.server.sessions import open_session
from gamehub.storage.shared import SharedSqlStore
from gamehub.storage.store import LogEntry, VersionConflict

AddParticipant = COMMANDS["add_participant"]


class Emitter:
    def __init__(self):
        self.sent: list[tuple[str, dict, str]] = []

    def emit(self, event, data, *, to, skip_sid=None, ignore_queue=False):
        self.sent.append((event, data, to))


def spawn(fn, *args):
    threading.Thread(target=fn, args=args, daemon=True).start()


@pytest.fixture
def schema():
    with pg_schema() as created:
        yield created


@contextlib.contextmanager
def process(schema, redis_url: str) -> Iterator[tuple[Hub, Ownership, SharedSqlStore]]:
    """One "server process": a shared store, a hub, and its ownership through Redis."""
    store = SharedSqlStore(schema.url)
    cluster = Several(redis_url, store, spawn, time.sleep)
    hub = Hub(store, Emitter(), "http://127.0.0.1", spawn=spawn, cluster=cluster)
    cluster.start(hub)
    assert isinstance(cluster.ownership, Ownership)
    try:
        yield hub, cluster.ownership, store
    finally:
        cluster.close()
        store.close()


def facilitator(code: str) -> Connection:
    return Connection(code, Role.FACILITATOR)


def add(hub: Hub, code: str, name: str, cid: str | None = None):
    return hub.execute(code, AddParticipant.from_payload({"name": name, "title": f"{name}'s story"}),
                       facilitator(code), cid)


def test_a_lease_is_one_process_s_until_its_connection_closes(schema):
    store = SharedSqlStore(schema.url)
    try:
        first, second = (Leases(lambda: _detached_connection(store.engine), name=f"lease {n}") for n in (1, 2))
        assert first.take("ROOM1") and first.holds("ROOM1")
        assert not second.take("ROOM1")
        assert second.take("ROOM2")  # another session's lease is another lock
        key = lease_key("ROOM1") & 0xFFFFFFFFFFFFFFFF
        [(holder,)] = schema.query(
            "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
            "WHERE l.locktype = 'advisory' AND l.classid = %s::bigint::oid AND l.objid = %s::bigint::oid",
            key >> 32, key & 0xFFFFFFFF)
        assert holder == "lease 1"
        first.release("ROOM1")
        assert not first.holds("ROOM1") and second.take("ROOM1")
        second.release("ROOM1")
        assert first.take("ROOM1")
        # A process that dies loses its connection, and its leases with it: at once, no expiry.
        first._conn.close()
        assert first.check() == {"ROOM1"} and not first.holds("ROOM1")
        # PostgreSQL ends the backend as soon as it reads the closed socket: a moment, not an expiry.
        deadline = time.monotonic() + 5
        while not second.take("ROOM1"):
            assert time.monotonic() < deadline, "the lease of a closed connection was never freed"
            time.sleep(0.02)
        first.close()
        second.close()
    finally:
        store.close()


def test_an_owned_session_is_served_from_memory_and_a_second_writer_is_still_refused(schema):
    owner, other = SharedSqlStore(schema.url), SharedSqlStore(schema.url)
    try:
        record, _ = open_session(owner, load_deck(), Settings(), now=1.0)
        code = record.state.id
        owner.own(code)
        assert owner.cached(code) is None  # owning reads the session whole once more
        state = owner.get(code).state
        assert owner.cached(code) is not None  # then keeps it: no catch-up read before a command
        # A process that should not write does (the lease is a promise about speed only): the
        # owner's copy does not see it, and its own write of the same version is refused.
        hub = Hub(other, Emitter(), "http://x")
        assert add(hub, code, "Ann").ok
        assert owner.get(code).state.version == state.version
        after = add(Hub(owner, Emitter(), "http://x"), code, "Bob")
        assert after.ok and after.state.version == state.version + 2  # refused once, reloaded, applied on top
        assert sorted(p.name for p in owner.get(code).state.participants.values()) == ["Ann", "Bob"]
        owner.disown(code)
        assert owner.cached(code) is None  # back to catching up
        with pytest.raises(VersionConflict):
            owner.append(code, state, LogEntry(version=1, event="x", payload={}, actor={}, at=0.0))
    finally:
        owner.close()
        other.close()


def test_a_command_at_a_process_that_does_not_own_the_session_is_applied_by_the_owner(schema):
    with redis_server() as redis, process(schema, redis.url) as (hub_a, own_a, store_a), \
            process(schema, redis.url) as (hub_b, own_b, store_b):
        record, _ = open_session(store_a, load_deck(), Settings(), now=1.0)
        code = record.state.id
        assert add(hub_a, code, "Ann", cid="c1").ok
        assert own_a._leases.holds(code) and not own_b._leases.holds(code)
        time.sleep(0.3)  # both listeners subscribed
        forwarded = add(hub_b, code, "Bob", cid="c2")
        # B asked A: the ack is the owner's (its version), and B's own store never wrote or read it.
        assert isinstance(forwarded.state, OwnerState) and forwarded.ok and forwarded.state.version == 2
        assert store_b.cached(code) is None and code not in store_b.owned
        assert [p.name for p in store_a.get(code).state.participants.values()] == ["Ann", "Bob"]
        # A resend of the same command to B is answered as a duplicate, not applied again.
        again = add(hub_b, code, "Bob", cid="c2")
        assert again.ok and again.result.get("duplicate") and again.state.version == 2
        # A refusal comes back as the owner's refusal.
        refused = hub_b.execute(code, COMMANDS["extend_timer"].from_payload({"minutes": 5}), facilitator(code))
        assert not refused.ok and refused.error.code == "wrong_phase"
        # The owner dies (its lease connection closes with it, and it answers no more): B takes
        # the session over on its next command, reading everything A stored.
        own_a._forwarder._owns = lambda session_id: False
        own_a._leases.close()
        taken = add(hub_b, code, "Cy", cid="c3")
        assert taken.ok and not isinstance(taken.state, OwnerState) and taken.state.version == 3
        assert own_b._leases.holds(code) and code in store_b.owned
        names = sorted(p.name for p in store_b.get(code).state.participants.values())
        assert names == ["Ann", "Bob", "Cy"]
        [(rows,)] = schema.query("SELECT count(*) FROM gamehub_commands WHERE session_id = %s", code)
        assert rows == 3


def test_with_redis_down_a_non_owner_applies_the_command_itself_once(schema):
    with redis_server() as redis, process(schema, redis.url) as (hub_a, own_a, store_a), \
            process(schema, redis.url) as (hub_b, own_b, store_b):
        record, _ = open_session(store_a, load_deck(), Settings(), now=1.0)
        code = record.state.id
        assert add(hub_a, code, "Ann").ok
        redis.kill()
        alone = add(hub_b, code, "Bob")
        assert alone.ok and alone.state.version == 2 and not isinstance(alone.state, OwnerState)
        # The owner's copy is behind; its next command is refused once by the log, then applied on top.
        assert add(hub_a, code, "Cy").state.version == 3
        own_a.reload()  # what a resync after the outage does
        assert sorted(p.name for p in store_a.get(code).state.participants.values()) == ["Ann", "Bob", "Cy"]


def test_a_session_deleted_on_another_process_is_gone_for_its_owner_too(schema):
    with redis_server() as redis, process(schema, redis.url) as (hub_a, own_a, store_a), \
            process(schema, redis.url) as (hub_b, own_b, store_b):
        record, _ = open_session(store_a, load_deck(), Settings(), now=1.0)
        code = record.state.id
        assert add(hub_a, code, "Ann").ok and code in store_a.owned
        time.sleep(0.3)  # both listeners subscribed
        assert hub_b.delete_session(code)
        deadline = time.monotonic() + 5
        while code in store_a.owned:
            assert time.monotonic() < deadline, "the owner kept serving a deleted session"
            time.sleep(0.05)
        assert store_a.get(code) is None
        with pytest.raises(Rejected) as refused:
            add(hub_a, code, "Bob")
        assert refused.value.code == "unknown_session"
        [(rows,)] = schema.query("SELECT count(*) FROM gamehub_commands WHERE session_id = %s", code)
        assert rows == 0
