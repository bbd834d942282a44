"""gamehub's tables, in SQLite or PostgreSQL alike (created on first start by the store)."""

from __future__ import annotations

from sqlalchemy import JSON, Column, Float, Index, Integer, MetaData, String, Table

metadata = MetaData()

sessions_table = Table(
    "gamehub_sessions", metadata,
    Column("id", String(32), primary_key=True),
    Column("created_at", Float, nullable=False),
    Column("facilitator_hash", String(128), nullable=False),
    Column("projector_key", String(128), nullable=False),
    Column("snapshot", JSON, nullable=False),
    Column("snapshot_version", Integer, nullable=False),
)

commands_table = Table(
    "gamehub_commands", metadata,
    Column("session_id", String(32), primary_key=True),
    # The primary key makes a second writer of the same version fail instead of forking history.
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("event", String(64), nullable=False),
    Column("payload", JSON, nullable=False),
    Column("actor", JSON, nullable=False),
    Column("at", Float, nullable=False),
    Column("cid", String(128), nullable=True),
    Column("result", JSON, nullable=False),
    Index("gamehub_commands_cid", "session_id", "cid", unique=True),
)


# Organiser decks (docs/organiser.md): validated before they are stored; a session keeps its
# own frozen copy, so nothing here changes a session once it is open.
decks_table = Table(
    "gamehub_decks", metadata,
    Column("id", String(32), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("data", JSON, nullable=False),
    Column("created", Float, nullable=False),
    Column("updated", Float, nullable=False),
)

# Server-wide values every process on the database shares (the organiser key's hash).
settings_table = Table(
    "gamehub_settings", metadata,
    Column("name", String(64), primary_key=True),
    Column("value", String(512), nullable=False),
)
