"""Sessions made durable: the store interface, SQLite and PostgreSQL, the log, replay, the data dir."""
