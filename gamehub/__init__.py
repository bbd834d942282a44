"""gamehub: a self-hosted, real-time room game for the "Unconventional sci-comm" workshop."""

__version__ = "0.1.0"
