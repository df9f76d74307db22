"""Standings by the rules: World Archery and Archery GB imperial tie-breaks, equal progress,
equal places."""

from __future__ import annotations

import pytest

from arch_stats.faces.rounds import ROUNDS
from arch_stats.ranking.standings import (
    IMPERIAL,
    TOTAL_ONLY,
    WA,
    Placed,
    Rule,
    Tally,
    arrow,
    rank,
    rule_for,
    tally,
)

X = (10, True)


def t(*arrows: int | tuple[int, bool], rule: Rule = WA) -> Tally:
    """Counts of arrows given as scores (an X as `X`)."""
    return tally(((a, False) if isinstance(a, int) else a for a in arrows), rule)


def places(entries: dict[str, Tally], rule: Rule) -> list[tuple[str, str]]:
    """(name, place as shown: "1", "=2", "–") best first."""
    return [(p.key, shown(p)) for p in rank(list(entries.items()), rule).placed]


def shown(p: Placed[str]) -> str:
    if p.place is None:
        return "–"
    return f"={p.place}" if p.tied else str(p.place)


@pytest.mark.parametrize(
    ("code", "rule"),
    [
        ("wa720_70", WA),
        ("wa1440_90", WA),
        ("wa18", WA),
        ("wa18_triple", WA),  # 10_zone_5_ring
        ("wa18_compound", WA),
        ("wa900", WA),
        ("york", IMPERIAL),
        ("hereford", IMPERIAL),
        ("national", IMPERIAL),
        ("portsmouth", WA),
        ("wa_field_24_red_marked", TOTAL_ONLY),
        ("worcester", TOTAL_ONLY),
    ],
)
def test_each_round_ranks_by_its_scorings_rule(code: str, rule: Rule) -> None:
    assert rule_for(p.scoring for p in ROUNDS[code].passes) == rule


def test_no_known_scoring_is_world_archerys_rule() -> None:
    assert rule_for([]) == WA


def test_an_arrow_counts() -> None:
    assert arrow(10, True, WA) == Tally(arrows=1, total=10, hits=1, ten_x=1, x=1, golds=0)
    assert arrow(11, True, WA) == Tally(arrows=1, total=11, hits=1, ten_x=1, x=1)  # 11-zone X
    assert arrow(0, False, WA) == Tally(arrows=1)  # a miss: shot, nothing scored
    # A 9 is a gold only in imperial scoring.
    assert arrow(9, False, WA).golds == 0
    assert arrow(9, False, IMPERIAL) == Tally(arrows=1, total=9, hits=1, golds=1)
    assert t(X, 10, 9, 0) - arrow(0, False, WA) == t(X, 10, 9)


@pytest.mark.parametrize(
    ("entries", "expected"),
    [
        # Equal totals: 10+X decides before X (B has more 10+X, A more Xs).
        (
            {"A": t(X, X, 8), "B": t(10, 10, 10)},
            [("B", "1"), ("A", "2")],
        ),
        # Equal 10+X: X decides.
        (
            {"A": t(10, 10, 8), "B": t(X, 10, 8), "C": t(X, X, 9)},
            [("C", "1"), ("B", "2"), ("A", "3")],
        ),
        # Equal after the tie-break: an equal place, shown "=1"; the next is third.
        (
            {"A": t(X, 10, 8), "B": t(10, X, 8), "C": t(10, 9, 9)},
            [("A", "=1"), ("B", "=1"), ("C", "3")],
        ),
        # The score comes first whatever the counts.
        (
            {"A": t(X, X, X, 1), "B": t(9, 9, 9, 9)},
            [("B", "1"), ("A", "2")],
        ),
        # Equal in the middle: "=2".
        (
            {"A": t(X, X), "B": t(9, 9), "C": t(9, 9), "D": t(5, 5)},
            [("A", "1"), ("B", "=2"), ("C", "=2"), ("D", "4")],
        ),
    ],
)
def test_world_archery_ties(entries: dict[str, Tally], expected: list[tuple[str, str]]) -> None:
    assert places(entries, WA) == expected


@pytest.mark.parametrize(
    ("entries", "expected"),
    [
        # Equal totals: hits decide (B scored with every arrow).
        (
            {"A": t(9, 9, 9, 0, 0, rule=IMPERIAL), "B": t(9, 7, 7, 3, 1, rule=IMPERIAL)},
            [("B", "1"), ("A", "2")],
        ),
        (
            {"A": t(9, 9, 0, 0, rule=IMPERIAL), "B": t(7, 5, 3, 3, rule=IMPERIAL)},
            [("B", "1"), ("A", "2")],
        ),
        # Equal hits: golds decide.
        (
            {"A": t(7, 7, 7, 3, rule=IMPERIAL), "B": t(9, 7, 7, 1, rule=IMPERIAL)},
            [("B", "1"), ("A", "2")],
        ),
        # Equal hits and golds: equal.
        (
            {"A": t(9, 7, 5, rule=IMPERIAL), "B": t(9, 5, 7, rule=IMPERIAL)},
            [("A", "=1"), ("B", "=1")],
        ),
    ],
)
def test_imperial_ties(entries: dict[str, Tally], expected: list[tuple[str, str]]) -> None:
    assert places(entries, IMPERIAL) == expected


def test_a_rule_without_tiebreak_leaves_equal_totals_equal() -> None:
    entries = {"A": t(6, 6, 3), "B": t(5, 5, 5), "C": t(6, 5, 5)}
    assert places(entries, TOTAL_ONLY) == [("C", "1"), ("A", "=2"), ("B", "=2")]


@pytest.mark.parametrize(
    ("entries", "basis", "expected"),
    [
        # Equal arrows: by total.
        ({"A": t(9, 9, 9), "B": t(X, 10, 10)}, "total", [("B", "1"), ("A", "2")]),
        # More arrows shot is no lead: 54 in six arrows (9.0) is behind 29 in three (9.67).
        (
            {"A": t(9, 9, 9, 9, 9, 9), "B": t(X, 10, 9)},
            "average",
            [("B", "1"), ("A", "2")],
        ),
        # Equal averages: the tie-break counts per arrow (B: 1 10+X in 2 arrows, A: 1 in 4).
        (
            {"A": t(10, 8, 9, 9), "B": t(10, 8)},
            "average",
            [("B", "1"), ("A", "2")],
        ),
        # Equal averages and equal rates: an equal place.
        ({"A": t(X, 8, X, 8), "B": t(X, 8)}, "average", [("A", "=1"), ("B", "=1")]),
        # No arrow yet: not ranked, after the rest, not counted for the basis.
        (
            {"A": t(), "B": t(9, 9, 9), "C": t(X, 9, 8)},
            "total",
            [("C", "1"), ("B", "2"), ("A", "–")],
        ),
        ({"A": t(), "B": t()}, "total", [("A", "–"), ("B", "–")]),
    ],
)
def test_equal_progress(
    entries: dict[str, Tally], basis: str, expected: list[tuple[str, str]]
) -> None:
    assert rank(list(entries.items()), WA).basis == basis
    assert places(entries, WA) == expected
