"""`python -m bench --phones 1000 --sessions 1`: gamehub, then the bare relay, then the ratios.
`--processes 1,2`: gamehub behind nginx on PostgreSQL and Redis with 1, then 2 processes, then
the relay, side by side; `--processes sqlite,1,2` first gamehub alone on SQLite (the default
deployment, no nginx), the baseline the others are held to."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import signal
import sys
import time

from . import load, report, report_cluster, servers

MAX_PHONES = 3000
MAX_PER_SESSION = 2000  # gamehub's --max-participants ceiling


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--phones", type=int, default=1000, help=f"simulated phones in all (at most {MAX_PHONES})")
    parser.add_argument("--sessions", type=int, default=1, help="sessions the phones are spread over")
    parser.add_argument("--duration", type=int, default=30, help="seconds of planning (typing) to measure")
    parser.add_argument("--typing", type=int, default=None,
                        help="members typing at once in all, each sending a Yjs update every 150 ms "
                             "(default: a tenth of the phones)")
    parser.add_argument("--typists-per-group", type=int, default=2,
                        help="members typing together in each group that types (1..4)")
    parser.add_argument("--workers", type=int, default=None,
                        help="processes that hold the phones (default: 1 up to 200 phones, else 2)")
    parser.add_argument("--concurrency", type=int, default=50, help="phones connecting at once, all workers together")
    parser.add_argument("--timeout", type=float, default=600, help="hard limit for the whole benchmark, seconds")
    parser.add_argument("--only", choices=("gamehub", "relay"), help="run one target, no ratios")
    parser.add_argument("--relay-nodelay", action="store_true",
                        help="the relay sets TCP_NODELAY (use when gamehub does; see bench/README.md)")
    parser.add_argument("--processes", metavar="N[,N...]",
                        help="gamehub as N processes on PostgreSQL and Redis behind nginx instead of one process "
                             "on SQLite; a list (1,2) runs each in turn, then the relay; `sqlite` in the list "
                             "(sqlite,1,2) is the one process on SQLite, in the same run")
    parser.add_argument("--async-mode", choices=("eventlet", "gevent"), default="eventlet",
                        help="gamehub's concurrency mode (gamehub serve --async-mode; default: eventlet)")
    parser.add_argument("--json", metavar="PATH", help="write the full results here")
    return parser


MAX_PROCESSES = 8


SQLITE = "sqlite"  # in --processes: gamehub as one process on SQLite, no nginx


def parse_processes(text: str | None) -> list[int | str] | None:
    """"2" -> [2], "1,2" -> [1, 2], "sqlite,1,2" -> ["sqlite", 1, 2]; None when not given;
    ValueError when malformed."""
    if text is None:
        return None
    counts = [SQLITE if part.strip().lower() == SQLITE else int(part) for part in text.split(",") if part.strip()]
    numbers = [n for n in counts if n != SQLITE]
    if not numbers or len(set(counts)) != len(counts) or not all(1 <= n <= MAX_PROCESSES for n in numbers):
        raise ValueError(text)
    return counts


def raise_open_files(phones: int) -> None:
    """Each simulated phone is a socket here and one in the server (which inherits the limit)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = 4 * phones + 1024
    if soft != resource.RLIM_INFINITY and soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want if hard == resource.RLIM_INFINITY else min(want, hard), hard))


def _give_up(signum, frame):
    """The last resort past --timeout: something ignored the deadline. Stop the children by
    PID and leave at once, without waiting for anything else."""
    print("bench: hard time limit reached; stopping the servers and workers", file=sys.stderr, flush=True)
    load.stop_children()
    os._exit(3)


async def run_all(args, targets: list[str]) -> dict:
    # Ctrl+C or SIGTERM cancel the run; its `finally` stops every child process. (A signal
    # raised as an exception out of the event loop would skip that and leave threads waiting.)
    task, loop = asyncio.current_task(), asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, task.cancel)
    deadline = time.time() + args.timeout
    raws = {}
    for label, kind, processes in targets:
        if raws and deadline - time.time() < 20:
            print(f"bench: {label} skipped: less than 20 s left of --timeout", file=sys.stderr, flush=True)
            raws[label] = None
            continue
        print(f"bench: {label} ...", file=sys.stderr, flush=True)
        raws[label] = await load.run_target(kind, args.phones, args.sessions, args.duration, args.workers,
                                            args.concurrency, deadline, args.relay_nodelay, processes, label,
                                            args.typing, args.typists_per_group)
        print(f"bench: {label} done in {raws[label]['marks']['end'] - raws[label]['marks']['start']:.0f} s",
              file=sys.stderr, flush=True)
    return raws


def plan_targets(args) -> list[tuple[str, str, int | None]]:
    """(label, kind, processes) in the order they run."""
    gamehub = ([("gamehub-sqlite", "gamehub", None) if n == SQLITE else (f"gamehub-{n}p", "gamehub", n)
                for n in args.processes] if args.processes else [("gamehub", "gamehub", None)])
    relay = [("relay", "relay", None)]
    if args.only == "gamehub":
        return gamehub
    if args.only == "relay":
        return relay
    return gamehub + relay


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if not 1 <= args.phones <= MAX_PHONES:
        return _usage(f"--phones must be between 1 and {MAX_PHONES}")
    if not 1 <= args.sessions <= args.phones or -(-args.phones // args.sessions) > MAX_PER_SESSION:
        return _usage(f"--sessions must be between 1 and --phones, with at most {MAX_PER_SESSION} phones a session")
    if not 1 <= args.duration <= 600 or not 10 <= args.timeout <= 3600:
        return _usage("--duration must be 1..600 and --timeout 10..3600 seconds")
    args.typing = max(1, args.phones // 10) if args.typing is None else args.typing
    if not 1 <= args.typing <= args.phones or not 1 <= args.typists_per_group <= 4:
        return _usage("--typing must be 1..--phones, and --typists-per-group 1..4 (a group has four)")
    args.workers = args.workers or (1 if args.phones <= 200 else 2)
    if not 1 <= args.workers <= 8 or args.concurrency < 1:
        return _usage("--workers must be 1..8 and --concurrency at least 1")
    try:
        args.processes = parse_processes(args.processes)
    except ValueError:
        return _usage(f"--processes must be a number of processes (1..{MAX_PROCESSES}) or a list of them, like 1,2, "
                      "and may start with sqlite (sqlite,1,2)")
    if args.processes and args.only == "relay":
        return _usage("--processes is about gamehub: it makes no sense with --only relay")
    servers.SERVE_ARGS[:] = ["--async-mode", args.async_mode]
    raise_open_files(args.phones)
    signal.signal(signal.SIGALRM, _give_up)
    signal.alarm(int(args.timeout) + 60)  # a last resort if a phase ignores the deadline
    targets = plan_targets(args)
    started = time.time()
    try:
        raws = asyncio.run(run_all(args, targets))
    except (asyncio.CancelledError, KeyboardInterrupt):
        print("bench: stopped", file=sys.stderr)
        return 130
    finally:
        signal.alarm(0)
        load.stop_children()
    doc = {"command": "python -m bench " + " ".join(argv if argv is not None else sys.argv[1:]),
           "machine": report.machine(), "started": time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(started)),
           "wall_s": round(time.time() - started, 1),
           "params": {k: getattr(args, k) for k in ("phones", "sessions", "duration", "typing", "typists_per_group",
                                                    "workers", "concurrency", "relay_nodelay", "processes")},
           "results": {label: report.summarise(raw) for label, raw in raws.items() if raw is not None}}
    if "gamehub" in doc["results"] and "relay" in doc["results"]:
        doc.update(report.compare(doc["results"]["gamehub"], doc["results"]["relay"]))
    if args.processes:
        if "relay" in doc["results"]:
            doc["comparisons"] = {label: report.compare(result, doc["results"]["relay"])
                                  for label, result in doc["results"].items() if label != "relay"}
        doc["scaling"] = report_cluster.scaling(doc["results"])
        if "gamehub-sqlite" in doc["results"]:
            doc["against_sqlite"] = report_cluster.against_sqlite(doc["results"])
    if args.json:
        with open(args.json, "w", encoding="utf-8") as out:
            json.dump(doc, out, indent=2)
    print(report_cluster.cluster_table(doc) if args.processes else report.table(doc))
    completed = all(raw is not None and raw["completed"] for raw in raws.values())
    return 0 if completed else 1


def _usage(message: str) -> int:
    print(f"bench: {message}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
