"""stats/session.py computes over arrays what stats/maths.py defines over lists: the same
numbers on the same data (random, degenerate and large groups)."""

from __future__ import annotations

import random

import numpy as np
import pytest

from arch_stats.stats import maths, session


def cloud(rng: random.Random, n: int, kind: str) -> tuple[list[float], list[float]]:
    if kind == "gauss":
        return [rng.gauss(5, 40) for _ in range(n)], [rng.gauss(-3, 25) for _ in range(n)]
    if kind == "line":  # every point on one line: a degenerate hull
        t = [rng.uniform(-100, 100) for _ in range(n)]
        return t, [2 * v + 1 for v in t]
    if kind == "grid":  # many duplicates and collinear hull points
        return [float(rng.randrange(-3, 4) * 10) for _ in range(n)], [
            float(rng.randrange(-2, 3) * 10) for _ in range(n)
        ]
    if kind == "ring":  # every point on the hull
        angles = [rng.uniform(0, 6.283) for _ in range(n)]
        return [100 * np.cos(a) for a in angles], [100 * np.sin(a) for a in angles]
    raise ValueError(kind)


@pytest.mark.parametrize("kind", ["gauss", "line", "grid", "ring"])
@pytest.mark.parametrize("n", [0, 1, 2, 3, 9, 200, 2000])
def test_group_over_arrays_is_maths_group(kind: str, n: int) -> None:
    rng = random.Random(f"{kind}{n}")
    xs, ys = cloud(rng, n, kind)
    expected = maths.group(xs, ys)
    got = session.group(np.array(xs, dtype=np.float64), np.array(ys, dtype=np.float64))
    assert got.n == expected.n
    for field in ("centre_x", "centre_y", "sigma_x", "sigma_y", "mean_radius", "cep50"):
        a, b = getattr(got, field), getattr(expected, field)
        assert (a is None) == (b is None), field
        if a is not None:
            assert a == pytest.approx(b, rel=1e-9, abs=1e-9), field
    if expected.extreme_spread is None:
        assert got.extreme_spread is None
    else:
        assert got.extreme_spread == pytest.approx(expected.extreme_spread, rel=1e-12)


@pytest.mark.parametrize("kind", ["gauss", "grid", "ring"])
def test_hull_candidates_keep_every_hull_vertex(kind: str) -> None:
    rng = random.Random(kind)
    xs, ys = cloud(rng, 3000, kind)
    kept = session.hull_candidates(np.array(xs), np.array(ys))
    assert set(maths.convex_hull(list(zip(xs, ys, strict=True)))) <= set(kept)
    if kind == "gauss":
        assert len(kept) < len(xs) / 10  # the point of it: most of a group is dropped


def test_hotelling_from_moments_is_hotelling_of_the_points() -> None:
    rng = random.Random(7)
    for _ in range(50):
        na, nb = rng.randrange(3, 30), rng.randrange(3, 200)
        a = ([rng.gauss(8, 20) for _ in range(na)], [rng.gauss(0, 20) for _ in range(na)])
        b = ([rng.gauss(0, 25) for _ in range(nb)], [rng.gauss(2, 15) for _ in range(nb)])
        expected = maths.hotelling_p(a, b)
        got = maths.hotelling_p_from(
            session._scatter(np.array(a[0]), np.array(a[1])),
            session._scatter(np.array(b[0]), np.array(b[1])),
        )
        assert got == pytest.approx(expected, rel=1e-9)


@pytest.mark.parametrize("kind", ["gauss", "line", "grid", "ring"])
@pytest.mark.parametrize("n", [1, 2, 3, 4, 7, 60])
def test_extreme_spread_is_the_farthest_pair(kind: str, n: int) -> None:
    rng = random.Random(f"pair{kind}{n}")
    for _ in range(20):
        xs, ys = cloud(rng, n, kind)
        points = list(zip(xs, ys, strict=True))
        brute = max(
            ((a[0] - b[0]) ** 2 + (a[1] - b[1]) ** 2) ** 0.5 for a in points for b in points
        )
        assert maths.extreme_spread(points) == pytest.approx(brute, rel=1e-12, abs=1e-12)


def test_extreme_spread_with_every_point_on_the_hull() -> None:
    """10,000 impacts on a circle, all on the hull (rotating calipers: no 50 million pairs)."""
    rng = random.Random(1)
    xs, ys = cloud(rng, 10_000, "ring")
    got = session.group(np.array(xs), np.array(ys)).extreme_spread
    assert got is not None and 199 < got <= 200
