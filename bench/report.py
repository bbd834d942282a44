"""From the raw observations of `bench.load.run_target` to numbers: percentiles per metric,
the ratios gamehub / relay, the issue's targets as pass/fail marks, a JSON document and a
short table. Latencies are in milliseconds. Keystroke -> groupmates is measured from the send
of the acknowledged sheet update (a resend after `rate_limited` or `busy` counts from the
resend); typed -> groupmates from when its first character was typed (a tick typed while
another update was in flight waits for it, as on the phones).
"""

from __future__ import annotations

import math
import os
import platform
import sys
from collections import Counter, defaultdict

import psutil

from .check import check_sheets

# The targets: gamehub / relay in the same run.
TARGETS = {
    "keystroke_to_groupmates_p99": 1.5,
    "cpu_per_update": 2.0,
    "peak_rss": 2.0,
    "all_joined": 2.0,
}


def pct(seconds: list[float]) -> dict:
    """n, mean, p50, p95, p99 and max in milliseconds (nearest rank)."""
    if not seconds:
        return {"n": 0, "mean": None, "p50": None, "p95": None, "p99": None, "max": None}
    values = sorted(seconds)

    def rank(p: float) -> float:
        return round(values[max(0, math.ceil(p / 100 * len(values)) - 1)] * 1000, 1)
    return {"n": len(values), "mean": round(sum(values) / len(values) * 1000, 1),
            "p50": rank(50), "p95": rank(95), "p99": rank(99), "max": round(values[-1] * 1000, 1)}


def machine() -> dict:
    model = ""
    try:
        with open("/proc/cpuinfo") as info:
            model = next((line.split(":", 1)[1].strip() for line in info if line.startswith("model name")), "")
    except OSError:
        pass
    return {"cpus": os.cpu_count(), "cpu_model": model, "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
            "python": sys.version.split()[0], "platform": platform.platform()}


def summarise(raw: dict) -> dict:
    """The numbers of one target's run."""
    marks, kind = raw["marks"], raw["kind"]
    joins = raw.get("joins", [])
    ok = [j for j in joins if j["ok"]]
    membership = raw.get("membership", {})
    out = {
        "target": raw.get("label", kind), "processes": raw.get("processes"), "completed": raw["completed"],
        "phones": raw["phones"], "sessions": raw["sessions"],
        "groups": len(membership), "duration_s": raw["duration"], "workers": raw["workers"],
        "wall_s": round(marks["end"] - marks["start"], 1), "source": raw.get("source"),
    }

    # Joining: from the first connection attempt to the last join ack.
    visible = [raw["names_seen"][(j["session"], j["name"])] - j["t_send"]
               for j in ok if (j["session"], j["name"]) in raw["names_seen"]]
    out["join"] = {
        "joined": len(ok), "all_joined_s": round(max(j["t_ack"] for j in ok) - marks["join_start"], 2) if ok else None,
        "per_phone_ms": pct([j["t_ack"] - j["t_connect"] for j in ok]),
        "join_ack_ms": pct([j["t_ack"] - j["t_send"] for j in ok]),
        "visible_on_projector_ms": pct(visible), "not_visible": len(ok) - len(visible),
    }

    # Typing: each acknowledged update, and when each groupmate got it.
    updates = raw.get("updates", [])
    seen: dict[str, dict[str, float]] = defaultdict(dict)
    for update, t, receiver in raw.get("received", []):
        seen[update].setdefault(receiver, t)
    keystroke, typed = [], []
    missing = Counter()
    for u in updates:
        for member in membership.get((u["session"], u["group"]), []):
            if member == u["sender"]:
                continue
            if member in seen[u["key"]]:
                keystroke.append(seen[u["key"]][member] - u["t_send"])
                typed.append(seen[u["key"]][member] - u["t_typed"])
            else:
                missing["groupmates"] += 1
    start, end = marks.get("plan_start", 0), marks.get("plan_end", 0)
    in_window = [u for u in updates if start <= u["t_send"] <= end]
    out["typing"] = {
        "typing_asked": raw.get("typing_asked"), "typists_per_group": raw.get("typists_per_group"),
        "typists": len(raw.get("typing") or {}),
        "groups_typing": len({(u["session"], u["group"]) for u in updates}),
        "typing_at_once": len({u["sender"] for u in in_window}),
        "updates_acked": len(updates), "updates_in_window": len(in_window),
        "acked_per_s": round(len(in_window) / raw["duration"], 1),
        "ticks": sum(u["ticks"] for u in updates), "ticks_merged": raw.get("merged", 0),
        # Every tick typed (a tick is what a member typed in 150 ms): the offered traffic.
        "ticks_typed": len(raw.get("lags", [])) - raw.get("sheet_full", 0),
        "resends": sum(u["resends"] for u in updates), "sheet_full": raw.get("sheet_full", 0),
        "update_chars_mean": round(sum(len(u["key"]) for u in updates) / len(updates), 1) if updates else None,
        "ack_ms": pct([u["t_ack"] - u["t_send"] for u in updates]),
        "schedule_lag_ms": pct(raw.get("lags", [])),
        "ticks_acked_share": round(sum(u["ticks"] for u in updates) / max(1, len(raw.get("lags", []))
                                                                         - raw.get("sheet_full", 0)), 4),
        "server_cpu_ms_per_update": None, "server_cpu_ms_per_update_above_idle": None,  # below, with the CPU
    }
    out["latency_ms"] = {"keystroke_to_groupmates": pct(keystroke), "typed_to_groupmates": pct(typed)}
    out["undelivered"] = {k: v for k, v in missing.items() if v}
    out["events"] = {"in_planning": raw.get("window_events", 0),
                     "per_second": round(raw.get("window_events", 0) / raw["duration"], 1),
                     "patches_skipped": raw.get("patches_skipped", 0)}

    # Processes: the server, and the load generator (coordinator + workers) beside it.
    samples = raw.get("samples", [])
    planning = [s for s in samples if marks.get("plan_start", 0) <= s[0] <= marks.get("plan_end", 0)]
    busy = [s for s in samples if marks.get("join_start", math.inf) <= s[0] <= marks.get("drained", marks["end"])]

    def mean(rows, col):
        return round(sum(r[col] for r in rows) / len(rows), 1) if rows else None
    out["server"] = {"pid": raw.get("server_pid"), "peak_rss_mb": round(max(s[2] for s in samples) / 2**20, 1) if samples else None,
                     "mean_cpu_percent": mean(busy, 1), "mean_cpu_planning": mean(planning, 1),
                     "exit_code": raw.get("server_exit"),
                     "log_tail": raw.get("server_log", [])[-(40 if raw.get("processes") else 10):],
                     # Every line the server(s) printed after starting, codes masked, with counts.
                     # (first / last: seconds from the start of planning.)
                     "log_counts": [{line: {"n": n, "first_s": round(first - marks.get("plan_start", marks["start"]), 1),
                                            "last_s": round(last - marks.get("plan_start", marks["start"]), 1)}
                                     for line, (n, first, last) in sorted(c.items(), key=lambda kv: -kv[1][0])[:10]}
                                    for c in raw.get("server_log_counts", [])],
                     # The first 60 different lines each printed after the start, in order (a traceback whole).
                     "log_first": [list(c)[:60] for c in raw.get("server_log_counts", [])]}
    # Idle: every screen connected, nobody typing yet (the samples ending 1 s after the
    # typists were told to start and 0.1 s before they do).
    idle = [s for s in samples if marks.get("idle_start", math.inf) + 1.0 <= s[0] <= start - 0.1]
    out["server"]["mean_cpu_idle"] = mean(idle, 1)
    if out["server"]["mean_cpu_planning"] is not None and in_window:
        # CPU time over the planning window (mean % x its length) per update sent in it; and
        # the same above the idle server's, i.e. what the typing added.
        per_update = (end - start) * 1000 / len(in_window) / 100
        out["typing"]["server_cpu_ms_per_update"] = round(out["server"]["mean_cpu_planning"] * per_update, 3)
        if out["server"]["mean_cpu_idle"] is not None:
            out["typing"]["server_cpu_ms_per_update_above_idle"] = round(
                (out["server"]["mean_cpu_planning"] - out["server"]["mean_cpu_idle"]) * per_update, 3)
    out["load_generator"] = {"mean_cpu_planning": mean(planning, 3),
                             "peak_rss_mb": round(max(s[4] for s in samples) / 2**20, 1) if samples else None}
    extras = [s[5] for s in planning if len(s) > 5]
    if extras:
        out["machine_cpu_planning"] = round(sum(x["machine"] for x in extras) / len(extras), 1)
        out["server"]["per_process_cpu_planning"] = [
            round(sum(x["per_server"][i] for x in extras) / len(extras), 1) for i in range(len(extras[0]["per_server"]))]
    if raw.get("processes"):
        out["server"]["pids"] = raw.get("server_pids")
        out["cluster"] = dict(raw.get("cluster") or {})
        races = out["cluster"].pop("lost_races", None)
        # A command that lost a version race to another process is applied again (gamehub
        # reloads the session): from PostgreSQL's log, which records each refused INSERT.
        out["cluster"]["lost_version_races"] = None if races is None else {
            "total": len(races),
            "planning": sum(marks.get("plan_start", 0) <= t <= marks.get("plan_end", 0) for t in races),
            "per_s_planning": round(sum(marks.get("plan_start", 0) <= t <= marks.get("plan_end", 0)
                                        for t in races) / raw["duration"], 1)}
        for name in ("nginx", "redis", "postgres"):
            rows = [s[5][name] for s in planning if len(s) > 5 and name in s[5]]
            every = [s[5][name] for s in samples if len(s) > 5 and name in s[5]]
            out[name] = {"mean_cpu_planning": round(sum(r[0] for r in rows) / len(rows), 1) if rows else None,
                         "peak_rss_mb": round(max(r[1] for r in every) / 2**20, 1) if every else None}
        # PostgreSQL's RSS counts its shared buffers once per process: not a useful sum.
        out["postgres"]["peak_rss_mb"] = None
        out["postgres"]["note"] = "the machine's whole PostgreSQL (every postgres process), CPU only"

    errors = [tuple(e) for e in raw.get("errors", [])]
    if raw["completed"] and len(ok) < raw["phones"]:
        errors.append(("not_joined", f"{raw['phones'] - len(ok)} phones did not join"))
    for what, count in out["undelivered"].items():
        errors.append(("undelivered", f"{count} updates never reached one of the {what}"))
    out["errors"] = {"total": len(errors), "by_kind": dict(Counter(k for k, _ in errors)),
                     "first": [f"{k}: {m}" for k, m in errors[:8]]}
    if kind == "gamehub":
        sheets = check_sheets(updates, raw.get("synced") or {}, raw.get("export"), raw.get("sent"))
        out["sheets"] = {k: v for k, v in sheets.items() if k != "detail"}
        out["lost_updates"], out["nothing_lost"], out["lost_detail"] = (
            sheets["lost"], sheets["nothing_lost"], sheets["detail"])
    else:
        out["lost_updates"], out["nothing_lost"], out["lost_detail"] = None, None, []
    # When each step began, in seconds from the start of planning (to place the server's log lines).
    out["marks_s"] = {name: round(t - marks.get("plan_start", marks["start"]), 1) for name, t in marks.items()}
    out["phases_s"] = {name: round(marks[b] - marks[a], 2) for name, a, b in (
        ("join", "join_start", "join_end"), ("setup", "setup_start", "setup_end"),
        ("planning_and_drain", "plan_start", "drained"), ("sync", "drained", "synced"),
        ("showcase", "showcase_start", "showcase_end"))
        if a in marks and b in marks}
    return out


def _ratio(a, b) -> float | None:
    return round(a / b, 2) if a is not None and b else None


def compare(gamehub: dict, relay: dict) -> dict:
    """gamehub / relay per target, and whether each target holds."""
    g, r = gamehub, relay
    ratios = {}
    for name in ("keystroke_to_groupmates", "typed_to_groupmates"):
        for p in ("p50", "p99"):
            ratios[f"{name}_{p}"] = _ratio(g["latency_ms"][name][p], r["latency_ms"][name][p])
    ratios.update(
        cpu_per_update=_ratio(g["typing"]["server_cpu_ms_per_update"], r["typing"]["server_cpu_ms_per_update"]),
        cpu_per_update_above_idle=_ratio(g["typing"].get("server_cpu_ms_per_update_above_idle"),
                                         r["typing"].get("server_cpu_ms_per_update_above_idle")),
        server_cpu_planning=_ratio(g["server"]["mean_cpu_planning"], r["server"]["mean_cpu_planning"]),
        peak_rss=_ratio(g["server"]["peak_rss_mb"], r["server"]["peak_rss_mb"]),
        all_joined=_ratio(g["join"]["all_joined_s"], r["join"]["all_joined_s"]),
    )
    marks = {name: (ratios[name] is not None and ratios[name] <= limit) for name, limit in TARGETS.items()}
    marks["no_errors"] = g["errors"]["total"] == 0
    marks["nothing_lost"] = bool(g.get("nothing_lost"))
    return {"ratios": ratios, "targets": marks}


def _times(ratio: float) -> str:
    return f"{ratio:,.0f}x" if ratio >= 100 else f"{ratio:.1f}x" if ratio >= 10 else f"{ratio:.2f}x"


def table(doc: dict) -> str:
    g, r = doc["results"].get("gamehub"), doc["results"].get("relay")
    ratios, targets = doc.get("ratios", {}), doc.get("targets", {})
    p = doc["params"]
    src = (doc["results"].get("gamehub") or {}).get("source") or {}
    lines = [f"{p['phones']} phones, {p['sessions']} session(s), {p['duration']} s of planning with "
             f"{p.get('typing')} members typing ({p.get('typists_per_group')} a group), {p['workers']} load worker(s); "
             f"gamehub at {src.get('commit')}"
             f"{' + uncommitted ' + src['gamehub_diff_sha1'] if src.get('gamehub_uncommitted') else ''}; "
             f"latencies in ms (p50 / p99)", ""]
    lines.append(f"{'':30}{'gamehub':>16}{'relay':>16}{'ratio (p50) p99':>20}  target")

    def cell(result, get):
        if result is None:
            return "-"
        try:
            value = get(result)
        except (KeyError, TypeError):
            return "-"
        return "-" if value is None else str(value)

    def row(label, get, key=None, limit=None):
        ratio = ratios.get(key) if key else None
        shown = _times(ratio) if ratio is not None else ""
        if key and key.endswith("_p99") and ratios.get(key[:-3] + "p50") is not None:
            shown = f"({_times(ratios[key[:-3] + 'p50'])}) {shown}"  # the p50 ratio, then the p99 one
        mark = ("PASS" if targets.get(key) else "FAIL") if key in targets else ""
        lines.append(f"{label:30}{cell(g, get):>16}{cell(r, get):>16}{shown:>20}  {limit or ''} {mark}".rstrip())

    def lat(name):
        return lambda x: f"{x['latency_ms'][name]['p50']} / {x['latency_ms'][name]['p99']}"
    row("groups", lambda x: x["groups"])
    row("all phones joined (s)", lambda x: x["join"]["all_joined_s"], "all_joined", "<= 2x")
    row("join -> on projector", lambda x: f"{x['join']['visible_on_projector_ms']['p50']} / "
        f"{x['join']['visible_on_projector_ms']['p99']}")
    row("typing at once (members)", lambda x: x["typing"]["typing_at_once"])
    row("keystroke -> groupmates", lat("keystroke_to_groupmates"), "keystroke_to_groupmates_p99", "<= 1.5x")
    row("typed -> groupmates", lat("typed_to_groupmates"), "typed_to_groupmates_p99")
    row("update ack", lambda x: f"{x['typing']['ack_ms']['p50']} / {x['typing']['ack_ms']['p99']}")
    row("updates acked / s (in window)", lambda x: x["typing"]["acked_per_s"])
    row("ticks merged (in flight)", lambda x: f"{x['typing']['ticks_merged']} of {x['typing']['ticks']}")
    row("server CPU ms per update", lambda x: x["typing"]["server_cpu_ms_per_update"], "cpu_per_update", "<= 2x")
    row("  above idle", lambda x: x["typing"].get("server_cpu_ms_per_update_above_idle"),
        "cpu_per_update_above_idle")
    row("server CPU % (planning)", lambda x: x["server"]["mean_cpu_planning"], "server_cpu_planning")
    row("server CPU % (idle, before)", lambda x: x["server"]["mean_cpu_idle"])
    row("server peak RSS (MB)", lambda x: x["server"]["peak_rss_mb"], "peak_rss", "<= 2x")
    row("events delivered / s", lambda x: x["events"]["per_second"])
    row("load generator CPU % (plan.)", lambda x: x["load_generator"]["mean_cpu_planning"])
    row("machine CPU % (plan., all)", lambda x: x.get("machine_cpu_planning"))
    row("generator lag p99 (ms)", lambda x: x["typing"]["schedule_lag_ms"]["p99"])
    row("errors", lambda x: x["errors"]["total"], "no_errors", "none")
    row("acked updates lost", lambda x: x["lost_updates"], "nothing_lost", "none")
    row("  stranded (bench dropped)", lambda x: x["sheets"]["stranded"])
    row("applied, ack not received", lambda x: x["sheets"]["applied_unacked"])
    row("not applied, not acked", lambda x: x["sheets"]["unapplied_unacked"])
    row("answers not as typed", lambda x: None if x.get("sheets") is None else
        x["sheets"]["fields_differ_sync"] + x["sheets"]["fields_differ_export"] + x["sheets"]["not_synced"])
    lines.append("")
    if p.get("relay_nodelay"):
        lines.append("The relay ran with TCP_NODELAY (--relay-nodelay).")
    lines.append("keystroke: from the send of an update; typed: from its first character (a tick typed while "
                 "another update was in flight goes with the next). CPU per update: over the planning window. "
                 f"Machine CPU: all processes, of {100 * ((doc.get('machine') or {}).get('cpus') or 1)}.")
    for result in (g, r):
        if result and result["errors"]["total"]:
            lines.append(f"{result['target']} errors: {result['errors']['by_kind']}")
            lines += [f"  {line[:200]}" for line in result["errors"]["first"][:4]]
        if result and result.get("lost_detail"):
            lines += [f"  lost: {line}" for line in result["lost_detail"][:4]]
    return "\n".join(lines)
