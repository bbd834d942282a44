"""Under eventlet and gevent, database calls take turns and never stall the other connections while
they wait (PostgreSQL's waits are green; SQLite's are too short to matter); an ack still comes
only after the commit, and writes that queue share a commit."""

from __future__ import annotations

import time

from conftest import PUBLIC_URL, Room
from gamehub.storage.offloaded import OffloadedStore
from gamehub.server import create_app, hub_of
from gamehub.storage.sql import open_store


def test_under_eventlet_and_gevent_the_database_calls_take_turns_through_the_store(tmp_path):
    store = open_store(data_dir=tmp_path)
    assert isinstance(hub_of(create_app({"STORE": store, "ASYNC_MODE": "eventlet"})).store, OffloadedStore)
    assert isinstance(hub_of(create_app({"STORE": store, "ASYNC_MODE": "gevent"})).store, OffloadedStore)
    assert hub_of(create_app({"STORE": store, "ASYNC_MODE": "threading"})).store is store
    store.close()


def test_every_call_goes_through_the_runner_and_an_ack_waits_for_the_write(tmp_path):
    inner = open_store(data_dir=tmp_path)
    calls = []

    def runner(fn, *args):
        calls.append(fn.__name__)
        if fn.__name__ == "append_many":  # the writes (group commit: see the test below)
            time.sleep(0.05)  # a slow disk
        return fn(*args)

    app = create_app({"STORE": OffloadedStore(inner, runner), "ASYNC_MODE": "threading",
                      "PUBLIC_URL": PUBLIC_URL, "KEY_CHECK_SECONDS": 0, "STAFF_VIEW_SECONDS": 0})
    room = Room(app)
    phone, reply = room.join("Ada")
    assert "create" in calls and "append_many" in calls
    # The ack came back after the write: the command is in the database, not just in memory.
    reopened = open_store(data_dir=tmp_path)
    reopened_state = reopened.get(room.code).state
    assert reply["participant_id"] in reopened_state.participants
    reopened.close()
    calls.clear()
    assert room.hub.store.get(room.code) is not None and calls == []  # the session in play is in memory
    inner.close()


def test_writes_that_queue_behind_a_commit_share_the_next_one_and_each_waits_for_it(tmp_path):
    """Group commit: while one write waits for its commit, the others queue; the next trip
    takes them all in one `append_many`, and none returns before the commit that holds it."""
    import threading

    from test_store_writes import planning, write_for

    inner = open_store(data_dir=tmp_path)
    states = [planning(inner) for _ in range(4)]
    first_in, release, batches = threading.Event(), threading.Event(), []

    def runner(fn, *args):
        if fn.__name__ == "append_many":
            batches.append([write[0] for write in args[0]])
            if len(batches) == 1:
                first_in.set()
                assert release.wait(10)  # a slow commit, while the others queue
        return fn(*args)

    store = OffloadedStore(inner, runner)
    writes = [write_for(inner, state, 2000.0, f"g{i}") for i, state in enumerate(states)]
    returned = {}

    def append(write):
        store.append(*write)
        # Returned only once the write is in the database: another connection reads it.
        reopened = open_store(data_dir=tmp_path)
        returned[write[0]] = reopened.get(write[0]).state.version
        reopened.close()

    threads = [threading.Thread(target=append, args=(writes[0],))]
    threads[0].start()
    assert first_in.wait(10)
    threads += [threading.Thread(target=append, args=(write,)) for write in writes[1:]]
    for thread in threads[1:]:
        thread.start()
    deadline = time.monotonic() + 10
    while len(store._queued) < 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    release.set()
    for thread in threads:
        thread.join(10)
    assert len(batches) == 2 and batches[0] == [states[0].id]
    assert sorted(batches[1]) == sorted(s.id for s in states[1:])  # the three that queued, in one trip
    assert returned == {write[0]: write[1].version for write in writes}
    inner.close()
