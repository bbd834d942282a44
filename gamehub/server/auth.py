"""Who a new Socket.IO connection is, from its `auth` payload (see docs/protocol.md)."""

from __future__ import annotations

from .. import organiser_key
from ..engine import Role
from ..store import SessionStore
from .presence import Connection
from .tokens import normalise_code, same_secret, token_hash

_ROLES = {"phone": Role.GUEST, "projector": Role.PROJECTOR, "facilitator": Role.FACILITATOR}


class Refused(Exception):
    """A connection is refused; `code` is documented in docs/protocol.md."""

    def __init__(self, code: str, message: str, ended: bool = False):
        super().__init__(message)
        self.code, self.message, self.ended = code, message, ended


def authenticate(auth: object, store: SessionStore) -> Connection:
    """The connection's identity, or Refused."""
    if not isinstance(auth, dict) or not isinstance(auth.get("session"), str) or auth.get("role") not in _ROLES:
        raise Refused("bad_auth", "Connect with auth {session, role, token}")
    token = auth.get("token")
    if token is not None and not isinstance(token, str):
        raise Refused("bad_auth", "The token must be a string")
    record = store.get(normalise_code(auth["session"]))
    if record is None:
        raise Refused("unknown_session", "This session does not exist (any more)")
    state, role = record.state, _ROLES[auth["role"]]

    if role is Role.GUEST:
        if not token:
            return Connection(state.id, Role.GUEST)
        hashed = token_hash(token)
        person = state.participant_by_token(hashed)
        if person is not None:
            return Connection(state.id, Role.PARTICIPANT, person.id)
        if hashed in state.removed_tokens:
            # After the end the phone may thank them honestly, without a card (engine/ending.py).
            raise Refused("removed", "The facilitator removed you from this session", ended=state.ended_at is not None)
        raise Refused("unknown_participant", "This session does not know this phone: join again")

    if role is Role.PROJECTOR:
        if token and same_secret(token, record.projector_key):
            return Connection(state.id, Role.PROJECTOR)
    elif token:
        # Read past the cache: a key replaced by `gamehub sessions key` stops working at once.
        current = store.facilitator_hash(state.id)
        if current is not None and same_secret(token_hash(token), current):
            return Connection(state.id, Role.FACILITATOR, key_hash=current)
        # The organiser key opens every session's control screen (docs/organiser.md); the
        # connection remembers which hash it proved, so rotating either key closes it.
        organiser = organiser_key.current_hash(store)
        if current is not None and organiser is not None and same_secret(token_hash(token), organiser):
            return Connection(state.id, Role.FACILITATOR, key_hash=organiser)
    raise Refused("bad_key", "This link's key is not right for this session")
