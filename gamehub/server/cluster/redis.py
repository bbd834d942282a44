"""The one place that opens connections to the cluster's Redis (the message queue's), with one
set of timeouts for every use: ownership and forwarding, shared presence, the queue watch and
the shared rate limits and failure budgets.

A Redis that does not answer must cost each caller little and then count as an outage, which
every user of these clients survives (each falls back to what one process knows). Socket.IO's
own message-queue client is made by python-socketio from the same URL.
"""

from __future__ import annotations

# Seconds to connect, and to wait for any one answer. Every call here is small (a publish, a
# Lua script, a pipeline of set writes); none legitimately takes long.
CONNECT_SECONDS = 2
ANSWER_SECONDS = 2

TIMEOUTS = {"socket_timeout": ANSWER_SECONDS, "socket_connect_timeout": CONNECT_SECONDS}


def client(url: str, pool_size: int | None = None):
    """A client on `url` answering str. `pool_size`: at most that many connections, and callers
    past it wait (for a burst of writers, such as a whole room reconnecting at once) instead of
    being refused, as redis-py's default pool does."""
    import redis  # only with --message-queue (the `scale` extra)

    if pool_size is None:
        return redis.Redis.from_url(url, decode_responses=True, **TIMEOUTS)
    pool = redis.BlockingConnectionPool.from_url(url, max_connections=pool_size, timeout=ANSWER_SECONDS,
                                                 decode_responses=True, **TIMEOUTS)
    return redis.Redis(connection_pool=pool)


def errors() -> tuple[type[BaseException], ...]:
    """What a call on these clients raises when Redis cannot be reached."""
    import redis

    return redis.RedisError, OSError


def limits_storage(url: str, key_prefix: str):
    """A storage for the `limits` library's moving windows, in the same Redis, same timeouts."""
    from limits.storage import RedisStorage

    return RedisStorage(url, key_prefix=key_prefix, wrap_exceptions=True, **TIMEOUTS)
