"""The bare baseline: Flask-SocketIO on eventlet with no game logic and no storage.

It carries the same traffic shape as gamehub so the benchmark can report ratios instead of
absolute times: phones join and are put in groups of four, the projector and facilitator
watch, and a sheet update from a phone (a Yjs update, base64) is passed on unchanged to the
other members of its group, as gamehub's `sheet_update` event, without being read, merged or
stored. Whatever gamehub costs beyond this (rules, the CRDT, views, the store, rate limits) is
its own overhead.

    python -m bench.relay --port 5001

It prints "Listening on HOST:PORT" when it accepts connections, as `gamehub serve` does.
"""

from __future__ import annotations

import argparse
import sys


def create():
    """The app and its Socket.IO server (eventlet must already be monkey-patched)."""
    from flask import Flask, request
    from flask_socketio import SocketIO, emit, join_room

    app = Flask(__name__)
    # The same engine settings as gamehub's create_app, so transport costs are equal.
    socketio = SocketIO(app, async_mode="eventlet", max_http_buffer_size=64 * 1024,
                        ping_interval=10, ping_timeout=10)
    sessions: dict[str, str] = {}  # sid -> session code
    groups: dict[str, int] = {}  # sid -> group number, once joined
    names: dict[str, str] = {}  # sid -> the name it joined with
    joined: dict[str, int] = {}  # session code -> phones joined so far

    def watch_room(session: str) -> str:
        return f"{session}:watch"

    def group_room(session: str, number: int) -> str:
        return f"{session}:group-{number}"

    @socketio.on("connect")
    def connect(auth=None):
        if not isinstance(auth, dict) or not isinstance(auth.get("session"), str):
            return False
        sessions[request.sid] = auth["session"]
        if auth.get("role") in ("projector", "facilitator"):
            # One room for every watcher of a session, so one emit reaches them all, as
            # gamehub's per-role rooms do.
            join_room(watch_room(auth["session"]))

    @socketio.on("disconnect")
    def disconnect(reason=None):
        sessions.pop(request.sid, None)
        groups.pop(request.sid, None)
        names.pop(request.sid, None)

    @socketio.on("join")
    def join(data):
        session = sessions[request.sid]
        count = joined.get(session, 0)
        joined[session] = count + 1
        number = count // 4 + 1  # the first four joins are group 1, the next four group 2, ...
        groups[request.sid] = number
        names[request.sid] = str(data.get("name"))
        join_room(group_room(session, number))
        # The bare version of "the projector shows the new name".
        emit("joined", {"name": data.get("name"), "count": count + 1}, to=watch_room(session))
        return {"ok": True, "group": number}

    @socketio.on("sheet_update")
    def sheet_update(data):
        session, number = sessions[request.sid], groups.get(request.sid)
        if number is None:
            return {"ok": False, "error": {"code": "not_joined"}}
        # The message gamehub sends, to the same screens: the sender's groupmates, not the
        # sender. Nothing is decoded or kept; `fields` would need the update read, so it is empty.
        message = {"session": session, "sheet": data.get("sheet"), "update": data.get("update"),
                   "by": {"id": request.sid, "name": names.get(request.sid)}, "fields": []}
        emit("sheet_update", message, to=group_room(session, number), include_self=False)
        return {"ok": True}

    return app, socketio


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.relay", description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5001)
    parser.add_argument("--nodelay", action="store_true",
                        help="set TCP_NODELAY on accepted sockets (eventlet does not by default)")
    args = parser.parse_args(argv)

    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # eventlet's deprecation notice, as in gamehub's cli
        import eventlet
    eventlet.monkey_patch()
    if args.nodelay:
        _no_nagle()
    app, socketio = create()
    print(f"Listening on {args.host}:{args.port}. Stop with Ctrl+C.", flush=True)
    # socketio.run with its defaults but for eventlet's connection cap (1,024 by default,
    # which 20 sessions of 50 phones and their screens exceed); gamehub raises it the same way.
    socketio.run(app, host=args.host, port=args.port, log_output=False, max_size=10_000)
    return 0


def _no_nagle() -> None:
    """Without TCP_NODELAY, a small reply written while an earlier one is unacknowledged waits
    for the peer's delayed ACK (about 40 ms on Linux); after every Engine.IO ping round that
    adds ~40 ms to replies for about a second. The stack's default is to leave Nagle on, so
    this is opt-in: use it when the server under test sets TCP_NODELAY itself."""
    import socket

    from eventlet import greenio

    accept = greenio.GreenSocket.accept

    def accept_without_nagle(self):
        connection, address = accept(self)
        connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return connection, address

    greenio.GreenSocket.accept = accept_without_nagle


if __name__ == "__main__":
    sys.exit(main())
