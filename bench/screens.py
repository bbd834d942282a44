"""The simulated screens: phones (in worker processes, python-socketio AsyncClient on the
websocket transport) and the watchers (a projector and a facilitator per session, held by the
coordinator), with what each observes. A worker obeys the coordinator's commands over a pipe
(`worker_main`): join, report groups, type, read the sheets back, close.
"""

from __future__ import annotations

import asyncio
import secrets
import time
import traceback

import socketio

from . import typists

ACK_TIMEOUT = typists.ACK_TIMEOUT  # an ack slower than this is an error, not a latency
CONNECT_TIMEOUT = 30.0


# -- addresses -----------------------------------------------------------------------------

def fake_address(n: int) -> str:
    """A distinct client address per simulated screen, sent as X-Forwarded-For to a gamehub
    started with --trusted-proxies 1: gamehub limits connections (1,000 a minute) and events
    (300 a second) per address, and a thousand phones from 127.0.0.1 would be one address."""
    return f"10.{(n >> 16) & 255}.{(n >> 8) & 255}.{n & 255}"


# -- simulated screens ---------------------------------------------------------------------

class Stats:
    """What one process observed; shipped to the coordinator as plain data."""

    def __init__(self):
        self.errors: list[tuple[str, str]] = []
        self.events = 0
        self.window = (float("inf"), float("-inf"))  # the planning phase
        self.window_events = 0
        self.last_event = 0.0
        self.updates: list[dict] = []  # acked sheet updates (bench.typists.send)
        self.sent: list[dict] = []  # every sheet update sent, acked or not, with what became of it
        self.received: list[tuple[str, float, str]] = []  # (update, time, receiver) of each echo
        self.lags: list[float] = []  # how late each typing tick was against its schedule
        self.merged = 0  # ticks typed while an update was in flight: sent with the next one
        self.sheet_full = 0  # ticks not typed: every answer was nearly full

    def event(self) -> float:
        t = time.time()
        self.events += 1
        self.last_event = t
        if self.window[0] <= t <= self.window[1]:
            self.window_events += 1
        return t

    def error(self, kind: str, message: str) -> None:
        self.errors.append((kind, message[:2000]))

    async def quiet(self, seconds: float, limit: float) -> None:
        """Wait until nothing arrived for `seconds` (deliveries still in the pipes), at most `limit`."""
        end = time.time() + limit
        while time.time() < end and time.time() - self.last_event < seconds:
            await asyncio.sleep(0.1)


class Client:
    def __init__(self, url: str, auth: dict, address: str, label: str, stats: Stats):
        self.url, self.auth, self.address, self.label, self.stats = url, auth, address, label, stats
        # No automatic reconnection: a dropped connection must show up as an error.
        self.sio = socketio.AsyncClient(reconnection=False)
        self.sio.on("disconnect", self._disconnected)
        self.closing = False

    async def connect(self) -> None:
        # Bounded from outside too: a server that stopped accepting (eventlet's wsgi pool holds
        # 1,024 connections by default) leaves the TCP connect waiting with no timeout of its own.
        # The session in the URL too, as the page puts it: nginx routes by it.
        url = f"{self.url}?session={self.auth['session']}" if "session" in self.auth else self.url
        await asyncio.wait_for(self.sio.connect(
            url, auth=self.auth, transports=["websocket"], headers={"X-Forwarded-For": self.address},
            wait_timeout=CONNECT_TIMEOUT), CONNECT_TIMEOUT + 5)

    async def call(self, event: str, payload: dict) -> dict:
        return await self.sio.call(event, payload, timeout=ACK_TIMEOUT)

    def _disconnected(self, reason=None) -> None:
        if not self.closing:
            self.stats.error("disconnect", f"{self.label}: {reason}")

    async def close(self) -> None:
        self.closing = True
        try:
            await asyncio.wait_for(self.sio.disconnect(), 10)
        except Exception as error:  # noqa: BLE001 -- closing anyway; the server is stopped next
            self.stats.error("close", f"{self.label}: {error!r}")


class Phone(Client):
    def __init__(self, kind: str, url: str, spec: dict, stats: Stats):
        super().__init__(url, {"session": spec["code"], "role": "phone"}, fake_address(spec["index"] + 1),
                         spec["name"], stats)
        self.kind, self.spec = kind, spec
        self.version = -1
        self.group: int | None = None
        self.sheet: str | None = None  # the group sheet's id (the relay: any string)
        self.joined = False
        self.planning = asyncio.Event()  # gamehub: the view shows this phone's group's sheet
        self.typist = typists.Typist(spec["index"])  # every phone holds the sheet, typing or not
        self.in_flight = False  # one sheet_update at a time, as the page sends them
        self.sio.on("view", self._view)
        self.sio.on("view_patch", self._ignored)
        self.sio.on("sheet_update", self._sheet_update)

    def _ignored(self, data=None) -> None:
        self.stats.event()

    def _view(self, view: dict) -> None:
        self.stats.event()
        if view.get("version", 0) < self.version:
            return  # an older view than one already shown (the protocol's rule)
        self.version = view.get("version", 0)
        group = view.get("group")
        if not group:
            return
        self.group, self.sheet = group["number"], group.get("sheet")
        if group.get("answers") is not None and self.sheet:
            self.planning.set()

    def _sheet_update(self, message: dict) -> None:
        """A groupmate's update, passed on by the server: apply it, and note when it came."""
        t = self.stats.event()
        update = message.get("update") or ""
        self.stats.received.append((update, t, self.spec["name"]))
        try:
            self.typist.apply(update)
        except Exception as error:  # noqa: BLE001 -- a broken update is a result, not a crash
            self.stats.error("bad_echo", f"{self.label}: {error!r}")

    async def join(self) -> dict:
        record = {"name": self.spec["name"], "session": self.spec["session"], "ok": False,
                  "t_connect": time.time(), "t_send": None, "t_ack": None}
        try:
            await self.connect()
            record["t_send"] = time.time()
            payload = {"name": self.spec["name"]}
            if self.kind == "gamehub":
                payload.update(title=f"Story of {self.spec['name']}", pitch="A glacier that keeps a diary. " * 3,
                               token=secrets.token_urlsafe(24))  # the phone's own 32-character identity
            ack = await self.call("join", payload)
            record["t_ack"] = time.time()
            if not ack.get("ok"):
                self.stats.error(f"join:{ack.get('error', {}).get('code')}", f"{self.label}: {ack}")
                return record
            if self.kind == "relay":
                self.group = ack["group"]
                self.sheet = f"R{self.spec['session']}.{self.group}"
            self.joined = record["ok"] = True
        except socketio.exceptions.TimeoutError:
            self.stats.error("ack_timeout", f"{self.label}: join")
        except Exception as error:  # noqa: BLE001 -- a refused or failed connection is a result
            self.stats.error("connect", f"{self.label}: {error!r}")
        return record

    async def sync(self) -> str | None:
        """The whole sheet as the server has it (`sheet_sync` from an empty state vector)."""
        try:
            ack = await self.call("sheet_sync", {"sheet": self.sheet, "state_vector": typists.EMPTY_STATE_VECTOR})
        except Exception as error:  # noqa: BLE001
            self.stats.error("sheet_sync", f"{self.label}: {error!r}")
            return None
        if not ack.get("ok"):
            self.stats.error(f"sheet_sync:{(ack.get('error') or {}).get('code')}", f"{self.label}: {ack}")
            return None
        return ack["update"]


class Watcher(Client):
    """A projector or facilitator screen: holds the last full view, applies view_patch."""

    def __init__(self, kind: str, url: str, session: dict, index: int, role: str, stats: Stats):
        token = session["projector"] if role == "projector" else session["facilitator"]
        super().__init__(url, {"session": session["code"], "role": role, "token": token},
                         fake_address(0x100000 + 2 * index + (role == "facilitator")),
                         f"{role}/{session['code']}", stats)
        self.kind, self.role, self.index = kind, role, index
        self.version = -1
        self.view: dict | None = None
        self.first_view = asyncio.Event()
        self.names_seen: dict[str, float] = {}
        self.patches_skipped = 0
        self.sio.on("view", self._view)
        self.sio.on("view_patch", self._patch)
        self.sio.on("joined", self._relay_joined)

    def _view(self, view: dict) -> None:
        t = self.stats.event()
        if view.get("version", 0) < self.version:
            return
        self.version = view.get("version", 0)
        self.view = view
        self.first_view.set()
        names = view.get("names") or []
        for name in names[len(self.names_seen):]:  # names come in join order: only new ones
            self.names_seen.setdefault(name, t)

    def _patch(self, patch: dict) -> None:
        self.stats.event()
        # Equal versions are applied too: they carry the same state, and a server that flushes
        # several groups at one version may send several patches.
        if self.view is None or patch.get("version", 0) < self.version:
            self.patches_skipped += 1
            return
        self.version = patch["version"]
        replaced = {g["number"]: g for g in patch.get("groups") or []}
        self.view = {**self.view, "version": self.version,
                     "groups": [replaced.pop(g["number"], g) for g in self.view.get("groups") or []]
                     + list(replaced.values())}

    def _relay_joined(self, message: dict) -> None:
        t = self.stats.event()
        self.names_seen.setdefault(message.get("name"), t)

    async def command(self, event: str, payload: dict | None = None) -> dict:
        ack = await self.call(event, payload or {})
        if not ack.get("ok"):
            raise RuntimeError(f"{event} refused: {ack}")
        return ack


# -- worker processes (the phones) ---------------------------------------------------------

def settle_gc() -> None:
    """Before measuring: collect, then move every object alive (the clients, their sessions)
    out of the collector's sight. Otherwise a full collection in a process holding hundreds
    of clients pauses it for 50-70 ms, and that pause shows up as server latency."""
    import gc

    gc.collect()
    gc.freeze()


def quiet_logs() -> None:
    """engineio's client logs an abnormal close as an error on stderr; the disconnect handler
    already counts it, with the screen's name."""
    import logging

    logging.getLogger("engineio.client").setLevel(logging.CRITICAL)


def worker_main(conn, kind: str, url: str, specs: list[dict], worker: int, concurrency: int) -> None:
    quiet_logs()
    asyncio.run(_worker(conn, kind, url, specs, worker, concurrency))


async def join_all(phones: list, concurrency: int) -> list:
    """Every phone joins, at most `concurrency` at once; their join results, in order."""
    gate = asyncio.Semaphore(concurrency)

    async def one(phone):
        async with gate:
            return await phone.join()
    return await asyncio.gather(*(one(p) for p in phones))


async def _worker(conn, kind, url, specs, worker, concurrency) -> None:
    stats = Stats()
    phones = [Phone(kind, url, spec, stats) for spec in specs]
    try:
        while True:
            op, *args = await asyncio.to_thread(conn.recv)
            if op == "join":
                conn.send(("joined", await join_all(phones, concurrency)))
            elif op == "groups":
                joined = [p for p in phones if p.joined]
                if kind == "gamehub":  # a phone learns its group from its view; wait for planning's
                    waits = [asyncio.create_task(p.planning.wait()) for p in joined]
                    if waits:
                        for late in (await asyncio.wait(waits, timeout=args[0]))[1]:
                            late.cancel()
                    for p in joined:
                        if not p.planning.is_set():
                            stats.error("no_group", f"{p.label}: no planning view with its group")
                    joined = [p for p in joined if p.planning.is_set()]
                conn.send(("groups", [(p.spec["session"], p.group, p.spec["name"]) for p in joined]))
            elif op == "plan":
                start_at, duration, typing = args
                stats.window = (start_at, start_at + duration)
                settle_gc()
                await plan(phones, typing, start_at, duration, stats)
                conn.send(("planned", {"updates": stats.updates, "received": stats.received, "lags": stats.lags,
                                       "merged": stats.merged, "sheet_full": stats.sheet_full,
                                       "window_events": stats.window_events}))
            elif op == "sync":  # one member of each group reads the whole sheet back
                local = {p.spec["name"]: p for p in phones}
                readers = [local[name] for name in args[0] if name in local]
                found = await asyncio.gather(*(p.sync() for p in readers))
                conn.send(("synced", [((p.spec["session"], p.group), update)
                                      for p, update in zip(readers, found) if update is not None]))
            elif op == "close":
                await asyncio.gather(*(p.close() for p in phones))
                # Every update sent, now that late acks had until the close to come.
                conn.send(("closed", {"errors": stats.errors, "events": stats.events, "sent": stats.sent}))
                return
    except Exception:  # noqa: BLE001 -- the coordinator reports it and stops the run
        conn.send(("failed", traceback.format_exc()))


async def plan(phones: list[Phone], typing: dict[str, int], start_at: float, duration: int, stats: Stats) -> None:
    """The typing members among this worker's phones (`typing`: name -> the answer each starts
    in) type for `duration` seconds from `start_at`, all workers on the same clock."""
    await asyncio.gather(*(typists.type_along(p, typing[p.spec["name"]], start_at, duration, stats)
                           for p in phones if p.spec["name"] in typing and p.joined and p.sheet))
    await stats.quiet(1.0, 15)
