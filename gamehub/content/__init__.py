"""Decks: formats, questions and texts, read from YAML and validated, and the files gamehub ships."""
