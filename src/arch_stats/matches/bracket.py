"""Head-to-head brackets, seeded from the qualification ranking (World Archery's layout).

A bracket has a power-of-two number of places (2 … 64). Seeds are placed so that the best
two can meet only in the final, the best four only in the semi-finals, and so on: the
standard order, built by replacing each seed `s` of the bracket of half the size with the
pair `s`, `size + 1 - s` (for 8: 1 v 8, 4 v 5, 2 v 7, 3 v 6). When fewer archers qualify
than the bracket has places, the missing seeds are byes: the top seeds meet nobody in the
first round and go through.

Matches are numbered per round from the top (`Slot`): the winner of match `i` of round `r`
shoots match `i // 2` of round `r + 1`, as its first archer when `i` is even. The losers of
the semi-finals shoot the bronze medal match (`BRONZE`), as clubs and World Archery do.

Pure: no database, no I/O."""

from __future__ import annotations

from dataclasses import dataclass

MIN_SIZE = 2
MAX_SIZE = 64
BRONZE = -1  # the round number of the bronze medal match (one match, index 0)


class BracketError(ValueError):
    """A bracket that cannot be drawn (too few or too many archers)."""


def size_for(archers: int) -> int:
    """The places of a bracket for `archers` qualifiers: the next power of two."""
    if not MIN_SIZE <= archers <= MAX_SIZE:
        raise BracketError(f"a bracket takes {MIN_SIZE} to {MAX_SIZE} archers, not {archers}")
    size = MIN_SIZE
    while size < archers:
        size *= 2
    return size


def seed_order(size: int) -> tuple[int, ...]:
    """The seeds of a bracket of `size` places, top to bottom (pairs shoot each other)."""
    rounds(size)  # checks the size
    order = [1, 2]
    while len(order) < size:
        n = 2 * len(order)
        order = [seed for s in order for seed in (s, n + 1 - s)]
    return tuple(order)


_SIZES = frozenset(2**k for k in range(1, 7))


def first_round(archers: int) -> tuple[tuple[int, int | None], ...]:
    """The first round's pairs of seeds for `archers` qualifiers, top to bottom; None is a bye."""
    size = size_for(archers)
    order = seed_order(size)
    return tuple(
        (a, b if b <= archers else None)
        for a, b in ((order[i], order[i + 1]) for i in range(0, size, 2))
    )


def rounds(size: int) -> int:
    """How many rounds a bracket of `size` places has (8: quarter-finals, semis, final)."""
    if size not in _SIZES:
        raise BracketError(f"a bracket has 2, 4, 8, 16, 32 or 64 places, not {size}")
    return size.bit_length() - 1


def round_name(size: int, round_no: int) -> str:
    """ "1/16 Eliminations", "Quarter-finals", "Semi-finals", "Final", "Bronze medal match"."""
    if round_no == BRONZE:
        return "Bronze medal match"
    matches = size >> (round_no + 1)
    return {1: "Final", 2: "Semi-finals", 4: "Quarter-finals"}.get(
        matches, f"1/{matches} Eliminations"
    )


@dataclass(frozen=True, slots=True)
class Slot:
    """Where a match's winner (or a semi-final's loser) shoots next: match `index` of round
    `round_no`, as its first (`side` 0) or second archer."""

    round_no: int
    index: int
    side: int


def winner_goes(size: int, round_no: int, index: int) -> Slot | None:
    """Where the winner of a match goes; None after the final and the bronze match."""
    if round_no == BRONZE or round_no + 1 >= rounds(size):
        return None
    return Slot(round_no + 1, index // 2, index % 2)


def loser_goes(size: int, round_no: int, index: int) -> Slot | None:
    """Where the loser of a match goes: a semi-final's to the bronze match, else nowhere."""
    if size >= 4 and round_no == rounds(size) - 2:
        return Slot(BRONZE, 0, index % 2)
    return None
