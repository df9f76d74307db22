"""Known answers for the equipment analyses: sight-mark curve, sight correction, bare-shaft
advice, arrow sets compared, arrows to cull; and the distributions they stand on."""

from __future__ import annotations

import math

import numpy as np
import pytest

from arch_stats.equipment import sight, tuning
from arch_stats.stats import maths
from arch_stats.stats.distributions import betainc, f_survival, t_half_width, t_two_sided_p

# -- distributions ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("dof", "expected"),
    [(1, 12.706204736), (2, 4.302652730), (5, 2.570581836), (10, 2.228138852), (30, 2.042272456)],
)
def test_t_quantile_matches_the_tables(dof: int, expected: float) -> None:
    assert t_half_width(0.95, dof) == pytest.approx(expected, rel=1e-8)


def test_t_and_f_tails_match_known_values() -> None:
    assert t_two_sided_p(2.0, 5) == pytest.approx(0.1019394788, rel=1e-8)
    assert f_survival(2.5, 4, 20) == pytest.approx(0.0751466, rel=1e-5)
    for f in (0.1, 1.0, 3.0, 10.0):  # F(2, ν) has a closed form
        assert f_survival(f, 2, 7) == pytest.approx(maths.f2_survival(f, 7), rel=1e-10)
    assert betainc(2, 3, 0.4) == pytest.approx(0.5248, rel=1e-10)


# -- sight marks -----------------------------------------------------------------------------


def _true_mark(d: float) -> float:
    return 5 + 0.3 * d + 0.004 * d * d


def test_sight_mark_fit_recovers_the_curve_and_predicts_an_unshot_distance() -> None:
    rng = np.random.default_rng(24)
    distances = [20.0, 30.0, 40.0, 50.0, 60.0, 70.0, 90.0]
    marks = [_true_mark(d) + rng.normal(0, 0.3) for d in distances]
    fit = sight.fit_marks(distances, marks)
    assert fit is not None and fit.degree == 2 and fit.dof == 4
    # each coefficient within its 99 % interval of the truth, and the curve within 0.5 of it
    standard_errors = fit.residual_sd * np.sqrt(np.diag(fit.cov_unscaled))
    for got, want, se in zip(fit.coefficients, [5, 0.3, 0.004], standard_errors, strict=True):
        assert abs(got - want) < t_half_width(0.99, fit.dof) * se
    for d in range(20, 91, 5):
        assert fit.predict(d)["mark"] == pytest.approx(_true_mark(d), abs=0.5)
    p = fit.predict(80)
    assert not p["extrapolated"]
    assert p["low"] < _true_mark(80) < p["high"]
    assert p["uncertainty"] < 2  # a useful interval, not a blanket
    assert fit.predict(100)["extrapolated"]


def test_sight_mark_intervals_cover_at_their_stated_rate() -> None:
    """Over many synthetic sight tapes, the 95 % prediction interval at an unshot distance
    holds the next mark found there about 95 % of the time."""
    rng = np.random.default_rng(7)
    distances = [18.0, 30.0, 50.0, 60.0, 70.0, 90.0]
    hits = 0
    runs = 2000
    for _ in range(runs):
        marks = [_true_mark(d) + rng.normal(0, 0.5) for d in distances]
        fit = sight.fit_marks(distances, marks)
        assert fit is not None
        p = fit.predict(40)
        hits += p["low"] <= _true_mark(40) + rng.normal(0, 0.5) <= p["high"]
    assert 0.93 < hits / runs < 0.97


def test_too_few_marks_no_curve_and_three_marks_a_line() -> None:
    assert sight.fit_marks([18, 30], [10, 20]) is None
    assert sight.fit_marks([30, 30, 30], [10, 11, 12]) is None
    fit = sight.fit_marks([20, 40, 60], [10, 20.2, 29.9])
    assert fit is not None and fit.degree == 1


# -- sight correction ------------------------------------------------------------------------


def test_known_group_offset_gives_the_expected_sight_move() -> None:
    # A tight group 100 mm low and 40 mm left at 70 m; sight radius 850 mm:
    # move = offset × 850 / 70,000 → 1.214 mm down, 0.486 mm left.
    spread = [-3.0, -1.0, 0.0, 1.0, 3.0, 0.0]
    xs = [-40 + s for s in spread]
    ys = [-100 + s for s in reversed(spread)]
    c = sight.correction(xs, ys, 70, 850)
    assert c["move_y_mm"] == pytest.approx(-100 * 850 / 70000)
    assert c["move_x_mm"] == pytest.approx(-40 * 850 / 70000)
    assert c["advice"] == "Move the sight 1.2 mm down and 0.5 mm left."


def test_offset_within_its_uncertainty_moves_nothing() -> None:
    # Centre (2, −3) mm, σ ≈ 50 mm over 6 arrows: both within the interval.
    xs = [52.0, -48.0, 2.0, 62.0, -58.0, 2.0]
    ys = [47.0, -53.0, -3.0, 57.0, -63.0, -3.0]
    c = sight.correction(xs, ys, 70, 850)
    assert c["ci_x_mm"] > abs(c["centre_x_mm"])
    assert c["move_x_mm"] is None and c["move_y_mm"] is None
    assert c["advice"].startswith("Leave the sight")


def test_one_axis_only_when_only_it_is_off() -> None:
    xs = [50.0, -50.0, 0.0, 40.0, -40.0, 0.0]  # centred, wide
    ys = [-60.0, -62.0, -58.0, -61.0, -59.0, -60.0]  # 60 mm low, tight
    c = sight.correction(xs, ys, 50, 800)
    assert c["move_x_mm"] is None
    assert c["move_y_mm"] == pytest.approx(-60 * 800 / 50000)
    assert c["advice"] == "Move the sight 1.0 mm down."


def test_no_sight_radius_says_so() -> None:
    c = sight.correction([-40.0, -41, -39], [0.0, 1, -1], 30, None)
    assert c["move_x_mm"] is None and "sight radius" in c["advice"]


# -- bare-shaft tuning -----------------------------------------------------------------------

FLETCHED = ([-6.0, 4.0, 0.0, 5.0, -3.0, 1.0], [3.0, -4.0, 6.0, -2.0, 0.0, -3.0])


def _bare(dx: float, dy: float) -> tuning.Points:
    return ([dx - 3, dx + 2, dx + 1, dx], [dy + 2, dy - 3, dy, dy + 1])


def test_bare_shafts_up_and_left_advice_for_both_hands() -> None:
    bare = _bare(-60, 50)
    right = tuning.compare_groups(FLETCHED, bare, handedness="right", bowstyle="recurve")
    assert right["shift_x_mm"] == pytest.approx(-60 - (1 / 6), abs=1)
    assert right["significant"] and right["p_value"] < 0.001
    assert right["advice"] == [
        "Bare shafts high: the nocking point is too low — raise it.",
        "Bare shafts left: the arrow acts too stiff — a heavier point, more draw weight, a "
        "softer plunger spring, or a weaker spine.",
    ]
    left = tuning.compare_groups(FLETCHED, bare, handedness="left", bowstyle="barebow")
    assert left["advice"][0] == right["advice"][0]  # vertical: the same for both hands
    assert left["advice"][1].startswith("Bare shafts left: the arrow acts too weak")


def test_bare_shafts_low_and_right() -> None:
    bare = _bare(45, -40)
    right = tuning.compare_groups(FLETCHED, bare, handedness="right", bowstyle="recurve")
    assert right["advice"][0] == "Bare shafts low: the nocking point is too high — lower it."
    assert right["advice"][1].startswith("Bare shafts right: the arrow acts too weak")
    left = tuning.compare_groups(FLETCHED, bare, handedness="left", bowstyle="recurve")
    assert left["advice"][1].startswith("Bare shafts right: the arrow acts too stiff")


def test_no_advice_when_the_shift_is_inside_its_uncertainty() -> None:
    wide = ([-60.0, 55.0, 5.0, 40.0], [50.0, -45.0, 10.0, -30.0])  # centre (10, −3.75), wide
    out = tuning.compare_groups(FLETCHED, wide, handedness="right", bowstyle="recurve")
    assert abs(out["shift_x_mm"]) < out["ci_x_mm"] and abs(out["shift_y_mm"]) < out["ci_y_mm"]
    assert out["advice"] == [] and not out["significant"]


def test_compound_gets_the_numbers_without_finger_release_advice() -> None:
    out = tuning.compare_groups(FLETCHED, _bare(-60, 50), handedness="right", bowstyle="compound")
    assert out["significant"] and out["advice"] == [] and not out["advice_given"]


# -- arrow sets over sessions ----------------------------------------------------------------


def _impacts(
    rng: np.random.Generator, sd_mm: float, sessions: int, arrows: int, *, distance: float = 50
) -> list[tuning.Impact]:
    out = []
    for s in range(sessions):
        aim = rng.normal(0, 40, 2)  # each session's group sits elsewhere: not spread
        for a in range(arrows):
            for _ in range(3):
                x, y = aim + rng.normal(0, sd_mm, 2)
                out.append(tuning.Impact((f"s{s}", distance), f"A{a:02d}", float(x), float(y)))
    return out


def test_the_tighter_set_is_found_and_equal_sets_are_not_told_apart() -> None:
    rng = np.random.default_rng(3)
    tight, loose = _impacts(rng, 20, 4, 6), _impacts(rng, 35, 4, 6)
    out = tuning.compare_sets(loose, tight)
    assert out["tighter"] == "b" and out["p_value"] < 0.001
    # mean radius of a circular normal: σ·√(π/2), in mm per m
    assert out["b"]["mean_radius_mrad"] == pytest.approx(20 * math.sqrt(math.pi / 2) / 50, rel=0.15)
    same = tuning.compare_sets(_impacts(rng, 25, 4, 6), _impacts(rng, 25, 4, 6))
    assert same["tighter"] is None and same["p_value"] > 0.05


def test_an_arrow_that_groups_away_is_flagged_over_sessions() -> None:
    rng = np.random.default_rng(5)
    impacts = _impacts(rng, 20, 5, 12)
    bent = [
        tuning.Impact(i.group, i.arrow, i.dx + 45, i.dy - 10) if i.arrow == "A07" else i
        for i in impacts
    ]
    rows = {r["arrow_id"]: r for r in tuning.cull(bent)}
    assert rows["A07"]["flagged"] and rows["A07"]["p_adjusted"] < 0.01
    assert rows["A07"]["offset_x_mrad"] > 0.5
    assert [a for a, r in rows.items() if r["flagged"]] == ["A07"]
    assert not any(r["flagged"] for r in tuning.cull(impacts))
