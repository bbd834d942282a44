"""`python -m bench.reactions --phones 1000`: a room reacting at once in the showcase.

Every phone of one session taps the reaction buttons `--taps` times within `--over` seconds,
all at the same moment (the applause after a good pitch). The projector and the facilitator
count, on the client side, every `reactions` message they receive and when; at the end the
counts they show must equal the taps the server accepted. What it answers: does the room's
applause reach the big screen as a few messages a second (not one per tap), with nothing lost,
and what does it cost the server? Reuses bench.load's server, screens, workers and sampler.

Figures so far: docs/performance.md, "Reactions".
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import random
import signal
import sys
import time
import traceback
from collections import Counter

from . import load, report, screens, servers
from .sampler import Sampler

EMOJI = ("👏", "😂", "😮", "❤️", "💡")  # gamehub/server/reactions.py


class ReactingPhone(screens.Phone):
    """A bench phone that also keeps what its view and `on_screen` events say the projector shows."""

    def __init__(self, *args):
        super().__init__(*args)
        self.on_screen: dict | None = None
        self.on_screen_version = -1
        self.sio.on("on_screen", lambda m: self._take(m.get("on_screen"), m.get("version", 0)))

    def _view(self, view: dict) -> None:
        super()._view(view)
        if "on_screen" in view:
            self._take(view["on_screen"], view.get("version", 0))

    def _take(self, shown: dict | None, version: int) -> None:
        if version >= self.on_screen_version:
            self.on_screen, self.on_screen_version = shown, version

    @property
    def group_on_screen(self) -> int | None:
        return ((self.on_screen or {}).get("group") or {}).get("number")

    async def react(self, start_at: float, taps: int, over: float, rng: random.Random, tally: Counter,
                    latencies: list[float], event: str = "react") -> None:
        """`taps` taps at random moments within `over` seconds from `start_at`, each sent at its
        moment whether or not the last one's ack came (as the page does). `event` "baseline"
        sends the same schedule as an event the server has no handler for: the bare path
        (transport, rate limit, an error ack) to measure the reactions against."""
        async def one(moment: float) -> None:
            await asyncio.sleep(max(0.0, moment - time.time()))
            sent = time.time()
            payload = {"emoji": rng.choice(EMOJI), "group": self.group_on_screen}
            try:
                ack = await self.call("react" if event == "react" else "bench_baseline", payload)
            except Exception as error:  # noqa: BLE001 -- a lost ack is a result
                tally["error"] += 1
                self.stats.error(event, f"{self.label}: {error!r}")
                return
            latencies.append(time.time() - sent)
            tally["accepted" if ack.get("ok") else (ack.get("error") or {}).get("code", "error")] += 1

        await asyncio.gather(*(one(start_at + rng.random() * over) for _ in range(taps)))


def worker_main(conn, url: str, specs: list[dict], concurrency: int, seed: int) -> None:
    screens.quiet_logs()
    asyncio.run(_worker(conn, url, specs, concurrency, seed))


async def _worker(conn, url, specs, concurrency, seed) -> None:
    stats = screens.Stats()
    phones = [ReactingPhone("gamehub", url, spec, stats) for spec in specs]
    rng = random.Random(seed)
    try:
        while True:
            op, *args = await asyncio.to_thread(conn.recv)
            if op == "join":
                conn.send(("joined", sum(r["ok"] for r in await screens.join_all(phones, concurrency))))
            elif op == "showcase":  # until every phone knows the card on screen
                limit = time.time() + args[0]
                while time.time() < limit and any(p.joined and p.group_on_screen is None for p in phones):
                    await asyncio.sleep(0.1)
                conn.send(("showcase", sum(p.group_on_screen is not None for p in phones)))
            elif op == "react":
                start_at, taps, over, event = args
                screens.settle_gc()
                tally, latencies = Counter(), []
                await asyncio.gather(*(p.react(start_at, taps, over, rng, tally, latencies, event)
                                       for p in phones if p.joined))
                conn.send(("reacted", {"tally": dict(tally), "latencies": latencies, "done": time.time()}))
            elif op == "close":
                await asyncio.gather(*(p.close() for p in phones))
                conn.send(("closed", {"errors": stats.errors}))
                return
    except Exception:  # noqa: BLE001 -- the coordinator reports it and stops the run
        conn.send(("failed", traceback.format_exc()))


class Counting(screens.Watcher):
    """The projector or facilitator, also noting each `reactions` message and when it came."""

    def __init__(self, *args):
        super().__init__(*args)
        self.messages: list[tuple[float, dict]] = []
        self.dropped_at: float | None = None
        self.sio.on("reactions", lambda m: self.messages.append((time.time(), m)))

    def _disconnected(self, reason=None) -> None:
        if not self.closing and self.dropped_at is None:
            self.dropped_at = time.time()
        super()._disconnected(reason)

    def totals(self) -> tuple[int, int]:
        """(the sum of every message's `added`, the sum of each source's latest `counts`)."""
        added, latest = 0, {}
        for _, message in self.messages:
            for group in message["groups"]:
                added += sum(group["added"].values())
                latest[(message["source"], group["number"])] = sum(group["counts"].values())
        return added, sum(latest.values())


async def burst(procs, args, event: str) -> dict:
    """Every phone taps on the same schedule from 3 s from now (the server idle until then, every
    screen connected); when it started and when the last ack came, what the acks said."""
    screens.settle_gc()
    start_at = time.time() + 3.0
    replies = await load.ask(procs, ("react", start_at, args.taps, args.over, event), args.over + 120)
    tally = sum((Counter(r["tally"]) for r in replies), Counter())
    done = max(r["done"] for r in replies)  # every worker's last ack had come by then
    await asyncio.sleep(1.0)
    return {"start": start_at, "done": done, "tally": dict(tally), "latencies": [x for r in replies for x in r["latencies"]]}


def per_second(times: list[float]) -> dict:
    """Messages in each whole second from the first: the busiest second, and the mean."""
    if not times:
        return {"busiest": 0, "mean": 0.0, "seconds": 0}
    buckets = Counter(int(t - times[0]) for t in times)
    seconds = max(buckets) + 1
    return {"busiest": max(buckets.values()), "mean": round(len(times) / seconds, 2), "seconds": seconds}


async def run(args) -> dict:
    raw: dict = {"phones": args.phones, "taps_per_phone": args.taps, "over_s": args.over, "completed": False,
                 "source": servers.source(), "errors": []}
    server = sampler = None
    procs, watchers = [], []
    try:
        server = servers.start_server("gamehub", 1, args.phones)
        sampler = Sampler(server.server_pids())
        sampler.start()
        session = server.sessions[0]
        specs = [{"index": i, "session": 0, "code": session["code"], "name": f"P{i:04d}"} for i in range(args.phones)]
        context = multiprocessing.get_context("spawn")
        for w in range(args.workers):
            parent, child = context.Pipe()
            proc = context.Process(target=worker_main, daemon=True, args=(
                child, server.url, specs[w::args.workers], max(1, args.concurrency // args.workers), w))
            proc.start()
            child.close()
            servers.CHILDREN.append(proc)
            procs.append((proc, parent))
            sampler.add_client(proc.pid)
        stats = screens.Stats()
        watchers = [Counting("gamehub", server.url, session, 0, role, stats) for role in ("projector", "facilitator")]
        await asyncio.gather(*(w.connect() for w in watchers))
        projector, facilitator = watchers
        raw["joined"] = sum(await load.ask(procs, ("join",), 600))
        for event, payload in (("form_groups", {"from_phase": "lobby"}), ("pick_stories", {"from_phase": "groups"}),
                               ("start_planning", {"from_phase": "stories"}),
                               ("start_showcase", {"from_phase": "planning"})):
            await facilitator.command(event, payload)
        raw["following"] = sum(await load.ask(procs, ("showcase", 60), 90))
        raw["baseline"] = await burst(procs, args, "baseline")
        raw["reactions"] = reacted = await burst(procs, args, "react")
        accepted = reacted["tally"].get("accepted", 0)
        limit = time.time() + 60  # the last flush, through the pipes (slow on a loaded machine)
        while time.time() < limit and any(w.totals()[1] < accepted for w in watchers):
            await asyncio.sleep(0.1)
        await asyncio.sleep(1.0)  # and anything after it (there should be nothing)
        for w in watchers:
            added, shown = w.totals()
            start_at = reacted["start"]
            times = [t for t, _ in w.messages]
            raw[w.role] = {"messages": len(w.messages), "added": added, "shown": shown,
                           "per_second": per_second(times), "max_gap_ms": round(max(
                               (b - a for a, b in zip(times, times[1:])), default=0) * 1000),
                           "first_after_start_ms": round((times[0] - start_at) * 1000) if times else None,
                           "dropped_after_start_s": round(w.dropped_at - start_at, 1) if w.dropped_at else None,
                           "last_after_last_ack_ms": round((times[-1] - reacted["done"]) * 1000) if times else None}
        raw["completed"] = True
    except Exception as error:  # noqa: BLE001 -- an aborted run is reported, not raised
        raw["errors"].append(("run", f"{type(error).__name__}: {error}\n{traceback.format_exc()}"))
    finally:
        for w in watchers:
            await w.close()
        if procs and not load.BUSY.intersection(c for _, c in procs):
            try:
                for closed in await load.ask(procs, ("close",), 60):
                    raw["errors"] += closed["errors"]
            except Exception as error:  # noqa: BLE001
                raw["errors"].append(("close", repr(error)))
        for proc, _ in procs:
            servers.stop_process(proc)
        raw["errors"] += [e for w in watchers[:1] for e in w.stats.errors]  # (the watchers share one Stats)
        if server is not None:
            server.stop()
            raw["server_log"] = server.log_tail()
            server.discard()
        if sampler is not None:
            sampler.stop()
            raw["samples"] = sampler.samples
    return raw


def summarise(raw: dict) -> dict:
    samples = raw.get("samples", [])

    def cpu_seconds(burst: dict, column: int = 1) -> float | None:
        """CPU seconds from the burst's start until its last ack (+0.5 s: a sample's span) of the
        server (column 1) or of the load generator (column 3)."""
        values = [s[column] for s in samples if burst["start"] <= s[0] <= burst["done"] + 0.5]
        return round(sum(values) / 100 * 0.5, 2) if values else None

    def machine(burst: dict) -> float | None:
        """The whole machine's CPU meanwhile, in % of one core (others' processes too)."""
        values = [s[5]["machine"] for s in samples if burst["start"] <= s[0] <= burst["done"] + 0.5]
        return round(sum(values) / len(values)) if values else None

    out = {"completed": raw["completed"], "phones": raw["phones"], "joined": raw.get("joined"),
           "following": raw.get("following"), "taps_per_phone": raw["taps_per_phone"], "over_s": raw["over_s"],
           "errors": len(raw["errors"]), "error_sample": [list(e) for e in raw["errors"][:5]],
           "server_log": raw.get("server_log", [])[-10:]}
    for name in ("baseline", "reactions"):
        burst = raw.get(name)
        if burst:
            tally = Counter(burst["tally"])
            out[name] = {"sent": sum(tally.values()), "acks": dict(tally), "ack_ms": report.pct(burst["latencies"]),
                         "seconds": round(burst["done"] - burst["start"], 2), "server_cpu_s": cpu_seconds(burst),
                         "load_generator_cpu_s": cpu_seconds(burst, 3), "machine_cpu_percent": machine(burst)}
    if "reactions" in out:
        reactions = out["reactions"]
        accepted = reactions["acks"].get("accepted", 0)
        out.update(taps_sent=reactions["sent"], accepted=accepted,
                   refused={k: v for k, v in reactions["acks"].items() if k != "accepted"})
        for role in ("projector", "facilitator"):
            seen = raw.get(role)
            if seen:
                out[role] = {**seen, "totals_match": seen["added"] == seen["shown"] == accepted,
                             "taps_per_message": round(accepted / seen["messages"], 1) if seen["messages"] else None}
        if "baseline" in out:
            base = out["baseline"]
            out["ratios"] = {"ack_p50": report._ratio(reactions["ack_ms"]["p50"], base["ack_ms"]["p50"]),
                             "ack_p99": report._ratio(reactions["ack_ms"]["p99"], base["ack_ms"]["p99"]),
                             "server_cpu": report._ratio(reactions["server_cpu_s"], base["server_cpu_s"])}
    out["server_peak_rss_mb"] = round(max((s[2] for s in samples), default=0) / 2**20, 1)
    return out


def table(doc: dict) -> str:
    r = doc["result"]
    lines = [f"bench.reactions: {r['phones']} phones × {r['taps_per_phone']} taps within {r['over_s']} s"]
    for name in ("baseline", "reactions"):
        if name in r:
            b = r[name]
            lines.append(f"  {name:9}: {b['sent']} sent, acks {b['acks']}, ack p50 {b['ack_ms']['p50']} ms, "
                         f"p99 {b['ack_ms']['p99']} ms, all acked in {b['seconds']} s, CPU s: server {b['server_cpu_s']}, "
                         f"load generator {b['load_generator_cpu_s']}, machine {b['machine_cpu_percent']}%")
    for role in ("projector", "facilitator"):
        if role in r:
            p = r[role]
            lines.append(f"  {role}: {p['messages']} messages for {r['accepted']} accepted taps "
                         f"({p['taps_per_message']} taps a message), busiest second {p['per_second']['busiest']}, "
                         f"longest gap {p['max_gap_ms']} ms, totals match: {p['totals_match']}")
    if "ratios" in r:
        lines.append(f"  reactions / baseline: ack p50 {r['ratios']['ack_p50']}, p99 {r['ratios']['ack_p99']}, "
                     f"server CPU {r['ratios']['server_cpu']}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.reactions", description=__doc__.split("\n\n")[0])
    parser.add_argument("--phones", type=int, default=1000, help="phones in the one session (at most 2,000)")
    parser.add_argument("--taps", type=int, default=4, help="taps of each phone")
    parser.add_argument("--over", type=float, default=1.0, help="seconds the taps are spread over")
    parser.add_argument("--workers", type=int, default=None, help="processes holding the phones (1 up to 200, else 2)")
    parser.add_argument("--concurrency", type=int, default=50, help="phones joining at once")
    parser.add_argument("--timeout", type=float, default=600, help="hard limit for the whole run, seconds")
    parser.add_argument("--json", metavar="PATH", help="write the results here")
    args = parser.parse_args(argv)
    if not 1 <= args.phones <= 2000 or not 1 <= args.taps <= 50 or not 0.05 <= args.over <= 60:
        print("bench.reactions: --phones 1..2000, --taps 1..50, --over 0.05..60", file=sys.stderr)
        return 2
    args.workers = args.workers or (1 if args.phones <= 200 else 2)
    from .__main__ import raise_open_files
    raise_open_files(args.phones)
    signal.signal(signal.SIGALRM, lambda *_: (servers.stop_children(), sys.exit(3)))
    signal.alarm(int(args.timeout))
    try:
        raw = asyncio.run(run(args))
    except KeyboardInterrupt:
        return 130
    finally:
        signal.alarm(0)
        servers.stop_children()
    doc = {"command": "python -m bench.reactions " + " ".join(argv if argv is not None else sys.argv[1:]),
           "machine": report.machine(), "result": summarise(raw)}
    if args.json:
        with open(args.json, "w", encoding="utf-8") as out:
            json.dump(doc, out, indent=2, ensure_ascii=False)
    print(table(doc))
    return 0 if raw["completed"] else 1


if __name__ == "__main__":
    sys.exit(main())
