"""The season table: raw and handicap points, best N of M, equal places; the handicap at
the time and Archery GB's allowance checked against archeryutils itself."""

from __future__ import annotations

import math

import pytest
from archeryutils import handicaps, load_rounds

from arch_stats.faces.rounds import ROUNDS
from arch_stats.leagues.table import Result, handicap_at, points, table
from arch_stats.stats.handicap import agb_allowance

NAMES = {"ann": "Ann", "bob": "Bob", "cat": "Cat"}


def test_best_2_of_3_raw_counts_the_two_highest() -> None:
    results = [
        Result("ann", "c1", 500),
        Result("ann", "c2", 560),
        Result("ann", "c3", 540),
        Result("bob", "c1", 590),
        Result("bob", "c3", 510),
        Result("cat", "c2", 600),
    ]
    rows = table(["c1", "c2", "c3"], results, "raw", 2, NAMES)
    assert rows[0].archer == "ann" and rows[0].total == 1100 and rows[0].counted == {"c2", "c3"}
    assert rows[1].archer == "bob" and rows[1].total == 1100 and rows[1].counted == {"c1", "c3"}
    assert [r.place for r in rows] == [1, 1, 3]
    assert [r.tied for r in rows] == [True, True, False]
    assert rows[2].points == {"c2": 600}


def test_handicap_points_are_score_plus_allowance() -> None:
    assert points(Result("ann", "c1", 500, allowance=900), "handicap") == 1400
    with pytest.raises(ValueError, match="allowance"):
        points(Result("ann", "c1", 500), "handicap")


def test_handicap_at_is_the_rounded_up_mean_of_the_last_three() -> None:
    assert handicap_at([]) is None
    assert handicap_at([40.0]) == 40
    assert handicap_at([60.0, 41.0, 40.0, 40.0]) == 41  # (41 + 40 + 40) / 3 = 40.33 → 41
    assert handicap_at([42.0, 40.0, 40.0]) == 41  # 40.67 → 41
    assert handicap_at([39.0, 40.0, 41.0]) == 40  # exactly 40


@pytest.mark.parametrize(
    ("code", "handicap"), [("portsmouth", 40), ("wa1440_70", 25), ("wa18", 55)]
)
def test_agb_allowance_is_1440_less_archeryutils_table_score(code: str, handicap: int) -> None:
    rnd = {**load_rounds.AGB_indoor, **load_rounds.WA_outdoor, **load_rounds.WA_indoor}[code]
    expected = 1440 - int(handicaps.score_for_round(handicap, rnd, "AGB"))
    assert agb_allowance(ROUNDS[code], handicap) == expected
    assert expected > 0 and math.isfinite(expected)
