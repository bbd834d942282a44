"""scripts/load_figure.py (the loading figure of a big session) builds what it says and loads it
back whole; run small here, with no timing asserted (the script prints the seconds)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

from gamehub.engine import new_session
from gamehub.engine.sheet import COMPACT_AFTER
from gamehub.storage.sql import SNAPSHOT_EVERY

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "load_figure.py"
spec = importlib.util.spec_from_file_location("load_figure", SCRIPT)
load_figure = sys.modules[spec.name] = importlib.util.module_from_spec(spec)
spec.loader.exec_module(load_figure)


def test_a_session_typed_into_through_the_store_loads_back_with_the_same_texts(tmp_path):
    built = load_figure.build(tmp_path / "small.sqlite3", people=24, updates=900, seed=3)
    state = built.state
    assert len(state.participants) == 24 and len(state.groups) == 6 and built.updates == 900
    assert state.version == 24 + 3 + 900 and state.version % SNAPSHOT_EVERY  # a tail to replay after the snapshot
    # About 150 updates a group: every sheet was compacted at least once.
    assert all(g.sheet.base and len(g.sheet.tail) < COMPACT_AFTER for g in state.groups)
    assert sum(len(t) for g in state.groups for t in g.texts) > 900  # every update typed something
    loaded, _, _ = load_figure.load(built.url, built.code)
    assert loaded == state and load_figure.same_texts(loaded, state)
    start = new_session(loaded.id, seed=loaded.seed, deck=loaded.deck, settings=loaded.settings,
                        now=loaded.created_at)
    replayed, _ = load_figure.replay_all(built.url, built.code, start)
    assert replayed == state and load_figure.same_texts(replayed, state)


def test_the_script_reports_identical_texts(tmp_path, capsys):
    assert load_figure.main(["--people", "8", "--updates", "150", "--keep", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "8 people, 2 groups, 150 sheet updates" in out and out.count("texts identical: True") == 2
    assert (tmp_path / "load.sqlite3").exists()
