"""`gamehub serve` refuses a broken setup before it starts, with an error a person can act on."""

from __future__ import annotations

import subprocess
import sys


def serve(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "gamehub", "serve", "--no-qr", *args],
                          capture_output=True, text=True, timeout=60)


def test_a_broken_formats_file_stops_start_up_naming_the_file_and_the_key(tmp_path):
    deck = tmp_path / "deck.yaml"
    deck.write_text("questions: [a, b, c, d]\nformats:\n  1: [one, two, three]\n  2: [only, two]\n")
    result = serve("--formats", str(deck))
    assert result.returncode == 2
    assert str(deck) in result.stderr and "formats.2" in result.stderr and "exactly 3" in result.stderr


def test_a_missing_formats_file_stops_start_up(tmp_path):
    result = serve("--formats", str(tmp_path / "nope.yaml"))
    assert result.returncode == 2 and "nope.yaml" in result.stderr


def test_an_impossible_group_size_stops_start_up():
    result = serve("--group-size", "1")
    assert result.returncode == 2 and "--group-size" in result.stderr


def test_serve_plays_another_deck_given_with_formats(tmp_path):
    import urllib.request

    from server_process import ServerProcess

    deck = tmp_path / "deck.yaml"
    deck.write_text("title: Chemistry outreach\nquestions: [\"Who?\", \"What?\", \"Why?\", \"How?\"]\n"
                    "formats:\n  1: [A poem, A mime, A puppet show]\n  2: [A zine, A podcast, A mural]\n")
    with ServerProcess(args=["--formats", str(deck), "--async-mode", "threading"]) as server:
        assert "Chemistry outreach, 2 format lists" in server.output
        with urllib.request.urlopen(f"{server.url}/j/{server.sessions[0].code}", timeout=5) as page:
            assert "Chemistry outreach" in page.read().decode()
