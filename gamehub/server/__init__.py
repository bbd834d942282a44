"""The Flask app factory: pages over HTTP, the game over Socket.IO."""

from __future__ import annotations

import secrets

from flask import Flask
from flask.sessions import SessionInterface
from flask_socketio import SocketIO

from ..content.formats import load_deck
from ..content.resources import resource
from ..engine import Settings
from ..i18n import web as i18n_web
from ..storage.offloaded import OffloadedStore, runner_for
from ..storage.store import MemoryStore
from . import socket_events
from .cluster_api import ALONE, Cluster
from .gate import CONFIG_DEFAULTS as GATE_DEFAULTS
from .gate import Gate
from .hub import Hub
from .keywatch import KeyWatch
from .onscreen import OnScreen
from .organiser import MAX_BODY as ORGANISER_MAX_BODY
from .organiser import organiser
from .packets import StrictPacket
from .packets import guard as guard_packets
from .pages import pages
from .ratelimit import CONFIG_DEFAULTS as RATE_LIMIT_DEFAULTS
from .ratelimit import RateLimiter
from .reactions import CONFIG_DEFAULTS as REACTION_DEFAULTS
from .reactions import Reactions
from .security import add_security_headers, allowed_origins, without_tracebacks

GREEN_MODES = ("eventlet", "gevent")  # modes whose loop a waiting database call would stall

DEFAULTS = {
    "PUBLIC_URL": "http://127.0.0.1:5000",  # where phones reach this server; `gamehub serve` sets it
    "ASYNC_MODE": "eventlet",  # or "gevent" (gamehub/runtime/green.py), or "threading"
    "STORE": None,  # a gamehub.storage.store.SessionStore; in memory by default
    "DECK": None,  # a gamehub.engine.Deck; the packaged formats.yaml by default
    "SETTINGS": None,  # a gamehub.engine.Settings; defaults by default
    # No legitimate message comes near this: the largest is a sheet update, at most 64 KiB of
    # base64 (gamehub/engine/sheet.py), which is refused with an error ack, not a closed socket.
    "MAX_MESSAGE_BYTES": 96 * 1024,
    # Seconds between checks for facilitator keys replaced by `gamehub sessions key` (0: only
    # on each facilitator event and connection).
    "KEY_CHECK_SECONDS": 2.0,
    # At most one whole projector/facilitator view per session this often (0: every change at
    # once). Changes to single groups go out at once anyway, as patches.
    "STAFF_VIEW_SECONDS": 0.25,
    # redis://... : several server processes share sessions (their STORE must be one shared
    # database, gamehub/storage/shared.py) and Socket.IO's message queue. docs/deployment.md.
    "MESSAGE_QUEUE": None,
    # None: a random key for this process. `gamehub serve` passes the one kept in the data dir.
    "SECRET_KEY": None,
    # The organiser's home (docs/organiser.md): the most stored sessions it may open (None: no
    # limit), and the data directory where new sessions' facilitator links are kept (None: not kept).
    "MAX_SESSIONS": None,
    "DATA_DIR": None,
    **RATE_LIMIT_DEFAULTS,  # see gamehub/server/ratelimit.py and docs/security.md
    **REACTION_DEFAULTS,  # see gamehub/server/reactions.py
    **GATE_DEFAULTS,  # see gamehub/server/gate.py and docs/security.md
}


class _NoCookieSession(SessionInterface):
    """Nothing is kept in Flask's cookie session, by a page or an event. Flask opens it on every
    request context, and Flask-SocketIO pushes one per event: parsing the cookies and building a
    signer each time was a measurable share of an event's cost. `flask.session` is Flask's null
    session here, which refuses to be written."""

    def open_session(self, app, request):
        return self.make_null_session(app)

    def save_session(self, app, session, response) -> None:
        pass


class _App(Flask):
    """Flask, minus URL matching for Socket.IO events: Flask-SocketIO opens a request context
    from the connection's handshake for every event, and matching that URL again each time
    (a NotFound built and dropped, by some clients' paths) was a measurable share of an event's
    cost. Events route nothing; pages still match as usual."""

    session_interface = _NoCookieSession()

    def create_url_adapter(self, request):
        if request is not None and request.environ.get("PATH_INFO", "").startswith("/socket.io"):
            return None
        return super().create_url_adapter(request)


def create_app(config: dict | None = None) -> Flask:
    """Build the app. `socketio_of(app)` gives its Socket.IO server, for `run` and test clients."""
    app = _App(__name__, static_folder=str(resource("static")), template_folder=str(resource("templates")))
    i18n_web.install(app)  # templates' _() and ngettext(), from the catalogs (docs/translating.md)
    app.config.update(DEFAULTS)
    app.config.update(config or {})
    app.config["STORE"] = app.config["STORE"] or MemoryStore()
    if app.config["ASYNC_MODE"] in GREEN_MODES and not isinstance(app.config["STORE"], (MemoryStore, OffloadedStore)):
        # A database call must not stop every other connection while it waits.
        app.config["STORE"] = OffloadedStore(app.config["STORE"], runner_for(app.config["STORE"], app.config["ASYNC_MODE"]))
    app.config["DECK"] = app.config["DECK"] or load_deck()
    app.config["SETTINGS"] = app.config["SETTINGS"] or Settings()
    # No cookie is signed today; if one ever is, the key is never a constant in the code.
    app.config["SECRET_KEY"] = app.config["SECRET_KEY"] or secrets.token_bytes(32)

    socketio = SocketIO(
        app,
        async_mode=app.config["ASYNC_MODE"],
        max_http_buffer_size=app.config["MAX_MESSAGE_BYTES"],
        serializer=StrictPacket,  # malformed packets fail in decoding, caught by guard_packets
        cors_allowed_origins=allowed_origins(app.config["PUBLIC_URL"]),
        message_queue=app.config["MESSAGE_QUEUE"],
        # No handler uses Flask's cookie session; copying it around every event costs time.
        manage_session=False,
        # Phones on venue wifi: notice a dead link within ~20 s, and let clients reconnect.
        ping_interval=10,
        ping_timeout=10,
    )
    cluster = _cluster(app, socketio)
    emitter = cluster.emitter(socketio)
    screens = OnScreen(app.config["STORE"], emitter.emit, ttl=1.0 if cluster.several else None,
                       shared=cluster.several)
    hub = Hub(app.config["STORE"], emitter, app.config["PUBLIC_URL"],
              disconnect=lambda sid: socketio.server.disconnect(sid, namespace="/"),
              staff_interval=app.config["STAFF_VIEW_SECONDS"],
              spawn=socketio.start_background_task, sleep=socketio.sleep,
              cluster=cluster, published=screens.published)
    app.extensions["gamehub"] = hub
    limiter = RateLimiter(app.config, sleep=socketio.sleep, shared=cluster.shared_limits())
    app.extensions["gamehub.ratelimit"] = limiter
    keys = KeyWatch(hub, socketio.start_background_task, socketio.sleep, app.config["KEY_CHECK_SECONDS"])
    app.extensions["gamehub.keywatch"] = keys
    reactions = _reactions(app, screens, socketio, emitter)
    socket_events.register(socketio, hub, limiter, keys, reactions)
    guard_packets(socketio.server, limiter, hub.drop)
    cluster.start(hub)
    app.register_blueprint(pages)
    app.register_blueprint(organiser)
    app.after_request(add_security_headers)
    app.wsgi_app = without_tracebacks(app.wsgi_app)  # outside the Socket.IO middleware too
    # Outermost: a request is counted, capped and fully received before anything else runs.
    app.wsgi_app = Gate(app.wsgi_app, limiter.address, int(app.config["CONNECTIONS_PER_ADDRESS"]),
                        app.config["MAX_MESSAGE_BYTES"], ORGANISER_MAX_BODY)
    return app


def _cluster(app: Flask, socketio: SocketIO) -> Cluster:
    """The other server processes: with a message queue, the cluster package (imported only
    then, so a process alone never loads it); alone, nobody."""
    if not app.config["MESSAGE_QUEUE"]:
        return ALONE
    from . import cluster

    return cluster.build(app.config, app.config["STORE"], socketio)


def _reactions(app: Flask, screens: OnScreen, socketio: SocketIO, emitter) -> Reactions:
    """Phones follow the showcase card and react to it (onscreen.py, reactions.py); with several
    processes, another may change what is on screen, so `screens` reads it again after a while."""
    interval = app.config["REACTIONS_FLUSH_SECONDS"]
    # The sender starts with the first tap: most apps (and tests) never see one.
    start = (lambda: socketio.start_background_task(reactions.run, interval, socketio.sleep)) if interval else None
    reactions = Reactions(screens, emitter.emit, app.config["REACTIONS_PER_SECOND"], app.config["REACTIONS_BURST"],
                          start=start)
    app.extensions["gamehub.reactions"] = reactions
    return reactions


def socketio_of(app: Flask) -> SocketIO:
    return app.extensions["socketio"]


def hub_of(app: Flask) -> Hub:
    return app.extensions["gamehub"]
