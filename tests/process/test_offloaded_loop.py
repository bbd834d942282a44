"""A slow PostgreSQL query, in a process green as `gamehub serve` is, runs off the loop and
leaves every other connection running."""

from __future__ import annotations

import subprocess
import sys

import pytest

from cluster import pg_schema

# Run as `gamehub serve` runs: patched first, then a store, then a slow query through the runner
# while a green thread ticks every 10 ms. Prints the ticks during the query, and whether the
# query ran in the loop's own native thread.
SLOW_QUERY = """
import sys, threading
mode, url = sys.argv[1], sys.argv[2]
if mode == "eventlet":
    from gamehub.cli.listen import green_everything
    green_everything()
    import eventlet as green
else:
    from gamehub.runtime.green import patch
    patch()
    import gevent as green
from gamehub.storage.offloaded import runner_for
from gamehub.storage.sql import SqlStore

store = SqlStore(url)
run, ticks, loop_thread = runner_for(store, mode), [], threading.get_native_id()

def ticker():
    while True:
        ticks.append(1)
        green.sleep(0.01)

def slow():
    with store.engine.connect() as db:
        db.exec_driver_sql("SELECT pg_sleep(0.5)")
    return threading.get_native_id()

green.spawn(ticker)
green.sleep(0)
before = len(ticks)
where = run(slow)
print(len(ticks) - before, where == loop_thread)
store.close()
"""

@pytest.mark.parametrize("mode", ["eventlet", "gevent"])
def test_a_slow_postgresql_query_runs_on_the_loop_and_leaves_every_other_connection_running(mode):
    """psycopg waits for the server through the patched `select` (gamehub/storage/offloaded.py): no
    native thread per call, and the loop carries on while the query runs."""
    with pg_schema() as schema:
        done = subprocess.run([sys.executable, "-c", SLOW_QUERY, mode, schema.url], capture_output=True,
                              text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    ticks, on_the_loop = done.stdout.split()
    assert on_the_loop == "True"
    assert int(ticks) >= 20, f"the loop stood still while the query ran ({ticks} ticks in 0.5 s)"
