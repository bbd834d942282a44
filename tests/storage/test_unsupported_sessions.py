"""A store holding sessions this gamehub cannot open (a format-1 snapshot, a log with a command
it does not know: what development versions that never shipped wrote) says so in one line
naming each of them, wherever it meets them, and every other session loads as before."""

from __future__ import annotations

import logging
import time

import pytest
from conftest import PUBLIC_URL, socket_client
from old_sessions import FORMAT_1, GOOD, OLD_COMMAND, one_line_each, stored

from gamehub.cli import main
from gamehub.engine.codec import UnsupportedSession
from gamehub.server import create_app, hub_of
from gamehub.server.sessions import open_session
from gamehub.storage import organiser_key
from gamehub.storage.replay import readable_sessions
from gamehub.storage.sql import SqlStore


def test_loading_one_raises_a_one_line_error_naming_it_and_the_others_load(tmp_path):
    store = stored(tmp_path, time.time())
    with pytest.raises(UnsupportedSession) as snapshot:
        SqlStore(store.url).get(FORMAT_1)
    with pytest.raises(UnsupportedSession) as log:
        SqlStore(store.url).get(OLD_COMMAND)
    assert "format 1" in str(snapshot.value) and "'edit_answer'" in str(log.value)
    one_line_each([str(snapshot.value), str(log.value)])
    assert (snapshot.value.session_id, log.value.session_id) == (FORMAT_1, OLD_COMMAND)
    said = []
    readable = readable_sessions(SqlStore(store.url), said.append)
    assert list(readable) == [GOOD] and len(readable[GOOD].state.participants) == 3
    one_line_each(said)
    store.close()


def test_sessions_list_export_and_links_name_each_in_one_line_and_go_on(tmp_path, capsys):
    stored(tmp_path, time.time()).close()
    assert main(["sessions", "list", "--data-dir", str(tmp_path)]) == 0
    out, err = capsys.readouterr()
    assert out.startswith(f"{GOOD}  lobby") and "3 people" in out and out.count("\n") == 1
    one_line_each([line.removeprefix("gamehub: ") for line in err.splitlines()])

    assert main(["export", FORMAT_1, "--data-dir", str(tmp_path)]) == 1
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1 and f"session {FORMAT_1} cannot be opened" in err
    assert main(["export", GOOD, "--data-dir", str(tmp_path), "--format", "json"]) == 0
    assert GOOD in capsys.readouterr().out

    assert main(["links", "--data-dir", str(tmp_path), "--public-url", PUBLIC_URL]) == 0
    out, err = capsys.readouterr()
    assert f"Session {GOOD}" in out and FORMAT_1 not in out and OLD_COMMAND not in out
    one_line_each([line.removeprefix("gamehub: ") for line in err.splitlines()])


def test_the_organiser_phones_and_pages_meet_it_as_no_such_room_and_the_log_names_it(tmp_path, caplog):
    store = stored(tmp_path, time.time())
    app = create_app({"ASYNC_MODE": "threading", "PUBLIC_URL": PUBLIC_URL, "TESTING": True, "STORE": store})
    key = organiser_key.rotate(hub_of(app).store, tmp_path)
    record, _ = open_session(hub_of(app).store, app.config["DECK"], app.config["SETTINGS"], time.time())
    client = app.test_client()
    headers = {"Authorization": f"Bearer {key}"}
    with caplog.at_level(logging.WARNING):
        home = client.get("/organiser/api/home", headers=headers).get_json()
        assert sorted(s["code"] for s in home["sessions"]) == sorted([GOOD, record.state.id])
        one_line_each([r.getMessage() for r in caplog.records])
        caplog.clear()
        again = client.post(f"/organiser/api/sessions/{FORMAT_1}/again", headers=headers)
        assert again.status_code == 404 and again.get_json()["error"]["code"] == "unknown_session"
        assert client.get(f"/j/{OLD_COMMAND}").status_code == 404
        phone = socket_client(app, {"session": FORMAT_1, "role": "phone"})
        assert not phone.is_connected() and phone.refusal["message"] == "unknown_session"
        one_line_each(sorted({r.getMessage() for r in caplog.records}))
    assert client.get(f"/j/{GOOD}").status_code == 200
    assert socket_client(app, {"session": GOOD, "role": "phone"}).is_connected()
    store.close()
