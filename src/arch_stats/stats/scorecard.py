"""A session's scorecard, as an archer reads a paper one.

Per end, the arrows from high to low (X first, then 10, 9 …, misses last; equal arrows in
shooting order) with the end total, the running total and the X, 10+X and hit counts;
subtotals of the round's parts (`arch_stats.faces.rounds.subtotal_blocks`: each distance of
a multi-distance round, each half of a 72-arrow round), and the session's totals.

An arrow's place in the round is `(end_no − 1) · arrows_per_end + end_place`; a subtotal
counts the arrows whose place lies in its part of the round, and spans the ends that hold
those places (`end_from`…`end_to`). Arrows beyond the round's last (more shot than the round
has) count in no subtotal. Ends are numbered from 1 to the highest end with an arrow; an end
emptied by corrections is listed with no arrows, so the ends keep their numbers.

Counts: `hits` score more than 0; `ten_x_count` is the "10+X" column (scores of 10 or more);
`x_count` the Xs; `golds` the 9s scored on a 5-zone face (9-7-5-3-1, Archery GB's imperial
scoring: hits and golds are its columns, as 10+X and X are the metric ones). An arrow made a
miss by the multi-spot rule (`same_spot_miss`) counts as the M it scores; `hit_label` tells
what it would have scored. `imperial`: the round is scored 9-7-5-3-1 on every pass, or a
session without a round has arrows on a 5-zone face.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from arch_stats.faces.rounds import Block, RoundSpec, subtotal_blocks

FIVE_ZONE = "5_zone"  # archeryutils' name of the 9-7-5-3-1 scoring
GOLD = 9


@dataclass(frozen=True, slots=True)
class CardArrow:
    id: str
    seq: int
    end_no: int
    end_place: int
    arrow_id: str | None
    score: int
    is_x: bool
    is_miss: bool
    same_spot_miss: bool
    hit_label: str | None
    five_zone: bool = False  # scored on a 5-zone (imperial) face
    entered_by: str = "plot"

    @property
    def label(self) -> str:
        return "X" if self.is_x else ("M" if self.score == 0 else str(self.score))

    def out(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "seq": self.seq,
            "end_place": self.end_place,
            "arrow_id": self.arrow_id,
            "label": self.label,
            "score": self.score,
            "is_x": self.is_x,
            "is_miss": self.is_miss,
            "same_spot_miss": self.same_spot_miss,
            "hit_label": self.hit_label,
            "entered_by": self.entered_by,
        }


def high_to_low(arrow: CardArrow) -> tuple[int, int, int]:
    """Sort key: the higher score first, an X before a plain 10, then shooting order."""
    return (-arrow.score, -int(arrow.is_x), arrow.seq)


def _counts(arrows: Sequence[CardArrow]) -> dict[str, int]:
    return {
        "total": sum(a.score for a in arrows),
        "x_count": sum(1 for a in arrows if a.is_x),
        "ten_x_count": sum(1 for a in arrows if a.score >= 10),
        "hits": sum(1 for a in arrows if a.score > 0),
        "golds": sum(1 for a in arrows if a.five_zone and a.score == GOLD),
    }


def is_imperial(spec: RoundSpec | None, arrows: Sequence[CardArrow]) -> bool:
    if spec is not None:
        return all(p.scoring == FIVE_ZONE for p in spec.passes)
    return any(a.five_zone for a in arrows)


def _subtotal(block: Block, arrows: Sequence[CardArrow], per_end: int) -> dict[str, Any]:
    def place(a: CardArrow) -> int:
        return (a.end_no - 1) * per_end + a.end_place

    mine = [a for a in arrows if block.first_arrow <= place(a) <= block.last_arrow]
    return {
        "label": block.label,
        "kind": block.kind,
        "end_from": (block.first_arrow - 1) // per_end + 1,
        "end_to": (block.last_arrow - 1) // per_end + 1,
        "arrows": len(mine),
        **_counts(mine),
    }


def build(
    spec: RoundSpec | None, round_code: str | None, arrows_per_end: int, arrows: Sequence[CardArrow]
) -> dict[str, Any]:
    """The card of `arrows` shot to `spec` (the session's round: a standard one, a custom one
    it follows, or none)."""
    by_end: dict[int, list[CardArrow]] = {}
    for a in arrows:
        by_end.setdefault(a.end_no, []).append(a)
    ends = []
    running = 0
    for end_no in range(1, max(by_end, default=0) + 1):
        mine = sorted(by_end.get(end_no, ()), key=high_to_low)
        counts = _counts(mine)
        running += counts["total"]
        ends.append(
            {
                "end_no": end_no,
                "arrows": [a.out() for a in mine],
                "total": counts["total"],
                "running_total": running,
                "x_count": counts["x_count"],
                "ten_x_count": counts["ten_x_count"],
                "hits": counts["hits"],
                "golds": counts["golds"],
            }
        )
    blocks = subtotal_blocks(spec) if spec else ()
    return {
        "round_code": round_code,
        "round_name": spec.name if spec else None,
        "arrows_per_end": arrows_per_end,
        "imperial": is_imperial(spec, arrows),
        "ends": ends,
        "subtotals": [_subtotal(b, arrows, arrows_per_end) for b in blocks],
        **_counts(arrows),
        "arrows": len(arrows),
    }
