"""Socket.IO handlers, kept thin: authenticate, decode, hand the command to the hub, ack.

Every event is documented in docs/protocol.md. The engine decides who may send what, so one
handler serves every command; `join` does a little more (the phone's identity token), and
`delete_session` is not a game command but the end of a session's data.
"""

from __future__ import annotations

import dataclasses
import logging

from flask import request
from flask_socketio import ConnectionRefusedError, SocketIO, join_room, leave_room

from ..engine import COMMANDS, Command, Join, Outcome, Rejected, Role
from .auth import Refused, authenticate
from .hub import Hub
from .presence import Connection
from .tokens import new_token, token_hash, valid_client_token

log = logging.getLogger(__name__)

MAX_CID = 64


def ack(outcome: Outcome) -> dict:
    if not outcome.ok:
        return {"ok": False, "error": outcome.error.to_dict()}
    return {"ok": True, "version": outcome.state.version, **outcome.result}


def rejected(code: str, message: str) -> dict:
    return {"ok": False, "error": Rejected(code, message).to_dict()}


def take_cid(payload: object) -> tuple[object, str | None]:
    """Split the optional client command id off a payload."""
    if not isinstance(payload, dict) or "cid" not in payload:
        return payload, None
    cid = payload["cid"]
    if not isinstance(cid, str) or not 0 < len(cid) <= MAX_CID:
        raise Rejected("bad_payload", f"'cid' must be a string of 1 to {MAX_CID} characters")
    return {k: v for k, v in payload.items() if k != "cid"}, cid


def register(socketio: SocketIO, hub: Hub) -> None:
    """Attach every handler to `socketio`."""

    def attach(connection: Connection) -> None:
        hub.presence.add(request.sid, connection)
        join_room(connection.room)
        hub.send_view(request.sid, connection)

    def connection_or_reject() -> Connection:
        connection = hub.presence.get(request.sid)
        if connection is None:
            raise Rejected("bad_auth", "Not connected to a session")
        return connection

    def command_handler(command_class: type[Command]):
        def handle(payload=None):
            try:
                connection = connection_or_reject()
                if connection.role is Role.GUEST and Role.PARTICIPANT in command_class.roles:
                    raise Rejected("not_joined", "Join the session first")
                payload, cid = take_cid(payload)
                command = command_class.from_payload(payload)
                return ack(hub.execute(connection.session_id, command, connection, cid))
            except Rejected as error:
                return {"ok": False, "error": error.to_dict()}
        handle.__name__ = f"on_{command_class.event}"
        handle.__doc__ = command_class.__doc__
        return handle

    @socketio.on("connect")
    def connect(auth=None):
        """Any screen connects with {session, role, token}; it gets its view straight away."""
        try:
            connection = authenticate(auth, hub.store)
        except Refused as refusal:
            raise ConnectionRefusedError(refusal.code, {"message": refusal.message}) from None
        attach(connection)
        if connection.participant_id:
            hub.refresh_facilitators(connection.session_id)

    @socketio.on("disconnect")
    def disconnect(reason=None):
        """A screen went away; the facilitator sees the phone as offline."""
        connection = hub.presence.remove(request.sid)
        if connection and connection.participant_id:
            hub.refresh_facilitators(connection.session_id)

    @socketio.on("join")
    def join(payload=None):
        """A guest phone joins with the identity token it made and keeps; joining twice with
        the same token (a resend after a lost ack) is the same participant, not a new one."""
        try:
            connection = connection_or_reject()
            if connection.role is not Role.GUEST:
                raise Rejected("already_joined", "This connection has already joined")
            payload, _ = take_cid(payload)  # the token makes a join idempotent on its own
            token = payload.pop("token", None) if isinstance(payload, dict) else None
            if token is None:
                token = new_token()
            elif not valid_client_token(token):
                raise Rejected("bad_payload", "'token' must be 22 to 128 URL-safe characters")
            command = dataclasses.replace(Join.from_payload(payload), token_hash=token_hash(token))
            outcome = hub.execute(connection.session_id, command, connection)
        except Rejected as error:
            return {"ok": False, "error": error.to_dict()}
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

    @socketio.on("delete_session")
    def delete_session(payload=None):
        """The facilitator deletes the session and all its data; every screen is told and dropped."""
        try:
            connection = connection_or_reject()
            if connection.role is not Role.FACILITATOR:
                raise Rejected("forbidden", "Only the facilitator can delete the session")
            if payload != {"confirm": connection.session_id}:
                raise Rejected("bad_payload", "Send {confirm: <room code>} to delete the session")
        except Rejected as error:
            return {"ok": False, "error": error.to_dict()}
        hub.delete_session(connection.session_id, requester=request.sid)
        return {"ok": True}

    for event, command_class in COMMANDS.items():
        if command_class is not Join:
            socketio.on_event(event, command_handler(command_class))

    @socketio.on("*")
    def unknown_event(event, payload=None):
        """Any event with no handler."""
        return rejected("unknown_event", f"There is no event '{event}'")

    @socketio.on_error_default
    def internal_error(error):
        # A bug must not kill the connection or pass silently; the state is unchanged
        # because the engine never mutates and the store is written only on success.
        log.exception("handler failed: %s", error)
        return rejected("internal", "Something went wrong on the server; nothing was changed")
