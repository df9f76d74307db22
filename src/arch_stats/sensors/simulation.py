"""The simulated archer: what the simulated drivers of the three readers agree on.

The three readers are separate processes. They share no memory, only a seed and the
archer's parameters (given on each one's command line), from which `plan(k)` draws
everything about shot k — the pause before it, the arrow picked, the draw, where it flies —
deterministically, so that each process knows its part of the same story. Their timing
follows each other's events in the database (the bow engages after the arrow reader's
identification, the target reports a landing after the bow's release).

Timings (SPEC §3), in seconds of the archer's time, divided by `speed` on the wall clock:
the next arrow is picked 2–8 s after the previous release, identified 0.2–0.9 s before the
engage, released after a 1.5–3 s draw, and lands after distance / ~60 m/s.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

PICK_S = (2.0, 8.0)
IDENTIFY_TO_ENGAGE_S = (0.2, 0.9)
DRAW_S = (1.5, 3.0)
ARROW_SPEED_MPS = 60.0
FATIGUE_SHOTS = 72  # fatigue reaches its full effect after a 72-arrow round


@dataclass(frozen=True, slots=True)
class ArcherModel:
    seed: int = 1
    spread_mm: float | None = None  # σ of the group; None: grows with the distance
    bias_x_mm: float = 12.0
    bias_y_mm: float = -18.0
    miss_rate: float = 0.03  # arrows that miss the target view entirely
    fatigue: float = 0.4  # the spread grows by this fraction over FATIGUE_SHOTS arrows
    odd_arrows: int = 1  # the last arrows (by identifier) fly differently

    def sigma(self, distance_m: float, k: int) -> float:
        base = self.spread_mm if self.spread_mm is not None else 10.0 + 1.0 * distance_m
        return base * (1.0 + self.fatigue * min(k, FATIGUE_SHOTS) / FATIGUE_SHOTS)

    def is_odd(self, arrow_index: int | None, n_arrows: int) -> bool:
        return arrow_index is not None and arrow_index >= n_arrows - self.odd_arrows

    def cli_args(self) -> list[str]:
        """The options that give another process the same archer."""
        args = [
            "--seed", str(self.seed),
            "--bias-x", repr(self.bias_x_mm),
            "--bias-y", repr(self.bias_y_mm),
            "--miss-rate", repr(self.miss_rate),
            "--fatigue", repr(self.fatigue),
            "--odd-arrows", str(self.odd_arrows),
        ]  # fmt: skip
        if self.spread_mm is not None:
            args += ["--spread", repr(self.spread_mm)]
        return args


@dataclass(frozen=True, slots=True)
class ShotPlan:
    k: int
    pick_s: float  # after the previous release (or the start)
    engage_after_s: float  # after the identification
    draw_s: float  # from engage to release
    speed_factor: float  # arrow speed around ARROW_SPEED_MPS
    missed: bool  # missed the whole target view
    gx: float  # standard normal draws for the impact
    gy: float


def plan(model: ArcherModel, k: int) -> ShotPlan:
    rng = random.Random(f"{model.seed}:shot:{k}")
    return ShotPlan(
        k=k,
        pick_s=rng.uniform(*PICK_S),
        engage_after_s=rng.uniform(*IDENTIFY_TO_ENGAGE_S),
        draw_s=rng.uniform(*DRAW_S),
        speed_factor=rng.uniform(0.97, 1.03),
        missed=rng.random() < model.miss_rate,
        gx=rng.gauss(0.0, 1.0),
        gy=rng.gauss(0.0, 1.0),
    )


def arrow_index(model: ArcherModel, seq: int, per_end: int, n_arrows: int) -> int:
    """Which arrow the archer picks for the session's shot number `seq` (from 0): each end
    uses the arrows in a shuffled order, as an archer pulling them from the quiver does."""
    end, pos = divmod(seq, per_end)
    order = list(range(n_arrows))
    random.Random(f"{model.seed}:end:{end}").shuffle(order)
    return order[pos % n_arrows]


def flight_s(model: ArcherModel, p: ShotPlan, distance_m: float, odd: bool) -> float:
    speed = ARROW_SPEED_MPS * p.speed_factor * (0.93 if odd else 1.0)
    return distance_m / speed


def aim_point(
    face_type: str, center_x: float, center_y: float, seq: int, per_end: int
) -> tuple[float, float]:
    """The spot aimed at: multi-spot faces take one spot per arrow of an end, in turn."""
    from arch_stats.faces.scoring import get_face  # only the target reader needs the faces

    spots = get_face(face_type).spots
    sx, sy = spots[(seq % per_end) % len(spots)]
    return center_x + sx, center_y + sy


def impact(
    model: ArcherModel,
    p: ShotPlan,
    *,
    aim: tuple[float, float],
    distance_m: float,
    odd: bool,
    view: tuple[float, float],
) -> tuple[float, float] | None:
    """Where the arrow lands in view mm, or None when it misses the target view."""
    if p.missed:
        return None
    sigma = model.sigma(distance_m, p.k)
    dx, dy = model.bias_x_mm, model.bias_y_mm
    if odd:  # a bent shaft or a damaged fletching: off to one side, and looser
        dx += 0.9 * sigma
        dy -= 0.7 * sigma
        sigma *= 1.3
    x = aim[0] + dx + sigma * p.gx
    y = aim[1] + dy + sigma * p.gy
    if not (0.0 <= x <= view[0] and 0.0 <= y <= view[1]) or not math.isfinite(x + y):
        return None
    return round(x, 1), round(y, 1)
