"""gevent, the maintained concurrency mode beside eventlet (`gamehub serve --async-mode gevent`).

eventlet stays the default, as the design asks, but it is in bug-fix-only maintenance and its
authors discourage new use; the Flask-SocketIO author recommends gevent. Websockets come from
simple-websocket (already a dependency of python-engineio's threading mode), which
python-engineio uses under gevent when gevent-websocket, unmaintained since 2017, is absent.

As with eventlet, the standard library is patched at the edge only, before the server's
modules load (their locks, sockets, and the Redis client of the message queue must be
cooperative); the engine and the handlers never import gevent.
"""

from __future__ import annotations

MAX_CONNECTIONS = 10_000  # as under eventlet: a lecture hall's sockets, and then some


def patch() -> None:
    """gevent's monkey patching, first of all (Flask-SocketIO's documentation: before any
    other import that may take a lock or a socket)."""
    from gevent import monkey

    monkey.patch_all()


def serve(app, listener) -> None:
    """gevent's WSGI server on the bound listener (what Flask-SocketIO's `run` does under
    gevent, without its access log), tuned like the eventlet server for a room of phones."""
    import resource
    import socket

    from gevent.pool import Pool
    from gevent.pywsgi import WSGIServer

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard if hard != resource.RLIM_INFINITY else 65536, hard))
    listener.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    listener.listen(1024)
    from .deadline import gevent_handler, peers_for

    WSGIServer(listener, app, log=None, error_log=None, spawn=Pool(MAX_CONNECTIONS),
               handler_class=gevent_handler(peers=peers_for(app.config))).serve_forever()


def runner():
    """Runs a blocking database call on gevent's pool of native threads (one thread, as under
    eventlet: the database layer's locks are patched, and one thread keeps them uncontended),
    so every other connection carries on while it waits."""
    import gevent
    from gevent.threadpool import ThreadPool

    pool = ThreadPool(1, hub=gevent.get_hub())
    return lambda fn, *args, **kwargs: pool.apply(fn, args, kwargs)
