"""The organiser key: one per server, opening the organiser's home (docs/organiser.md).

Random, 256 bits. The store keeps only its SHA-256 hash (a setting every process on the
database shares); the plain key is also kept in the data directory, mode 0600 in a 0700
folder like the facilitator links, so a restarted server prints a link that still works.
"""

from __future__ import annotations

import os
from pathlib import Path

from .store import SessionStore
from .tokens import new_token, same_secret, token_hash

SETTING = "organiser_key_hash"
FILENAME = "organiser-key"


def _write(directory: str | os.PathLike, key: str) -> None:
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    path, temporary = directory / FILENAME, directory / (FILENAME + ".new")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as out:
        out.write(key)
    os.replace(temporary, path)  # a reader never sees half a key


def recall(directory: str | os.PathLike) -> str | None:
    try:
        return (Path(directory) / FILENAME).read_text(encoding="ascii").strip() or None
    except (OSError, UnicodeDecodeError):
        return None


def is_key(store: SessionStore, key: object) -> bool:
    """Whether `key` is the organiser key now (read past any cache: a rotation stops it at once)."""
    if not isinstance(key, str) or not key:
        return False
    current = store.setting(SETTING)
    return current is not None and same_secret(token_hash(key), current)


def current_hash(store: SessionStore) -> str | None:
    return store.setting(SETTING)


def rotate(store: SessionStore, directory: str | os.PathLike) -> str:
    """A new key: stored hashed, kept in the data directory; the old one stops working now."""
    key = new_token()
    store.put_setting(SETTING, token_hash(key))
    _write(directory, key)
    return key


def ensure(store: SessionStore, directory: str | os.PathLike) -> str | None:
    """The key to print at start-up: the kept one if it is still the store's, a new one if the
    store has none. None when the store has a key this data directory does not hold (another
    machine of a cluster made it): rotating here would break the link everyone else has."""
    kept = recall(directory)
    if kept and is_key(store, kept):
        return kept
    if current_hash(store) is None:
        return rotate(store, directory)
    return None
