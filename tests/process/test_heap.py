"""The collector is set for a server before it serves (gamehub/runtime/heap.py), under eventlet and
gevent: young collections far apart and what start-up loaded frozen. Each check runs `gamehub
serve` in a process of its own, whose server is replaced by one that reports the collector."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from gamehub.runtime import heap
from server_process import free_port

# The server `gamehub serve` would start is swapped for a report of the collector as it is then.
SCRIPT = """
import gc, json, sys
from gamehub import cli
from gamehub.cli import listen
from gamehub.runtime import green

def report(app, listener):
    listener.close()
    print("GC " + json.dumps({"threshold": gc.get_threshold(), "frozen": gc.get_freeze_count()}), flush=True)

listen.serve_eventlet = green.serve = report
sys.exit(cli.main(sys.argv[1:]))
"""


@pytest.mark.parametrize("mode", ["eventlet", "gevent"])
def test_gamehub_serve_sets_the_collector_before_it_serves(tmp_path, mode):
    result = subprocess.run([sys.executable, "-c", SCRIPT, "serve", "--no-qr", "--host", "127.0.0.1",
                             "--port", str(free_port()), "--data-dir", str(tmp_path), "--async-mode", mode],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    line = next(line for line in result.stdout.splitlines() if line.startswith("GC "))
    seen = json.loads(line[3:])
    assert tuple(seen["threshold"]) == (heap.YOUNG, heap.MIDDLE, heap.OLD)
    assert seen["frozen"] > 10_000  # the modules, the app, the deck: all of start-up

