"""The load benchmark runs once at a tiny size, so it cannot rot. Benchmarks proper are run by
hand (docs/performance.md); nothing here checks a timing, only that every number is there, and
that the shared sheets lost nothing: every acknowledged Yjs update is in the server's document,
and each group's answers (read back with `sheet_sync`, and exported) are what was typed."""

from __future__ import annotations

import json
import numbers
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def assert_typed(name: str, result: dict, typing: int) -> None:
    """Every typing member typed, each update reached every groupmate, and the figures exist."""
    assert result["completed"], name
    assert result["errors"]["total"] == 0, (name, result["errors"])
    assert result["join"]["joined"] == 8, name
    typed = result["typing"]
    assert typed["typists"] == typed["typing_at_once"] == typing, (name, typed)
    assert typed["updates_acked"] > 0 and typed["acked_per_s"] > 0, (name, typed)
    assert isinstance(typed["server_cpu_ms_per_update"], numbers.Real), name
    for metric in ("keystroke_to_groupmates", "typed_to_groupmates"):
        latency = result["latency_ms"][metric]
        # Each update reaches the sender's three groupmates.
        assert latency["n"] == 3 * typed["updates_acked"], (name, metric, latency)
        assert all(isinstance(latency[p], numbers.Real) for p in ("p50", "p95", "p99", "max")), (name, metric)
    assert isinstance(result["join"]["all_joined_s"], numbers.Real)
    assert isinstance(result["server"]["peak_rss_mb"], numbers.Real)
    assert isinstance(result["events"]["per_second"], numbers.Real), name


def assert_nothing_lost(result: dict) -> None:
    sheets = result["sheets"]
    assert result["lost_updates"] == 0 and result["nothing_lost"], (sheets, result["lost_detail"])
    assert sheets["checked"] == sheets["groups"] > 0 and sheets["export_checked"], sheets
    assert sheets["typed_characters"] > 0, sheets
    # Every update sent was accounted for, acked or not; at this size every one is acked.
    assert sheets["sent_known"] and sheets["sent"] == sheets["acked"] == result["typing"]["updates_acked"], sheets
    assert sheets["stranded"] == sheets["applied_unacked"] == sheets["unapplied_unacked"] == 0, sheets


def test_bench_plays_a_tiny_game_against_gamehub_and_the_relay(tmp_path):
    """Two members of each of the two groups type at once (sometimes in the same answer)."""
    out = tmp_path / "bench.json"
    done = subprocess.run(
        [sys.executable, "-m", "bench", "--phones", "8", "--sessions", "1", "--duration", "3", "--typing", "4",
         "--timeout", "50", "--json", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=58)
    assert done.returncode == 0, done.stdout + done.stderr
    doc = json.loads(out.read_text())
    assert set(doc["results"]) == {"gamehub", "relay"}
    for name, result in doc["results"].items():
        assert_typed(name, result, typing=4)
    assert_nothing_lost(doc["results"]["gamehub"])
    for ratio in ("keystroke_to_groupmates_p99", "keystroke_to_groupmates_p50", "cpu_per_update", "peak_rss"):
        assert isinstance(doc["ratios"][ratio], numbers.Real), ratio
    assert doc["targets"]["nothing_lost"] is True
    assert "gamehub" in done.stdout and "relay" in done.stdout and "keystroke" in done.stdout  # the table


def test_bench_plays_a_tiny_game_on_sqlite_then_two_processes_behind_nginx(tmp_path):
    """`--processes sqlite,2`: gamehub alone on SQLite, then two gamehub processes on a fresh
    PostgreSQL schema and our own Redis, behind our own nginx, then the relay, in one command.
    Everything it started is gone afterwards."""
    import psutil

    from bench import cluster

    # scripts/test.sh installs them; a missing one is a broken machine, not a reason to skip.
    for tool in (cluster.NGINX, cluster.REDIS_SERVER):
        assert tool.exists(), f"{tool} is missing: scripts/test.sh installs Debian's nginx and redis-server"
    out = tmp_path / "bench.json"
    done = subprocess.run(
        [sys.executable, "-m", "bench", "--phones", "8", "--sessions", "2", "--processes", "sqlite,2", "--duration",
         "3", "--typing", "2", "--typists-per-group", "1", "--timeout", "150", "--json", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stdout + done.stderr
    doc = json.loads(out.read_text())
    assert list(doc["results"]) == ["gamehub-sqlite", "gamehub-2p", "relay"]  # in the order they ran
    for name, result in doc["results"].items():
        assert_typed(name, result, typing=2)
    gamehub = doc["results"]["gamehub-2p"]
    assert gamehub["processes"] == 2 and gamehub["groups"] == 2
    assert_nothing_lost(gamehub)
    assert gamehub["cluster"]["resumed"] == [2]  # the second process serves both stored sessions
    assert len(gamehub["server"]["per_process_cpu_planning"]) == 2
    for part in ("nginx", "redis", "postgres"):
        assert isinstance(gamehub[part]["mean_cpu_planning"], numbers.Real), part
    alone = doc["results"]["gamehub-sqlite"]
    assert alone["processes"] is None and "cluster" not in alone  # one process, its own SQLite file
    assert_nothing_lost(alone)
    for name in ("gamehub-sqlite", "gamehub-2p"):
        assert isinstance(doc["comparisons"][name]["ratios"]["keystroke_to_groupmates_p99"], numbers.Real), name
    against = doc["against_sqlite"]["gamehub-2p / gamehub-sqlite"]
    for ratio in ("updates_acked_per_s", "keystroke_to_groupmates_p99", "cpu_per_update"):
        assert isinstance(against[ratio], numbers.Real), ratio
    # The table: one column each, side by side.
    header = next(line for line in done.stdout.splitlines() if "2 processes" in line)
    assert "SQLite, 1 process" in header and "relay" in header, done.stdout
    # Cleaned up: the schema is dropped, every process it started is gone.
    assert not cluster.schema_exists(gamehub["cluster"]["schema"])
    pids = gamehub["cluster"]["pids"]
    for pid in [*pids["gamehub"], *pids["nginx"], *pids["redis"]]:
        assert not psutil.pid_exists(pid), pid


def test_bench_reactions_counts_a_tiny_room_applauding_and_the_projector_shows_every_accepted_tap(tmp_path):
    """`python -m bench.reactions` at 6 phones: 10 taps each within a second is over the
    per-phone budget, so some are refused `rate_limited`; the projector's and facilitator's
    counts equal the accepted taps, carried by fewer messages than taps."""
    out = tmp_path / "reactions.json"
    done = subprocess.run(
        [sys.executable, "-m", "bench.reactions", "--phones", "6", "--taps", "10", "--over", "1", "--timeout", "100",
         "--json", str(out)], cwd=ROOT, capture_output=True, text=True, timeout=110)
    assert done.returncode == 0, done.stdout + done.stderr
    result = json.loads(out.read_text())["result"]
    assert result["completed"] and result["errors"] == 0, result
    assert result["joined"] == result["following"] == 6
    assert result["taps_sent"] == 60 and 0 < result["accepted"] < 60, result
    assert set(result["refused"]) == {"rate_limited"}, result
    for role in ("projector", "facilitator"):
        seen = result[role]
        assert seen["totals_match"] and seen["shown"] == result["accepted"], (role, seen)
        assert 0 < seen["messages"] < result["accepted"], (role, seen)
    assert result["baseline"]["acks"] == {"unknown_event": 60}, result["baseline"]  # the bare path, same schedule
    for ratio in ("ack_p50", "ack_p99", "server_cpu"):
        assert ratio in result["ratios"], ratio
    assert isinstance(result["reactions"]["ack_ms"]["p99"], numbers.Real)
    assert "taps a message" in done.stdout
