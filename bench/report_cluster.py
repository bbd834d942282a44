"""The `--processes` report: gamehub behind nginx with 1, 2, ... processes (and alone on
SQLite, `--processes sqlite,1,2`) beside the relay, throughput and tails side by side, and
each cluster run against the SQLite process measured in the same command.
"""

from __future__ import annotations

from .report import _ratio, _times

def scaling(results: dict) -> dict:
    """Throughput and tails of each gamehub-behind-nginx run beside the first one's."""
    runs = [r for r in results.values() if r.get("processes")]
    if len(runs) < 2:
        return {}
    base = runs[0]
    out = {}
    for run in runs[1:]:
        out[f"{run['target']} / {base['target']}"] = {
            "updates_acked_per_s": _ratio(run["typing"]["acked_per_s"], base["typing"]["acked_per_s"]),
            "events_per_s": _ratio(run["events"]["per_second"], base["events"]["per_second"]),
            "keystroke_to_groupmates_p99": _ratio(run["latency_ms"]["keystroke_to_groupmates"]["p99"],
                                                  base["latency_ms"]["keystroke_to_groupmates"]["p99"]),
            "update_ack_p99": _ratio(run["typing"]["ack_ms"]["p99"], base["typing"]["ack_ms"]["p99"]),
        }
    return out


def against_sqlite(results: dict) -> dict:
    """Each cluster run beside gamehub alone on SQLite in the same command: throughput, the
    members' p99 and the CPU per acknowledged update (all gamehub processes together)."""
    base = results["gamehub-sqlite"]
    out = {}
    for run in (r for r in results.values() if r.get("processes")):
        out[f"{run['target']} / gamehub-sqlite"] = {
            "updates_acked_per_s": _ratio(run["typing"]["acked_per_s"], base["typing"]["acked_per_s"]),
            "keystroke_to_groupmates_p99": _ratio(run["latency_ms"]["keystroke_to_groupmates"]["p99"],
                                                  base["latency_ms"]["keystroke_to_groupmates"]["p99"]),
            "cpu_per_update": _ratio(run["typing"]["server_cpu_ms_per_update"],
                                     base["typing"]["server_cpu_ms_per_update"]),
        }
    return out


def cluster_table(doc: dict) -> str:
    """`--processes`: one column per run (gamehub behind nginx with 1, 2, ... processes, then
    the relay), throughput and tails side by side."""
    results = doc["results"]
    names = list(results)
    p = doc["params"]
    src = next((r.get("source") for r in results.values() if r.get("processes")), None) or {}
    lines = [f"{p['phones']} phones, {p['sessions']} session(s), {p['duration']} s of planning with "
             f"{p.get('typing')} members typing ({p.get('typists_per_group')} a group), {p['workers']} load worker(s); "
             f"gamehub at {src.get('commit')}"
             f"{' + uncommitted ' + src['gamehub_diff_sha1'] if src.get('gamehub_uncommitted') else ''}; "
             f"gamehub on PostgreSQL + Redis behind nginx; latencies in ms (p50 / p99)", ""]

    def heading(name: str) -> str:
        n = results[name].get("processes")
        return f"{n} process{'es' if n != 1 else ''}" if n else "SQLite, 1 process" if name == "gamehub-sqlite" else name
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
            if x["target"] == "relay":
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
    row("typing at once (members)", lambda x: x["typing"]["typing_at_once"])
    row("updates acked / s", lambda x: x["typing"]["acked_per_s"])
    row("ticks typed, share acked", lambda x: f"{x['typing']['ticks_typed']}, {x['typing']['ticks_acked_share']:.1%}")
    row("events delivered / s", lambda x: x["events"]["per_second"])
    row("keystroke -> groupmates", lat("keystroke_to_groupmates"))
    row("  p99 vs relay", vs_relay("keystroke_to_groupmates_p99"))
    row("typed -> groupmates", lat("typed_to_groupmates"))
    row("update ack", lambda x: f"{x['typing']['ack_ms']['p50']} / {x['typing']['ack_ms']['p99']}")
    row("join -> on projector", lambda x: f"{x['join']['visible_on_projector_ms']['p50']} / "
        f"{x['join']['visible_on_projector_ms']['p99']}")
    row("ticks merged (in flight)", lambda x: f"{x['typing']['ticks_merged']} of {x['typing']['ticks']}")
    row("server CPU ms per update", lambda x: x["typing"]["server_cpu_ms_per_update"])
    row("  vs relay", vs_relay("cpu_per_update"))
    row("  above idle", lambda x: x["typing"]["server_cpu_ms_per_update_above_idle"])
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
    row("generator lag p99 (ms)", lambda x: x["typing"]["schedule_lag_ms"]["p99"])
    row("errors", lambda x: x["errors"]["total"])
    row("acked updates lost", lambda x: x["lost_updates"])
    row("  stranded (bench dropped)", lambda x: x["sheets"]["stranded"])
    row("applied, ack not received", lambda x: x["sheets"]["applied_unacked"])
    row("not applied, not acked", lambda x: x["sheets"]["unapplied_unacked"])
    row("nothing lost", lambda x: x["nothing_lost"])
    lines.append("")
    cores = (doc.get("machine") or {}).get("cpus")
    lines.append(f"CPU %: 100 = one core (the machine has {cores}); mean over the planning window. "
                 "PostgreSQL: the machine's whole server.")
    lines.append("keystroke: from the send of an update; typed: from its first character.")
    for label, ratios in (doc.get("against_sqlite") or {}).items():
        lines.append(f"{label}: " + ", ".join(f"{k} {_times(v) if v is not None else '-'}" for k, v in ratios.items()))
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
        for what, n in ((result.get("sheets") or {}).get("late_acks") or {}).items():
            lines.append(f"{result['target']} updates not acked in time: {n} {what}")
    return "\n".join(lines)
