"""Secrets: room codes, phone tokens, facilitator tokens, projector keys."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

# No 0/O, 1/I/L: a room code is read off a projector and typed on a phone.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 8  # 31^8 ≈ 8.5e11 codes


def new_room_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalise_code(code: str) -> str:
    return code.strip().upper().replace("-", "").replace(" ", "")


def new_token() -> str:
    """256 random bits, URL-safe."""
    return secrets.token_urlsafe(32)


_URL_SAFE = re.compile(r"[A-Za-z0-9_-]{22,128}")


def valid_client_token(token: object) -> bool:
    """A phone makes its own token (so a join resent after a lost ack is the same person):
    22+ URL-safe characters carry at least 128 random bits when made as the pages make them."""
    return isinstance(token, str) and _URL_SAFE.fullmatch(token) is not None


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def same_secret(given: str, expected: str) -> bool:
    """Constant-time comparison, so response timing does not leak a secret."""
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


def which_secret(given: str, candidates) -> object | None:
    """The value of the (secret, value) pair in `candidates` whose secret equals `given`, or
    None. Each is compared with `hmac.compare_digest` and none is skipped, so the time taken
    depends on how many there are, never on which one matched or how much of one did."""
    found = None
    given_bytes = given.encode("utf-8")
    for secret, value in candidates:
        # As bytes: compare_digest refuses non-ASCII str. A missing secret ("") never matches.
        if hmac.compare_digest(given_bytes, (secret or "").encode("utf-8")) and secret:
            found = value
    return found
