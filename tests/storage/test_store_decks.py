"""Organiser decks and server settings in every store (memory, SQLite, PostgreSQL): kept across
a reopened store, replaced whole, deleted; a setting written by one process is read at once by
another (PostgreSQL is shared with other test runs: ids and names here are random)."""

from __future__ import annotations

import secrets

import pytest

from gamehub.content import decks
from gamehub.storage import organiser_key
from gamehub.storage.offloaded import OffloadedStore
from gamehub.storage.sql import SqlStore
from gamehub.storage.store import DeckRecord
from test_store import postgres_url, store_factory  # noqa: F401 (fixtures)

DATA = decks.to_stored(decks.validate({"title": "Zine deck", "questions": ["a", "b", "c", "d"],
                                        "formats": [["x", "y", "z"]]}).data)


def test_a_deck_survives_a_reopened_store_and_is_replaced_whole(store_factory):
    deck_id = decks.new_deck_id()
    store = store_factory()
    store.put_deck(DeckRecord(deck_id, "Zine deck", DATA, created=1.0, updated=1.0))
    store = store_factory()
    found = store.get_deck(deck_id)
    assert found == DeckRecord(deck_id, "Zine deck", DATA, 1.0, 1.0)
    assert decks.validate(decks.from_stored(found.data)).deck.lists == (("x", "y", "z"),)
    store.put_deck(DeckRecord(deck_id, "Renamed", {**DATA, "title": "Renamed"}, created=1.0, updated=2.0))
    assert store_factory().get_deck(deck_id).name == "Renamed"
    assert [d.id for d in store.decks()].count(deck_id) == 1
    assert store.delete_deck(deck_id) and not store.delete_deck(deck_id)
    assert store_factory().get_deck(deck_id) is None


def test_a_setting_is_read_past_any_cache(store_factory):
    name = f"test-{secrets.token_hex(4)}"
    one, two = store_factory(), store_factory()
    assert one.setting(name) is None
    one.put_setting(name, "first")
    two.put_setting(name, "second")
    assert one.setting(name) == "second"


@pytest.mark.parametrize("store_factory", ["sqlite"], indirect=True)
def test_the_offloaded_store_passes_decks_and_settings_through(store_factory):
    store = OffloadedStore(store_factory(), lambda fn, *args: fn(*args))
    deck_id = decks.new_deck_id()
    store.put_deck(DeckRecord(deck_id, "Zine deck", DATA, 1.0, 1.0))
    assert store.get_deck(deck_id).name == "Zine deck" and [d.id for d in store.decks()] == [deck_id]
    assert store.delete_deck(deck_id)
    store.put_setting("x", "y")
    assert store.setting("x") == "y"


@pytest.mark.parametrize("store_factory", ["sqlite"], indirect=True)
def test_the_organiser_key_is_made_once_and_kept_across_restarts(store_factory, tmp_path):
    store = store_factory()
    key = organiser_key.ensure(store, tmp_path)
    assert key and organiser_key.ensure(store_factory(), tmp_path) == key
    assert organiser_key.is_key(store, key) and not organiser_key.is_key(store, key + "x")
    assert (tmp_path / organiser_key.FILENAME).stat().st_mode & 0o777 == 0o600
    other = tmp_path / "other-machine"
    assert organiser_key.ensure(store, other) is None  # never rotates a key another machine holds


def test_sqlstore_json_keeps_format_lists_in_order(tmp_path):
    store = SqlStore(f"sqlite:///{tmp_path / 'g.sqlite3'}")
    data = decks.to_stored(decks.validate({"questions": ["a", "b", "c", "d"],
                                           "formats": [[f"{n}a", f"{n}b", f"{n}c"] for n in range(1, 12)]}).data)
    store.put_deck(DeckRecord("d1", "x", data, 1.0, 1.0))
    again = decks.validate(decks.from_stored(SqlStore(store.url).get_deck("d1").data)).deck
    assert [options[0] for options in again.lists] == [f"{n}a" for n in range(1, 12)]
