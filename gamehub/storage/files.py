"""The data directory and its SQLite database, readable by this user only.

The database holds every session's projector key and what participants wrote, so a folder
another local user can list, or a database file they can read, gives a session away. A data
directory made by someone else (`mkdir`, an install script, an older gamehub) keeps the mode it
was made with, so `make_private` fixes the folder and every database file at each start.

SQLite makes a database's `-wal` and `-shm` files later, whenever it needs them, with the
database file's own permission bits (its unix VFS copies them), so a database file kept at 0600
gives 0600 companions too; no process-wide umask is changed, which other threads would feel.
"""

from __future__ import annotations

import os
from pathlib import Path

DATABASE = "gamehub.sqlite3"
COMPANIONS = ("-wal", "-shm", "-journal")  # what SQLite writes beside a database
FOLDERS = ("facilitator-links",)  # folders of this data directory that hold keys


def make_private(directory: str | os.PathLike) -> list[str]:
    """Create `directory` (0700) if needed, then set it and its keys' folders to 0700 and the
    database and its companions to 0600; returns what was changed, as "name 0755 -> 0700"."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    if os.name != "posix":  # Windows: the user's profile folder is private already
        return []
    changed = [_chmod(directory, 0o700, str(directory))]
    changed += [_chmod(directory / name, 0o700, name) for name in FOLDERS]
    changed += [_chmod(directory / (DATABASE + end), 0o600, DATABASE + end) for end in ("", *COMPANIONS)]
    return [line for line in changed if line]


def create_database(path: str | os.PathLike) -> None:
    """Make an empty database file mode 0600 unless there is one, before SQLite makes it 0644."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        pass


def _chmod(path: Path, mode: int, name: str) -> str | None:
    try:
        now = path.lstat().st_mode
    except FileNotFoundError:
        return None
    if (now & 0o777) & ~mode == 0 or not (path.is_dir() or path.is_file()) or path.is_symlink():
        return None  # no looser than wanted (a tighter mode is the user's choice); or not ours
    os.chmod(path, mode)
    return f"{name} {now & 0o777:04o} -> {mode:04o}"
