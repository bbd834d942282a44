"""The load generator: start a server, play a whole game against it with simulated screens,
collect raw timings. `bench.report` turns what `run_target` returns into numbers.

Shape of one run (the same for gamehub and the relay, `kind` says which):

- the server runs as a subprocess; a thread samples its CPU and RSS every 0.5 s;
- this process holds the watchers (a projector and a facilitator per session) and steers;
- `--workers` processes hold the phones (python-socketio AsyncClient, websocket transport),
  so decoding the phones' views can spread over both cores (one process copes with 1,000
  phones at this rate, measured; more workers are a margin);
- phases: phones connect and join (bounded concurrency), the facilitator forms groups, picks
  stories and starts planning, the typing members of every group type in the group's shared
  sheet for `duration` seconds (a Yjs update every 150 ms each: `bench.typists`), a member
  of each group reads the sheet back (`sheet_sync`), then the showcase, then everyone
  disconnects and the server is stopped.

Every timestamp is `time.time()`: the wall clock is shared by all processes on the machine, so
a send in one process and a receipt in another can be subtracted.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import time
import traceback

from . import nginx, typists
from .sampler import Sampler
from .screens import ACK_TIMEOUT, Stats, Watcher, quiet_logs, settle_gc, worker_main
from .servers import (CHILDREN, LOG_COUNTS, Server, export_answers, source, start_cluster, start_server,
                      stop_children, stop_process)  # noqa: F401 -- stop_children: bench.__main__ calls load's


# -- the coordinator -----------------------------------------------------------------------

BUSY: set = set()  # worker pipes with a command whose reply was not read (after a timeout)


async def ask(workers: list, message: tuple, timeout: float) -> list:
    """Send one command to every worker and wait for all replies."""
    for _, conn in workers:
        conn.send(message)
        BUSY.add(conn)
    waiting = asyncio.gather(*(asyncio.to_thread(conn.recv) for _, conn in workers))
    try:
        replies = await asyncio.wait_for(waiting, timeout)
    except BaseException:
        waiting.add_done_callback(lambda f: f.cancelled() or f.exception())  # seen: asyncio need not warn
        raise
    BUSY.difference_update(conn for _, conn in workers)
    for op, payload in replies:
        if op == "failed":
            raise RuntimeError(f"a load worker failed:\n{payload}")
    return [payload for _, payload in replies]


async def run_target(kind: str, phones: int, sessions: int, duration: int, workers: int, concurrency: int,
                     deadline: float, relay_nodelay: bool = False, processes: int | None = None,
                     label: str | None = None, typing: int = 1, typists_per_group: int = 2) -> dict:
    """Play one whole game against `kind` ("gamehub" or "relay"); return the raw observations.
    With `processes`, gamehub runs as that many processes on PostgreSQL and Redis behind nginx
    (`start_cluster`); without, as one process on SQLite."""
    quiet_logs()
    stats = Stats()
    raw = {"kind": kind, "label": label or kind, "processes": processes, "phones": phones, "sessions": sessions,
           "duration": duration, "workers": workers, "typing_asked": typing,
           "typists_per_group": typists_per_group,
           "marks": {"start": time.time()}, "completed": False, "source": source()}
    server = sampler = None
    procs: list = []
    watchers: list[Watcher] = []
    try:
        if processes:
            server = start_cluster(processes, sessions, -(-phones // sessions))
            raw["cluster"] = {"schema": server.schema, "ports": server.ports, "nginx_port": server.nginx_port,
                              "redis_port": server.redis_port, "resumed": server.resumed,
                              "pids": {"gamehub": server.server_pids(), "nginx": nginx.nginx_pids(server.nginx),
                                       "redis": [server.redis.pid]}}
        else:
            server = start_server(kind, sessions, -(-phones // sessions), relay_nodelay)
        raw["server_pid"] = server.server_pids()[0]
        raw["server_pids"] = server.server_pids()
        sampler = Sampler(server.server_pids(), components=server.components())
        sampler.start()
        specs = [{"index": i, "session": i % sessions, "code": server.sessions[i % sessions]["code"],
                  "name": f"P{i:04d}"} for i in range(phones)]
        context = multiprocessing.get_context("spawn")  # no forked copies of loops or threads
        for w in range(workers):
            parent, child = context.Pipe()
            proc = context.Process(target=worker_main, daemon=True, args=(
                child, kind, server.url, specs[w::workers], w, max(1, concurrency // workers)))
            proc.start()
            child.close()  # so a dead worker is EOF on our end, not a hang
            CHILDREN.append(proc)
            procs.append((proc, parent))
            sampler.add_client(proc.pid)
        raw["worker_pids"] = [proc.pid for proc, _ in procs]
        await asyncio.wait_for(_play(kind, server, procs, watchers, stats, raw, duration, typing,
                                     typists_per_group),
                               max(1.0, deadline - time.time()))
        raw["completed"] = True
    except asyncio.TimeoutError:
        stats.error("timeout", f"--timeout reached during the {raw.get('phase', 'start')} phase")
    except Exception as error:  # noqa: BLE001 -- an aborted run is reported, not raised
        stats.error("run", f"{type(error).__name__}: {error}" if str(error) else traceback.format_exc())
    finally:
        raw["marks"]["end"] = time.time()
        try:
            raw["marks"]["close_start"] = time.time()
            for watcher in watchers:
                await watcher.close()
            if procs and not BUSY.intersection(conn for _, conn in procs):
                # The workers are idle (even if the run failed): ask for their errors as they close.
                try:
                    sent = []
                    for closed in await ask(procs, ("close",), 60):
                        stats.errors += [tuple(e) for e in closed["errors"]]
                        sent += closed["sent"]
                    raw["sent"] = sent
                except Exception as error:  # noqa: BLE001
                    stats.error("close", repr(error))
        finally:
            # Whatever happened above (even a cancellation), stop every process by its PID;
            # this also ends any thread still waiting on a worker's pipe.
            for proc, _ in procs:
                stop_process(proc)
            raw["marks"]["server_stop"] = time.time()
            if server is not None:
                server.stop()
                raw["server_exit"] = server.exit_codes()
                raw["server_log"] = server.log_tail()
                raw["server_log_counts"] = [LOG_COUNTS.pop(pid, {}) for pid in server.server_pids()]
                if processes:
                    raw["cluster"].update(connections=server.connections, redis_info=server.redis_info,
                                          lost_races=server.lost_races)
            if sampler is not None:
                sampler.stop()
                raw["samples"] = sampler.samples
    try:
        if kind == "gamehub" and "updates" in raw:  # planning happened: check the stored answers
            try:
                raw["export"] = export_answers(server)
            except Exception as error:  # noqa: BLE001
                stats.error("export", repr(error))
    finally:
        if server is not None:
            try:
                server.discard()  # the data directory; the cluster's schema too
            except Exception as error:  # noqa: BLE001
                stats.error("cleanup", repr(error))
    projectors = [w for w in watchers if w.role == "projector"]
    raw.update(
        errors=stats.errors,
        names_seen={(w.index, name): t for w in projectors for name, t in w.names_seen.items()},
        patches_skipped=sum(w.patches_skipped for w in watchers),
        watcher_window_events=stats.window_events,
    )
    return raw


async def _play(kind: str, server: Server, procs: list, watchers: list[Watcher], stats: Stats, raw: dict,
                duration: int, typing: int, typists_per_group: int) -> None:
    marks = raw["marks"]
    raw["phase"] = "connect"
    for index, session in enumerate(server.sessions):
        for role in ("projector", "facilitator"):
            watchers.append(Watcher(kind, server.url, session, index, role, stats))
    await asyncio.gather(*(w.connect() for w in watchers))
    if kind == "gamehub":
        await asyncio.wait_for(asyncio.gather(*(w.first_view.wait() for w in watchers)), 30)
    facilitators = [w for w in watchers if w.role == "facilitator"]

    marks["join_start"] = time.time()
    raw["phase"] = "join"
    joins = [record for batch in await ask(procs, ("join",), 600) for record in batch]
    raw["joins"] = joins
    marks["join_end"] = time.time()
    # Give the projectors time to show the last names (join -> visible is measured on them).
    names = {(j["session"], j["name"]) for j in joins if j["ok"]}
    projectors = {w.index: w for w in watchers if w.role == "projector"}
    limit = time.time() + 30
    while time.time() < limit and any(name not in projectors[s].names_seen for s, name in names):
        await asyncio.sleep(0.1)

    raw["phase"] = "setup"
    if kind == "gamehub":
        marks["setup_start"] = time.time()
        for event, payload in (("form_groups", {"from_phase": "lobby"}), ("pick_stories", {"from_phase": "groups"}),
                               ("start_planning", {"from_phase": "stories", "minutes": 30})):
            await asyncio.gather(*(f.command(event, payload) for f in facilitators))
        marks["setup_end"] = time.time()
    membership: dict[tuple[int, int], list[str]] = {}
    for batch in await ask(procs, ("groups", 60), 90):
        for session, group, name in batch:
            membership.setdefault((session, group), []).append(name)
    raw["membership"] = membership
    typing = typists.typists_of(membership, typing, typists_per_group)
    raw["typing"] = typing

    raw["phase"] = "planning"
    settle_gc()
    # Every worker starts the same schedule at the same moment, after its gc; until then the
    # server is idle with every screen connected: its CPU then is the baseline of the typing's.
    marks["idle_start"] = time.time()
    start_at = marks["idle_start"] + 3.0
    stats.window = (start_at, start_at + duration)
    marks["plan_start"], marks["plan_end"] = start_at, start_at + duration
    planned = await ask(procs, ("plan", start_at, duration, typing),
                        duration + ACK_TIMEOUT * (typists.MAX_RESENDS + 2))
    await stats.quiet(1.0, 10)
    marks["drained"] = time.time()
    raw["updates"] = [u for p in planned for u in p["updates"]]
    raw["received"] = [r for p in planned for r in p["received"]]
    raw["lags"] = [x for p in planned for x in p["lags"]]
    raw["merged"] = sum(p["merged"] for p in planned)
    raw["sheet_full"] = sum(p["sheet_full"] for p in planned)
    raw["window_events"] = sum(p["window_events"] for p in planned) + stats.window_events
    if kind == "gamehub":
        # What the server holds now, read back by one member of each group (the first by name).
        raw["phase"] = "sync"
        readers = [sorted(members)[0] for members in membership.values()]
        raw["synced"] = dict(pair for batch in await ask(procs, ("sync", readers), 120) for pair in batch)
        marks["synced"] = time.time()

    raw["phase"] = "showcase"
    if kind == "gamehub":
        marks["showcase_start"] = time.time()
        try:
            await asyncio.gather(*(f.command("start_showcase", {"from_phase": "planning"}) for f in facilitators))
            steps = min(3, max(0, len(membership) // max(1, len(facilitators)) - 1))
            for index in range(steps):
                await asyncio.gather(*(f.command("showcase_step", {"delta": 1, "from_index": index})
                                       for f in facilitators))
        except Exception as error:  # noqa: BLE001 -- the planning results still count
            stats.error("showcase", f"{type(error).__name__}: {error}")
        marks["showcase_end"] = time.time()
