"""Facilitator links kept in the data directory, so a restarted server can print them again.

The database keeps only a hash of a session's facilitator token. A facilitator who starts
`gamehub serve` again (after a dry run the evening before, or a laptop that slept) needs a
link that works, and making a new token would close a control screen already open. So the
token of every session that `gamehub serve` opens, or that `gamehub sessions key` replaces,
is also written here: one file per session, readable by this user only, like the secret key.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

FOLDER = "facilitator-links"
_CODE = re.compile(r"^[A-Z0-9]{1,32}$")  # a room code; nothing else becomes a file name


def _path(directory: str | os.PathLike, code: str) -> Path:
    if not _CODE.match(code):
        raise ValueError(f"not a room code: {code!r}")
    return Path(directory) / FOLDER / code


def remember(directory: str | os.PathLike, code: str, token: str) -> None:
    """Keep the facilitator token of session `code` (replacing any kept before)."""
    path = _path(directory, code)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    temporary = path.with_suffix(".new")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as out:
        out.write(token)
    os.replace(temporary, path)  # a reader never sees half a token


def recall(directory: str | os.PathLike, code: str) -> str | None:
    """The kept facilitator token of session `code`, or None."""
    try:
        return _path(directory, code).read_text(encoding="ascii").strip() or None
    except (OSError, ValueError, UnicodeDecodeError):
        return None


def forget(directory: str | os.PathLike, code: str) -> None:
    """Drop the kept token (the session was deleted)."""
    try:
        _path(directory, code).unlink()
    except (OSError, ValueError):
        pass
