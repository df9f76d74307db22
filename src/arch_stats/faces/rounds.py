"""Standard rounds, as archeryutils ships them (WA, Archery GB, Archery Australia, IFAA, …).

Each round is keyed by archeryutils' codename (`wa720_70`, `wa18`, `portsmouth`, …), the
value a session stores in `round_code`. Each pass names the Arch Stats face types that
score it exactly like archeryutils does (same rings, same values), or none.

Built once at import; immutable.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Literal

from archeryutils import length, load_rounds

from arch_stats.faces.catalog import FACES

# Every collection archeryutils.load_rounds builds, in a stable order.
ROUND_SETS = (
    "WA_outdoor",
    "WA_indoor",
    "WA_field",
    "WA_VI",
    "WA_experimental",
    "AGB_outdoor_imperial",
    "AGB_outdoor_metric",
    "AGB_indoor",
    "AGB_VI",
    "AA_outdoor_metric",
    "AA_indoor",
    "AA_field",
    "IFAA_field",
    "misc",
)


class UnknownRound(KeyError):
    """No standard round with that code."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code

    def __str__(self) -> str:
        return f"unknown round {self.code!r}"


@dataclass(frozen=True, slots=True)
class PassSpec:
    n_arrows: int
    distance_m: float
    distance: float  # in `distance_unit`, as the round names it
    distance_unit: str  # "metre" or "yard"
    face_diameter_cm: float
    scoring: str  # archeryutils scoring system
    indoor: bool
    compound_scoring: bool  # inner-10 scoring (the X ring is the 10)
    face_type: str | None  # the preferred matching face, None when Arch Stats has none
    face_types: tuple[str, ...]  # every face that scores this pass (e.g. both triple layouts)
    max_score: int


@dataclass(frozen=True, slots=True)
class RoundSpec:
    code: str
    name: str
    location: str | None  # "indoor", "outdoor", "field"
    body: str | None  # "WA", "AGB", "AA", "IFAA", "WAExp", "WA-VI", "AGB-VI", "custom"
    family: str | None
    n_arrows: int
    max_score: int
    passes: tuple[PassSpec, ...]


def _face_index() -> dict[tuple[str, float], tuple[str, ...]]:
    """(archeryutils scoring system, diameter cm) -> face types, in catalogue order."""
    index: dict[tuple[str, float], list[str]] = {}
    for face in FACES.values():
        for system in (face.au_scoring, face.au_compound_scoring):
            if system is not None:
                key = (system, round(face.au_diameter_cm, 3))
                index.setdefault(key, []).append(face.face_type)
    return {key: tuple(types) for key, types in index.items()}


_FACES_BY_SCORING = _face_index()


def _pass(p: Any) -> PassSpec:
    scoring = str(p.scoring_system)
    diameter_cm = round(float(p.diameter) * 100, 3)
    value, unit = p.native_distance
    face_types = _FACES_BY_SCORING.get((scoring, diameter_cm), ())
    return PassSpec(
        n_arrows=int(p.n_arrows),
        distance_m=round(float(p.distance), 4),
        distance=float(value),
        distance_unit="yard" if unit in length.yard else "metre",
        face_diameter_cm=diameter_cm,
        scoring=scoring,
        indoor=bool(p.indoor),
        compound_scoring=scoring.endswith("_compound"),
        face_type=face_types[0] if face_types else None,
        face_types=face_types,
        max_score=int(p.max_score()),
    )


def _round(r: Any) -> RoundSpec:
    return RoundSpec(
        code=str(r.codename),
        name=str(r.name),
        location=r.location or None,
        body=r.body or None,
        family=r.family or None,
        n_arrows=int(r.n_arrows),
        max_score=int(r.max_score()),
        passes=tuple(_pass(p) for p in r.passes),
    )


def _build() -> dict[str, RoundSpec]:
    rounds: dict[str, RoundSpec] = {}
    for set_name in ROUND_SETS:
        for r in getattr(load_rounds, set_name).values():
            spec = _round(r)
            rounds.setdefault(spec.code, spec)  # first set wins should codenames ever clash
    return rounds


ROUNDS: Mapping[str, RoundSpec] = MappingProxyType(_build())


@dataclass(frozen=True, slots=True)
class Block:
    """A part of a round that a scorecard subtotals: arrows `first_arrow`…`last_arrow` of the
    round (1-based, in shooting order), shot at one distance or making up one half."""

    label: str  # "70 m", "100 yd", "First half"
    kind: Literal["distance", "half"]
    first_arrow: int
    last_arrow: int


def distance_label(p: PassSpec) -> str:
    return f"{p.distance:g} {'yd' if p.distance_unit == 'yard' else 'm'}"


def _distance_blocks(spec: RoundSpec) -> list[Block]:
    """Consecutive passes at one distance make one block (a WA 720's two passes at 70 m are
    one distance); a round shot at one distance has no distance blocks."""
    blocks: list[Block] = []
    first = 1
    for p in spec.passes:
        label = distance_label(p)
        last = first + p.n_arrows - 1
        if blocks and blocks[-1].label == label:
            blocks[-1] = Block(label, "distance", blocks[-1].first_arrow, last)
        else:
            blocks.append(Block(label, "distance", first, last))
        first = last + 1
    return blocks if len(blocks) > 1 else []


HALF_ROUND_ARROWS = 72


def subtotal_blocks(spec: RoundSpec) -> tuple[Block, ...]:
    """What a paper scorecard of `spec` subtotals: each distance of a multi-distance round
    (from archeryutils' passes), and each half of a 72-arrow round unless its distances
    already split it there (a Long Metric's two distances are its halves)."""
    blocks = _distance_blocks(spec)
    if spec.n_arrows == HALF_ROUND_ARROWS:
        half = HALF_ROUND_ARROWS // 2
        if [(b.first_arrow, b.last_arrow) for b in blocks] != [(1, half), (half + 1, 72)]:
            blocks += [
                Block("First half", "half", 1, half),
                Block("Second half", "half", half + 1, HALF_ROUND_ARROWS),
            ]
    return tuple(blocks)


def get_round(code: str) -> RoundSpec:
    try:
        return ROUNDS[code]
    except KeyError:
        raise UnknownRound(code) from None
