"""`gamehub serve` as a real process (eventlet, the default mode) with real websocket clients."""

from __future__ import annotations

import json
import time
import urllib.request

import pytest

from server_process import Client, ServerProcess
from sheets import SheetPhone
from helpers import steps_to_planning


@pytest.fixture(params=["eventlet", "gevent"])
def server(request):
    with ServerProcess(args=["--async-mode", request.param]) as process:
        yield process


def test_gamehub_serve_prints_the_links_and_serves_pages_qr_and_the_socketio_client(server):
    assert f"({server.args[-1]}). Stop with Ctrl+C." in server.output  # the mode asked for is the one running
    links = server.sessions[0]
    assert links.join == f"{server.url}/j/{links.code}"
    for path in (f"/j/{links.code}", f"/s/{links.code}/projector", f"/s/{links.code}/facilitator", "/"):
        with urllib.request.urlopen(server.url + path, timeout=5) as page:
            assert page.status == 200 and "text/html" in page.headers["Content-Type"]
    with urllib.request.urlopen(f"{server.url}/s/{links.code}/qr.svg", timeout=5) as qr:
        assert qr.headers["Content-Type"].startswith("image/svg+xml") and b"<svg" in qr.read()
    with urllib.request.urlopen(f"{server.url}/static/vendor/socket.io.esm.min.js", timeout=5) as js:
        assert b"Socket.IO v4" in js.read(200)


def test_a_game_over_real_websockets_keeps_each_groups_answers_to_itself(server):
    links = server.sessions[0]
    facilitator = Client(server.url, {"session": links.code, "role": "facilitator", "token": links.facilitator_token})
    projector = Client(server.url, {"session": links.code, "role": "projector", "token": links.projector_key})
    phones = []
    try:
        for i in range(9):
            phone = Client(server.url, {"session": links.code, "role": "phone"})
            reply = phone.call("join", {"name": f"Phone {i}", "title": f"Story {i}"})
            assert reply["ok"], reply
            phones.append(phone)
        for event, payload in steps_to_planning(5):
            assert facilitator.call(event, payload)["ok"]
        by_group: dict[int, list[Client]] = {}
        for phone in phones:
            view = phone.wait_for(lambda v: v["phase"] == "planning")
            by_group.setdefault(view["group"]["number"], []).append(phone)
        assert sorted(len(members) for members in by_group.values()) == [4, 5]

        sheet = by_group[1][0].views[-1]["group"]["sheet"]
        writer, reader = SheetPhone(by_group[1][0], sheet), SheetPhone(by_group[1][1], sheet)
        writer.sync(), reader.sync()
        assert writer.type(2, "Smells of the lab")["ok"]
        by_group[1][1].wait_for_sheet_update()
        (heard,) = reader.hear()
        assert heard["by"]["name"] == by_group[1][0].views[-1]["me"]["name"] and heard["fields"] == [2]
        assert reader.text(2) == "Smells of the lab"
        facilitator.wait_for(lambda v: v["groups"][0]["answers"][2]["text"] == "Smells of the lab")
        projector.wait_for(lambda v: v["groups"][0]["answered"] == 1)
        time.sleep(0.3)  # anything misaddressed would have arrived by now
        assert writer.hear() == []  # not back to the phone that sent it
        for phone in by_group[2]:
            assert "Smells of the lab" not in json.dumps(phone.views) and phone.events("sheet_update") == []
    finally:
        for client in (facilitator, projector, *phones):
            client.sio.disconnect()
