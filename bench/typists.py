"""Typing on the shared group sheet, as the phones do (docs/protocol.md, "The group sheet").

Each group's answers are one Yjs document. A typing member's phone is a pycrdt peer: every
150 ms it appends a few characters to one answer and sends what it typed as one merged Yjs
update (`sheet_update {sheet, update, cid}`), with at most one update in flight, as
static/js/phone/sheet.js does: what is typed while one is unacknowledged goes out, merged, with the
next. Every phone applies the `sheet_update` events its groupmates' updates come back as, and
notes when each arrived; the update string itself (the server passes it on unchanged) says
which send it was.

Every update sent is recorded, acknowledged or not (an ack that came after ACK_TIMEOUT is
noted when it comes), so `bench.check` can tell a change that was applied but whose ack timed
out from one that is really lost.

This module has no socket code of its own: `bench.load` holds the connections.
"""

from __future__ import annotations

import asyncio
import base64
import random
import secrets
import time

import pycrdt

TICK = 0.150  # the page sends the changes of the last 150 ms while a member types
QUESTIONS = 4
FULL = 1_600  # an answer holds 2,000 characters (the default limit); a typist moves on before that
EMPTY_STATE_VECTOR = "AA=="
MAX_RESENDS = 10  # rate_limited / busy: the page keeps the changes and sends them again later
ACK_TIMEOUT = 30.0  # an ack slower than this is an error, not a latency
PROSE = ("We retell the story as a two-minute street theatre piece: one narrator, three props, "
         "and the audience votes with coloured cards on how the experiment should end. ")


def text_name(question: int) -> str:
    """The root Y.Text of a question: `q0`..`q3` (docs/protocol.md)."""
    return f"q{question}"


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def read_state_vector(raw: bytes) -> dict[int, int]:
    """Yjs's v1 state vector: a count, then (client, clock) pairs, all unsigned varints."""
    values, shift, value = [], 0, 0
    for byte in raw:
        value |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            values.append(value)
            shift = value = 0
    count = values[0] if values else 0
    return {values[1 + 2 * i]: values[2 + 2 * i] for i in range(count)}


def client_id(index: int) -> int:
    """A Yjs client id per simulated phone: the same in every run, unique in the room."""
    return 100_000 + index


class Typist:
    """One phone's copy of its group's sheet: it types, keeps what it has not sent yet, and
    applies its groupmates' updates."""

    def __init__(self, index: int):
        self.client = client_id(index)
        self.doc = pycrdt.Doc(client_id=self.client)
        self.texts = [self.doc.get(text_name(q), type=pycrdt.Text) for q in range(QUESTIONS)]
        self.pending: list[bytes] = []  # typed, not sent yet (or sent and refused for a while)
        self.pending_since: float | None = None  # when the oldest of them was typed
        self.pending_from = 0  # this peer's clock before the oldest of them
        self.pending_ticks = 0

    def type(self, question: int, chars: str, now: float) -> None:
        before = self.doc.get_state()
        text = self.texts[question]
        text.insert(len(text), chars)
        self.pending.append(self.doc.get_update(before))
        if self.pending_since is None:
            self.pending_since = now
            self.pending_from = read_state_vector(before).get(self.client, 0)
        self.pending_ticks += 1

    def take(self) -> tuple[str, float, int, int, int]:
        """What to send now: the pending changes as one update, when the first was typed, how
        many ticks it holds, and this peer's clock before and after it (its items are
        `[from, to)` of this client's clock)."""
        raw = self.pending[0] if len(self.pending) == 1 else pycrdt.merge_updates(*self.pending)
        taken = (b64(raw), self.pending_since, self.pending_ticks, self.pending_from, self.clock())
        self.pending, self.pending_since, self.pending_ticks = [], None, 0
        return taken

    def clock(self) -> int:
        return read_state_vector(self.doc.get_state()).get(self.client, 0)

    def length(self, question: int) -> int:
        return len(self.texts[question])

    def apply(self, update: str) -> None:
        self.doc.apply_update(base64.b64decode(update))


class Stroke:
    """Which answer a typist types in and what it types next: it starts in answer `first`,
    moves to another answer drawn at random every 3 to 9 s (so two members sometimes share an
    answer), and away from one that is nearly full."""

    def __init__(self, name: str, first: int):
        self.draw = random.Random(f"type:{name}")
        self.question = first % QUESTIONS
        self.until_move = self.draw.randint(20, 60)
        self.position = self.draw.randrange(len(PROSE))

    def next(self, typist: Typist) -> tuple[int, str] | None:
        self.until_move -= 1
        if self.until_move <= 0:
            self.question, self.until_move = self.draw.randrange(QUESTIONS), self.draw.randint(20, 60)
        if typist.length(self.question) >= FULL:
            room = [q for q in range(QUESTIONS) if typist.length(q) < FULL]
            if not room:
                return None  # the whole sheet is full (only in very long runs)
            self.question = min(room, key=typist.length)
        n = self.draw.randint(1, 4)  # a few characters per 150 ms, like a person typing
        chars = (PROSE * 2)[self.position:self.position + n]
        self.position = (self.position + n) % len(PROSE)
        return self.question, chars


async def send(phone, stats) -> None:
    """Send what the phone's typist has pending, as one `sheet_update`, and wait for its ack.
    The caller has set `phone.in_flight` (at once, so that no second send starts meanwhile).

    Unlike the page, which resynchronises after an ack that never came (`sheet_sync`), the
    bench drops an update whose ack timed out: its next update carries only what was typed
    since, so if the server never applied the dropped one, the later ones wait behind it in
    the server's document (Yjs keeps them pending). `bench.check` counts those apart."""
    typist = phone.typist
    if not typist.pending:
        phone.in_flight = False
        return
    update, typed, ticks, clock_from, clock = typist.take()
    cid, resends = secrets.token_hex(8), 0
    sent = {"key": update, "sender": phone.spec["name"], "session": phone.spec["session"], "group": phone.group,
            "client": typist.client, "clock_from": clock_from, "clock": clock, "t_send": None, "outcome": None,
            "late": None}
    stats.sent.append(sent)
    phone.in_flight = True
    try:
        while True:
            t_send = sent["t_send"] = time.time()
            ack = await _call(phone, {"sheet": phone.sheet, "update": update, "cid": cid}, sent)
            t_ack = time.time()
            if ack.get("ok"):
                sent["outcome"] = "acked"
                stats.updates.append({
                    "key": update, "sender": phone.spec["name"], "session": phone.spec["session"],
                    "group": phone.group, "client": typist.client, "clock": clock, "t_typed": typed,
                    "t_send": t_send, "t_ack": t_ack, "ticks": ticks, "version": ack.get("version"),
                    "resends": resends})
                return
            error = ack.get("error") or {}
            code = error.get("code")
            sent["outcome"] = f"refused:{code}"
            stats.error(f"sheet_update:{code}", f"{phone.label}: {error}")
            if code in ("rate_limited", "busy") and resends < MAX_RESENDS:
                resends += 1  # an error all the same, but sent again as the page does
                await asyncio.sleep(float((error.get("details") or {}).get("retry_after") or 1))
                continue
            return
    except Exception as error:  # noqa: BLE001 -- a timeout or a dropped connection is a result
        kind = "ack_timeout" if isinstance(error, asyncio.TimeoutError) else "exception"
        sent["outcome"] = "timeout" if kind == "ack_timeout" else "error"
        stats.error(kind, f"{phone.label}: sheet_update {error!r}")
    finally:
        phone.in_flight = False


async def _call(phone, payload: dict, sent: dict) -> dict:
    """`sheet_update` with its ack awaited for at most ACK_TIMEOUT; an ack that comes later is
    still written into `sent["late"]` (when, and what it said)."""
    reply = asyncio.get_running_loop().create_future()

    def on_ack(data=None, *_rest) -> None:
        if reply.done():
            sent["late"] = {"t": time.time(), "ok": bool((data or {}).get("ok")),
                            "code": ((data or {}).get("error") or {}).get("code")}
        else:
            reply.set_result(data or {})
    await phone.sio.emit("sheet_update", payload, callback=on_ack)
    try:
        return await asyncio.wait_for(asyncio.shield(reply), ACK_TIMEOUT)
    except asyncio.TimeoutError:
        reply.cancel()  # so a late ack lands in `sent["late"]`
        raise


async def type_along(phone, first: int, start_at: float, duration: float, stats) -> None:
    """One typing member: a few characters every 150 ms for `duration` seconds, each tick's
    changes sent at once unless an update is still in flight (then merged into the next)."""
    stroke = Stroke(phone.spec["name"], first)
    offset = random.Random(f"offset:{phone.spec['name']}").random() * TICK  # typists do not type in step
    sends: list[asyncio.Task] = []
    tick = 0
    while True:
        at = start_at + offset + tick * TICK
        if at >= start_at + duration or not phone.sio.connected:
            break
        delay = at - time.time()
        if delay > 0:
            await asyncio.sleep(delay)
        stats.lags.append(max(0.0, -delay))  # how late the generator types against its schedule
        tick += 1
        step = stroke.next(phone.typist)
        if step is None:
            stats.sheet_full += 1
            continue
        phone.typist.type(*step, time.time())
        if phone.in_flight:
            stats.merged += 1  # goes out with the next update
        else:
            phone.in_flight = True
            sends.append(asyncio.create_task(send(phone, stats)))
    # The last changes: after the update in flight, whatever is still pending.
    await asyncio.gather(*sends)
    if phone.typist.pending and phone.sio.connected:
        phone.in_flight = True
        await send(phone, stats)


def typists_of(membership: dict, typing: int, per_group: int) -> dict[str, int]:
    """Who types: `typing` members in all, `per_group` in each group that types (its first
    members by name), in groups spread evenly over the sessions and the room; with the answer
    each starts in (a group's first typist answer 1, its second answer 2, ...)."""
    keys = sorted(membership, key=lambda key: (key[1], key[0]))  # group 1 of every session, then 2, ...
    wanted = -(-typing // per_group)
    chosen: dict[str, int] = {}
    for i in range(min(wanted, len(keys))):
        key = keys[i * len(keys) // wanted] if wanted <= len(keys) else keys[i]
        for k, name in enumerate(sorted(membership[key])[:per_group]):
            if len(chosen) < typing:
                chosen[name] = k
    return chosen
