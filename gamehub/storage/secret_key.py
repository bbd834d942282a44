"""The server's secret key, kept in the data directory: made once, readable by this user only.

Nothing signs cookies today, but Flask expects a key, and a key written in the code would be
everyone's. So `gamehub serve` loads it from here, or makes one on first start.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

FILENAME = "secret_key"
KEY_BYTES = 32


class SecretKeyError(RuntimeError):
    """The key file exists but cannot be used."""


def load_or_create(directory: str | os.PathLike) -> bytes:
    """The key in `directory`, made (mode 0600) if there is none yet."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = directory / FILENAME
    try:
        # O_EXCL: two servers starting at once cannot both write a key; the loser reads it.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        key = path.read_bytes()
        if len(key) < KEY_BYTES:
            raise SecretKeyError(f"{path} holds {len(key)} bytes, not {KEY_BYTES}: delete it and "
                                 "gamehub makes a new one") from None
        if os.name == "posix" and path.stat().st_mode & 0o077:
            os.chmod(path, 0o600)  # someone loosened it; a key others can read is no secret
        return key
    key = secrets.token_bytes(KEY_BYTES)
    with os.fdopen(fd, "wb") as out:
        out.write(key)
    return key
