"""Who a new Socket.IO connection is, from its `auth` payload (see docs/protocol.md)."""

from __future__ import annotations

import logging

from ..engine import Role
from ..engine.codec import UnsupportedSession
from ..storage import organiser_key
from ..storage.store import SessionStore
from ..storage.tokens import normalise_code, same_secret, token_hash, which_secret
from .failures import target
from .presence import Connection

MAX_TOKEN = 256  # phone tokens are at most 128 characters, keys 43: nothing longer is hashed
_ROLES = {"phone": Role.GUEST, "projector": Role.PROJECTOR, "facilitator": Role.FACILITATOR}
log = logging.getLogger(__name__)


class Refused(Exception):
    """A connection is refused; `code` is documented in docs/protocol.md."""

    def __init__(self, code: str, message: str, ended: bool = False):
        super().__init__(message)
        self.code, self.message, self.ended = code, message, ended


def target_of(auth: object) -> str:
    """The failure budget a connection's `auth` is counted under, read from its shape alone
    (before any lookup): its room code and the kind of key it tries. A phone without a token
    only tries the code, like the join page."""
    if not isinstance(auth, dict) or auth.get("role") not in _ROLES:
        return target(None, "auth")
    role = auth["role"]
    kind = "code" if role == "phone" and not auth.get("token") else role
    return target(auth.get("session"), kind)


def authenticate(auth: object, store: SessionStore) -> Connection:
    """The connection's identity, or Refused."""
    if not isinstance(auth, dict) or not isinstance(auth.get("session"), str) or auth.get("role") not in _ROLES:
        raise Refused("bad_auth", "Connect with auth {session, role, token}")
    token = auth.get("token")
    if token is not None and (not isinstance(token, str) or len(token) > MAX_TOKEN or not token.isascii()):
        raise Refused("bad_auth", "The token must be a string")
    try:
        record = store.get(normalise_code(auth["session"]))
    except UnsupportedSession as error:  # the server's log names it; the screen sees no such room
        log.warning("%s", error)
        record = None
    if record is None:
        raise Refused("unknown_session", "This session does not exist (any more)")
    state, role = record.state, _ROLES[auth["role"]]

    if role is Role.GUEST:
        if not token:
            return Connection(state.id, Role.GUEST)
        # Every stored hash is compared in constant time, all of them every time: a scan that
        # stops at the match, or a dict or set keyed by the hash, answers sooner or later
        # depending on the secret.
        hashed = token_hash(token)
        person = which_secret(hashed, ((p.token_hash, p) for p in state.participants.values()))
        if person is not None:
            return Connection(state.id, Role.PARTICIPANT, person.id)
        if which_secret(hashed, ((removed, True) for removed in state.removed_tokens)):
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
