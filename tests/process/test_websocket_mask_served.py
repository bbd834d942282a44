"""`gamehub serve` under eventlet installs the websocket unmasking."""

from __future__ import annotations

import subprocess
import sys


def test_gamehub_serve_under_eventlet_installs_it():
    script = ("from gamehub.cli.listen import green_everything; green_everything()\n"
              "from eventlet.websocket import RFC6455WebSocket\n"
              "from gamehub.runtime.websocket_mask import unmask\n"
              "print(RFC6455WebSocket._apply_mask is unmask)\n")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "True", out.stderr
