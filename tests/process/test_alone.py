"""A server process alone never loads the machinery of several (gamehub/server/cluster/).

Checked in a fresh interpreter: this test process may have imported the cluster already. The
app is the one create_app builds, driven through the real Socket.IO handlers: phones join, the
facilitator steps the phases into planning, a phone types in its group's sheet and a groupmate
hears it.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

TESTS = Path(__file__).resolve().parent.parent

SCRIPT = """
import json, sys, time

from flask_socketio.test_client import SocketIOTestClient

from gamehub.server import create_app, hub_of, socketio_of
from gamehub.server.sessions import open_session
from helpers import steps_to_planning
from sheets import SheetPhone

app = create_app({"ASYNC_MODE": "threading", "PUBLIC_URL": "http://gamehub.test", "TESTING": True,
                  "KEY_CHECK_SECONDS": 0, "STAFF_VIEW_SECONDS": 0})
hub = hub_of(app)
record, token = open_session(hub.store, app.config["DECK"], app.config["SETTINGS"], time.time())
code = record.state.id


def client(role, key=None):
    auth = {"session": code, "role": role, **({"token": key} if key else {})}
    return SocketIOTestClient(app, socketio_of(app), auth=auth)


def call(screen, event, payload):
    return screen.emit(event, payload, callback=True)


class Screen:
    def __init__(self, raw):
        self.raw = raw

    def call(self, event, payload):
        return call(self.raw, event, payload)

    def events(self, event):
        return [m["args"][0] for m in self.raw.get_received() if m["name"] == event]


facilitator = client("facilitator", token)
phones = {}
for i in range(4):
    phone = client("phone")
    reply = call(phone, "join", {"name": f"Person {i}", "title": f"Story {i}"})
    assert reply["ok"], reply
    phones[reply["participant_id"]] = Screen(phone)
for event, payload in steps_to_planning(15):
    assert call(facilitator, event, payload)["ok"]
state = hub.store.get(code).state
first, second = state.groups[0].members[:2]
for screen in phones.values():
    screen.events("sheet_update")
typing = SheetPhone(phones[first], state.groups[0].sheet.id)
assert typing.type(0, "Our audience")["ok"]
heard = phones[second].events("sheet_update")
assert [message["by"]["id"] for message in heard] == [first], heard
print(json.dumps(sorted(name for name in sys.modules if name.startswith("gamehub.server"))))
"""


def test_a_process_alone_plays_a_command_through_without_loading_the_cluster():
    done = subprocess.run([sys.executable, "-c", SCRIPT], cwd=TESTS, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    loaded = json.loads(done.stdout.strip().splitlines()[-1])
    assert "gamehub.server.hub" in loaded and "gamehub.server.fanout" in loaded  # it did run the server
    cluster = [name for name in loaded if name == "gamehub.server.cluster" or name.startswith("gamehub.server.cluster.")]
    assert cluster == [], loaded
