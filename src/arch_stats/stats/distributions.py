"""The few distribution functions the analyses need, without SciPy.

Student's t and Fisher's F are written through the regularised incomplete beta function
I_x(a, b), evaluated by its continued fraction (modified Lentz's method, as in Numerical
Recipes §6.4), accurate to about 1e-12 over the degrees of freedom met here:

* two-sided p of t with ν degrees of freedom: P(|T| > |t|) = I_{ν/(ν+t²)}(ν/2, 1/2);
* P(F > f) for F(d1, d2): I_{d2/(d2+d1·f)}(d2/2, d1/2);
* the t quantile by bisection on the CDF (monotone; 200 halvings reach double precision).
"""

from __future__ import annotations

import math

_EPS = 1e-15
_TINY = 1e-300


def _beta_cf(a: float, b: float, x: float) -> float:
    qab, qap, qam = a + b, a + 1, a - 1
    c, d = 1.0, 1 - qab * x / qap
    d = 1 / (d if abs(d) > _TINY else _TINY)
    h = d
    for m in range(1, 1000):
        m2 = 2 * m
        for num in (m * (b - m) * x / ((qam + m2) * (a + m2)),
                    -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))):  # fmt: skip
            d = 1 + num * d
            d = 1 / (d if abs(d) > _TINY else _TINY)
            c = 1 + num / c
            c = c if abs(c) > _TINY else _TINY
            h *= d * c
        if abs(d * c - 1) < _EPS:
            break
    return h


def betainc(a: float, b: float, x: float) -> float:
    """The regularised incomplete beta function I_x(a, b), for a, b > 0 and 0 ≤ x ≤ 1."""
    if x <= 0:
        return 0.0
    if x >= 1:
        return 1.0
    log_front = (
        math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b)
        + a * math.log(x) + b * math.log1p(-x)
    )  # fmt: skip
    front = math.exp(log_front)
    if x < (a + 1) / (a + b + 2):
        return front * _beta_cf(a, b, x) / a
    return 1 - front * _beta_cf(b, a, 1 - x) / b


def t_two_sided_p(t: float, dof: float) -> float:
    """P(|T| > |t|) for Student's t with `dof` degrees of freedom."""
    return betainc(dof / 2, 0.5, dof / (dof + t * t))


def t_cdf(t: float, dof: float) -> float:
    half = t_two_sided_p(t, dof) / 2
    return 1 - half if t >= 0 else half


def t_quantile(p: float, dof: float) -> float:
    """The t with P(T ≤ t) = p (0 < p < 1)."""
    if p == 0.5:
        return 0.0
    if p < 0.5:
        return -t_quantile(1 - p, dof)
    lo, hi = 0.0, 1.0
    while t_cdf(hi, dof) < p:
        hi *= 2
    for _ in range(200):
        mid = (lo + hi) / 2
        if t_cdf(mid, dof) < p:
            lo = mid
        else:
            hi = mid
        if hi - lo <= 1e-14 * hi:
            break
    return (lo + hi) / 2


def t_half_width(level: float, dof: float) -> float:
    """The factor of a two-sided `level` interval: t_{(1+level)/2, dof}."""
    return t_quantile((1 + level) / 2, dof)


def f_survival(f: float, d1: float, d2: float) -> float:
    """P(F > f) for Fisher's F with (d1, d2) degrees of freedom."""
    if f <= 0:
        return 1.0
    return betainc(d2 / 2, d1 / 2, d2 / (d2 + d1 * f))
