"""The "Unconventional sci-comm" game: its phases after the lobby, each a module of commands."""
