"""A real `gamehub serve` on a data directory holding sessions it cannot open names each in one
line and resumes the others (tests/storage/test_unsupported_sessions.py has the rest)."""

from __future__ import annotations

import time

from old_sessions import GOOD, one_line_each, stored
from server_process import ServerProcess


def test_serve_names_each_in_one_line_and_resumes_the_others(tmp_path):
    stored(tmp_path, time.time()).close()
    with ServerProcess(data_dir=tmp_path) as server:
        output = server.output
    one_line_each([line.removeprefix("gamehub: ") for line in output.splitlines() if "cannot be opened" in line])
    assert server.resumed == [GOOD] and server.sessions == []  # the good one is resumed, none opened
