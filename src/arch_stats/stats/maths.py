"""The statistics of a group of arrows, defined once. Plain Python over compact lists.

Positions are (dx, dy) in mm from the centre of the spot each arrow hit, x to the right and
y up, so the arrows on the three spots of a triple face pool into one group. Only *impacts*
enter the position statistics: shots with a position, including an M that landed inside the
target view but outside every ring. A miss that never landed has no position.

Of n impacts (x_i, y_i):

* group centre (x̄, ȳ): the mean of the x_i and of the y_i (the mean point of impact);
* σx, σy: sample standard deviations, sqrt(Σ(x_i − x̄)² / (n − 1)); undefined below 2 impacts;
* r_i = |(x_i, y_i) − (x̄, ȳ)|, the radial distance of an impact from the group centre;
* mean radius: the mean of the r_i;
* CEP50: the median of the r_i (the mean of the two middle values when n is even), the
  radius around the group centre that holds half of the impacts;
* extreme spread: the largest distance between two impacts (found on their convex hull, by
  rotating calipers).

With one impact the centre is that impact, and mean radius, CEP50 and extreme spread are 0.

Scores: *arrows* are the shots; *hits* score more than 0; *misses* are the others (an M on
the face or no landing at all); *average per arrow* is total / arrows; *10s* count the shots
scoring 10 or more, Xs included (the "10+X" of a score sheet); *maximum possible* adds, per
shot, the best score of the face it hit (of the target's first face for a shot without a
position).

Timing: draw time = release − engage, flight time = landing − release, each over the shots
that have both times: mean and sample standard deviation. Arrow speed ≈ distance / flight
time, the mean over those shots of their target's distance divided by their flight time:
an average over the flight, below the speed at launch.

Fatigue: the least-squares slope of each end's average per arrow against the end number
(points per arrow per end; negative when the scores drop as the session goes on), and the
average per arrow of the first and the second half of the arrows (by shot order).

Which arrow flies differently (per-arrow flag): for each arrow with at least
`MIN_IMPACTS_TO_TEST` impacts, when the other arrows have at least as many, a two-sample
Hotelling T² test compares its mean position with the mean of all the other impacts of the
session, using their pooled covariance: with d the difference of the two means and S the
pooled covariance, T² = n_a·n_b/(n_a + n_b)·dᵀS⁻¹d, and F = T²·(ν)/(2·(n_a + n_b − 2)) with
ν = n_a + n_b − 3 follows an F(2, ν) distribution when the arrow is no different. Its exact
survival function is P(F > f) = (1 + 2f/ν)^(−ν/2) (the regularised incomplete beta function
with a = 1 has that closed form), which is the p-value. The p-values of the arrows tested in
one session are adjusted for multiple comparisons by Holm's step-down method, and an arrow
is flagged when its adjusted p-value is below `FLAG_ALPHA`. A singular pooled covariance
(impacts on one line) leaves the arrow untested.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

MIN_IMPACTS_TO_TEST = 3
FLAG_ALPHA = 0.05


@dataclass(frozen=True, slots=True)
class Group:
    n: int
    centre_x: float | None
    centre_y: float | None
    sigma_x: float | None
    sigma_y: float | None
    mean_radius: float | None
    cep50: float | None
    extreme_spread: float | None


def mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


def sample_sd(values: Sequence[float]) -> float | None:
    """Standard deviation with the n − 1 denominator; None below two values."""
    n = len(values)
    if n < 2:
        return None
    m = sum(values) / n
    return math.sqrt(sum((v - m) ** 2 for v in values) / (n - 1))


def median(values: Sequence[float]) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    mid = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[mid]
    return (ordered[mid - 1] + ordered[mid]) / 2


def _cross(o: tuple[float, float], a: tuple[float, float], b: tuple[float, float]) -> float:
    return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])


def convex_hull(points: Sequence[tuple[float, float]]) -> list[tuple[float, float]]:
    """Andrew's monotone chain: the hull's vertices, counter-clockwise."""
    pts = sorted(set(points))
    if len(pts) <= 2:
        return pts
    lower: list[tuple[float, float]] = []
    for p in pts:
        while len(lower) >= 2 and _cross(lower[-2], lower[-1], p) <= 0:
            lower.pop()
        lower.append(p)
    upper: list[tuple[float, float]] = []
    for p in reversed(pts):
        while len(upper) >= 2 and _cross(upper[-2], upper[-1], p) <= 0:
            upper.pop()
        upper.append(p)
    return lower[:-1] + upper[:-1]


def extreme_spread(points: Sequence[tuple[float, float]]) -> float | None:
    """The largest distance between two of `points`: the farthest pair is on the hull, found
    by rotating calipers (linear in the hull's size, even when every point is on it)."""
    if not points:
        return None
    hull = convex_hull(points)
    n = len(hull)
    if n < 3:
        return math.dist(hull[0], hull[-1])

    def area2(a: int, b: int, c: int) -> float:
        return abs(_cross(hull[a], hull[b], hull[c]))

    best = 0.0
    j = 1
    for i in range(n):
        k = (i + 1) % n
        # The vertex farthest from edge i→k (its antipode) moves on as the edge turns.
        while area2(i, k, (j + 1) % n) > area2(i, k, j):
            j = (j + 1) % n
        best = max(best, math.dist(hull[i], hull[j]), math.dist(hull[k], hull[j]))
    return best


def group(xs: Sequence[float], ys: Sequence[float]) -> Group:
    n = len(xs)
    if n == 0:
        return Group(0, None, None, None, None, None, None, None)
    cx, cy = sum(xs) / n, sum(ys) / n
    radii = [math.hypot(x - cx, y - cy) for x, y in zip(xs, ys, strict=True)]
    return Group(
        n=n,
        centre_x=cx,
        centre_y=cy,
        sigma_x=sample_sd(xs),
        sigma_y=sample_sd(ys),
        mean_radius=sum(radii) / n,
        cep50=median(radii),
        extreme_spread=extreme_spread(list(zip(xs, ys, strict=True))),
    )


def slope(xs: Sequence[float], ys: Sequence[float]) -> float | None:
    """Least-squares slope of ys on xs; None with fewer than two distinct xs."""
    n = len(xs)
    if n < 2:
        return None
    mx, my = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mx) ** 2 for x in xs)
    if sxx == 0:
        return None
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sxx


def f2_survival(f: float, nu: float) -> float:
    """P(F > f) for F with (2, nu) degrees of freedom: (1 + 2f/nu)^(−nu/2), exactly."""
    if f <= 0:
        return 1.0
    return math.exp(-(nu / 2) * math.log1p(2 * f / nu))


def _scatter(xs: Sequence[float], ys: Sequence[float]) -> tuple[float, float, float]:
    """Σ(x − x̄)², Σ(y − ȳ)², Σ(x − x̄)(y − ȳ)."""
    n = len(xs)
    mx, my = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mx) ** 2 for x in xs)
    syy = sum((y - my) ** 2 for y in ys)
    sxy = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True))
    return sxx, syy, sxy


def hotelling_p(
    a: tuple[Sequence[float], Sequence[float]], b: tuple[Sequence[float], Sequence[float]]
) -> float | None:
    """p-value of the two-sample Hotelling T² test (pooled covariance) of group a's mean
    position against group b's; None when it cannot be computed."""
    (ax, ay), (bx, by) = a, b
    na, nb = len(ax), len(bx)
    if na < MIN_IMPACTS_TO_TEST or nb < MIN_IMPACTS_TO_TEST:
        return None
    return hotelling_p_from(
        Moments(na, sum(ax) / na, sum(ay) / na, *_scatter(ax, ay)),
        Moments(nb, sum(bx) / nb, sum(by) / nb, *_scatter(bx, by)),
    )


@dataclass(frozen=True, slots=True)
class Moments:
    """What the test needs of a group: its size, mean and scatter (Σ(x − x̄)², Σ(y − ȳ)²,
    Σ(x − x̄)(y − ȳ))."""

    n: int
    mean_x: float
    mean_y: float
    sxx: float
    syy: float
    sxy: float


def hotelling_p_from(a: Moments, b: Moments) -> float | None:
    """`hotelling_p` from the two groups' moments (for groups held in arrays)."""
    na, nb = a.n, b.n
    if na < MIN_IMPACTS_TO_TEST or nb < MIN_IMPACTS_TO_TEST:
        return None
    dof = na + nb - 2
    sxx, syy, sxy = (a.sxx + b.sxx) / dof, (a.syy + b.syy) / dof, (a.sxy + b.sxy) / dof
    det = sxx * syy - sxy * sxy
    if not det > 1e-12 * max(sxx * syy, 1e-300):
        return None
    dx = a.mean_x - b.mean_x
    dy = a.mean_y - b.mean_y
    # dᵀ S⁻¹ d with the 2 × 2 inverse written out.
    quad = (syy * dx * dx - 2 * sxy * dx * dy + sxx * dy * dy) / det
    t2 = na * nb / (na + nb) * quad
    nu = na + nb - 3
    f = t2 * nu / (2 * dof)
    return f2_survival(f, nu)


def holm(p_values: Sequence[float]) -> list[float]:
    """Holm's step-down adjustment, in the order given."""
    m = len(p_values)
    order = sorted(range(m), key=lambda i: p_values[i])
    adjusted = [0.0] * m
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p_values[i]))
        adjusted[i] = running
    return adjusted
