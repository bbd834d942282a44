"""The load benchmark runs gamehub under gevent too (`--async-mode gevent`), so the two modes
can be compared in the 1,000 x 1 benchmark (docs/performance.md); here only at a tiny size, so
the option cannot rot. No timing is checked."""

from __future__ import annotations

import json
import subprocess
import sys

from test_bench_smoke import ROOT, assert_nothing_lost, assert_typed


def test_bench_runs_gamehub_under_gevent(tmp_path):
    out = tmp_path / "bench.json"
    done = subprocess.run(
        [sys.executable, "-m", "bench", "--phones", "8", "--sessions", "1", "--duration", "3", "--typing", "4",
         "--only", "gamehub", "--async-mode", "gevent", "--timeout", "50", "--json", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=58)
    assert done.returncode == 0, done.stdout + done.stderr
    result = json.loads(out.read_text())["results"]["gamehub"]
    assert any("(gevent). Stop with Ctrl+C." in line for line in result["server"]["log_tail"]), result["server"]
    assert_typed("gamehub under gevent", result, typing=4)
    assert_nothing_lost(result)
