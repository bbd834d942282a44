"""The one error a command can end in: rejected, with a stable code and a human message."""

from __future__ import annotations


class Rejected(Exception):
    """A command was refused; the session is unchanged.

    `code` is stable and documented in docs/protocol.md; `message` is for people;
    `details` carries data the client needs to recover (e.g. the current text of a field).
    """

    def __init__(self, code: str, message: str, details: dict | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details or {}

    def to_dict(self) -> dict:
        error = {"code": self.code, "message": self.message}
        if self.details:
            error["details"] = self.details
        return error
