"""The command line: `gamehub serve`, `gamehub export`, `gamehub sessions ...`, `gamehub organiser ...`."""

from .main import main

__all__ = ["main"]
