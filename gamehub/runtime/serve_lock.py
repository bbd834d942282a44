"""One `gamehub serve` per data directory: a second one would share the SQLite file and answer
on another port, and a facilitator would not know which of the two their phones reach."""

from __future__ import annotations

import os
from pathlib import Path

FILENAME = "serve.lock"


class AlreadyServing(RuntimeError):
    """Another process holds the lock; its message says which."""


def hold(directory: str | os.PathLike):
    """Take the data directory's lock for the life of this process; returns the open lock file
    (keep a reference). The operating system drops the lock when the process ends, however
    it ends, so a killed server never leaves a stale one."""
    path = Path(directory) / FILENAME
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    lock = open(path, "a+", encoding="ascii")  # noqa: SIM115 (held until the process exits)
    try:
        import fcntl
    except ImportError:  # Windows: no advisory locks here; one server at a time is then on trust
        return lock
    try:
        fcntl.flock(lock.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        lock.seek(0)
        holder = lock.read().strip() or "another process"
        lock.close()
        raise AlreadyServing(f"another gamehub serve ({holder}) is running on {directory}") from None
    lock.seek(0)
    lock.truncate()
    lock.write(f"pid {os.getpid()}")
    lock.flush()
    return lock
