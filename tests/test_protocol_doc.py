"""docs/protocol.md stays true: every command, payload field and error code is written down."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from gamehub.engine import COMMANDS

PROTOCOL = (Path(__file__).resolve().parent.parent / "docs" / "protocol.md").read_text(encoding="utf-8")
ENGINE = Path(__file__).resolve().parent.parent / "gamehub"


def test_every_command_is_documented_with_every_payload_field():
    for event, command in COMMANDS.items():
        row = re.search(rf"^\| `{event}` \|.*$", PROTOCOL, re.MULTILINE)
        assert row, f"{event} is not in docs/protocol.md's command table"
        for field in command.payload_schema():
            assert f"`{field}`" in row.group(0), f"{event}.{field} is not documented"


def error_codes_in_the_code() -> set[str]:
    """Every literal error code passed to the calls that reject something."""
    code_arg = {"Rejected": 0, "Refused": 0, "rejected": 0, "ConnectionRefusedError": 0, "require": 1}
    codes = set()
    for path in ENGINE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                name = getattr(node.func, "id", getattr(node.func, "attr", None))
                index = code_arg.get(name)
                if index is not None and len(node.args) > index and isinstance(node.args[index], ast.Constant):
                    codes.add(node.args[index].value)
    return codes


def test_every_error_code_the_code_can_send_is_documented():
    codes = error_codes_in_the_code()
    assert {"forbidden", "wrong_phase", "stale_edit", "bad_key", "too_long"} <= codes  # the scan works
    for code in codes:
        assert f"`{code}`" in PROTOCOL, f"error code {code} is not documented in docs/protocol.md"
