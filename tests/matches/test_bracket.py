"""Brackets: World Archery's seed order, byes for the top seeds, where winners go."""

from __future__ import annotations

import pytest

from arch_stats.matches.bracket import (
    BRONZE,
    BracketError,
    Slot,
    first_round,
    loser_goes,
    round_name,
    rounds,
    seed_order,
    size_for,
    winner_goes,
)


def test_seed_order_of_8_is_1v8_4v5_2v7_3v6() -> None:
    assert seed_order(8) == (1, 8, 4, 5, 2, 7, 3, 6)


def test_seed_order_of_16_keeps_the_8_bracket_and_pairs_to_17() -> None:
    order = seed_order(16)
    assert order == (1, 16, 8, 9, 4, 13, 5, 12, 2, 15, 7, 10, 3, 14, 6, 11)
    assert all(a + b == 17 for a, b in zip(order[::2], order[1::2], strict=True))


@pytest.mark.parametrize("size", [2, 4, 8, 16, 32, 64])
def test_top_seeds_meet_only_in_the_round_they_should(size: int) -> None:
    order = seed_order(size)
    assert sorted(order) == list(range(1, size + 1))
    # Seeds 1 and 2 are in different halves, 1–4 in different quarters, and so on.
    for block in (2**k for k in range(1, size.bit_length())):
        part = size // block
        groups = [set(order[i : i + part]) for i in range(0, size, part)]
        top = range(1, block + 1)
        assert all(sum(s in g for s in top) == 1 for g in groups), (size, block)


def test_first_round_of_12_gives_byes_to_the_top_4() -> None:
    pairs = first_round(12)
    assert pairs == (
        (1, None),
        (8, 9),
        (4, None),
        (5, 12),
        (2, None),
        (7, 10),
        (3, None),
        (6, 11),
    )


def test_bracket_sizes_and_round_names() -> None:
    assert [size_for(n) for n in (2, 3, 8, 9, 33, 64)] == [2, 4, 8, 16, 64, 64]
    assert rounds(8) == 3
    assert [round_name(16, r) for r in range(4)] == [
        "1/8 Eliminations",
        "Quarter-finals",
        "Semi-finals",
        "Final",
    ]
    assert round_name(8, BRONZE) == "Bronze medal match"


@pytest.mark.parametrize("archers", [0, 1, 65])
def test_bracket_of_too_few_or_too_many_refused(archers: int) -> None:
    with pytest.raises(BracketError):
        size_for(archers)


def test_winners_and_semi_final_losers_go_on() -> None:
    assert winner_goes(8, 0, 3) == Slot(1, 1, 1)
    assert winner_goes(8, 1, 0) == Slot(2, 0, 0)
    assert winner_goes(8, 2, 0) is None  # the final
    assert winner_goes(8, BRONZE, 0) is None
    assert loser_goes(8, 1, 1) == Slot(BRONZE, 0, 1)
    assert loser_goes(8, 0, 1) is None
    assert loser_goes(2, 0, 0) is None  # a final only: no bronze match
