"""Several server processes on one PostgreSQL and one Redis: ownership, forwarding, shared presence."""
