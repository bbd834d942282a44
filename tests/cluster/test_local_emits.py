"""An owner whose session's screens are all its own sends the session's messages itself, past
Redis; a screen of the session on another process makes it send them through Redis again,
from that screen's first moment, and once that screen is gone, past Redis again
(gamehub/server/cluster/screens.py, docs/deployment.md "One owner per session").

What goes through Redis is read from Redis itself: the count of PUBLISH commands our own
redis-server has run (INFO commandstats), while phones type.
"""

from __future__ import annotations

import time

import redis

from cluster import Peer
from gamehub.server.cluster.screens import ANNOUNCE_SECONDS, FOREIGN_SECONDS
from test_scale_out import cluster, join_phones  # noqa: F401,F811 -- `cluster` is the fixture

TYPED = 12  # sheet updates typed in each stretch


def publishes(url: str) -> int:
    client = redis.Redis.from_url(url)
    try:
        return client.info("commandstats").get("cmdstat_publish", {}).get("calls", 0)
    finally:
        client.close()


def type_and_count(cluster, writer, readers, tag: str) -> int:
    """`writer` types TYPED chunks into its shortest answer, each acknowledged; every reader's
    copy of the sheet shows them all. Returns how many PUBLISH Redis ran meanwhile.

    The shortest answer, because a fast machine types more stretches while it waits for the
    owner to stop publishing than one answer's 2,000 characters hold (`too_long`)."""
    before = publishes(cluster.redis.url)
    question = min(range(4), key=lambda q: len(writer.texts[q]))
    chunks = [f"[{tag}{i}]" for i in range(TYPED)]
    for chunk in chunks:
        ack = writer.type(question, chunk)
        assert ack["ok"], ack
        time.sleep(0.08)  # a phone's pace, under its 20 messages a second
    for reader in readers:
        reader.wait_for_texts(lambda texts: all(c in texts[question] for c in chunks), timeout=5, what=tag)
    return publishes(cluster.redis.url) - before


def until_past_redis(cluster, writer, readers, tag: str, within: float) -> None:
    """Type stretch after stretch until one goes through without a single PUBLISH."""
    deadline, stretch = time.monotonic() + within, 0
    while type_and_count(cluster, writer, readers, f"{tag}{stretch}.") != 0:
        stretch += 1
        assert time.monotonic() < deadline, f"still publishing to Redis after {within} s"
        time.sleep(0.5)


def test_an_owner_skips_redis_until_a_screen_of_its_session_connects_elsewhere(cluster):
    c = cluster
    facilitator = c.facilitator(c.a.url, "facilitator on A")
    phones = join_phones(c, [("A", c.a.url)] * 4)
    assert facilitator.call("form_groups", {"from_phase": "lobby"})["ok"]
    assert facilitator.call("pick_stories", {"from_phase": "groups"})["ok"]
    assert facilitator.call("start_planning", {"from_phase": "stories", "minutes": 30})["ok"]
    for phone in phones:
        phone.wait_for(lambda v: v["phase"] == "planning" and v["group"]["answers"] is not None)
        phone.sync_sheet()
    writer, readers = phones[0], phones[1:]

    # 1. Every screen is on A, which owns the session: once A has held it long enough to have
    # heard of screens elsewhere, its groupmates' updates go out without touching Redis.
    until_past_redis(c, writer, readers, "alone", within=FOREIGN_SECONDS + 10)

    # 2. A second screen of a groupmate, on B, without the session in its URL (so nothing
    # moves the session): it sees the very next update, which goes through Redis.
    elsewhere = Peer(c.b.url, dict(readers[0].auth), name="phone 1 again, on B", routed=False)
    c.peers.append(elsewhere)
    elsewhere.wait_for(lambda v: v["phase"] == "planning")
    elsewhere.sync_sheet()
    assert type_and_count(c, writer, readers + [elsewhere], "shared") >= TYPED

    # 3. Once that screen is gone and B has stopped naming the session, past Redis again.
    elsewhere.close()
    until_past_redis(c, writer, readers, "again", within=FOREIGN_SECONDS + 2 * ANNOUNCE_SECONDS + 10)
