"""Optional dependencies: imported only where they are used, and named with their extra when missing.

`pip install .` brings what one process on SQLite needs; PostgreSQL and several processes
come with the `postgres` and `scale` extras (pyproject.toml). A module that needs one of them
asks for it here, at the moment it is needed, so the default path never imports it.
"""

from __future__ import annotations

import importlib
from types import ModuleType

# The top-level module of each optional dependency, and the extra that installs it.
EXTRA_OF = {"psycopg": "postgres", "redis": "scale"}


class MissingExtra(RuntimeError):
    """An optional dependency is not installed; the message says, in one line, what to install."""


def import_extra(module: str, purpose: str) -> ModuleType:
    """`module`, imported; or MissingExtra naming the extra to install for `purpose`."""
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as error:
        top = module.partition(".")[0]
        if error.name != top:
            raise  # the package is there but something it needs is not: not ours to rename
        raise MissingExtra(f"{purpose} needs {top}, which is not installed: "
                           f"pip install 'gamehub[{EXTRA_OF[top]}]'") from None
