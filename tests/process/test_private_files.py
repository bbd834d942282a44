"""What another local user could read: the data directory and its database are private to the
server's user whatever mode they were made with, and a `gamehub serve` writing to a log (a pipe
here, the journal under systemd) leaves every key out of it (docs/security.md, Files and logs)."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys

from gamehub.storage import links as facilitator_links, organiser_key
from gamehub.storage.sql import open_store
from server_process import ServerProcess


def mode(path) -> int:
    return os.stat(path).st_mode & 0o777


def made_by_hand(data_dir) -> None:
    """A data directory as `mkdir` and an older gamehub left it: 0755, database 0644."""
    data_dir.mkdir(mode=0o755)
    os.chmod(data_dir, 0o755)
    old = os.umask(0o022)
    try:
        sqlite3.connect(data_dir / "gamehub.sqlite3").close()
    finally:
        os.umask(old)
    assert mode(data_dir) == 0o755 and mode(data_dir / "gamehub.sqlite3") == 0o644


def test_the_store_makes_the_directory_and_every_database_file_private_also_the_ones_sqlite_makes_later(tmp_path):
    data = tmp_path / "data"
    made_by_hand(data)
    old = os.umask(0o022)  # what a login shell has: files others can read unless asked otherwise
    try:
        store = open_store(None, data)
        store.put_setting("written", "so SQLite makes its -wal and -shm files")
        assert (data / "gamehub.sqlite3-wal").exists() and (data / "gamehub.sqlite3-shm").exists()
        modes = {name: mode(data / name) for name in os.listdir(data)}
        store.close()
        fresh = open_store(None, tmp_path / "new")  # made by gamehub itself
        fresh.put_setting("written", "yes")
        assert {mode(tmp_path / "new")} | {mode(p) for p in (tmp_path / "new").iterdir()} == {0o700, 0o600}
        fresh.close()
    finally:
        os.umask(old)
    assert mode(data) == 0o700
    assert modes == {"gamehub.sqlite3": 0o600, "gamehub.sqlite3-wal": 0o600, "gamehub.sqlite3-shm": 0o600}


def test_serve_to_a_pipe_fixes_the_modes_saying_so_prints_no_key_and_says_how_to_get_the_links(tmp_path):
    data = tmp_path / "data"
    made_by_hand(data)
    with ServerProcess(data_dir=data, print_keys=False) as server:
        assert f"Made the data directory {data} private to you: {data} 0755 -> 0700, gamehub.sqlite3 0644 -> 0600" \
            in server.output
        assert mode(data) == 0o700
        assert {name: mode(data / name) for name in os.listdir(data) if name.startswith("gamehub.sqlite3")} == {
            "gamehub.sqlite3": 0o600, "gamehub.sqlite3-wal": 0o600, "gamehub.sqlite3-shm": 0o600}
        code = server.sessions[0].code
        store = open_store(None, data)
        keys = {"projector": store.get(code).projector_key, "facilitator": facilitator_links.recall(data, code),
                "organiser": organiser_key.recall(data)}
        store.close()
        assert all(keys.values())
        assert not [role for role, key in keys.items() if key in server.output], server.output
        assert f"/s/{code}/facilitator#key=...\n" in server.output and "/organiser#key=...\n" in server.output
        command = f"gamehub links --data-dir {data} --public-url {server.url}"
        assert command in server.output

        links = subprocess.run([sys.executable, "-m", "gamehub", *command.split()[1:]], capture_output=True,
                               text=True, timeout=60)
        assert links.returncode == 0, links.stderr
        assert f"{server.url}/s/{code}/projector#key={keys['projector']}\n" in links.stdout
        assert f"{server.url}/s/{code}/facilitator#key={keys['facilitator']}\n" in links.stdout
        assert f"{server.url}/organiser#key={keys['organiser']}\n" in links.stdout
