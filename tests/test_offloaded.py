"""Under eventlet and gevent, database calls run in a native thread, so one slow write never stalls the
other connections; an ack still comes only after the commit."""

from __future__ import annotations

import time

from conftest import PUBLIC_URL, Room
from gamehub.offloaded import OffloadedStore
from gamehub.server import create_app, hub_of
from gamehub.sqlstore import open_store


def test_an_eventlet_server_runs_its_database_calls_off_the_event_loop(tmp_path):
    store = open_store(data_dir=tmp_path)
    assert isinstance(hub_of(create_app({"STORE": store, "ASYNC_MODE": "eventlet"})).store, OffloadedStore)
    assert isinstance(hub_of(create_app({"STORE": store, "ASYNC_MODE": "gevent"})).store, OffloadedStore)
    assert hub_of(create_app({"STORE": store, "ASYNC_MODE": "threading"})).store is store
    store.close()


def test_under_gevent_a_blocking_call_leaves_the_other_greenlets_running():
    import gevent

    from gamehub.green import runner

    run, ticks = runner(), []

    def ticker():
        while True:
            ticks.append(1)
            gevent.sleep(0.01)

    background = gevent.spawn(ticker)
    gevent.sleep(0)
    before = len(ticks)
    # time.sleep here is the real one (nothing is patched in the tests): it holds its thread.
    assert run(lambda seconds: time.sleep(seconds) or "done", 0.5) == "done"
    during = len(ticks) - before
    background.kill()
    assert during >= 5, "the loop stood still while the call blocked"
    # Without the runner, the same call stops every greenlet.
    background, before = gevent.spawn(ticker), len(ticks)
    gevent.sleep(0)
    time.sleep(0.5)
    assert len(ticks) - before <= 1
    background.kill()


def test_every_call_goes_through_the_runner_and_an_ack_waits_for_the_write(tmp_path):
    inner = open_store(data_dir=tmp_path)
    calls = []

    def runner(fn, *args):
        calls.append(fn.__name__)
        if fn.__name__ == "append":
            time.sleep(0.05)  # a slow disk
        return fn(*args)

    app = create_app({"STORE": OffloadedStore(inner, runner), "ASYNC_MODE": "threading",
                      "PUBLIC_URL": PUBLIC_URL, "KEY_CHECK_SECONDS": 0, "STAFF_VIEW_SECONDS": 0})
    room = Room(app)
    phone, reply = room.join("Ada")
    assert "create" in calls and "append" in calls
    # The ack came back after the write: the command is in the database, not just in memory.
    reopened = open_store(data_dir=tmp_path)
    reopened_state = reopened.get(room.code).state
    assert reply["participant_id"] in reopened_state.participants
    reopened.close()
    calls.clear()
    assert room.hub.store.get(room.code) is not None and calls == []  # the session in play is in memory
    inner.close()
