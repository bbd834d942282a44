"""The load benchmark runs once at a tiny size, so it cannot rot. Benchmarks proper are run by
hand (docs/performance.md); nothing here checks a timing, only that every number is there."""

from __future__ import annotations

import json
import numbers
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_bench_plays_a_tiny_game_against_gamehub_and_the_relay(tmp_path):
    out = tmp_path / "bench.json"
    done = subprocess.run(
        [sys.executable, "-m", "bench", "--phones", "8", "--sessions", "1", "--duration", "3",
         "--timeout", "50", "--json", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=58)
    assert done.returncode == 0, done.stdout + done.stderr
    doc = json.loads(out.read_text())
    assert set(doc["results"]) == {"gamehub", "relay"}
    for name, result in doc["results"].items():
        assert result["completed"], name
        assert result["errors"]["total"] == 0, (name, result["errors"])
        assert result["join"]["joined"] == 8, name
        assert result["edits"]["acked"] > 0, name
        for metric in ("edit_to_members", "edit_to_facilitator", "edit_to_projector"):
            latency = result["latency_ms"][metric]
            assert latency["n"] > 0, (name, metric)
            assert all(isinstance(latency[p], numbers.Real) for p in ("p50", "p95", "p99", "max")), (name, metric)
        assert isinstance(result["join"]["all_joined_s"], numbers.Real)
        assert isinstance(result["server"]["peak_rss_mb"], numbers.Real)
    assert doc["results"]["gamehub"]["lost_updates"] == 0
    assert isinstance(doc["ratios"]["edit_to_members_p99"], numbers.Real)
    assert "gamehub" in done.stdout and "relay" in done.stdout  # the table
