"""Reactions and following the projector with two `gamehub serve` processes (PostgreSQL and
Redis, as in docs/deployment.md): each process counts its own phones' taps and sends its own
counts, marked with its `source`, and the projector's sum of each source's latest is every
accepted tap; a step made on one process reaches the phones of the other as `on_screen`, and
their next taps are counted for the new card (tests/cluster.py starts and stops everything)."""

from __future__ import annotations

import threading
import time

from test_scale_out import cluster, join_phones  # noqa: F401 -- `cluster` is the fixture

SHOWCASE = (("form_groups", {"from_phase": "lobby"}), ("pick_stories", {"from_phase": "groups"}),
            ("start_planning", {"from_phase": "stories"}), ("start_showcase", {"from_phase": "planning"}))


def listen(peer, event: str) -> list:
    """Every `event` the peer receives from now on (in a list the test reads)."""
    got: list = []
    lock = threading.Lock()

    def keep(message):
        with lock:
            got.append(message)
    peer.sio.on(event, keep)
    return got


def wait_until(predicate, timeout: float = 10, what: str = "") -> None:
    end = time.time() + timeout
    while time.time() < end:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def shown(messages: list, group: int) -> dict[str, int]:
    """What a screen shows for a group: the sum over sources of each source's latest counts."""
    latest: dict[str, dict] = {}
    for message in messages:
        for g in message["groups"]:
            if g["number"] == group:
                latest[message["source"]] = g["counts"]
    total: dict[str, int] = {}
    for counts in latest.values():
        for emoji, n in counts.items():
            total[emoji] = total.get(emoji, 0) + n
    return total


def test_taps_on_two_processes_add_up_on_the_projector_and_a_step_on_one_reaches_the_phones_of_the_other(cluster):  # noqa: F811
    a, b = cluster.a.url, cluster.b.url
    staff_a, staff_b = cluster.facilitator(a, "facilitator on A"), cluster.facilitator(b, "facilitator on B")
    projector = cluster.projector(a, "projector on A")
    reactions = listen(projector, "reactions")
    phones = join_phones(cluster, [("A", a)] * 4 + [("B", b)] * 4)
    screens = {phone.name: listen(phone, "on_screen") for phone in phones}
    for event, payload in SHOWCASE:
        assert staff_a.call(event, payload)["ok"], event
    for phone in phones:
        phone.wait_for(lambda v: v["phase"] == "showcase" and v["on_screen"]["group"]["number"] == 1)

    for phone in phones:
        taps = 3 if phone.where == "A" else 2
        for _ in range(taps):
            assert phone.call("react", {"emoji": "👏", "group": 1}) == {"ok": True}
    wait_until(lambda: shown(reactions, 1) == {"👏": 20}, what="20 taps on the projector")
    assert len({m["source"] for m in reactions}) == 2, "one source per process"

    # The next card, from the facilitator on B: every phone hears of it, on either process.
    show = staff_b.wait_for(lambda v: v["phase"] == "showcase")["showcase"]
    assert staff_b.call("showcase_step", {"delta": 1, "from_index": show["index"], "card": True,
                                          "from_step": show["step"]})["ok"]
    for phone in phones:
        wait_until(lambda: any(m["on_screen"]["group"]["number"] == 2 for m in screens[phone.name]),
                   what=f"on_screen on {phone.name}")
    # Process A learns of B's step from the store within a second; until then a tap for the new
    # card may be refused as not on screen (harmless), never counted for the wrong one.
    phone_a = next(p for p in phones if p.where == "A")
    wait_until(lambda: phone_a.call("react", {"emoji": "💡", "group": 2})["ok"], timeout=5, what="A's next card")
    wait_until(lambda: shown(reactions, 2) == {"💡": 1}, what="the tap for group 2")
    assert shown(reactions, 1) == {"👏": 20}
