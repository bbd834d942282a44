"""A command that reaches a process which does not own its session is applied by the owner.

The process holding the screen publishes the command on one Redis channel every process
listens to; the owner (the one holding the session's lease) applies it as if its own screen had
sent it (same sender, same client id, the views go out through the message queue as always) and
answers on the asker's reply channel. The asker acks its screen with that answer.

A request that reaches the processes while the session is changing hands (the old owner has
given the lease back, the new one has not taken it yet) finds no owner and goes unanswered; so
the asker sends it again, same id and client id, every RESEND_SECONDS until answered. The owner
applies a command once, whatever the copies (its client id: the second copy is answered as a
duplicate, with the first one's result).

When no answer can come (Redis down, no other process listening, the owner gone) `send`
returns None and the asker applies the command itself through the database, as every process
did before ownership: the log's keys make that safe (gamehub/server/cluster/lease.py). So that the owner and
the asker can never both apply it, a forwarded command always carries a client id.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from types import SimpleNamespace

from ...engine import COMMANDS, Command, Outcome, Rejected, Role
from ..presence import Connection

log = logging.getLogger(__name__)

REQUESTS = "gamehub:forward"
ANSWER_SECONDS = 3.0  # how long an asker waits for the owner before applying the command itself
POLL_SECONDS = 0.25  # how often, while waiting, it checks whether the owner is gone
RESEND_SECONDS = 0.5  # how long it waits for an answer before sending the request again


def reply_channel(process: str) -> str:
    return f"gamehub:forward:{process}"


def new_cid() -> str:
    """A client id for a forwarded command that came without one."""
    return f"fwd-{uuid.uuid4().hex}"


@dataclass(frozen=True)
class OwnerState:
    """The little of the owner's session an ack needs (its version; who a repeated join is)."""

    version: int
    participant: str | None = None

    def participant_by_token(self, token_hash: str):
        return SimpleNamespace(id=self.participant)


class Forwarder:
    """Forwarding over Redis for the process `me`. `owns(session_id)`: whether this process
    holds the lease; `execute_here(...)`: Hub.execute_here; `gone(session_id)`: try to take the
    lease (True means the owner is gone and this process owns the session now)."""

    def __init__(self, redis, me: str, owns: Callable[[str], bool], gone: Callable[[str], bool],
                 execute_here: Callable, start_task: Callable, sleep: Callable[[float], None]):
        self._redis = redis
        self._me = me
        self._owns = owns
        self._gone = gone
        self._execute_here = execute_here
        self._start_task = start_task
        self._sleep = sleep
        self._waiting: dict[str, tuple[threading.Event, list]] = {}
        self.closed = False

    def start(self) -> None:
        self._start_task(self._listen)

    # -- asking ------------------------------------------------------------------------------

    def send(self, session_id: str, command: Command, connection: Connection, cid: str,
             origin: str | None) -> Outcome | None:
        """The owner's outcome of the command, or None if no owner answered."""
        request_id = uuid.uuid4().hex
        done, box = threading.Event(), []
        self._waiting[request_id] = (done, box)
        message = {"id": request_id, "from": self._me, "session": session_id, "event": command.event,
                   "command": command.as_record(), "role": connection.role.value,
                   "participant": connection.participant_id, "cid": cid, "origin": origin}
        request = json.dumps(message)
        try:
            try:
                listeners = self._redis.publish(REQUESTS, request)
            except Exception:
                return None  # Redis is down: no owner can be asked
            if listeners <= 1:  # only this process listens: there is no owner to ask
                return None
            started = time.monotonic()
            resend_at = started + RESEND_SECONDS
            while not done.wait(POLL_SECONDS):
                now = time.monotonic()
                if self._gone(session_id) or now > started + ANSWER_SECONDS:
                    return None
                if now >= resend_at:  # unanswered: maybe sent while the session changed hands
                    resend_at = now + RESEND_SECONDS
                    try:
                        self._redis.publish(REQUESTS, request)
                    except Exception:
                        return None
            return _outcome(box[0])
        finally:
            self._waiting.pop(request_id, None)

    # -- answering ---------------------------------------------------------------------------

    def _listen(self) -> None:
        listen(self._redis, [REQUESTS, reply_channel(self._me)], self._received, lambda: self.closed, self._sleep)

    def _received(self, channel: str, data: dict) -> None:
        if channel == REQUESTS:
            if data.get("from") != self._me and self._owns(data.get("session")):
                self._start_task(self._answer, data)
        elif (waiting := self._waiting.get(data.get("id"))) is not None:
            waiting[1].append(data)
            waiting[0].set()

    def _answer(self, request: dict) -> None:
        try:
            command = COMMANDS[request["event"]](**request["command"])
            connection = Connection(request["session"], Role(request["role"]), request["participant"])
            outcome = self._execute_here(request["session"], command, connection, request["cid"], request["origin"])
            answer = {"ok": outcome.ok, "version": outcome.state.version, "result": outcome.result,
                      "error": outcome.error.to_dict() if outcome.error else None}
            if outcome.error is not None and outcome.error.code == "already_joined":
                answer["participant"] = outcome.state.participant_by_token(command.token_hash).id
        except Rejected as error:
            answer = {"raised": error.to_dict()}
        except Exception:
            log.exception("a forwarded command failed")
            answer = {"raised": Rejected("internal", "Something went wrong on the server; nothing was changed")
                      .to_dict()}
        try:
            self._redis.publish(reply_channel(request["from"]), json.dumps({"id": request["id"], **answer}))
        except Exception:
            log.warning("could not answer a forwarded command: the asker will apply it itself")


def listen(redis, channels: list[str], handle: Callable[[str, dict], None], closed: Callable[[], bool],
           sleep: Callable[[float], None]) -> None:
    """Call `handle(channel, message)` for each JSON message on `channels` until `closed()`,
    subscribing again whenever Redis went away."""
    while not closed():
        try:
            pubsub = redis.pubsub(ignore_subscribe_messages=True)
            pubsub.subscribe(*channels)
            while not closed():
                # A timeout, not a blocking read: a quiet channel is not an error to recover from.
                message = pubsub.get_message(timeout=1.0)
                if message is not None:
                    handle(message["channel"], json.loads(message["data"]))
            pubsub.close()
        except Exception:
            log.debug("listener on %s restarting", channels, exc_info=True)
            sleep(1.0)  # Redis restarting: subscribe again


def _rejected(error: dict) -> Rejected:
    return Rejected(error["code"], error["message"], error.get("details"))


def _outcome(answer: dict) -> Outcome:
    if answer.get("raised"):
        raise _rejected(answer["raised"])
    state = OwnerState(answer["version"], answer.get("participant"))
    error = _rejected(answer["error"]) if answer.get("error") else None
    return Outcome(state=state, result=answer.get("result") or {}, error=error)  # type: ignore[arg-type]
