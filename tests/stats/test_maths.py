"""The statistics helpers on their own: distribution function, corrections, geometry."""

from __future__ import annotations

import math
import random

import pytest

from arch_stats.stats import maths


def test_f2_survival_matches_tabulated_critical_values() -> None:
    # F(2, ν) upper 5 % and 1 % points from the standard tables.
    assert maths.f2_survival(4.1028, 10) == pytest.approx(0.05, abs=1e-4)
    assert maths.f2_survival(7.5594, 10) == pytest.approx(0.01, abs=1e-4)
    assert maths.f2_survival(3.0718, 120) == pytest.approx(0.05, abs=1e-4)
    assert maths.f2_survival(0.0, 5) == 1.0


def test_f2_survival_tends_to_chi_square_with_two_dof() -> None:
    # 2F → χ²(2) as ν grows, whose survival function is exp(−x/2).
    assert maths.f2_survival(3.0, 1e9) == pytest.approx(math.exp(-3.0), rel=1e-6)


def test_holm_adjustment() -> None:
    assert maths.holm([0.01, 0.04, 0.03]) == pytest.approx([0.03, 0.06, 0.06])
    assert maths.holm([0.5, 0.9]) == [1.0, 1.0]
    assert maths.holm([]) == []


def test_extreme_spread_equals_brute_force() -> None:
    rng = random.Random(7)
    points = [(rng.gauss(0, 50), rng.gauss(0, 50)) for _ in range(200)]
    brute = max(math.dist(a, b) for a in points for b in points)
    assert maths.extreme_spread(points) == pytest.approx(brute)
    assert maths.extreme_spread([(1.0, 1.0)]) == 0
    assert maths.extreme_spread([(0.0, 0.0), (0.0, 0.0), (3.0, 4.0)]) == 5
    assert maths.extreme_spread([]) is None


def test_group_of_one_and_median_of_even_count() -> None:
    one = maths.group([3.0], [4.0])
    assert (one.centre_x, one.sigma_x, one.mean_radius, one.cep50) == (3.0, None, 0.0, 0.0)
    assert maths.median([1.0, 5.0, 2.0, 4.0]) == 3.0


def test_hotelling_needs_three_impacts_and_a_spread() -> None:
    two = ([0.0, 1.0], [0.0, 1.0])
    three = ([0.0, 1.0, 2.0], [0.0, 2.0, 1.0])
    assert maths.hotelling_p(two, three) is None
    on_a_line = ([0.0, 1.0, 2.0], [0.0, 1.0, 2.0])
    assert maths.hotelling_p(on_a_line, on_a_line) is None
    # The same group compared with itself: no difference, p = 1.
    assert maths.hotelling_p(three, three) == 1.0


def test_slope() -> None:
    assert maths.slope([1, 2, 3], [2, 4, 6]) == pytest.approx(2)
    assert maths.slope([1, 1], [2, 3]) is None
    assert maths.slope([1], [2]) is None
