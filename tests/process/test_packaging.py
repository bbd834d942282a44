"""A non-editable install carries static/, templates/ and formats.yaml and runs from anywhere."""

from __future__ import annotations

import subprocess
import sys
import urllib.request
import zipfile
from pathlib import Path

import pytest

from server_process import ServerProcess

ROOT = Path(__file__).resolve().parents[2]


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
                     "gamehub/static/css/shared/base.css", "gamehub/engine/__init__.py"):
        assert required in names, f"{required} is missing from {wheel.name}"


def _fresh_venv(where: Path) -> Path:
    """A venv that borrows nothing: no system site-packages, no .pth into the test venv."""
    subprocess.run([sys.executable, "-m", "venv", str(where)], check=True, timeout=120)
    return where / "bin"


def _pip(bin_: Path, *args: str) -> None:
    done = subprocess.run([bin_ / "python", "-m", "pip", "install", "--quiet", "--disable-pip-version-check", *args],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, f"pip install {' '.join(args)} failed:\n{done.stdout}{done.stderr}"


def _run(bin_: Path, *code: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([bin_ / "python", "-c", "\n".join(code)], cwd=cwd, capture_output=True, text=True, timeout=120)


def test_the_readme_first_command_works_in_a_venv_with_only_the_declared_dependencies(wheel, tmp_path):
    """`pip install .` with no extras, then `gamehub serve` as the README says (eventlet, the QR
    code drawn), from another directory: the dependencies come from the package index as pip
    resolves them for the wheel, and nothing from this test's venv."""
    bin_ = _fresh_venv(tmp_path / "venv")
    _pip(bin_, str(wheel))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    where = _run(bin_, "import gamehub; print(gamehub.__file__)", cwd=elsewhere)
    assert where.stdout.startswith(str(tmp_path / "venv")), where
    # The extras are not there, so the default path cannot have imported them.
    missing = _run(bin_, "import importlib.util as u; print([m for m in ('psycopg', 'redis') if u.find_spec(m)])",
                   cwd=elsewhere)
    assert missing.stdout.strip() == "[]", missing

    server = ServerProcess(command=[str(bin_ / "gamehub")], cwd=elsewhere)
    server.args = []  # the README's command as it is: default async mode
    with server:
        code = server.sessions[0].code
        for path in ("/healthz", f"/j/{code}", "/static/vendor/socket.io.esm.min.js", "/static/css/shared/base.css"):
            with urllib.request.urlopen(server.url + path, timeout=5) as response:
                assert response.status == 200, path
        with urllib.request.urlopen(server.url + f"/j/{code}", timeout=5) as response:
            assert b'src="/static/js/phone/main.js"' in response.read()

    # An option that needs an extra says in one line which one to install, and starts nothing.
    for option, extra in ((["--database-url", "postgresql://127.0.0.1/test"], "postgres"),
                          (["--database-url", "postgresql://127.0.0.1/test", "--message-queue",
                            "redis://127.0.0.1:6379"], "scale")):
        refused = subprocess.run([bin_ / "gamehub", "serve", "--port", "1", "--data-dir", str(tmp_path / "data"),
                                  *option], cwd=elsewhere,
                                 capture_output=True, text=True, timeout=60)
        assert refused.returncode == 2, refused
        assert refused.stderr.strip().splitlines() == [refused.stderr.strip()], refused.stderr
        assert f"pip install 'gamehub[{extra}]'" in refused.stderr, refused.stderr
        assert not (tmp_path / "data").exists(), "a refused start created its data directory"

    # With the extras, the modules that need them import (the same venv, now with [scale]).
    _pip(bin_, f"{wheel}[scale]")
    imported = _run(bin_, "import gamehub.storage.pglog, gamehub.server.cluster.ownership, gamehub.server.cluster.presence, "
                          "gamehub.server.cluster.failures, gamehub.server.cluster.queuewatch, psycopg, redis; "
                          "gamehub.server.cluster.redis.client('redis://127.0.0.1:1/0'); print('ok')",
                    cwd=elsewhere)
    assert imported.stdout.strip() == "ok", imported.stderr


BLOCK_EXTRAS = """
import sys
class Block:
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in ("psycopg", "redis"):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
sys.meta_path.insert(0, Block())
from gamehub.cli.main import main
sys.exit(main(sys.argv[1:]))
"""


def test_gamehub_serve_runs_with_the_optional_dependencies_unimportable():
    """The quick guard for the test above, in this venv (which has every extra): with psycopg
    and redis made unimportable, `gamehub serve` on SQLite answers /healthz and a join page."""
    with ServerProcess(command=[sys.executable, "-c", BLOCK_EXTRAS], cwd=ROOT) as server:
        code = server.sessions[0].code
        for path in ("/healthz", f"/j/{code}"):
            with urllib.request.urlopen(server.url + path, timeout=5) as response:
                assert response.status == 200, path
