"""The Flask app factory: pages over HTTP, the game over Socket.IO."""

from __future__ import annotations

from flask import Flask
from flask_socketio import SocketIO

from ..engine import Settings
from ..formats import load_deck
from ..resources import resource
from ..store import MemoryStore
from . import socket_events
from .hub import Hub
from .pages import pages
from .security import add_security_headers, allowed_origins

DEFAULTS = {
    "PUBLIC_URL": "http://127.0.0.1:5000",  # where phones reach this server; `gamehub serve` sets it
    "ASYNC_MODE": "eventlet",  # or "threading"
    "STORE": None,  # a gamehub.store.SessionStore; in memory by default
    "DECK": None,  # a gamehub.engine.Deck; the packaged formats.yaml by default
    "SETTINGS": None,  # a gamehub.engine.Settings; defaults by default
    "MAX_MESSAGE_BYTES": 64 * 1024,  # no legitimate message comes near this
}


def create_app(config: dict | None = None) -> Flask:
    """Build the app. `socketio_of(app)` gives its Socket.IO server, for `run` and test clients."""
    app = Flask(__name__, static_folder=str(resource("static")), template_folder=str(resource("templates")))
    app.config.update(DEFAULTS)
    app.config.update(config or {})
    app.config["STORE"] = app.config["STORE"] or MemoryStore()
    app.config["DECK"] = app.config["DECK"] or load_deck()
    app.config["SETTINGS"] = app.config["SETTINGS"] or Settings()

    socketio = SocketIO(
        app,
        async_mode=app.config["ASYNC_MODE"],
        max_http_buffer_size=app.config["MAX_MESSAGE_BYTES"],
        cors_allowed_origins=allowed_origins(app.config["PUBLIC_URL"]),
        # Phones on venue wifi: notice a dead link within ~20 s, and let clients reconnect.
        ping_interval=10,
        ping_timeout=10,
    )
    hub = Hub(app.config["STORE"], socketio, app.config["PUBLIC_URL"],
              disconnect=lambda sid: socketio.server.disconnect(sid, namespace="/"))
    app.extensions["gamehub"] = hub
    socket_events.register(socketio, hub)
    app.register_blueprint(pages)
    app.after_request(add_security_headers)
    return app


def socketio_of(app: Flask) -> SocketIO:
    return app.extensions["socketio"]


def hub_of(app: Flask) -> Hub:
    return app.extensions["gamehub"]
