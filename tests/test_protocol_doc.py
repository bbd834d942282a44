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
    assert {"forbidden", "wrong_phase", "not_your_group", "bad_key", "too_long"} <= codes  # the scan works
    for code in codes:
        assert f"`{code}`" in PROTOCOL, f"error code {code} is not documented in docs/protocol.md"


def documented_replay() -> dict:
    """The Python block of the "Random draws, exactly" section, run as the doc gives it."""
    section = PROTOCOL.split("### Random draws, exactly", 1)[1]
    block = re.search(r"```python\n(.*?)```", section, re.DOTALL).group(1)
    namespace: dict = {}
    exec(compile(block, "docs/protocol.md", "exec"), namespace)  # noqa: S102 (our own doc)
    return namespace


def test_the_documented_procedure_replays_every_group_and_story_draw():
    from gamehub.engine.stories import RerollStory
    from gamehub.views import facilitator_view
    from helpers import played_to, run

    replay = documented_replay()
    for n, seed in ((13, "a1"), (9, "b2"), (22, "c3")):
        state = played_to("planning", n, seed=seed, opt_out=(2, 5))
        state = run(state, RerollStory(group=2))
        view = facilitator_view(state, 0.0, {}, ())
        assert replay["replayed_groups"](view) == [[m["id"] for m in g["members"]] for g in view["groups"]]
        for group in view["groups"]:
            assert replay["replayed_owner"](view, group) == group["story"]["owner_id"]
