"""A league's season table: each archer's points per competition, best N of M counting.

Points of a competition (`Basis`):
- **raw**: the score shot;
- **handicap**: the score plus the archer's Archery GB handicap allowance for the round,
  from their handicap at the time of the competition (`handicap_at`,
  `stats.handicap.agb_allowance`): everyone shooting to their handicap makes about 1440,
  whatever the round, bowstyle or standard.

An archer's handicap at the time (Archery GB style, from the rounds in their history): the
mean of the table handicaps of their last three complete standard rounds finished before the
competition's day, rounded up to a whole number (the handicap of one or two such rounds while
they have fewer). With none, the handicap of the competition's own score stands in, and the
row says it is provisional (as clubs do for a newcomer).

The season total is the sum of each archer's best `best` competitions' points; archers are
ranked by it, equal totals sharing a place ("=2"), then by name.

Pure: no database, no I/O."""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from typing import Generic, Literal, TypeVar

K = TypeVar("K", bound=Hashable)  # an archer (or entry)
C = TypeVar("C", bound=Hashable)  # a competition

Basis = Literal["raw", "handicap"]
BASES: tuple[Basis, ...] = ("raw", "handicap")
HANDICAP_ROUNDS = 3  # rounds an Archery GB handicap is the mean of


def handicap_at(earlier: Sequence[float]) -> int | None:
    """The handicap from the table handicaps of the complete rounds shot before, oldest
    first: the mean of the last three, rounded up; None with none."""
    last = earlier[-HANDICAP_ROUNDS:]
    return math.ceil(sum(last) / len(last) - 1e-9) if last else None


@dataclass(frozen=True, slots=True)
class Result(Generic[K, C]):
    archer: K
    competition: C
    score: int
    allowance: int | None = None  # handicap basis only


@dataclass(frozen=True, slots=True)
class Row(Generic[K, C]):
    archer: K
    place: int
    tied: bool
    total: int
    points: dict[C, int]  # per competition shot
    counted: frozenset[C]  # the competitions whose points make the total


def points(result: Result[K, C], basis: Basis) -> int:
    """The points a result gives on `basis`."""
    if basis == "raw":
        return result.score
    if result.allowance is None:
        raise ValueError("handicap points need the archer's allowance")
    return result.score + result.allowance


def table(
    competitions: Sequence[C],
    results: Iterable[Result[K, C]],
    basis: Basis,
    best: int,
    name: dict[K, str],
) -> list[Row[K, C]]:
    """The season table: archers by their best `best` competitions' points (of those given,
    in the season's order: the earlier of equal points counts), best first."""
    order = {c: i for i, c in enumerate(competitions)}
    per: dict[K, dict[C, int]] = {}
    for r in results:
        per.setdefault(r.archer, {})[r.competition] = points(r, basis)
    rows: list[tuple[int, K, dict[C, int], frozenset[C]]] = []
    for archer, got in per.items():
        ranked = sorted(got, key=lambda c: (-got[c], order[c]))[:best]
        rows.append((sum(got[c] for c in ranked), archer, got, frozenset(ranked)))
    rows.sort(key=lambda r: (-r[0], name[r[1]]))
    out: list[Row[K, C]] = []
    for n, (total, archer, got, counted) in enumerate(rows):
        place = out[-1].place if out and out[-1].total == total else n + 1
        tied = (n > 0 and rows[n - 1][0] == total) or (
            n + 1 < len(rows) and rows[n + 1][0] == total
        )
        out.append(Row(archer, place, tied, total, dict(got), counted))
    return out
