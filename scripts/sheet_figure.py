"""How long a full room's sheets take to load, and what the worst accepted update costs.

A full room: 125 groups, each sheet's four answers typed to 2,000 characters key by key (one
update per keystroke, the four members each in their own answer, taking turns). One sheet is
typed through `Sheet.merged`; its stored form (JSON, as in a snapshot) is copied for every
group, and loading decodes it and builds every sheet's live document (what the first
`sheet_sync` or update after a restart does). With `--baseline FILE`, a `sheet.py` from
before (e.g. `git show aa57335:gamehub/engine/sheet.py > /tmp/old_sheet.py`) does the same in
the same run, for the ratio docs/performance.md gives.

Then the costliest updates the caps let through (docs/security.md, "Shared sheets"): chains
of deleted runs placed so that every struct of the next update scans all that is there, until
the sheet is full; and how long that full sheet takes to load.

    .venv/bin/python scripts/sheet_figure.py [--groups 125] [--chars 2000] [--baseline FILE]
"""

from __future__ import annotations

import argparse
import base64
import importlib.util
import json
import sys
import time
from pathlib import Path

import pycrdt

from gamehub.engine import sheet as current
from gamehub.engine.errors import Rejected

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
import yjs_craft as y  # noqa: E402  (the tests' byte-by-byte Yjs writer)


def typed(module, chars: int):
    """One sheet, its four answers typed key by key by four members."""
    phones = [pycrdt.Doc(client_id=1_000 + m) for m in range(4)]
    texts = [[doc.get(f"q{q}", type=pycrdt.Text) for q in range(4)] for doc in phones]
    sheet = module.Sheet.blank("0.1", 4)
    for k in range(chars):
        for m, doc in enumerate(phones):
            for other in phones:  # each phone has heard the others (the echoes)
                if other is not doc:
                    doc.apply_update(other.get_update(doc.get_state()))
            before = doc.get_state()
            texts[m][m].insert(len(str(texts[m][m]).encode()), "abcdefghij"[k % 10])
            sheet, _ = sheet.merged(base64.b64encode(doc.get_update(before)).decode(), f"p{m}", 2_000)
    return sheet


def load(module, stored: str, groups: int) -> float:
    started = time.perf_counter()
    for data in json.loads(stored):
        sheet = module.Sheet(id=data["id"], texts=tuple(data["texts"]), authors=tuple(map(tuple, data["authors"])),
                             base=data["base"], tail=tuple(data["tail"]))
        sheet.state_vector()  # builds the live document
    return time.perf_counter() - started


def room(module, chars: int, groups: int) -> tuple[float, int]:
    sheet = typed(module, chars)
    one = {"id": sheet.id, "texts": list(sheet.texts), "authors": [list(a) for a in sheet.authors],
           "base": sheet.base, "tail": list(sheet.tail)}
    stored = json.dumps([one] * groups)
    return min(load(module, stored, groups) for _ in range(3)), len(stored) // groups


def worst_update() -> tuple[float, current.Sheet]:
    """Deleted runs chained by two clients (nothing merges), then updates of the most structs,
    each run of them placed right after the chain's start and followed by as many typed after
    it as an update holds, until the sheet is full."""
    sheet, worst, half = current.Sheet.blank("0.1", 4), 0.0, current.MAX_UPDATE_PLACED // 2
    chained = current.MAX_SHEET_STRUCTS - 4 * current.MAX_UPDATE_STRUCTS
    for k in range(100_000):
        if k * 2 * half < chained:
            base, one, two = k * half, [], []
            for i in range(half):
                one.append(y.item(content=y.DELETED, origin=(2, base + i - 1) if base + i else None))
                two.append(y.item(content=y.DELETED, origin=(1, base + i)))
            update = y.update({1: (base, one), 2: (base, two)})
        else:
            each = current.MAX_UPDATE_STRUCTS // current.MAX_UPDATE_PLACED
            structs = [y.item(content=y.DELETED, origin=(1, j) if n == 0 else (3 + k, j * each + n - 1))
                       for j in range(current.MAX_UPDATE_PLACED) for n in range(each)]
            update = y.update({3 + k: (0, structs)})
        started = time.perf_counter()
        try:
            sheet, _ = sheet.merged(update, "p1", 2_000)
        except Rejected as error:
            if error.code in ("sheet_full", "too_many_clients"):
                return worst, sheet
            raise
        worst = max(worst, time.perf_counter() - started)
    return worst, sheet


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--groups", type=int, default=125)
    parser.add_argument("--chars", type=int, default=2_000)
    parser.add_argument("--baseline", type=Path)
    args = parser.parse_args(argv)
    now, size = room(current, args.chars, args.groups)
    print(f"{args.groups} sheets of 4 x {args.chars} characters typed key by key: load {now:.3f} s "
          f"({size:,} characters stored a sheet)")
    if args.baseline:
        spec = importlib.util.spec_from_file_location("gamehub.engine.old_sheet", args.baseline)
        old = sys.modules[spec.name] = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(old)
        before, old_size = room(old, args.chars, args.groups)
        print(f"baseline: load {before:.3f} s ({old_size:,} characters a sheet); ratio {before / now:.1f}")
    worst, full = worst_update()
    print(f"worst accepted update at the caps: {worst * 1000:.0f} ms")
    copy = current.Sheet(id=full.id, texts=full.texts, authors=full.authors, base=full.base, tail=full.tail)
    started = time.perf_counter()
    copy.state_vector()
    print(f"that sheet ({full.structs:,} structs) loads in {(time.perf_counter() - started) * 1000:.0f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
