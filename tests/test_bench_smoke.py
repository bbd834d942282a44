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


def test_bench_plays_a_tiny_game_against_two_processes_behind_nginx(tmp_path):
    """`--processes 2`: two gamehub processes on a fresh PostgreSQL schema and our own Redis,
    behind our own nginx, then the relay. Everything it started is gone afterwards."""
    import psutil

    from bench import cluster

    # scripts/test.sh installs them; a missing one is a broken machine, not a reason to skip.
    for tool in (cluster.NGINX, cluster.REDIS_SERVER):
        assert tool.exists(), f"{tool} is missing: scripts/test.sh installs Debian's nginx and redis-server"
    out = tmp_path / "bench.json"
    done = subprocess.run(
        [sys.executable, "-m", "bench", "--phones", "8", "--sessions", "2", "--processes", "2", "--duration", "3",
         "--timeout", "100", "--json", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=130)
    assert done.returncode == 0, done.stdout + done.stderr
    doc = json.loads(out.read_text())
    assert set(doc["results"]) == {"gamehub-2p", "relay"}
    for name, result in doc["results"].items():
        assert result["completed"], name
        assert result["errors"]["total"] == 0, (name, result["errors"])
        assert result["join"]["joined"] == 8, name
        assert result["edits"]["acked"] > 0, name
        assert isinstance(result["edits"]["acked_per_s"], numbers.Real), name
        assert isinstance(result["events"]["per_second"], numbers.Real), name
        for metric in ("edit_to_members", "edit_to_facilitator", "edit_to_projector"):
            latency = result["latency_ms"][metric]
            assert latency["n"] > 0, (name, metric)
            assert all(isinstance(latency[p], numbers.Real) for p in ("p50", "p95", "p99", "max")), (name, metric)
    gamehub = doc["results"]["gamehub-2p"]
    assert gamehub["processes"] == 2 and gamehub["groups"] == 2
    assert gamehub["lost_updates"] == 0
    assert gamehub["cluster"]["resumed"] == [2]  # the second process serves both stored sessions
    assert len(gamehub["server"]["per_process_cpu_planning"]) == 2
    for part in ("nginx", "redis", "postgres"):
        assert isinstance(gamehub[part]["mean_cpu_planning"], numbers.Real), part
    assert isinstance(doc["comparisons"]["gamehub-2p"]["ratios"]["edit_to_members_p99"], numbers.Real)
    assert "2 processes" in done.stdout and "relay" in done.stdout  # the table
    # Cleaned up: the schema is dropped, every process it started is gone.
    assert not cluster.schema_exists(gamehub["cluster"]["schema"])
    pids = gamehub["cluster"]["pids"]
    for pid in [*pids["gamehub"], *pids["nginx"], *pids["redis"]]:
        assert not psutil.pid_exists(pid), pid
