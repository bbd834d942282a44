"""docs/protocol.md stays true: every command, payload field and error code is written down."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from gamehub.engine import COMMANDS

PROTOCOL = (Path(__file__).resolve().parents[2] / "docs" / "protocol.md").read_text(encoding="utf-8")
ENGINE = Path(__file__).resolve().parents[2] / "gamehub"


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
    from gamehub.engine.game.stories import RerollStory
    from gamehub.views.screens import facilitator_view
    from helpers import played_to, run

    replay = documented_replay()
    for n, seed in ((13, "a1"), (9, "b2"), (22, "c3")):
        state = played_to("planning", n, seed=seed, opt_out=(2, 5))
        state = run(state, RerollStory(group=2))
        view = facilitator_view(state, 0.0, {}, ())
        assert replay["replayed_groups"](view) == [[m["id"] for m in g["members"]] for g in view["groups"]]
        for group in view["groups"]:
            assert replay["replayed_owner"](view, group) == group["story"]["owner_id"]


# -- One refusal, one code: the doc's table, against the real Socket.IO handlers ------------------

def refusal_rows() -> list[str]:
    section = PROTOCOL.split("### One refusal, one code", 1)[1].split("\n## ", 1)[0]
    return [line for line in section.splitlines() if line.startswith("| ") and not line.startswith("| refusal")
            and not line.startswith("| ---")]


def one_code(situation: str) -> str:
    """The code the doc names for the one refusal whose row says `situation`."""
    rows = [row for row in refusal_rows() if situation in row]
    assert len(rows) == 1, f"{situation!r} is in {len(rows)} rows of 'One refusal, one code'"
    codes = re.findall(r"`([a-z_]+)`", rows[0].rstrip().rstrip("|").rsplit("|", 1)[1])
    assert len(codes) == 1, f"{situation!r}: the doc names {codes}"
    return codes[0]


def test_every_refusal_in_the_table_has_exactly_one_documented_code():
    rows = refusal_rows()
    assert len(rows) >= 8
    table = PROTOCOL.split("## Error codes", 1)[1]
    for row in rows:
        codes = re.findall(r"`([a-z_]+)`", row.rstrip().rstrip("|").rsplit("|", 1)[1])
        assert len(codes) == 1, row
        assert f"| `{codes[0]}` |" in table or f"`{codes[0]}` /" in table or f"/ `{codes[0]}`" in table, codes


def threaded_room(people: int = 0):
    from conftest import PUBLIC_URL, Room
    from gamehub.server import create_app

    room = Room(create_app({"ASYNC_MODE": "threading", "PUBLIC_URL": PUBLIC_URL, "KEY_CHECK_SECONDS": 0,
                            "STAFF_VIEW_SECONDS": 0}))
    phones = [room.join(f"Person {i}")[0] for i in range(people)]
    return room, room.facilitator(), phones


def code_of(reply: dict) -> str:
    assert not reply["ok"], reply
    return reply["error"]["code"]


def test_a_phase_step_for_another_phase_in_the_lobby_gets_the_one_code_the_doc_names():
    room, control, _ = threaded_room(people=2)
    version = room.state.version
    moved, wrong = one_code("whose `from_phase` is not the session's phase"), one_code("whose `from_phase` is the session's phase")
    for event, payload in (("form_groups", {"from_phase": "groups"}), ("pick_stories", {"from_phase": "groups"}),
                           ("start_planning", {"from_phase": "stories", "minutes": 5}),
                           ("start_showcase", {"from_phase": "planning"}), ("back", {"from_phase": "stories"}),
                           ("end_session", {"from_phase": "showcase"})):
        assert code_of(control.call(event, payload)) == moved, event
    for event, payload in (("pick_stories", {"from_phase": "lobby"}), ("start_planning", {"from_phase": "lobby"}),
                           ("start_showcase", {"from_phase": "lobby"}), ("back", {"from_phase": "lobby"}),
                           ("end_session", {"from_phase": "lobby"})):
        assert code_of(control.call(event, payload)) == wrong, event
    assert room.state.version == version


def test_a_second_open_vote_or_close_vote_gets_the_one_code_the_doc_names():
    from helpers import steps_to_planning

    room, control, _ = threaded_room(people=8)
    for event, payload in (*steps_to_planning(10), ("start_showcase", {"from_phase": "planning"})):
        assert control.call(event, payload)["ok"]
    assert code_of(control.call("close_vote", {"vote": 1})) == one_code("`close_vote` when the session has no vote")
    assert control.call("open_vote", {"votes_each": 2, "vote": 1})["ok"]
    second_open, second_close = one_code("a second `open_vote`"), one_code("a second `close_vote`")
    assert code_of(control.call("open_vote", {"vote": 1})) == second_open
    assert code_of(control.call("open_vote", {"vote": 2})) == one_code("while that vote is open")
    assert code_of(control.call("close_vote", {"vote": 2})) == second_close
    assert control.call("close_vote", {"vote": 1})["ok"]
    assert code_of(control.call("close_vote", {"vote": 1})) == second_close
    assert code_of(control.call("open_vote", {"vote": 1})) == second_open
    assert code_of(control.call("open_vote", {"vote": 3})) == one_code("while no vote is open")


def test_every_event_on_a_deleted_session_gets_the_one_code_the_doc_names():
    gone = one_code("after the session was deleted")
    # Deleted by its facilitator: that socket stays open for the ack, and is refused from then on.
    room, control, _ = threaded_room(people=1)
    assert control.call("delete_session", {"confirm": room.code}) == {"ok": True}
    for event, payload in (("set_locked", {"locked": True}), ("hide_text", {"participant": "p1", "hidden": True}),
                           ("delete_session", {"confirm": room.code})):
        assert code_of(control.call(event, payload)) == gone, event
    # Deleted elsewhere (`gamehub sessions delete`, another process): every screen still connected.
    room, control, (phone,) = threaded_room(people=1)
    projector, guest = room.projector(), room.connect("phone")
    assert room.hub.store.delete(room.code)
    for screen, event, payload in ((control, "set_locked", {"locked": True}), (control, "delete_session", {"confirm": room.code}),
                                   (projector, "set_sound", {"on": False}), (phone, "ask_help", {}),
                                   (phone, "sheet_sync", {"sheet": "1.1", "state_vector": "AA=="}),
                                   (phone, "react", {"emoji": "👏", "group": 1}), (guest, "join", {"name": "Late"})):
        assert code_of(screen.call(event, payload)) == gone, event
