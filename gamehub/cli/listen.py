"""How `gamehub serve` listens and serves: the socket bound first, eventlet set up at the edge."""

from __future__ import annotations


def listen(host: str, port: int, green: bool):
    """The listening socket, bound now, so a busy port stops start-up before anything is made."""
    import socket

    family, *_, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    if green:
        import eventlet

        # Not SO_REUSEPORT (eventlet's default): a second server on the same port must fail, not
        # quietly share the phones with the first.
        return eventlet.listen(address, family, reuse_port=False)
    listener = socket.socket(family, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        listener.bind(address)
    except OSError:
        listener.close()
        raise
    return listener


def listen_failure(host: str, port: int, error: OSError) -> str:
    import errno

    if error.errno == errno.EADDRINUSE:
        return f"port {port} is in use (by another program, or another gamehub): try --port {port + 1 if port < 65535 else 8080}"
    if error.errno == errno.EACCES:
        return f"not allowed to listen on port {port} (ports below 1024 need administrator rights): try --port 5000"
    return f"cannot listen on {host}:{port}: {error.strerror or error}"


MAX_CONNECTIONS = 10_000  # eventlet's default of 1,024 silently stops accepting a lecture hall


def serve_eventlet(app, listener) -> None:
    """What Flask-SocketIO's `run` does under eventlet, tuned for a room of phones."""
    import resource
    import socket

    import eventlet.wsgi

    # A socket per phone: allow as many open files as the system lets this user have.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard if hard != resource.RLIM_INFINITY else 65536, hard))
    # Views and acks are small and wanted at once: no Nagle delay (accepted sockets inherit it).
    listener.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    from ..runtime.deadline import SOCKET_SECONDS, eventlet_protocol, peers_for

    # No traceback ever goes to a client (debug=False); requests and sockets have time limits.
    eventlet.wsgi.server(listener, app, log_output=False, max_size=MAX_CONNECTIONS, debug=False,
                         protocol=eventlet_protocol(peers=peers_for(app.config)), socket_timeout=SOCKET_SECONDS)


def green_everything() -> None:
    """Monkey-patch for eventlet, at the edge only and before the server's modules load, so
    their locks and sockets are green. The engine and handlers never import eventlet."""
    import warnings

    with warnings.catch_warnings():
        # eventlet warns that it is in maintenance mode; the design asks for it as the default
        # (threading is the other mode), and the warning means nothing to a facilitator.
        warnings.simplefilter("ignore")
        import eventlet
    eventlet.monkey_patch()
    from ..runtime.websocket_mask import install
    from ..storage.offloaded import green_psycopg

    green_psycopg()
    install()
