"""`gamehub serve` prints the organiser link (the same after a restart); `gamehub sessions new`
opens a session a running server serves at once; `gamehub organiser key` replaces the key."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.error
import urllib.request

from server_process import ServerProcess


def gamehub(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "gamehub", *args], capture_output=True, text=True, timeout=60)


def home(url: str, key: str) -> int:
    request = urllib.request.Request(f"{url}/organiser/api/home", headers={"Authorization": f"Bearer {key}"})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_serve_prints_a_working_organiser_link_and_the_same_one_after_a_restart(tmp_path):
    with ServerProcess(args=["--async-mode", "threading"], data_dir=tmp_path) as server:
        link = server.organiser
        assert link and link.startswith(f"{server.url}/organiser#key=") and len(server.sessions) == 1
        key = link.split("#key=", 1)[1]
        assert home(server.url, key) == 200
        assert key not in server.output.replace(link, "")  # printed once, as the link
    with ServerProcess(args=["--async-mode", "threading"], data_dir=tmp_path) as again:
        assert again.organiser == link.replace(server.url, again.url)
    assert (tmp_path / "organiser-key").stat().st_mode & 0o777 == 0o600


def test_sessions_new_opens_a_session_the_running_server_serves_at_once(tmp_path):
    words = tmp_path / "words.txt"
    words.write_text("# no\nbadword\n")
    deck = tmp_path / "deck.yaml"
    deck.write_text("title: Chemistry outreach\nquestions: [a, b, c, d]\nformats:\n  1: [A poem, A mime, A puppet]\n")
    with ServerProcess(args=["--async-mode", "threading"], data_dir=tmp_path) as server:
        made = gamehub("sessions", "new", "--data-dir", str(tmp_path), "--public-url", server.url,
                       "--formats", str(deck), "--group-size", "3", "--max-participants", "40",
                       "--minutes", "25", "--blocked-words", str(words), "--language", "en-XA")
        assert made.returncode == 0, made.stderr
        code = made.stdout.split()[1].rstrip(":")
        assert f"{server.url}/j/{code}" in made.stdout and "/projector#key=" in made.stdout
        assert "/facilitator#key=" in made.stdout and "Chemistry outreach" in made.stdout
        with urllib.request.urlopen(f"{server.url}/j/{code}", timeout=5) as page:
            assert "Chemistry outreach" in page.read().decode()
        key = server.organiser.split("#key=", 1)[1]
        request = urllib.request.Request(f"{server.url}/organiser/api/home", headers={"Authorization": f"Bearer {key}"})
        with urllib.request.urlopen(request, timeout=5) as response:
            listed = {s["code"]: s for s in json.load(response)["sessions"]}
        assert listed[code]["settings"] == {"group_size": 3, "planning_minutes": 25, "max_participants": 40,
                                            "blocked_words": ["badword"], "language": "en-XA"}


def test_sessions_new_refuses_bad_settings_and_too_many_sessions(tmp_path):
    for flags, words in ((["--group-size", "1"], "--group-size"), (["--minutes", "0"], "--minutes"),
                         (["--formats", str(tmp_path / "nope.yaml")], "nope.yaml"),
                         (["--language", "xx"], "--language xx: gamehub has no catalog")):
        result = gamehub("sessions", "new", "--data-dir", str(tmp_path), *flags)
        assert result.returncode == 2 and words in result.stderr
    assert gamehub("sessions", "new", "--data-dir", str(tmp_path), "--max-sessions", "1").returncode == 0
    full = gamehub("sessions", "new", "--data-dir", str(tmp_path), "--max-sessions", "1")
    assert full.returncode == 2 and "at most 1" in full.stderr


def test_organiser_key_replaces_the_key_while_the_server_runs(tmp_path):
    with ServerProcess(args=["--async-mode", "threading"], data_dir=tmp_path) as server:
        old = server.organiser.split("#key=", 1)[1]
        result = gamehub("organiser", "key", "--data-dir", str(tmp_path), "--public-url", server.url)
        assert result.returncode == 0
        new = result.stdout.split("#key=", 1)[1].split()[0]
        assert home(server.url, old) == 403 and home(server.url, new) == 200


def test_sessions_new_in_german_without_a_formats_file_plays_the_german_workshop_deck(tmp_path):
    made = gamehub("sessions", "new", "--data-dir", str(tmp_path), "--public-url", "http://127.0.0.1:9", "--language", "de")
    assert made.returncode == 0, made.stderr
    assert "Unkonventionelle Wissenschaftskommunikation" in made.stdout  # the deck's title, as it prints it
