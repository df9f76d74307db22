"""Standings within one category of one round, by the round's rules.

Counts (`Tally`) per archer: arrows shot, total, hits (arrows that scored), 10+X (arrows that
scored 10 or more, an 11-zone X included), Xs, and golds (9s, counted where the rule is
imperial: 9-7-5-3-1 scoring, whose 9 is the gold).

Ties (`Rule`), as the round's scoring says (archeryutils' scoring systems):
- World Archery, 10-zone and 11-zone faces (`10_zone…`, `11_zone…`): the number of 10+X, then
  the number of Xs;
- Archery GB imperial (`5_zone`, 9-7-5-3-1): hits, then golds;
- any other scoring (field faces, Worcester…): none — equal totals are equal places.
Archers still equal after the tie-break share their place ("=2"), as World Archery results
lists show them (shoot-offs decide only the places a cut or a title depends on: not a board's).

Equal progress: archers who have shot the same number of arrows are ranked by total, then by
the tie-break counts; while their arrows differ, by average per arrow, then by the tie-break
counts per arrow. With equal arrows both give the same order, so one comparison serves both;
`Standings.basis` says which it was. Archers without an arrow are not ranked yet."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from fractions import Fraction
from typing import Generic, Literal, TypeVar

K = TypeVar("K")
Tiebreak = Literal["ten_x", "x", "hits", "golds"]
Basis = Literal["total", "average"]

TIEBREAK_LABELS: dict[Tiebreak, str] = {"ten_x": "10+X", "x": "X", "hits": "hits", "golds": "golds"}
IMPERIAL_SCORING = "5_zone"
WA_SCORINGS = ("10_zone", "11_zone")  # prefixes: 6-ring, triple spot and compound variants
GOLD = 9  # the gold of imperial (9-7-5-3-1) scoring


@dataclass(frozen=True, slots=True)
class Rule:
    code: Literal["wa", "imperial", "total"]
    tiebreaks: tuple[Tiebreak, ...]  # counts compared after the score, in order

    @property
    def golds(self) -> bool:
        return self.code == "imperial"


WA = Rule("wa", ("ten_x", "x"))
IMPERIAL = Rule("imperial", ("hits", "golds"))
TOTAL_ONLY = Rule("total", ())


def rule_for(scorings: Iterable[str]) -> Rule:
    """The rule of a round whose passes are scored by `scorings` (archeryutils' systems), or of
    a session without a round by its faces' systems; World Archery's when none is known."""
    systems = set(scorings)
    if all(s.startswith(WA_SCORINGS) for s in systems):
        return WA
    if systems == {IMPERIAL_SCORING}:
        return IMPERIAL
    return TOTAL_ONLY


@dataclass(frozen=True, slots=True)
class Tally:
    arrows: int = 0
    total: int = 0
    hits: int = 0
    ten_x: int = 0
    x: int = 0
    golds: int = 0

    def __add__(self, other: Tally) -> Tally:
        return Tally(*(getattr(self, f.name) + getattr(other, f.name) for f in fields(Tally)))

    def __sub__(self, other: Tally) -> Tally:
        return Tally(*(getattr(self, f.name) - getattr(other, f.name) for f in fields(Tally)))


def arrow(score: int, is_x: bool, rule: Rule) -> Tally:
    """What one arrow counts (a miss: an arrow shot, nothing scored)."""
    return Tally(
        arrows=1,
        total=score,
        hits=int(score > 0),
        ten_x=int(score >= 10),
        x=int(is_x),
        golds=int(rule.golds and score == GOLD),
    )


def tally(arrows: Iterable[tuple[int, bool]], rule: Rule) -> Tally:
    """The counts of arrows given as (score, is X): `arrow`'s, added up (in one pass, without
    a `Tally` per arrow: results add up every arrow of a competition at each change)."""
    scores: list[int] = []
    xs = 0
    for score, is_x in arrows:
        scores.append(score)
        xs += is_x
    return Tally(
        arrows=len(scores),
        total=sum(scores),
        hits=sum(1 for s in scores if s > 0),
        ten_x=sum(1 for s in scores if s >= 10),
        x=xs,
        golds=scores.count(GOLD) if rule.golds else 0,
    )


@dataclass(frozen=True, slots=True)
class Placed(Generic[K]):
    key: K
    place: int | None  # None: no arrow shot yet, not ranked
    tied: bool  # shares its place with another ("=2")


@dataclass(frozen=True, slots=True)
class Standings(Generic[K]):
    basis: Basis
    placed: tuple[Placed[K], ...]  # best first; those not ranked last, in the order given


def _merit(t: Tally, rule: Rule) -> tuple[Fraction, ...]:
    return tuple(Fraction(v, t.arrows) for v in (t.total, *(getattr(t, c) for c in rule.tiebreaks)))


def rank(entries: Sequence[tuple[K, Tally]], rule: Rule) -> Standings[K]:
    """The standings of `entries` (key, counts), who shoot one round in one category. Archers
    who share a place keep the order they were given in (by name, say)."""
    shot = [(key, t) for key, t in entries if t.arrows > 0]
    basis: Basis = "total" if len({t.arrows for _, t in shot}) <= 1 else "average"
    merits = sorted(
        ((_merit(t, rule), i) for i, (_, t) in enumerate(shot)), key=lambda m: m[0], reverse=True
    )
    placed: list[Placed[K]] = []
    place = 0
    for n, (merit, i) in enumerate(merits):
        if n == 0 or merit != merits[n - 1][0]:
            place = n + 1
        tied = (n > 0 and merit == merits[n - 1][0]) or (
            n + 1 < len(merits) and merit == merits[n + 1][0]
        )
        placed.append(Placed(shot[i][0], place, tied))
    placed += [Placed(key, None, False) for key, t in entries if t.arrows == 0]
    return Standings(basis, tuple(placed))
