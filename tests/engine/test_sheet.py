"""The group sheet as a shared Yjs document, straight against the engine (docs/protocol.md,
"The group sheet"): merging, its refusals, the grace after planning, authors, compaction,
storing and replaying.

Phones are `Typist`s (tests/sheets.py): pycrdt peers that send what a Yjs page sends.
"""

from __future__ import annotations

import base64
import json
import random

import pytest
from helpers import FACILITATOR, NOW, participant, played_to, rejects, run, run_outcome
from sheets import Typist, b64, edit_command, member, typist_for

from gamehub.views import export
from gamehub.storage import sql as sqlstore
from gamehub.engine import Phase, Settings, apply
from gamehub.engine.codec import decode, encode
from gamehub.engine.game.groups import MoveParticipant, Reshuffle
from gamehub.engine.game.navigation import Back
from gamehub.engine.game.planning import EditSheet, StartPlanning
from gamehub.engine.sheet import COMPACT_AFTER, EMPTY_STATE_VECTOR, MAX_UPDATE, SHEET_GRACE, TOO_LARGE
from gamehub.engine.game.showcase import StartShowcase
from gamehub.engine.game.stories import PickStories
from gamehub.storage.replay import replay
from gamehub.storage.sql import SqlStore
from gamehub.storage.store import LogEntry, SessionRecord
from gamehub.views.screens import facilitator_view, phone_view, projector_view

LIMIT = 2000  # the default answer limit (Settings.max_answer)


def planning(**kwargs):
    return played_to("planning", n_people=8, **kwargs)


def members(state, number: int) -> tuple[str, ...]:
    return state.group(number).members


def send(state, pid: str, update: str, now: float = NOW, sheet: str | None = None):
    """Participant `pid` sends `update` for its group's sheet (or for `sheet`)."""
    group = state.group_of(pid)
    return EditSheet(sheet=sheet if sheet is not None else group.sheet.id, update=update), participant(pid), now


def accept(state, pid: str, update: str, now: float = NOW, sheet: str | None = None):
    return run(state, *send(state, pid, update, now, sheet))


def synced(state, number: int = 1) -> Typist:
    return typist_for(state, number)


# ---------------------------------------------------------------------------------------------
# Merging

def test_two_phones_editing_one_answer_at_once_merge_character_by_character():
    state = planning()
    a_id, b_id = members(state, 1)[:2]
    a = Typist()
    state = accept(state, a_id, a.append(0, "Hello world"))
    b = synced(state)
    # At the same moment: A writes "big " into the middle, B deletes "Hello " and adds "!".
    from_a = a.insert(0, 6, "big ")
    from_b = [b.delete(0, 0, 6), b.append(0, "!")]
    one_way = accept(accept(accept(state, a_id, from_a), b_id, from_b[0]), b_id, from_b[1])
    other_way = accept(accept(accept(state, b_id, from_b[0]), b_id, from_b[1]), a_id, from_a)
    assert one_way.group(1).texts[0] == other_way.group(1).texts[0] == "big world!"
    # Each phone applies what the other sent (the server's echo): every peer shows the same.
    for update in from_b:
        a.apply(update)
    b.apply(from_a)
    assert a.text(0) == b.text(0) == "big world!"


def test_two_phones_typing_at_the_same_place_keep_every_character_each_run_whole():
    state = planning()
    a_id, b_id = members(state, 1)[:2]
    a, b = Typist(), Typist()
    from_a, from_b = a.insert(2, 0, "AAAA"), b.insert(2, 0, "BBBB")
    state = accept(accept(state, a_id, from_a), b_id, from_b)
    assert state.group(1).texts[2] in ("AAAABBBB", "BBBBAAAA")
    a.apply(from_b)
    b.apply(from_a)
    assert a.text(2) == b.text(2) == state.group(1).texts[2]


def test_typing_in_different_answers_at_once_changes_each_answer_only_and_says_which():
    state = planning()
    ids = members(state, 1)
    phones = [Typist() for _ in ids]
    updates = [phone.append(q, f"answer {q} by {pid}") for q, (pid, phone) in enumerate(zip(ids, phones))]
    for q, (pid, update) in enumerate(zip(ids, updates)):
        result = run_outcome(state, *send(state, pid, update))
        assert result.echo.fields == (q,) and result.echo.by == pid
        state = result.state
    assert state.group(1).texts == tuple(f"answer {q} by {pid}" for q, pid in enumerate(ids))
    assert state.group(1).sheet.authors == tuple((pid,) for pid in ids)
    assert state.group(2).texts == ("",) * 4


def test_an_update_changing_several_answers_names_them_all():
    state = planning()
    pid = members(state, 1)[0]
    phone = Typist()
    phone.append(0, "zero")
    phone.append(3, "three")
    result = run_outcome(state, *send(state, pid, phone.missing_for(EMPTY_STATE_VECTOR)))
    assert result.echo.fields == (0, 3)
    assert result.state.group(1).texts == ("zero", "", "", "three")


# ---------------------------------------------------------------------------------------------
# Who typed in each answer

def test_each_answer_lists_everyone_who_typed_in_it_first_first_and_the_views_name_them():
    state = planning()
    a_id, b_id, c_id = members(state, 1)[:3]
    a, b = Typist(), Typist()
    state = accept(state, b_id, b.append(1, "Bo's idea"))
    state = accept(state, a_id, a.append(0, "Ada's"))
    a.apply(b.missing_for(a.state_vector()))
    state = accept(state, a_id, a.append(1, ", and Ada's"))
    state = accept(state, b_id, b.append(0, "!"))  # B types after Ada in answer 0
    state = accept(state, b_id, b.missing_for(EMPTY_STATE_VECTOR))  # everything again: changes nothing
    c = synced(state)
    state = accept(state, c_id, c.delete(1, 0, 4))  # deleting is typing too
    sheet = state.group(1).sheet
    assert sheet.authors == ((a_id, b_id), (b_id, a_id, c_id), (), ())
    names = state.participants
    expected = [{"text": text, "authors": [names[pid].name for pid in who]}
                for text, who in zip(sheet.texts, sheet.authors)]
    assert phone_view(state, a_id, NOW)["group"]["answers"] == expected
    assert facilitator_view(state, NOW, {"join": "j", "projector": "p"}, set())["groups"][0]["answers"] == expected


def test_an_update_that_changes_no_text_adds_no_author():
    state = planning()
    a_id, b_id = members(state, 1)[:2]
    update = Typist().append(0, "mine")
    state = accept(state, a_id, update)
    state = accept(state, b_id, update)  # B's phone passes on what it already had
    assert state.group(1).sheet.authors[0] == (a_id,)


# ---------------------------------------------------------------------------------------------
# too_long: the limit is on the merged text

def test_two_members_each_under_the_limit_who_together_pass_it_the_second_is_refused():
    state = planning()
    a_id, b_id, c_id = members(state, 1)[:3]
    a, b = Typist(), Typist()
    from_a, from_b = a.append(0, "a" * 1200), b.append(0, "b" * 1200)
    state = accept(state, a_id, from_a)
    error = rejects(state, *send(state, b_id, from_b)[:2], code="too_long")
    assert error.details == {"question": 0, "length": 2400, "limit": LIMIT}
    # The refused update was applied to the live document before the count: that document
    # was dropped, so the next update merges into the sheet as it was, without B's text.
    c = synced(state)
    after = accept(state, c_id, c.append(1, "still fine"))
    assert after.group(1).texts == ("a" * 1200, "still fine", "", "")
    more = accept(after, a_id, a.append(0, "!"))
    assert more.group(1).texts[0] == "a" * 1200 + "!"
    fresh = synced(more)
    assert "b" not in fresh.text(0) and fresh.text(0) == "a" * 1200 + "!"
    # B throws its document away, syncs again, and puts its text back once it fits.
    b = synced(more)
    fitted = accept(more, b_id, b.append(0, "b" * (LIMIT - 1201)))
    assert fitted.group(1).texts[0] == "a" * 1200 + "!" + "b" * (LIMIT - 1201)


def test_the_limit_is_the_sessions_own_and_counts_characters():
    state = planning(settings=Settings(group_size=4, max_answer=10))
    a_id, b_id = members(state, 1)[:2]
    a, b = Typist(), Typist()
    state = accept(state, a_id, a.append(2, "日本語😀😀"))  # 5 characters, 16 bytes, 7 UTF-16 units
    error = rejects(state, *send(state, b_id, b.append(2, "ü" * 6))[:2], code="too_long")
    assert error.details == {"question": 2, "length": 11, "limit": 10}
    assert accept(state, b_id, synced(state).append(2, "ü" * 5)).group(1).texts[2] in ("日本語😀😀üüüüü", "üüüüü日本語😀😀")


def test_a_refused_update_leaves_the_stored_document_as_it_was():
    state = planning()
    a_id, b_id = members(state, 1)[:2]
    state = accept(state, a_id, Typist().append(0, "x" * 1500))
    before = state.group(1).sheet
    rejects(state, *send(state, b_id, Typist().append(0, "y" * 600))[:2], code="too_long")
    assert state.group(1).sheet.updates == before.updates
    assert decode(encode(state)) == state
    assert synced(decode(encode(state))).text(0) == "x" * 1500


# ---------------------------------------------------------------------------------------------
# not_your_group

def test_another_groups_sheet_is_not_yours_and_the_refusal_names_yours():
    state = planning()
    pid = members(state, 1)[0]
    theirs = state.group(2).sheet.id
    error = rejects(state, *send(state, pid, Typist().append(0, "x"), sheet=theirs)[:2], code="not_your_group")
    assert error.details == {"sheet": state.group(1).sheet.id}
    for unknown in ("", "9.9", "1", state.group(1).sheet.id + " "):
        rejects(state, *send(state, pid, Typist().append(0, "x"), sheet=unknown)[:2], code="not_your_group")


def test_an_old_groupings_sheet_is_refused_after_the_groups_are_made_again():
    state = planning()
    pid = members(state, 1)[0]
    old_sheet = state.group_of(pid).sheet.id
    phone = Typist()
    state = accept(state, pid, phone.append(0, "old grouping"))
    # Back to the groups, reshuffle, and plan again, within the grace of the first planning.
    state = run(state, Back(), now=NOW + 1)
    state = run(state, Back(), now=NOW + 2)
    state = run(state, Reshuffle(), now=NOW + 3)
    state = run(run(state, PickStories(), now=NOW + 4), StartPlanning(), now=NOW + 5)
    new_sheet = state.group_of(pid).sheet.id
    assert new_sheet != old_sheet and all(g.texts == ("",) * 4 for g in state.groups)
    error = rejects(state, *send(state, pid, phone.append(0, " more"), NOW + 6, sheet=old_sheet)[:2],
                    code="not_your_group", now=NOW + 6)
    assert error.details == {"sheet": new_sheet}
    # The old text does not leak into the new sheet through a phone that still holds it.
    assert accept(state, pid, Typist().append(0, "new"), NOW + 7).group_of(pid).texts[0] == "new"


def test_a_member_moved_to_another_group_types_in_that_groups_sheet_only():
    state = planning()
    mover = members(state, 1)[0]
    old_sheet = state.group(1).sheet.id
    state = run(state, MoveParticipant(participant=mover, group=2))
    error = rejects(state, *send(state, mover, Typist().append(0, "x"), sheet=old_sheet)[:2], code="not_your_group")
    assert error.details == {"sheet": state.group(2).sheet.id}
    after = accept(state, mover, synced(state, 2).append(0, "in my new group"))
    assert after.group(2).texts[0] == "in my new group" and after.group(1) == state.group(1)


# ---------------------------------------------------------------------------------------------
# bad_update and update_too_large

def _garbage(seed: int, size: int) -> str:
    return b64(random.Random(seed).randbytes(size))


VALID = Typist(client_id=42).append(0, "a valid update, cut short")
BAD_UPDATES = {
    "not base64": "this is not base64!",
    "bad padding": "QUJD=",
    "url-safe alphabet": base64.urlsafe_b64encode(b"\xfb\xff\xfe" * 5).decode(),
    "a line break": VALID[:8] + "\n" + VALID[8:],
    "not ASCII": "ÄÖÜ=",
    "empty": "",
    "a state vector, not an update": EMPTY_STATE_VECTOR,
    "three letters of garbage": b64(b"abc"),
    "truncated": b64(base64.b64decode(VALID)[:-3]),
    "cut in half": b64(base64.b64decode(VALID)[: len(base64.b64decode(VALID)) // 2]),
    **{f"random bytes {seed}": _garbage(seed, 5 + 37 * seed) for seed in range(6)},
}


@pytest.mark.parametrize("update", list(BAD_UPDATES.values()), ids=list(BAD_UPDATES))
def test_what_is_not_a_yjs_update_is_refused_as_bad_update_and_the_sheet_still_works(update):
    state = planning()
    pid = members(state, 1)[0]
    state = accept(state, pid, Typist().append(0, "before"))
    rejects(state, *send(state, pid, update)[:2], code="bad_update")
    assert accept(state, pid, synced(state).append(0, ", after")).group(1).texts[0] == "before, after"


def test_an_update_over_65536_characters_is_refused_before_it_is_read():
    state = planning()
    pid = members(state, 1)[0]
    for update in ("A" * (MAX_UPDATE + 4), "!" * (MAX_UPDATE + 1), Typist().append(0, "x" * 60_000)):
        assert len(update) > MAX_UPDATE
        error = rejects(state, *send(state, pid, update)[:2], code="update_too_large")
        assert error.details == TOO_LARGE


def test_a_paste_of_four_full_answers_fits_in_one_update():
    state = planning()
    pid = members(state, 1)[0]
    phone = Typist()
    for q in range(4):
        phone.append(q, "😀" * LIMIT)  # four bytes a character in UTF-8, the worst case
    update = phone.missing_for(EMPTY_STATE_VECTOR)
    assert len(update) <= MAX_UPDATE
    assert accept(state, pid, update).group(1).texts == ("😀" * LIMIT,) * 4


# ---------------------------------------------------------------------------------------------
# When the sheet takes changes: planning, and SHEET_GRACE seconds after it ends

@pytest.mark.parametrize("phase", ["lobby", "groups", "stories"])
def test_before_planning_ever_started_the_sheet_takes_nothing(phase):
    state = played_to(phase, n_people=8)
    pid = "p1"
    sheet = state.group_of(pid).sheet.id if state.groups else "0.1"
    for later in (0, 10, 10_000):
        rejects(state, *send(state, pid, Typist().append(0, "x"), sheet=sheet)[:2], code="wrong_phase",
                now=NOW + later)


def test_updates_still_merge_for_30_seconds_after_the_showcase_starts_and_show_everywhere():
    state = planning()
    pid, other = members(state, 1)[:2]
    phone = Typist()
    state = accept(state, pid, phone.append(0, "typed in planning"))
    ended = NOW + 500
    showcase = run(state, StartShowcase(), now=ended)
    assert showcase.sheets_closed_at == ended
    late = phone.append(0, ", and a last word")
    result = run_outcome(showcase, *send(showcase, pid, late, ended + SHEET_GRACE))
    after = result.state
    assert after.group(1).texts[0] == "typed in planning, and a last word"
    assert result.echo.fields == (0,)
    assert result.phones == frozenset(members(state, 1))  # the phones show the card: a new one
    shown = projector_view(after, ended + SHEET_GRACE, "http://join")
    assert shown["groups"][0]["answers"][0] == "typed in planning, and a last word"
    assert export.results(after)["groups"][0]["answers"][0]["answer"] == "typed in planning, and a last word"
    assert "and a last word" in export.to_markdown(after) and "and a last word" in export.to_csv(after)
    # Just past the grace: refused, nothing changes.
    too_late = Typist().append(1, "too late")
    rejects(after, *send(after, other, too_late)[:2], code="wrong_phase", now=ended + SHEET_GRACE + 0.001)
    rejects(after, *send(after, other, too_late)[:2], code="wrong_phase", now=ended + 3600)


def test_updates_still_merge_for_30_seconds_after_going_back_from_planning():
    state = planning()
    pid = members(state, 1)[0]
    ended = NOW + 60
    stories = run(state, Back(), now=ended)
    assert stories.phase is Phase.STORIES and stories.sheets_closed_at == ended
    after = accept(stories, pid, Typist().append(3, "in time"), ended + 29.9)
    assert after.group(1).texts[3] == "in time"
    assert export.results(after)["groups"][0]["answers"][3]["answer"] == "in time"
    assert projector_view(after, ended + 29.9, "http://join")["groups"][0]["answers"] is None  # not before the showcase
    rejects(stories, *send(stories, pid, Typist().append(3, "late"))[:2], code="wrong_phase", now=ended + 30.5)
    # Planning again: the sheet takes changes however long it has been.
    again = run(after, StartPlanning(), now=ended + 10_000)
    assert accept(again, pid, synced(again).append(3, "!"), ended + 10_001).group(1).texts[3] == "in time!"


def test_the_grace_counts_from_the_last_time_planning_ended():
    state = planning()
    pid = members(state, 1)[0]
    state = run(state, StartShowcase(), now=NOW + 10)
    state = run(state, Back(), now=NOW + 20)  # planning again
    state = run(state, StartShowcase(), now=NOW + 5000)
    accept(state, pid, Typist().append(0, "x"), NOW + 5000 + SHEET_GRACE)
    rejects(state, *send(state, pid, Typist().append(0, "x"))[:2], code="wrong_phase", now=NOW + 5000 + 31)
    back = run(state, Back(), now=NOW + 6000)  # showcase -> planning: open again, whatever the time
    accept(back, pid, Typist().append(0, "x"), NOW + 9000)


# ---------------------------------------------------------------------------------------------
# Compaction, encoding and replay

def test_after_64_updates_the_tail_is_merged_and_nothing_changes():
    state = planning()
    ids = members(state, 1)
    phones = {pid: Typist() for pid in ids}
    rng = random.Random(5)
    compacted = 0
    for k in range(3 * COMPACT_AFTER + 5):
        pid = ids[k % len(ids)]
        phone = phones[pid]
        phone.apply(state.group(1).sheet.missing_for(phone.state_vector()))  # what the echoes brought
        q = rng.randrange(4)
        text = phone.text(q)
        if text and rng.random() < 0.3:
            start = rng.randrange(len(text))
            update = phone.delete(q, start, min(len(text), start + rng.randrange(1, 4)))
        else:
            update = phone.insert(q, rng.randrange(len(text) + 1), rng.choice(["a", "bc", "ü", "😀 ", "日本"]))
        before = state.group(1).sheet
        state = accept(state, pid, update)
        sheet = state.group(1).sheet
        assert len(sheet.tail) < COMPACT_AFTER
        if not sheet.tail:
            compacted += 1
            assert sheet.base and sheet.base != before.base
        assert sheet.texts == tuple(phone.text(q) for q in range(4))
        if k % 16 == 0 or not sheet.tail:
            again = decode(json.loads(json.dumps(encode(state))))
            assert again == state
            assert again.group(1).sheet.updates == sheet.updates
            assert tuple(synced(again).text(q) for q in range(4)) == sheet.texts
    assert compacted == 3
    # A phone that synced before the last compaction still types into the compacted document.
    last = phones[ids[0]]
    last.apply(state.group(1).sheet.missing_for(last.state_vector()))
    final = accept(decode(encode(state)), ids[0], last.append(0, "END"))
    assert final.group(1).texts[0].endswith("END")


def test_an_update_building_on_one_the_server_lacks_is_refused_and_taken_once_that_one_came():
    state = planning()
    pid = members(state, 1)[0]
    phone = Typist()
    for k in range(COMPACT_AFTER - 2):
        state = accept(state, pid, phone.append(0, "."))
    missing, waiting = phone.append(0, "A"), phone.append(0, "B")
    before = state.group(1).sheet
    rejects(state, *send(state, pid, waiting)[:2], code="bad_update")  # it would wait, stored for nothing
    assert state.group(1).sheet.updates == before.updates
    state = accept(state, pid, Typist().append(1, "other"))
    state = accept(state, pid, missing)  # the 64th: the tail is merged
    assert state.group(1).sheet.tail == () and state.group(1).texts[0] == "." * (COMPACT_AFTER - 2) + "A"
    stored = decode(encode(state))  # through the stored form, as after a restart
    for copy in (state, stored):
        done = accept(copy, pid, waiting)
        assert done.group(1).texts[0] == "." * (COMPACT_AFTER - 2) + "AB"


class LoggedSession:
    """A session in a SqlStore, changed the way the hub changes it: apply, then append."""

    def __init__(self, store, state):
        self.store = store
        self.initial = state
        self.state = state
        store.create(SessionRecord(state=state, facilitator_hash="hash", projector_key="key"))

    def send(self, command, actor, now: float):
        outcome = apply(self.state, command, actor, now)
        if outcome.ok:
            self.store.append(self.state.id, outcome.state, LogEntry(
                version=outcome.state.version, event=command.event, payload=command.as_record(),
                actor={"role": actor.role.value, "participant": actor.participant_id}, at=now,
                result=outcome.result))
            self.state = outcome.state
        return outcome


@pytest.mark.parametrize("snapshot_every", [100, 7])
def test_replaying_the_stored_log_gives_the_same_texts_byte_for_byte(tmp_path, monkeypatch, snapshot_every):
    monkeypatch.setattr(sqlstore, "SNAPSHOT_EVERY", snapshot_every)
    url = sqlstore.sqlite_url(str(tmp_path / "sheets.sqlite3"))
    store = SqlStore(url)
    room = LoggedSession(store, planning())
    rng = random.Random(11)
    phones = {pid: Typist() for g in room.state.groups for pid in g.members}
    refused = 0
    for k in range(300):
        pid = rng.choice(sorted(phones))
        phone, number = phones[pid], room.state.group_of(pid).number
        if rng.random() < 0.5:  # sometimes the phone is behind: it has not heard the others yet
            phone.apply(room.state.group(number).sheet.missing_for(phone.state_vector()))
        q = rng.randrange(4)
        text = phone.text(q)
        if rng.random() < 0.02:
            update = phone.append(q, "x" * (LIMIT + 1))  # refused, never logged
        elif text and rng.random() < 0.3:
            start = rng.randrange(len(text))
            update = phone.delete(q, start, min(len(text), start + 3))
        else:
            update = phone.insert(q, rng.randrange(len(text) + 1), rng.choice(["a", "ñ", "\n", "😀", "  ", "中文"]))
        outcome = room.send(*send(room.state, pid, update, NOW + k))
        if not outcome.ok:
            assert outcome.error.code == "too_long"
            refused += 1
            phones[pid] = synced(room.state, number)  # the page throws its document away
    room.send(StartShowcase(), FACILITATOR, NOW + 400)
    live = room.state
    assert refused > 0 and live.version == room.initial.version + 301 - refused
    replayed = replay(room.initial, store.log(live.id))
    loaded = SqlStore(url).get(live.id).state
    for copy in (replayed, loaded):
        assert copy == live
        for mine, theirs in zip(copy.groups, live.groups, strict=True):
            assert [t.encode("utf-8") for t in mine.texts] == [t.encode("utf-8") for t in theirs.texts]
            assert mine.sheet.authors == theirs.sheet.authors
    assert any(any(g.texts) for g in live.groups)
    store.close()


def test_the_sheet_update_record_is_the_payload_and_nothing_else():
    command = EditSheet(sheet="3.2", update="AAA=")
    assert command.as_record() == {"sheet": "3.2", "update": "AAA="}
    assert EditSheet.payload_schema() == {"sheet": str, "update": str}
    assert command == EditSheet.from_payload({"sheet": "3.2", "update": "AAA=", "cid": "c1"})


def test_answers_of_someone_removed_while_hidden_stay_hidden_in_the_showcase():
    from gamehub.engine.codec import decode, encode
    from gamehub.engine.lobby import RemoveParticipant
    from gamehub.engine.moderation import HideText
    from gamehub.views.screens import HIDDEN_TEXT, projector_view

    state = played_to("planning", 8)
    author, other = state.group(1).members[:2]
    state = run(state, edit_command(state, author, 0, "theirs"), member(author))
    state = run(state, edit_command(state, other, 1, "mine"), member(other))
    state = run(state, HideText(participant=author, hidden=True))
    state = run(state, RemoveParticipant(participant=author))
    state = run(state, StartShowcase())
    assert projector_view(state, NOW, "")["groups"][0]["answers"][:2] == [HIDDEN_TEXT, "mine"]
    assert decode(encode(state)).hidden_removed == {author}
    # Removed while shown: their text stays on the projector, as before.
    state = played_to("planning", 8)
    author = state.group(1).members[0]
    state = run(state, edit_command(state, author, 0, "theirs"), member(author))
    state = run(run(state, RemoveParticipant(participant=author)), StartShowcase())
    assert projector_view(state, NOW, "")["groups"][0]["answers"][0] == "theirs"


def test_sheets_of_groups_formed_again_within_the_grace_take_no_update_before_planning():
    from gamehub.engine.game.groups import FormGroups

    state = played_to("planning", 8)
    for _ in range(3):
        state = run(state, Back(), now=NOW + 1)  # planning -> stories -> groups -> lobby
    state = run(state, FormGroups(), now=NOW + 2)
    pid = state.group(1).members[0]
    rejects(state, edit_command(state, pid, 0, "too early"), member(pid), code="wrong_phase", now=NOW + 3)
