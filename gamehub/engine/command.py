"""What every command shares: who may send it, in which phases, and its payload schema."""

from __future__ import annotations

import dataclasses
import functools
import typing
from dataclasses import dataclass, field
from typing import ClassVar

from .errors import Rejected
from .state import Actor, Group, Phase, Role, Session

ALL_PHASES = frozenset(Phase)
STAFF = frozenset({Role.FACILITATOR})
MEMBERS = frozenset({Role.PARTICIPANT})


@dataclass(frozen=True)
class SheetEcho:
    """A merged sheet update, for the server to pass on to the group's other screens."""

    group: int
    sheet: str
    update: str  # base64, as it came
    by: str  # participant id
    fields: tuple[int, ...]  # the questions whose text it changed


@dataclass(frozen=True)
class Change:
    """A command's result: the new state, and which phones must hear of it.

    `phones` is None when every phone's view may have changed; otherwise the ids of the
    participants whose view changed. `groups` is None when anything the projector and the
    facilitator see may have changed; otherwise the numbers of the only groups that changed,
    so the server can send them those groups alone (the cost of an edit must not grow with
    the room). `result` goes back to the sender only, in the ack (e.g. an edit's new rev).
    """

    state: Session
    phones: frozenset[str] | None = None
    groups: frozenset[int] | None = None
    result: dict = field(default_factory=dict)  # extra fields for the sender's ack
    echo: SheetEcho | None = None  # a sheet update to pass on to the groupmates


@functools.cache
def _field_names(cls: type) -> tuple[str, ...]:
    return tuple(f.name for f in dataclasses.fields(cls))


@functools.cache
def _schema_of(cls: type) -> tuple[tuple[str, type], ...]:
    # Resolving type hints is slow, and every event of every phone needs the schema.
    hints = typing.get_type_hints(cls)
    return tuple((f.name, _required_type(hints[f.name])) for f in dataclasses.fields(cls)
                 if f.name not in cls.server_fields)


def _required_type(hint) -> type:
    """`str | None` is a `str` in a payload: None only stands for "not given" in the engine."""
    options = [t for t in typing.get_args(hint) if t is not type(None)]
    return options[0] if len(options) == 1 else hint


class Command:
    """Base of all commands. Subclasses are frozen dataclasses whose fields are the payload.

    `event` is the Socket.IO event name; `roles` may send it; `phases` is where it is allowed.
    Fields listed in `server_fields` are set by the server, never read from a payload.
    """

    event: ClassVar[str]
    roles: ClassVar[frozenset[Role]]
    phases: ClassVar[frozenset[Phase]] = ALL_PHASES
    server_fields: ClassVar[tuple[str, ...]] = ()
    # Fields a payload must carry although the engine has a default for them (tests and the
    # log may leave them out; a client may not).
    required: ClassVar[tuple[str, ...]] = ()

    def run(self, state: Session, actor: Actor, now: float) -> Change:  # pragma: no cover
        raise NotImplementedError

    def check_intent(self, state: Session) -> None:
        """Refuse a command the sender made for a state that is already gone (see PhaseStep)."""

    def as_record(self) -> dict:
        """Every field, server-set ones included: what the log keeps to apply it again."""
        return {name: getattr(self, name) for name in _field_names(type(self))}

    @classmethod
    def payload_schema(cls) -> dict[str, type]:
        """Field name -> expected JSON type (str, int, bool), for parsing and the docs."""
        return dict(_schema_of(cls))

    @classmethod
    def from_payload(cls, payload: object) -> Command:
        """Build the command from an event payload, or reject it as malformed."""
        if payload is None:
            payload = {}
        if not isinstance(payload, dict):
            raise Rejected("bad_payload", f"{cls.event}: the payload must be an object")
        schema = cls.payload_schema()
        unknown = sorted(set(payload) - set(schema) - {"cid"})
        if unknown:
            raise Rejected("bad_payload", f"{cls.event}: unknown field(s) {', '.join(map(str, unknown))}")
        values = {}
        for f in dataclasses.fields(cls):
            if f.name not in schema:
                continue
            if f.name not in payload:
                if f.default is dataclasses.MISSING or f.name in cls.required:
                    raise Rejected("bad_payload", f"{cls.event}: '{f.name}' is required")
                continue
            values[f.name] = _check_type(cls.event, f.name, payload[f.name], schema[f.name])
        return cls(**values)


def _check_type(command: str, field: str, value: object, expected: type) -> object:
    # bool is an int in Python; a JSON true must not pass as a group number, nor 1 as a flag.
    ok = isinstance(value, expected) and (expected is bool or not isinstance(value, bool))
    if not ok:
        raise Rejected("bad_payload", f"{command}: '{field}' must be {_TYPE_NAMES[expected]}")
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:  # lone surrogates from a hand-made JSON payload
            raise Rejected("bad_payload", f"{command}: '{field}' is not valid Unicode") from None
    return value


_TYPE_NAMES = {str: "a string", int: "an integer", bool: "true or false"}


@dataclass(frozen=True)
class PhaseStep(Command):
    """A command that moves the game from one phase to another. The client names the phase it
    saw when the button was pressed (`from_phase`): if the session is already elsewhere, the
    command is refused as `already_moved`, so a double click, a second tab or a resend can
    never move the game on twice. Engine callers (tests, old logs) may leave it out."""

    from_phase: str | None = field(default=None, kw_only=True)
    required: ClassVar[tuple[str, ...]] = ("from_phase",)

    def check_intent(self, state: Session) -> None:
        if self.from_phase is None:
            return
        require(self.from_phase in _PHASE_NAMES, "bad_payload",
                f"{self.event}: 'from_phase' must be one of {', '.join(_PHASE_NAMES)}")
        require(self.from_phase == state.phase.value, "already_moved",
                f"Already done: the session is in {state.phase.value} now", {"phase": state.phase.value})


_PHASE_NAMES = tuple(p.value for p in Phase)


def require(condition: bool, code: str, message: str, details: dict | None = None) -> None:
    """Reject the command unless `condition` holds."""
    if not condition:
        raise Rejected(code, message, details)


def existing_group(state: Session, number: int) -> Group:
    """Group `number` of the session; `unknown_group` if there is none."""
    group = state.group(number)
    require(group is not None, "unknown_group", f"There is no group {number}")
    return group
