"""From the raw observations of `bench.load.run_target` to numbers: percentiles per metric,
the ratios gamehub / relay, the issue's targets as pass/fail marks, a JSON document and a
short table. Latencies are in milliseconds, measured from the send of the accepted edit (a
resend after `stale_edit` counts from the resend; the retries are counted separately).
"""

from __future__ import annotations

import math
import os
import platform
import sys
from collections import Counter, defaultdict

import psutil

from .load import edit_text

# The targets: gamehub / relay in the same run.
TARGETS = {
    "edit_to_members_p99": 1.5,
    "edit_to_projector_p99": 1.5,
    "edit_to_facilitator_p99": 1.5,
    "all_joined": 2.0,
    "peak_rss": 2.0,
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
    edits = raw.get("edits", [])
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

    # Edits, and who saw each one when.
    seen: dict[str, dict[str, float]] = defaultdict(dict)
    for marker, t, receiver in raw.get("phone_seen", []):
        seen[marker].setdefault(receiver, t)
    newest = {}  # field -> highest acked rev (gamehub): an older edit may be superseded before a view shows it
    for e in edits:
        field = (e["session"], e["group"], e["question"])
        if e["rev"] is not None:
            newest[field] = max(newest.get(field, 0), e["rev"])

    def superseded(e: dict) -> bool:
        return e["rev"] is not None and e["rev"] < newest[(e["session"], e["group"], e["question"])]

    members, facilitator, projector = [], [], []
    missing = Counter()
    for e in edits:
        for member in membership.get((e["session"], e["group"]), []):
            if member == e["sender"]:
                continue
            if member in seen[e["marker"]]:
                members.append(seen[e["marker"]][member] - e["t_send"])
            else:
                missing["members (superseded)" if superseded(e) else "members"] += 1
        if e["marker"] in raw["facilitator_seen"]:
            facilitator.append(raw["facilitator_seen"][e["marker"]] - e["t_send"])
        else:
            missing["facilitator (superseded)" if superseded(e) else "facilitator"] += 1
    if kind == "relay":
        projector = [raw["projector_seen"][e["marker"]] - e["t_send"] for e in edits if e["marker"] in raw["projector_seen"]]
        missing["projector"] += len(edits) - len(projector)
        projector_note = "every edit (the relay sends each edit to the watchers)"
    else:
        # During planning the projector shows how many answers each group has, not the texts:
        # only an edit that fills an empty field (acked rev 1) changes it. The k-th fill of a
        # group (in session-version order) is visible once the projector shows answered >= k.
        fills = defaultdict(list)
        for e in edits:
            if e["rev"] == 1:
                fills[(e["session"], e["group"])].append(e)
        for key, group_fills in fills.items():
            history = raw["projector_answered"].get(key, [])
            for k, e in enumerate(sorted(group_fills, key=lambda e: e["version"]), start=1):
                t = next((t for t, answered, _ in history if answered >= k), None)
                if t is None:
                    missing["projector"] += 1
                else:
                    projector.append(t - e["t_send"])
        projector_note = "edits that fill an empty field: the projector's 'answered' count for the group changes"
    out["edits"] = {
        "acked": len(edits), "stale_retries": sum(e["retries"] for e in edits),
        "acked_per_s": round(len(edits) / raw["duration"], 1),
        "skipped_in_flight": raw.get("skipped", 0), "ack_ms": pct([e["t_ack"] - e["t_send"] for e in edits]),
        "schedule_lag_ms": pct([e["lag"] for e in edits]),
    }
    out["latency_ms"] = {"edit_to_members": pct(members), "edit_to_facilitator": pct(facilitator),
                         "edit_to_projector": pct(projector)}
    out["projector_measures"] = projector_note
    # "(superseded)": not shown, but a newer edit of the same field was acked (a screen that
    # coalesces or falls behind may skip straight to it); the others never arrived at all.
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
    missed = {k: v for k, v in missing.items() if "superseded" not in k and v}
    for what, count in missed.items():
        errors.append(("undelivered", f"{count} deliveries to {what} never arrived"))
    out["errors"] = {"total": len(errors), "by_kind": dict(Counter(k for k, _ in errors)),
                     "first": [f"{k}: {m}" for k, m in errors[:8]]}
    out["lost_updates"], out["lost_detail"] = lost_updates(raw) if kind == "gamehub" else (None, [])
    # When each step began, in seconds from the start of planning (to place the server's log lines).
    out["marks_s"] = {name: round(t - marks.get("plan_start", marks["start"]), 1) for name, t in marks.items()}
    out["phases_s"] = {name: round(marks[b] - marks[a], 2) for name, a, b in (
        ("join", "join_start", "join_end"), ("setup", "setup_start", "setup_end"),
        ("planning_and_drain", "plan_start", "drained"), ("showcase", "showcase_start", "showcase_end"))
        if a in marks and b in marks}
    return out


def lost_updates(raw: dict) -> tuple[int | None, list[str]]:
    """Acked edits missing from the final export: per field, the edit acked with the highest
    rev must be its text, and no two acked edits may share a rev (one would be lost)."""
    export = raw.get("export")
    if export is None:
        return None, ["no export"]
    fields = defaultdict(list)
    for e in raw.get("edits", []):
        fields[(e["session"], e["group"], e["question"])].append(e)
    lost, detail = 0, []
    for (session, group, question), acked in fields.items():
        revs = Counter(e["rev"] for e in acked)
        doubled = sum(n - 1 for n in revs.values())
        last = max(acked, key=lambda e: e["rev"])
        stored = (export.get((session, group)) or [None] * 4)[question]
        if doubled or stored != edit_text(last["marker"]):
            lost += doubled + (stored != edit_text(last["marker"]))
            detail.append(f"session {session} group {group} question {question}: last acked {last['marker']} "
                          f"rev {last['rev']}, export has {(stored or '')[:24]!r}, {doubled} revs acked twice")
    return lost, detail[:8]


def _ratio(a, b) -> float | None:
    return round(a / b, 2) if a is not None and b else None


def compare(gamehub: dict, relay: dict) -> dict:
    """gamehub / relay per target, and whether each target holds."""
    g, r = gamehub, relay
    ratios = {
        "edit_to_members_p99": _ratio(g["latency_ms"]["edit_to_members"]["p99"], r["latency_ms"]["edit_to_members"]["p99"]),
        "edit_to_projector_p99": _ratio(g["latency_ms"]["edit_to_projector"]["p99"], r["latency_ms"]["edit_to_projector"]["p99"]),
        "edit_to_facilitator_p99": _ratio(g["latency_ms"]["edit_to_facilitator"]["p99"],
                                          r["latency_ms"]["edit_to_facilitator"]["p99"]),
        "edit_to_members_p50": _ratio(g["latency_ms"]["edit_to_members"]["p50"], r["latency_ms"]["edit_to_members"]["p50"]),
        "edit_to_projector_p50": _ratio(g["latency_ms"]["edit_to_projector"]["p50"], r["latency_ms"]["edit_to_projector"]["p50"]),
        "edit_to_facilitator_p50": _ratio(g["latency_ms"]["edit_to_facilitator"]["p50"],
                                          r["latency_ms"]["edit_to_facilitator"]["p50"]),
        "all_joined": _ratio(g["join"]["all_joined_s"], r["join"]["all_joined_s"]),
        "peak_rss": _ratio(g["server"]["peak_rss_mb"], r["server"]["peak_rss_mb"]),
        "server_cpu_planning": _ratio(g["server"]["mean_cpu_planning"], r["server"]["mean_cpu_planning"]),
    }
    marks = {name: (ratios[name] is not None and ratios[name] <= limit) for name, limit in TARGETS.items()}
    marks["no_errors"] = g["errors"]["total"] == 0
    marks["no_lost_updates"] = g["lost_updates"] == 0
    return {"ratios": ratios, "targets": marks}


def _times(ratio: float) -> str:
    return f"{ratio:,.0f}x" if ratio >= 100 else f"{ratio:.1f}x" if ratio >= 10 else f"{ratio:.2f}x"


def table(doc: dict) -> str:
    g, r = doc["results"].get("gamehub"), doc["results"].get("relay")
    ratios, targets = doc.get("ratios", {}), doc.get("targets", {})
    p = doc["params"]
    src = (doc["results"].get("gamehub") or {}).get("source") or {}
    lines = [f"{p['phones']} phones, {p['sessions']} session(s), {p['duration']} s of planning, "
             f"{p['workers']} load worker(s); gamehub at {src.get('commit')}"
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
    row("edit -> other members", lat("edit_to_members"), "edit_to_members_p99", "<= 1.5x")
    row("edit -> facilitator", lat("edit_to_facilitator"), "edit_to_facilitator_p99", "<= 1.5x")
    row("edit -> projector (*)", lat("edit_to_projector"), "edit_to_projector_p99", "<= 1.5x")
    row("edit ack", lambda x: f"{x['edits']['ack_ms']['p50']} / {x['edits']['ack_ms']['p99']}")
    row("edits acked (stale retries)", lambda x: f"{x['edits']['acked']} ({x['edits']['stale_retries']})")
    row("events delivered / s", lambda x: x["events"]["per_second"])
    row("server CPU % (planning)", lambda x: x["server"]["mean_cpu_planning"], "server_cpu_planning")
    row("server peak RSS (MB)", lambda x: x["server"]["peak_rss_mb"], "peak_rss", "<= 2x")
    row("load generator CPU % (plan.)", lambda x: x["load_generator"]["mean_cpu_planning"])
    row("generator lag p99 (ms)", lambda x: x["edits"]["schedule_lag_ms"]["p99"])
    row("errors", lambda x: x["errors"]["total"], "no_errors", "none")
    row("lost updates", lambda x: x["lost_updates"], "no_lost_updates", "none")
    lines.append("")
    if p.get("relay_nodelay"):
        lines.append("The relay ran with TCP_NODELAY (--relay-nodelay).")
    lines.append("(*) gamehub's projector shows per-group 'answered' counts during planning: measured on edits "
                 "that fill an empty field; the relay's on every edit.")
    for result in (g, r):
        if result and result["errors"]["total"]:
            lines.append(f"{result['target']} errors: {result['errors']['by_kind']}")
            lines += [f"  {line[:200]}" for line in result["errors"]["first"][:4]]
        if result and result.get("lost_detail"):
            lines += [f"  lost: {line}" for line in result["lost_detail"][:4]]
    return "\n".join(lines)


def scaling(results: dict) -> dict:
    """Throughput and tails of each gamehub-behind-nginx run beside the first one's."""
    runs = [r for r in results.values() if r.get("processes")]
    if len(runs) < 2:
        return {}
    base = runs[0]
    out = {}
    for run in runs[1:]:
        out[f"{run['target']} / {base['target']}"] = {
            "edits_acked_per_s": _ratio(run["edits"]["acked_per_s"], base["edits"]["acked_per_s"]),
            "events_per_s": _ratio(run["events"]["per_second"], base["events"]["per_second"]),
            "edit_to_members_p99": _ratio(run["latency_ms"]["edit_to_members"]["p99"],
                                          base["latency_ms"]["edit_to_members"]["p99"]),
            "edit_ack_p99": _ratio(run["edits"]["ack_ms"]["p99"], base["edits"]["ack_ms"]["p99"]),
        }
    return out


def cluster_table(doc: dict) -> str:
    """`--processes`: one column per run (gamehub behind nginx with 1, 2, ... processes, then
    the relay), throughput and tails side by side."""
    results = doc["results"]
    names = list(results)
    p = doc["params"]
    src = next((r.get("source") for r in results.values() if r.get("processes")), None) or {}
    lines = [f"{p['phones']} phones, {p['sessions']} session(s), {p['duration']} s of planning, "
             f"{p['workers']} load worker(s); gamehub at {src.get('commit')}"
             f"{' + uncommitted ' + src['gamehub_diff_sha1'] if src.get('gamehub_uncommitted') else ''}; "
             f"gamehub on PostgreSQL + Redis behind nginx; latencies in ms (p50 / p99)", ""]

    def heading(name: str) -> str:
        n = results[name].get("processes")
        return f"{n} process{'es' if n != 1 else ''}" if n else name
    width = 19
    lines.append(f"{'':30}" + "".join(f"{heading(n):>{width}}" for n in names))

    def cell(result, get):
        try:
            value = get(result)
        except (KeyError, TypeError, IndexError):
            return "-"
        return "-" if value is None else str(value)

    def row(label, get):
        lines.append(f"{label:30}" + "".join(f"{cell(results[n], get):>{width}}" for n in names))

    def lat(name):
        return lambda x: f"{x['latency_ms'][name]['p50']} / {x['latency_ms'][name]['p99']}"

    def vs_relay(key):
        def get(x):
            if not x.get("processes"):
                return None
            ratio = (doc.get("comparisons") or {}).get(x["target"], {}).get("ratios", {}).get(key)
            return _times(ratio) if ratio is not None else None
        return get

    def cluster_part(name):
        def get(x):
            part = x.get(name)
            if not part:
                return None
            rss = f" / {part['peak_rss_mb']}" if part.get("peak_rss_mb") is not None else ""
            return f"{part['mean_cpu_planning']}{rss}"
        return get
    row("groups", lambda x: x["groups"])
    row("all phones joined (s)", lambda x: x["join"]["all_joined_s"])
    row("edits acked / s", lambda x: x["edits"]["acked_per_s"])
    row("events delivered / s", lambda x: x["events"]["per_second"])
    row("edit -> other members", lat("edit_to_members"))
    row("  p99 vs relay", vs_relay("edit_to_members_p99"))
    row("edit -> facilitator", lat("edit_to_facilitator"))
    row("edit -> projector (*)", lat("edit_to_projector"))
    row("edit ack", lambda x: f"{x['edits']['ack_ms']['p50']} / {x['edits']['ack_ms']['p99']}")
    row("join -> on projector", lambda x: f"{x['join']['visible_on_projector_ms']['p50']} / "
        f"{x['join']['visible_on_projector_ms']['p99']}")
    row("edits acked (stale retries)", lambda x: f"{x['edits']['acked']} ({x['edits']['stale_retries']})")
    row("server CPU % (planning)", lambda x: x["server"]["mean_cpu_planning"])
    row("  per process", lambda x: " + ".join(str(c) for c in x["server"]["per_process_cpu_planning"])
        if x.get("processes") and len(x["server"]["per_process_cpu_planning"]) > 1 else None)
    row("version races lost / s", lambda x: (x["cluster"]["lost_version_races"] or {}).get("per_s_planning")
        if x.get("processes") else None)
    row("connections per process", lambda x: " + ".join(
        str(sum(per.values())) for per in x["cluster"]["connections"].values()) if x.get("processes") else None)
    row("server peak RSS (MB, all)", lambda x: x["server"]["peak_rss_mb"])
    row("nginx CPU % / peak RSS MB", cluster_part("nginx"))
    row("redis CPU % / peak RSS MB", cluster_part("redis"))
    row("PostgreSQL CPU % (all)", cluster_part("postgres"))
    row("load generator CPU % (plan.)", lambda x: x["load_generator"]["mean_cpu_planning"])
    row("machine CPU % (plan., all)", lambda x: x.get("machine_cpu_planning"))
    row("generator lag p99 (ms)", lambda x: x["edits"]["schedule_lag_ms"]["p99"])
    row("errors", lambda x: x["errors"]["total"])
    row("lost updates", lambda x: x["lost_updates"])
    lines.append("")
    cores = (doc.get("machine") or {}).get("cpus")
    lines.append(f"CPU %: 100 = one core (the machine has {cores}); mean over the planning window. "
                 "PostgreSQL: the machine's whole server.")
    lines.append("(*) gamehub's projector shows per-group 'answered' counts during planning: measured on edits "
                 "that fill an empty field; the relay's on every edit.")
    for label, ratios in (doc.get("scaling") or {}).items():
        lines.append(f"{label}: " + ", ".join(f"{k} {_times(v) if v is not None else '-'}" for k, v in ratios.items()))
    if p.get("relay_nodelay"):
        lines.append("The relay ran with TCP_NODELAY (--relay-nodelay).")
    for result in results.values():
        if result.get("processes"):
            spread = "; ".join(f"port {port}: " + ", ".join(f"{n} {kind}" for kind, n in sorted(per.items()))
                               for port, per in result["cluster"].get("connections", {}).items())
            lines.append(f"{result['target']} connections (from nginx's log): {spread or '-'}")
        for i, counts in enumerate(result["server"].get("log_counts") or []):
            for line, seen in list(counts.items())[:3]:
                lines.append(f"{result['target']} process {i + 1} printed {seen['n']}x (from {seen['first_s']} "
                             f"to {seen['last_s']} s after planning began): {line[:150]}")
        if result["errors"]["total"]:
            lines.append(f"{result['target']} errors: {result['errors']['by_kind']}")
            lines += [f"  {line[:200]}" for line in result["errors"]["first"][:4]]
        if result.get("lost_detail"):
            lines += [f"  lost: {line}" for line in result["lost_detail"][:4]]
    return "\n".join(lines)
