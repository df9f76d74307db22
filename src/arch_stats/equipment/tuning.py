"""What two groups of arrows say about the bow: tuning sessions, arrow sets compared, and
arrows to cull.

**Two groups of one session** (e.g. fletched arrows as `a` and bare shafts as `b`): each
group's centre and spread (`stats.maths.group`), the difference of the centres b − a with a
95 % Welch interval per axis (se = √(σa²/na + σb²/nb), Welch–Satterthwaite degrees of
freedom), and the two-sample Hotelling T² p-value of the difference (`maths.hotelling_p`).
Advice is given for an axis only when its interval excludes 0.

**Bare-shaft advice**, for a finger release (recurve, barebow, longbow and other
traditional bows), group b being the bare shafts and a the fletched arrows:

* vertical: bare shafts high → the nocking point is too low (raise it); low → too high
  (lower it);
* horizontal, right-handed: bare shafts left → the arrow acts too stiff (a heavier point,
  more draw weight, a softer plunger spring, or a weaker spine); right → too weak (a lighter
  point, less draw weight, a stiffer plunger spring, or a stiffer spine). Left-handed: the
  mirror image.

Sources: Easton, *Arrow Tuning and Maintenance Guide*, "Bare Shaft Planing Test" (recurve,
finger release: nocking point from the vertical, spine and cushion-plunger tension from the
horizontal, directions for a right-handed archer, reversed for a left-handed one); Archery GB
coaching material on bare-shaft tuning says the same. A release aid on a compound bow flexes
the arrow vertically, and the guides give other, rest-based rules there: no advice is given
for a compound bow (the numbers still are).

**Arrow sets compared** over sessions: every impact of a set's arrows as an angle from the
centre of its own group (one group per session and distance: aim and sight changes between
sessions do not count as spread), in mm per m of distance (milliradians), scaled by
√(n/(n − 1)) for the centre estimated from the same n arrows. The sets' mean radii are
compared with Welch's t-test; the smaller one groups tighter when p < 0.05.

**Arrows to cull**: within each group (session and distance) of a set's arrows, each
impact's angular offset from the group's centre; over every session, each arrow's offsets
against all the other arrows' by the two-sample Hotelling T² test of `stats.maths`, the
p-values Holm-adjusted across the set's arrows, an arrow flagged below 0.05 — the per-arrow
test of a session's statistics, over sessions.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from arch_stats.stats import maths
from arch_stats.stats.distributions import t_half_width, t_two_sided_p
from arch_stats.stats.session import group_out

LEVEL = 0.95
ALPHA = 0.05
FINGER_BOWSTYLES = frozenset({"recurve", "barebow", "longbow", "traditional", "flatbow"})


def welch(
    mean_a: float, sd_a: float, n_a: int, mean_b: float, sd_b: float, n_b: int
) -> tuple[float, float, float] | None:
    """(difference b − a, half-width of its 95 % interval, two-sided p); None when the
    standard error is 0 or a group has fewer than 2 values."""
    if n_a < 2 or n_b < 2:
        return None
    va, vb = sd_a * sd_a / n_a, sd_b * sd_b / n_b
    se2 = va + vb
    if se2 <= 0:
        return None
    dof = se2 * se2 / (va * va / (n_a - 1) + vb * vb / (n_b - 1))
    diff = mean_b - mean_a
    se = math.sqrt(se2)
    return diff, t_half_width(LEVEL, dof) * se, t_two_sided_p(diff / se, dof)


@dataclass(frozen=True, slots=True)
class Shift:
    """Group b's centre relative to group a's, per axis: value, 95 % half-width."""

    dx: float
    ci_x: float
    dy: float
    ci_y: float

    @property
    def x_real(self) -> bool:
        return abs(self.dx) > self.ci_x

    @property
    def y_real(self) -> bool:
        return abs(self.dy) > self.ci_y


def bare_shaft_advice(shift: Shift, handedness: str, bowstyle: str) -> list[str]:
    """The conventional advice for bare shafts (b) off the fletched arrows (a); nothing for
    an axis whose shift is within its uncertainty."""
    if bowstyle not in FINGER_BOWSTYLES:
        return []
    advice: list[str] = []
    if shift.y_real:
        if shift.dy > 0:
            advice.append("Bare shafts high: the nocking point is too low — raise it.")
        else:
            advice.append("Bare shafts low: the nocking point is too high — lower it.")
    if shift.x_real:
        left = shift.dx < 0
        # Right-handed: left means stiff. A left-handed archer's arrow bends the other way.
        stiff = left if handedness == "right" else not left
        side = "left" if left else "right"
        if stiff:
            advice.append(
                f"Bare shafts {side}: the arrow acts too stiff — a heavier point, more draw "
                "weight, a softer plunger spring, or a weaker spine."
            )
        else:
            advice.append(
                f"Bare shafts {side}: the arrow acts too weak — a lighter point, less draw "
                "weight, a stiffer plunger spring, or a stiffer spine."
            )
    return advice


Points = tuple[Sequence[float], Sequence[float]]


def compare_groups(a: Points, b: Points, *, handedness: str, bowstyle: str) -> dict[str, Any]:
    """Two groups of one session: both groups, the shift of b from a with its intervals and
    test, and the bare-shaft advice for it."""
    ga, gb = maths.group(*a), maths.group(*b)
    out: dict[str, Any] = {
        "a": group_out(ga),
        "b": group_out(gb),
        "shift_x_mm": None,
        "shift_y_mm": None,
        "ci_x_mm": None,
        "ci_y_mm": None,
        "p_value": maths.hotelling_p(a, b),
        "significant": False,
        "advice": [],
        "advice_given": bowstyle in FINGER_BOWSTYLES,
    }
    if ga.sigma_x is None or gb.sigma_x is None or ga.sigma_y is None or gb.sigma_y is None:
        return out
    assert ga.centre_x is not None and ga.centre_y is not None
    assert gb.centre_x is not None and gb.centre_y is not None
    wx = welch(ga.centre_x, ga.sigma_x, ga.n, gb.centre_x, gb.sigma_x, gb.n)
    wy = welch(ga.centre_y, ga.sigma_y, ga.n, gb.centre_y, gb.sigma_y, gb.n)
    if wx is None or wy is None:
        return out
    shift = Shift(wx[0], wx[1], wy[0], wy[1])
    out.update(
        shift_x_mm=shift.dx,
        shift_y_mm=shift.dy,
        ci_x_mm=shift.ci_x,
        ci_y_mm=shift.ci_y,
        significant=shift.x_real or shift.y_real,
        advice=bare_shaft_advice(shift, handedness, bowstyle),
    )
    return out


@dataclass(frozen=True, slots=True)
class Impact:
    """One arrow's impact in a set's history: its group (session and distance), arrow, and
    position in mm from the centre of the spot hit."""

    group: tuple[str, float]
    arrow: str
    dx: float
    dy: float


def _offsets(impacts: Iterable[Impact]) -> list[tuple[Impact, float, float]]:
    """Each impact's offset from its group's centre, in mm per m of distance; groups of one
    impact say nothing about spread and are left out."""
    groups: dict[tuple[str, float], list[Impact]] = defaultdict(list)
    for i in impacts:
        groups[i.group].append(i)
    out: list[tuple[Impact, float, float]] = []
    for (_, distance), members in groups.items():
        n = len(members)
        if n < 2:
            continue
        cx = sum(i.dx for i in members) / n
        cy = sum(i.dy for i in members) / n
        out.extend((i, (i.dx - cx) / distance, (i.dy - cy) / distance) for i in members)
    return out


def _radii(impacts: Iterable[Impact]) -> list[float]:
    groups: dict[tuple[str, float], int] = defaultdict(int)
    offsets = _offsets(impacts)
    for i, _, _ in offsets:
        groups[i.group] += 1
    return [
        math.hypot(ox, oy) * math.sqrt(groups[i.group] / (groups[i.group] - 1))
        for i, ox, oy in offsets
    ]


def compare_sets(a: Sequence[Impact], b: Sequence[Impact]) -> dict[str, Any]:
    """Which of two arrow sets groups tighter over their sessions."""
    ra, rb = _radii(a), _radii(b)

    def summary(radii: list[float], impacts: Sequence[Impact]) -> dict[str, Any]:
        used = {i.group for i in impacts}
        return {
            "impacts": len(radii),
            "groups": len(used),
            "mean_radius_mrad": maths.mean(radii),
            "sd_radius_mrad": maths.sample_sd(radii),
        }

    out: dict[str, Any] = {
        "a": summary(ra, a),
        "b": summary(rb, b),
        "difference_mrad": None,
        "ci_mrad": None,
        "p_value": None,
        "tighter": None,
    }
    sa, sb = maths.sample_sd(ra), maths.sample_sd(rb)
    if sa is None or sb is None:
        return out
    w = welch(sum(ra) / len(ra), sa, len(ra), sum(rb) / len(rb), sb, len(rb))
    if w is None:
        return out
    out.update(difference_mrad=w[0], ci_mrad=w[1], p_value=w[2])
    if w[2] < ALPHA:
        out["tighter"] = "b" if w[0] < 0 else "a"
    return out


def cull(impacts: Sequence[Impact]) -> list[dict[str, Any]]:
    """Per arrow of a set: its mean offset from its groups' centres (mm per m), and whether
    it groups away from the others (Hotelling T², Holm-adjusted over the set)."""
    offsets = _offsets(impacts)
    arrows = sorted({i.arrow for i in impacts})
    rows: list[dict[str, Any]] = []
    tested: list[int] = []
    p_values: list[float] = []
    for arrow in arrows:
        mine = [(ox, oy) for i, ox, oy in offsets if i.arrow == arrow]
        rest = [(ox, oy) for i, ox, oy in offsets if i.arrow != arrow]
        xs, ys = [o[0] for o in mine], [o[1] for o in mine]
        p = maths.hotelling_p((xs, ys), ([o[0] for o in rest], [o[1] for o in rest]))
        rows.append(
            {
                "arrow_id": arrow,
                "impacts": len(mine),
                "groups": len({i.group for i in impacts if i.arrow == arrow}),
                "offset_x_mrad": maths.mean(xs),
                "offset_y_mrad": maths.mean(ys),
                "p_value": p,
                "p_adjusted": None,
                "flagged": False,
            }
        )
        if p is not None:
            tested.append(len(rows) - 1)
            p_values.append(p)
    for k, adjusted in zip(tested, maths.holm(p_values), strict=True):
        rows[k]["p_adjusted"] = adjusted
        rows[k]["flagged"] = adjusted < ALPHA
    return rows
