"""`python -m bench.guessing --samples 300`: past the failure budget, is a right token refused in
the same time as a wrong one?

Starts `gamehub serve` (one session, `--trusted-proxies 1`, so each client picks its address with
X-Forwarded-For), then from one address spends the address's budget with wrong room codes, and
from another spends only the budget of the session's projector key with wrong keys. Then it
connects, one at a time, interleaved in a shuffled order, with a right and a wrong credential
of each pair, and times each attempt from the client (a websocket opened, the answer received):

- `code` (address spent): a phone with a token, at the right room code / at a wrong one;
- `key` (address spent): the projector with the right key / a wrong one;
- `key, target spent` (only the key's budget spent): the projector with the right key / a wrong one.

Run it from another tree (`cd /tmp/old && python -m bench.guessing`) to measure that tree's
server. Figures: docs/security.md, "Past the budget".
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import time
from collections import Counter

import socketio

from . import servers

SPENT_ADDRESS, SPENT_TARGET = "203.0.113.7", "198.51.100.9"


async def attempt(url: str, auth: dict, address: str) -> tuple[str, float]:
    """One connection attempt: its outcome ("connected" or the refusal's code) and seconds taken."""
    client = socketio.AsyncClient(reconnection=False)
    refusals: list = []
    client.on("connect_error", refusals.append)
    started = time.perf_counter()
    try:
        await client.connect(url, auth=auth, headers={"X-Forwarded-For": address},
                             transports=["websocket"], wait_timeout=10)
        outcome = "connected"
    except socketio.exceptions.ConnectionError:
        outcome = refusals[0]["message"] if refusals else "no answer"
    elapsed = time.perf_counter() - started
    await client.disconnect()
    return outcome, elapsed


async def measure(url: str, session: dict, samples: int) -> dict:
    code, key = session["code"], session["projector"]
    wrong_code = "Z" * len(code) if code != "Z" * len(code) else "Y" * len(code)
    token = "a-phone-token-that-nobody-in-this-room-holds"
    for i in range(130):  # past any address budget: wrong codes, each its own target
        await attempt(url, {"session": f"ZZZ{i:05d}", "role": "phone"}, SPENT_ADDRESS)
    for i in range(40):  # past the projector key's budget only
        await attempt(url, {"session": code, "role": "projector", "token": f"wrong-{i}"}, SPENT_TARGET)
    pairs = {
        "code": (SPENT_ADDRESS, {"session": code, "role": "phone", "token": token},
                 {"session": wrong_code, "role": "phone", "token": token}),
        "key": (SPENT_ADDRESS, {"session": code, "role": "projector", "token": key},
                {"session": code, "role": "projector", "token": "x" * len(key)}),
        "key, target spent": (SPENT_TARGET, {"session": code, "role": "projector", "token": key},
                              {"session": code, "role": "projector", "token": "x" * len(key)}),
    }
    timings = {name: {"right": [], "wrong": []} for name in pairs}
    outcomes = {name: {"right": Counter(), "wrong": Counter()} for name in pairs}
    shuffle = random.Random(7)
    for _ in range(samples):
        for name, (address, right, wrong) in pairs.items():
            order = [("right", right), ("wrong", wrong)]
            shuffle.shuffle(order)  # neither is always the one measured first
            for which, auth in order:
                outcome, elapsed = await attempt(url, auth, address)
                timings[name][which].append(elapsed * 1000)
                outcomes[name][which][outcome] += 1
    report = {}
    for name in pairs:
        row = {}
        for which in ("right", "wrong"):
            values = sorted(timings[name][which])
            row[which] = {"median_ms": round(statistics.median(values), 3),
                          "p10_ms": round(values[len(values) // 10], 3),
                          "p90_ms": round(values[len(values) * 9 // 10], 3),
                          "outcomes": dict(outcomes[name][which])}
        row["ratio_right_to_wrong"] = round(row["right"]["median_ms"] / row["wrong"]["median_ms"], 3)
        report[name] = row
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--samples", type=int, default=300, help="attempts of each kind (default 300)")
    parser.add_argument("--json", help="write the figures here too")
    options = parser.parse_args()
    try:
        server = servers.start_server("gamehub", 1, 1)
        report = asyncio.run(measure(server.url, server.sessions[0], options.samples))
    finally:
        servers.stop_children()
    for name, row in report.items():
        print(f"{name:18}  right {row['right']['median_ms']:7.3f} ms {row['right']['outcomes']}  "
              f"wrong {row['wrong']['median_ms']:7.3f} ms {row['wrong']['outcomes']}  "
              f"ratio {row['ratio_right_to_wrong']}")
    if options.json:
        with open(options.json, "w", encoding="utf-8") as out:
            json.dump(report, out, indent=2)


if __name__ == "__main__":
    main()
