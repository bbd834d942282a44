"""Guessing keys and codes against a real `gamehub serve`: the lookups and the address's cap hold
under a burst at once."""

from __future__ import annotations

from collections import Counter

import pytest

from server_process import ADDRESS_BUDGET, BUDGET, ServerProcess, connect_all_at_once, get_all_at_once, wrong_codes


@pytest.mark.parametrize("async_mode", ["eventlet", "gevent"])
def test_a_hundred_wrong_keys_at_once_are_looked_up_exactly_thirty_times_and_leave_the_room_open(async_mode):
    with ServerProcess(args=["--async-mode", async_mode]) as server:
        session = server.sessions[0]
        projector = {"session": session.code, "role": "projector", "token": session.projector_key}
        # Right keys first, fifty at once, on sockets and pages: none is charged...
        assert connect_all_at_once([(server.url, projector)] * 50) == ["connected"] * 50
        assert get_all_at_once([f"{server.url}/j/{session.code}"] * 50) == [200] * 50
        # ...so the whole budget is still there for the wrong ones.
        guesses = [(server.url, {**projector, "token": f"guess-{i}"}) for i in range(100)]
        outcomes = Counter(connect_all_at_once(guesses))
        assert outcomes == {"bad_key": BUDGET, "rate_limited": 100 - BUDGET}, outcomes
        # Spent: the right key is refused like a wrong one...
        assert connect_all_at_once([(server.url, projector)]) == ["rate_limited"]
        # ...while the room's phones still load the join page and get in from the same address.
        assert get_all_at_once([f"{server.url}/j/{session.code}"] * 10) == [200] * 10
        assert connect_all_at_once([(server.url, session.code)] * 10) == ["connected"] * 10


def test_wrong_codes_on_the_pages_at_once_meet_the_addresss_cap_exactly():
    with ServerProcess() as server:  # eventlet, the default
        code = server.sessions[0].code
        pages = [f"{server.url}/j/{c}" for c in wrong_codes(75)]
        pages += [f"{server.url}/s/{c}/projector" for c in wrong_codes(75, prefix="YYY")]
        statuses = Counter(get_all_at_once(pages))
        assert statuses == {404: ADDRESS_BUDGET, 429: 150 - ADDRESS_BUDGET}, statuses
        # A spray of codes spends the address's budget: every lookup from it waits the minute.
        assert get_all_at_once([f"{server.url}/s/{code}/qr.svg"]) == [429]
