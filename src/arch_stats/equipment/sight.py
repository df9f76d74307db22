"""Sight marks and sight corrections, as an archer sets a sight.

**The sight-mark curve.** Marks against distance are fitted by least squares with a
polynomial of low order, as sight calculators do: a straight line from 3 marks, a quadratic
from 5 (the curve bends as the arrow drops more at long distances; a quadratic from 4 marks
would leave one degree of freedom and an interval too wide to use). For a distance x0 the
predicted mark is ŷ = x0ᵀβ, and its 95 % *prediction interval* (where the mark the archer
will find lies, not only the curve) is ŷ ± t_{0.975, n−p} · s · √(1 + x0ᵀ(XᵀX)⁻¹x0), with s
the residual standard deviation and p the number of coefficients. A distance outside the
marks is an extrapolation and says so.

**The sight correction.** The group centre's offset (x̄, ȳ) from the face centre, with its
95 % confidence interval per axis x̄ ± t_{0.975, n−1} · σ/√n (σ as `stats` computes it). By
similar triangles a sight moved by m at sight radius R (eye to aperture) moves the impact by
m · D / R at distance D, so the sight moves offset × R / D, in the direction of the group
("follow the arrow": a group low and left → the sight down and left). An axis whose interval
holds 0 is not moved: the offset is within what chance gives.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from arch_stats.stats import maths
from arch_stats.stats.distributions import t_half_width

LEVEL = 0.95
MIN_MARKS = 3
QUADRATIC_FROM = 5


@dataclass(frozen=True, slots=True)
class MarkFit:
    degree: int
    coefficients: list[float]  # constant term first
    residual_sd: float
    dof: int
    cov_unscaled: np.ndarray  # (XᵀX)⁻¹
    low: float  # the distances fitted
    high: float

    def predict(self, distance: float) -> dict[str, Any]:
        x0 = np.array([distance**k for k in range(self.degree + 1)])
        mark = float(x0 @ np.array(self.coefficients))
        se = self.residual_sd * float(np.sqrt(1 + x0 @ self.cov_unscaled @ x0))
        half = t_half_width(LEVEL, self.dof) * se
        return {
            "distance_m": distance,
            "mark": mark,
            "low": mark - half,
            "high": mark + half,
            "uncertainty": half,
            "extrapolated": not self.low <= distance <= self.high,
        }


def fit_marks(distances: Sequence[float], marks: Sequence[float]) -> MarkFit | None:
    """The curve through the marks; None below `MIN_MARKS` distinct distances."""
    n = len(set(distances))
    if n < MIN_MARKS:
        return None
    degree = 2 if n >= QUADRATIC_FROM else 1
    x = np.asarray(distances, dtype=np.float64)
    y = np.asarray(marks, dtype=np.float64)
    design = np.vander(x, degree + 1, increasing=True)
    beta, *_ = np.linalg.lstsq(design, y, rcond=None)
    dof = len(x) - (degree + 1)
    residuals = y - design @ beta
    return MarkFit(
        degree=degree,
        coefficients=[float(b) for b in beta],
        residual_sd=float(np.sqrt(residuals @ residuals / dof)),
        dof=dof,
        cov_unscaled=np.linalg.inv(design.T @ design),
        low=float(x.min()),
        high=float(x.max()),
    )


def curve(fit: MarkFit, *, points: int = 41) -> list[dict[str, Any]]:
    """The fitted marks with their prediction band, for a plot: from the nearest distance
    to 10 % past the farthest (a little extrapolation, shown as such)."""
    top = fit.high * 1.1
    return [fit.predict(float(d)) for d in np.linspace(fit.low, top, points)]


def _axis_move(centre: float, half: float | None, factor: float | None) -> float | None:
    """How far to move the sight on one axis; None when the offset is within its interval
    (or the interval cannot be computed) or the bow has no sight radius."""
    if half is None or abs(centre) <= half or factor is None:
        return None
    return centre * factor


def _say(move_x: float | None, move_y: float | None) -> str:
    parts = []
    if move_y is not None:
        parts.append(f"{abs(move_y):.1f} mm {'up' if move_y > 0 else 'down'}")
    if move_x is not None:
        parts.append(f"{abs(move_x):.1f} mm {'right' if move_x > 0 else 'left'}")
    if not parts:
        return "Leave the sight: the group centre is within its uncertainty of the face centre."
    return "Move the sight " + " and ".join(parts) + "."


def correction(
    xs: Sequence[float], ys: Sequence[float], distance_m: float, sight_radius_mm: float | None
) -> dict[str, Any]:
    """The sight correction of a group at `distance_m` (positions in mm from the centre of
    the spot hit, x right, y up)."""
    g = maths.group(xs, ys)
    out: dict[str, Any] = {
        "distance_m": distance_m,
        "impacts": g.n,
        "centre_x_mm": g.centre_x,
        "centre_y_mm": g.centre_y,
        "sigma_x_mm": g.sigma_x,
        "sigma_y_mm": g.sigma_y,
        "ci_x_mm": None,
        "ci_y_mm": None,
        "move_x_mm": None,
        "move_y_mm": None,
        "advice": None,
    }
    if g.n < 2 or g.sigma_x is None or g.sigma_y is None:
        out["advice"] = "Too few arrows with a position for a correction (2 at least)."
        return out
    assert g.centre_x is not None and g.centre_y is not None
    t = t_half_width(LEVEL, g.n - 1)
    out["ci_x_mm"] = t * g.sigma_x / math.sqrt(g.n)
    out["ci_y_mm"] = t * g.sigma_y / math.sqrt(g.n)
    factor = None if sight_radius_mm is None else sight_radius_mm / (distance_m * 1000)
    out["move_x_mm"] = _axis_move(g.centre_x, out["ci_x_mm"], factor)
    out["move_y_mm"] = _axis_move(g.centre_y, out["ci_y_mm"], factor)
    if factor is None and (abs(g.centre_x) > out["ci_x_mm"] or abs(g.centre_y) > out["ci_y_mm"]):
        out["advice"] = (
            "The group is off centre; give the bow its sight radius to know how far to move."
        )
    else:
        out["advice"] = _say(out["move_x_mm"], out["move_y_mm"])
    return out
