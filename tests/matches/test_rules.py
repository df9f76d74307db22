"""Matches by the set system and by cumulative score; shoot-offs by score, then by the
distance from the centre in millimetres, else a judge."""

from __future__ import annotations

import pytest

from arch_stats.matches.rules import (
    MatchError,
    ShootOffArrow,
    decide,
    distance_mm,
    shoot_off,
    system_for,
)


def test_compound_shoots_cumulative_and_others_sets() -> None:
    assert system_for("Compound") == "cumulative"
    assert [system_for(b) for b in ("recurve", "barebow", "longbow")] == ["sets"] * 3


def test_sets_first_to_6_wins_early() -> None:
    state = decide(
        "sets", [((10, 9, 9), (9, 9, 9)), ((10, 10, 8), (9, 9, 8)), ((9, 9, 9), (10, 9, 7))]
    )
    assert (state.status, state.winner, state.score) == ("decided", 0, (6, 0))
    assert state.totals == (83, 79)
    assert state.reason == "won 6–0 in set points"


def test_sets_tied_set_gives_one_point_each() -> None:
    state = decide("sets", [((9, 9, 9), (10, 9, 8)), ((10, 9, 8), (10, 10, 7))])
    assert (state.status, state.score) == ("shooting", (2, 2))
    assert [e.points for e in state.ends] == [(1, 1), (1, 1)]


def test_sets_end_after_the_match_is_won_refused() -> None:
    won = [((10, 10, 10), (9, 9, 9))] * 3
    with pytest.raises(MatchError, match="over after end 3"):
        decide("sets", [*won, ((9, 9, 9), (9, 9, 9))])


def test_sets_5_all_goes_to_a_shoot_off() -> None:
    ends = [((9, 9, 9), (9, 9, 9))] * 5
    state = decide("sets", ends)
    assert (state.status, state.score, state.winner) == ("shoot_off", (5, 5), None)


def test_cumulative_five_ends_higher_total_wins() -> None:
    ends = [((10, 10, 9), (10, 10, 10))] * 4 + [((10, 10, 10), (9, 9, 7))]
    state = decide("cumulative", ends)
    assert (state.status, state.winner, state.score) == ("decided", 0, (146, 145))
    assert state.reason == "won 146–145 on total score"


def test_cumulative_shoots_all_five_ends() -> None:
    state = decide("cumulative", [((10, 10, 10), (1, 1, 1))] * 4)
    assert (state.status, state.winner) == ("shooting", None)
    with pytest.raises(MatchError, match="each archer shoots 3"):
        decide("cumulative", [((10, 10), (9, 9, 9))])


def test_shoot_off_higher_score_wins() -> None:
    result = shoot_off(ShootOffArrow(9, 3.0), ShootOffArrow(10, 40.0))
    assert (result.outcome, result.winner, result.reason) == ("won", 1, "10 beats 9")


def test_shoot_off_equal_score_closer_to_centre_wins_in_mm() -> None:
    a = ShootOffArrow(10, distance_mm(18.0, -24.0))  # 30.0 mm
    b = ShootOffArrow(10, distance_mm(-20.0, 21.0))  # 29.0 mm
    result = shoot_off(a, b)
    assert (result.outcome, result.winner) == ("won", 1)
    assert result.reason == "equal 10s, closer to the centre: 29.0 mm against 30.0 mm"


def test_shoot_off_position_unknown_a_judge_decides() -> None:
    ends = [((9, 9, 9), (9, 9, 9))] * 5
    arrows = [(ShootOffArrow(9, 50.0), ShootOffArrow(9, None))]
    state = decide("sets", ends, arrows)
    assert (state.status, state.winner) == ("judge", None)
    assert "a judge decides" in state.reason
    judged = decide("sets", ends, arrows, judge=1)
    assert (judged.status, judged.winner) == ("decided", 1)


def test_shoot_off_equal_distance_shoots_again_then_decided() -> None:
    ends = [((10, 9, 9), (10, 9, 9))] * 5
    again = (ShootOffArrow(10, 12.04), ShootOffArrow(10, 11.96))  # both 12.0 mm as shown
    decided = (ShootOffArrow(8, 70.0), ShootOffArrow(9, 60.0))
    state = decide("cumulative", ends, [again])
    assert state.status == "shoot_off"
    assert state.shoot_offs[0].outcome == "again"
    state = decide("cumulative", ends, [again, decided])
    assert (state.status, state.winner, state.reason) == (
        "decided",
        1,
        "won in a shoot-off: 9 beats 8",
    )
    with pytest.raises(MatchError, match="not to shoot again"):
        decide("cumulative", ends, [decided, again])


def test_shoot_off_or_judge_before_it_is_due_refused() -> None:
    with pytest.raises(MatchError):
        decide("sets", [((9, 9, 9), (9, 9, 9))], [(ShootOffArrow(9, 1.0), ShootOffArrow(8, 1.0))])
    with pytest.raises(MatchError):
        decide("sets", [((10, 10, 10), (9, 9, 9))] * 3, judge=0)
