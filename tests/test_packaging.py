"""A non-editable install carries static/, templates/ and formats.yaml and runs from anywhere."""

from __future__ import annotations

import subprocess
import sys
import urllib.request
import zipfile
from pathlib import Path

import pytest

from server_process import ServerProcess

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(out), str(ROOT)],
                   check=True, timeout=300)
    return next(out.glob("gamehub-*.whl"))


def test_the_wheel_carries_the_pages_the_static_files_and_the_deck(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for required in ("gamehub/formats.yaml", "gamehub/decks/workshop.de.yaml", "gamehub/templates/phone.html",
                     "gamehub/templates/projector.html", "gamehub/templates/facilitator.html", "gamehub/static/vendor/socket.io.esm.min.js",
                     "gamehub/static/css/gamehub.css", "gamehub/engine/__init__.py"):
        assert required in names, f"{required} is missing from {wheel.name}"


def test_an_installed_wheel_serves_a_session_from_another_directory(wheel, tmp_path):
    venv = tmp_path / "venv"
    # The dependencies come from this interpreter's site-packages; gamehub itself from the wheel.
    # A .pth file rather than --system-site-packages: when the tests run in a venv (as
    # scripts/test.sh does), "system" means the base interpreter's, which lacks them.
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    new_site = subprocess.run([venv / "bin" / "python", "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                              capture_output=True, text=True, check=True).stdout.strip()
    ours = [p for p in sys.path if p.endswith("site-packages") and Path(p).is_dir()]
    (Path(new_site) / "gamehub-test-deps.pth").write_text("\n".join(ours) + "\n")
    subprocess.run([venv / "bin" / "python", "-m", "pip", "install", "--quiet", "--no-deps", str(wheel)],
                   check=True, timeout=300)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    where = subprocess.run([venv / "bin" / "python", "-c", "import gamehub; print(gamehub.__file__)"],
                           cwd=elsewhere, capture_output=True, text=True, check=True).stdout
    assert where.startswith(str(venv)), f"gamehub was imported from {where}, not the installed wheel"

    with ServerProcess(command=[str(venv / "bin" / "gamehub")], cwd=elsewhere, args=["--async-mode", "threading"]) as server:
        assert "5 format lists" in server.output
        code = server.sessions[0].code
        for path in (f"/j/{code}", "/static/vendor/socket.io.esm.min.js", "/static/css/gamehub.css"):
            with urllib.request.urlopen(server.url + path, timeout=5) as response:
                assert response.status == 200
