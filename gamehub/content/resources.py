"""Where static/, templates/ and formats.yaml are: in the wheel, or beside the package in a checkout."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent.parent  # gamehub/, this file being gamehub/content/resources.py


def resource(name: str) -> Path:
    """Path of a top-level resource; an installed wheel carries it inside the package."""
    inside = _PACKAGE / name
    return inside if inside.exists() else _PACKAGE.parent / name
