"""The layers' rule (tests/conftest.py): the slow folders are marked slow, and a test that is
not marked slow cannot start a process, however it tries."""

from __future__ import annotations

import asyncio
import subprocess
import sys

import pytest

import conftest
from conftest import SLOW_LAYERS, FastTestStartedAProcess, layer_of


def forgive(request) -> list[str]:
    """What this test started on purpose, taken back so that its report is not failed for it."""
    return conftest._broken.pop(request.node.nodeid, [])


def test_every_test_in_a_slow_folder_is_marked_slow_and_no_other_is(request):
    items = request.session.items
    assert {layer_of(i) for i in items if i.get_closest_marker("slow")} <= set(SLOW_LAYERS)
    assert all(i.get_closest_marker("slow") for i in items if layer_of(i) in SLOW_LAYERS)


def test_a_fast_test_starting_a_process_fails_naming_the_rule(request):
    with pytest.raises(FastTestStartedAProcess, match=r"not marked slow.*belongs in tests/process"):
        subprocess.run([sys.executable, "-c", "pass"], check=True)
    started = forgive(request)
    assert len(started) == 1 and request.node.nodeid in started[0]


def test_an_asyncio_subprocess_is_a_process_too(request):
    async def start():
        await asyncio.create_subprocess_exec(sys.executable, "-c", "pass")

    with pytest.raises(FastTestStartedAProcess):
        asyncio.run(start())
    assert len(forgive(request)) == 1
