"""Socket.IO handlers, kept thin: throttle, authenticate, decode, hand the command to the hub, ack.

Every event is documented in docs/protocol.md. The engine decides who may send what, so one
handler serves every command; `join` does a little more (the phone's identity token), and
`delete_session` is not a game command but the end of a session's data. Every event handler,
the unknown-event one included, is wrapped by `guarded`: the rate limit is checked there
before any other work, and a malformed call gets an error ack instead of an exception.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import time

from flask import request
from flask_socketio import ConnectionRefusedError, SocketIO, join_room, leave_room

from ..engine import COMMANDS, Command, Join, Outcome, Rejected, Role
from ..i18n import SOURCE, gettext
from ..i18n.web import language_of_connection, translate_reply
from ..storage.tokens import new_token, token_hash, valid_client_token
from .auth import Refused, authenticate, target_of
from .hub import Hub
from .keywatch import KeyWatch
from .onscreen import phones_room
from .presence import Connection
from .ratelimit import RateLimiter, Verdict
from .reactions import Reactions

log = logging.getLogger(__name__)

MAX_CID = 64


def ack(outcome: Outcome) -> dict:
    if not outcome.ok:
        return {"ok": False, "error": outcome.error.to_dict()}
    return {"ok": True, "version": outcome.state.version, **outcome.result}


def rejected(code: str, message: str, details: dict | None = None) -> dict:
    return {"ok": False, "error": Rejected(code, message, details).to_dict()}


def take_cid(payload: object) -> tuple[object, str | None]:
    """Split the optional client command id off a payload."""
    if not isinstance(payload, dict) or "cid" not in payload:
        return payload, None
    cid = payload["cid"]
    if not isinstance(cid, str) or not 0 < len(cid) <= MAX_CID or not _encodable(cid):
        raise Rejected("bad_payload", f"'cid' must be a string of 1 to {MAX_CID} characters")
    return {k: v for k, v in payload.items() if k != "cid"}, cid


def _encodable(text: str) -> bool:
    """No lone surrogates: the cid is stored, and a database will not take them."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def one_payload(args: tuple) -> object:
    """The single payload an event carries (or None); more arguments are a client bug."""
    if len(args) > 1:
        raise Rejected("bad_payload", "Send one payload object per event")
    return args[0] if args else None


def register(socketio: SocketIO, hub: Hub, limiter: RateLimiter, keys: KeyWatch, reactions: Reactions) -> None:
    """Attach every handler to `socketio`."""
    languages: dict[str, str] = {}  # sid -> the language its acks are worded in (auth's `language`)

    def guarded(handler):
        """The rate limit, then the handler; its `Rejected` becomes an error ack."""
        @functools.wraps(handler)
        def wrapper(*args):
            sid = request.sid
            verdict = limiter.event(sid, limiter.address(request.environ))
            if verdict is not Verdict.OK:
                if verdict is Verdict.DROP:
                    log.warning("closing connection %s from %s: it kept sending over its rate limit",
                                sid, limiter.address(request.environ))
                    hub.drop(sid)
                return translate_reply(rejected("rate_limited", "Too many messages: wait a moment, then send again",
                                                {"retry_after": limiter.retry_after(sid)}), languages.get(sid, SOURCE))
            try:
                reply = handler(*args)
            except Rejected as error:
                reply = {"ok": False, "error": error.to_dict()}
            return translate_reply(reply, languages.get(sid, SOURCE))
        return wrapper

    @guarded
    def reserved(*args):
        return rejected("unknown_event", "'connect' and 'disconnect' are not events a client sends")

    def sent_by_client() -> bool:
        """Whether this `connect` or `disconnect` is an event the client sent under that name
        (python-socketio routes those to the same handlers). During the real ones the socket is
        still connecting or already disconnecting, so it does not count as connected."""
        return socketio.server.manager.is_connected(request.sid, "/")

    def attach(connection: Connection) -> None:
        hub.presence.add(request.sid, connection)
        join_room(connection.room)
        if connection.role is Role.PARTICIPANT:
            join_room(phones_room(connection.session_id))  # what the projector shows: onscreen.py
        hub.send_view(request.sid, connection)

    def connection_or_reject() -> Connection:
        connection = hub.presence.get(request.sid)
        if connection is None and hub.presence.deleted(request.sid):
            # The facilitator that deleted it keeps its socket for the ack (docs/protocol.md:
            # one code for every command on a deleted session, whichever screen sends it).
            raise Rejected("unknown_session", "This session no longer exists")
        if connection is None:
            raise Rejected("bad_auth", "Not connected to a session")
        if connection.role is Role.FACILITATOR and not hub.key_is_current(connection):
            # Checked on every control event, not only by the background watch, so an old
            # key cannot squeeze in one more command after `gamehub sessions key`.
            hub.revoke_stale_keys()
            raise Rejected("bad_key", "This facilitator link was replaced: use the new one")
        return connection

    def command_handler(command_class: type[Command]):
        def handle(*args):
            connection = connection_or_reject()
            if connection.role is Role.GUEST and Role.PARTICIPANT in command_class.roles:
                raise Rejected("not_joined", "Join the session first")
            payload, cid = take_cid(one_payload(args))
            command = command_class.from_payload(payload)
            return ack(hub.execute(connection.session_id, command, connection, cid, origin=request.sid))
        handle.__name__ = f"on_{command_class.event}"
        handle.__doc__ = command_class.__doc__
        return guarded(handle)

    def refuse_guess(language: str = SOURCE):
        # The same answer whatever was sent, a right code, key or token included.
        raise ConnectionRefusedError("rate_limited", {
            "message": gettext(language, "Too many wrong room codes or keys from your network: wait a minute")})

    @socketio.on("connect")
    def connect(auth=None):
        """Any screen connects with {session, role, token}; it gets its view straight away.
        Failures are budgeted per address and per room code and kind of key; past either budget
        an attempt is refused before any lookup, the same way whatever it sent (docs/security.md)."""
        if sent_by_client():
            return reserved()
        address = limiter.address(request.environ)
        language = language_of_connection(auth)
        if not limiter.connect(address):
            raise ConnectionRefusedError("rate_limited", {"message": gettext(
                language, "Too many connections from your network: wait a moment and try again")})
        # The attempt is charged before the lookup and given back if it succeeds, so parallel
        # guesses cannot all pass the check before any is charged.
        with limiter.attempt(address, target_of(auth)) as attempt:
            if attempt.spent:
                refuse_guess(language)  # before any lookup: neither the answer nor its time tells anything
            try:
                connection = authenticate(auth, hub.store)
            except Refused as refusal:
                attempt.failed()
                data = {"message": gettext(language, refusal.message), **({"ended": True} if refusal.ended else {})}
                raise ConnectionRefusedError(refusal.code, data) from None
        languages[request.sid] = language
        # nginx routes by the session in the URL (docs/deployment.md): this process should own
        # it; if another does, that owner hears of this screen before it joins its rooms.
        hub.cluster.arrived(connection.session_id, routed=request.args.get("session") == connection.session_id)
        attach(connection)
        if connection.participant_id:
            hub.refresh_facilitators(connection.session_id)
        if connection.role is Role.FACILITATOR:
            keys.ensure_running()

    @socketio.on("disconnect")
    def disconnect(*reason):  # a client may send an event named so with any arguments
        """A screen went away; the facilitator sees the phone as offline."""
        if sent_by_client():
            return reserved()
        limiter.forget(request.sid)
        languages.pop(request.sid, None)
        connection = hub.presence.remove(request.sid)
        if connection and connection.participant_id:
            hub.refresh_facilitators(connection.session_id)

    def charge_join(session_id: str, token_digest: str) -> str | None:
        """Charge a join that would add someone to its address's budget for the session (the
        address charged, to give the place back), or refuse it. The same phone joining again
        (a lost ack) is not a new person and is never charged (docs/security.md)."""
        record = hub.store.get(session_id)
        if record is not None and record.state.participant_by_token(token_digest) is not None:
            return None
        address = limiter.address(request.environ)
        now = time.monotonic()
        if not limiter.joins.take(session_id, address, now):
            raise Rejected("too_many_joins",
                           "Many people are joining from your network at once: your phone tries again in a moment",
                           {"retry_after": limiter.joins.wait(session_id, address)})
        return address

    @socketio.on("join")
    @guarded
    def join(*args):
        """A guest phone joins with the identity token it made and keeps; joining twice with
        the same token (a resend after a lost ack) is the same participant, not a new one."""
        connection = connection_or_reject()
        if connection.role is Role.PARTICIPANT:
            raise Rejected("already_joined", "This connection has already joined")
        if connection.role is not Role.GUEST:
            raise Rejected("forbidden", f"A {connection.role.value} screen cannot join as a participant")
        payload, _ = take_cid(one_payload(args))  # the token makes a join idempotent on its own
        token = payload.pop("token", None) if isinstance(payload, dict) else None
        if token is None:
            token = new_token()
        elif not valid_client_token(token):
            raise Rejected("bad_payload", "'token' must be 22 to 128 URL-safe characters")
        command = dataclasses.replace(Join.from_payload(payload), token_hash=token_hash(token))
        charged, added = charge_join(connection.session_id, command.token_hash), False
        try:
            outcome = hub.execute(connection.session_id, command, connection)
            added = outcome.ok
        finally:
            if charged and not added:  # nobody was added: the place goes back to the address
                limiter.joins.give_back(connection.session_id, charged)
        if outcome.ok:
            participant_id, reply = outcome.result["participant_id"], {**ack(outcome), "token": token}
        elif outcome.error.code == "already_joined":
            person = outcome.state.participant_by_token(command.token_hash)
            participant_id = person.id
            reply = {"ok": True, "version": outcome.state.version, "participant_id": person.id,
                     "token": token, "duplicate": True}
        else:
            return ack(outcome)
        leave_room(connection.room)
        attach(Connection(connection.session_id, Role.PARTICIPANT, participant_id))
        hub.refresh_facilitators(connection.session_id)
        return reply

    @socketio.on("sheet_sync")
    @guarded
    def sheet_sync(*args):
        """A phone sends its group sheet's state vector and gets what it lacks, plus the server's
        state vector, so it can send what the server lacks. Changes nothing; not stored."""
        connection = connection_or_reject()
        if connection.role is not Role.PARTICIPANT:
            raise Rejected("not_joined" if connection.role is Role.GUEST else "forbidden",
                           "Only a group member can read its sheet")
        payload = one_payload(args)
        sheet, vector = (payload.get("sheet"), payload.get("state_vector")) if isinstance(payload, dict) else (None, None)
        if not isinstance(sheet, str) or not isinstance(vector, str) or set(payload) - {"sheet", "state_vector", "cid"}:
            raise Rejected("bad_payload", "sheet_sync: send {sheet: str, state_vector: str}")
        return {"ok": True, **hub.sheet_sync(connection.session_id, connection, sheet, vector)}

    @socketio.on("react")
    @guarded
    def react(*args):
        """A phone reacts to the group on the projector: counted in memory, never stored; the
        counts reach the projector and the facilitator a few times a second (reactions.py)."""
        return reactions.react(connection_or_reject(), one_payload(args))

    @socketio.on("delete_session")
    @guarded
    def delete_session(*args):
        """The facilitator deletes the session and all its data; every screen is told and dropped."""
        connection = connection_or_reject()
        if connection.role is not Role.FACILITATOR:
            raise Rejected("forbidden", "Only the facilitator can delete the session")
        if one_payload(args) != {"confirm": connection.session_id}:
            raise Rejected("bad_payload", "Send {confirm: <room code>} to delete the session")
        hub.delete_session(connection.session_id, requester=request.sid)
        reactions.forget(connection.session_id)
        return {"ok": True}

    for event, command_class in COMMANDS.items():
        if command_class is not Join:
            socketio.on_event(event, command_handler(command_class))

    # python-socketio hands a client's event literally named "*" to the catch-all below as if
    # it were registered under that name, without the name: the arguments shift and the wrapper
    # fails or reads a payload as a socket id. Renamed before dispatch, it is one more unknown event.
    trigger = socketio.server._trigger_event

    def trigger_event(event, namespace, *args):
        return trigger("(*)" if event == "*" else event, namespace, *args)

    socketio.server._trigger_event = trigger_event

    @socketio.on("*")
    @guarded
    def unknown_event(event, *args):
        """Any event with no handler."""
        return rejected("unknown_event", f"There is no event '{str(event)[:64]}'")

    @socketio.on_error_default
    def internal_error(error):
        # A bug must not kill the connection or pass silently; the state is unchanged
        # because the engine never mutates and the store is written only on success.
        log.exception("handler failed: %s", error)
        return rejected("internal", "Something went wrong on the server; nothing was changed")
