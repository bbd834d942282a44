"""The random parts of the rules: group sizes, group assignment and story picks.

Every draw is a fresh generator seeded from the session's seed, a purpose and a draw
number kept in the state, so any pick can be replayed and explained after the fact.
"""

from __future__ import annotations

import random
from collections.abc import Sequence


def rng_for(seed: str, purpose: str, draw: int) -> random.Random:
    """The generator for one draw. String seeds are hashed (SHA-512) by `random`, so stable."""
    return random.Random(f"{seed}:{purpose}:{draw}")


def group_count(n: int, size: int) -> int:
    """G = max(1, round(n / size)), rounding halves up (10 people in fours: 3 groups, not 2)."""
    return max(1, (2 * n + size) // (2 * size))


def group_sizes(n: int, size: int) -> list[int]:
    """Sizes of groups 1..G, differing by at most one; the larger groups come first."""
    count = group_count(n, size)
    base, extra = divmod(n, count)
    return [base + 1 if i < extra else base for i in range(count)]


def deal_groups(members: Sequence[str], size: int, rng: random.Random) -> list[tuple[str, ...]]:
    """Shuffle `members` and deal them into groups of the sizes above, in group order."""
    shuffled = list(members)
    rng.shuffle(shuffled)
    groups, start = [], 0
    for count in group_sizes(len(shuffled), size):
        groups.append(tuple(shuffled[start : start + count]))
        start += count
    return groups


def smallest_group(sizes: Sequence[int]) -> int:
    """Number (1-based) of the smallest group, the lowest number on a tie."""
    return min(range(len(sizes)), key=lambda i: (sizes[i], i)) + 1


def story_candidates(members: Sequence[str], opted_out: set[str], exclude: str | None = None) -> tuple[str, ...]:
    """Members who did not opt out, or everyone if all did; `exclude` drops a re-rolled owner
    as long as someone else is left."""
    pool = [m for m in members if m not in opted_out] or list(members)
    if exclude is not None and len(pool) > 1:
        pool = [m for m in pool if m != exclude]
    return tuple(pool)
