"""`gamehub serve` refuses a join budget it cannot read, before making anything."""

from __future__ import annotations

import subprocess
import sys


def test_gamehub_serve_refuses_a_join_budget_it_cannot_read_before_making_anything(tmp_path):
    data_dir = tmp_path / "data"
    done = subprocess.run([sys.executable, "-m", "gamehub", "serve", "--no-qr", "--data-dir", str(data_dir),
                           "--join-budget", "lots"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 2, done
    assert "--join-budget" in done.stderr and "BURST,PER_MINUTE" in done.stderr
    assert not data_dir.exists()
