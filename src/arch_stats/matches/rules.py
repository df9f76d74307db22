"""A head-to-head match by World Archery's rules, from the arrows shot.

Two systems:
- **sets** (recurve, barebow and every bowstyle but compound): ends ("sets") of 3 arrows;
  the higher set total takes 2 set points, a tie 1 each; the first to 6 set points wins.
  After 5 sets at 5–5, a shoot-off.
- **cumulative** (compound): 5 ends of 3 arrows; the higher total wins; equal totals after
  the fifth end, a shoot-off.

A shoot-off is one arrow each: the higher score wins. On an equal score the arrow closer to
the centre wins, measured here from the positions the arrows were plotted or sensed at (the
distance from the centre of the spot hit, in millimetres); when either position is not
known (scored by value), the tie cannot be decided without a judge, whose decision the
organiser records. Equal distances, or two misses, shoot again.

Pure: no database, no I/O. Only complete ends count (both archers' 3 arrows)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Literal

System = Literal["sets", "cumulative"]
Status = Literal["shooting", "shoot_off", "judge", "decided"]

END_ARROWS = 3
SETS_TO_WIN = 6
SET_WIN, SET_TIE = 2, 1
MAX_SETS = 5
CUMULATIVE_ENDS = 5
SYSTEMS: tuple[System, ...] = ("sets", "cumulative")


class MatchError(ValueError):
    """Arrows a match cannot take (an end after it is decided, a shoot-off not due…)."""


def system_for(bowstyle: str) -> System:
    """The system a category's matches are shot by: cumulative for compound, else sets."""
    return "cumulative" if bowstyle.strip().lower() == "compound" else "sets"


@dataclass(frozen=True, slots=True)
class ShootOffArrow:
    score: int
    distance_mm: float | None  # from the centre of the spot hit; None: not known


def distance_mm(dx_mm: float | None, dy_mm: float | None) -> float | None:
    """An arrow's distance from the centre of its spot, from its stored offsets."""
    return None if dx_mm is None or dy_mm is None else math.hypot(dx_mm, dy_mm)


@dataclass(frozen=True, slots=True)
class EndResult:
    totals: tuple[int, int]
    points: tuple[int, int]  # set points of this end (sets); the end totals (cumulative)


Outcome = Literal["won", "again", "judge"]


@dataclass(frozen=True, slots=True)
class ShootOffResult:
    arrows: tuple[ShootOffArrow, ShootOffArrow]
    outcome: Outcome  # won; shoot again; a judge decides (a position is not known)
    winner: int | None  # 0 or 1 when won
    reason: str


@dataclass(frozen=True, slots=True)
class MatchState:
    system: System
    status: Status
    winner: int | None  # 0: the first archer, 1: the second
    score: tuple[int, int]  # set points (sets) or totals (cumulative)
    totals: tuple[int, int]  # arrow totals of the complete ends
    ends: tuple[EndResult, ...]
    shoot_offs: tuple[ShootOffResult, ...]
    reason: str  # how it stands or was won, in words


def _end_points(system: System, a: int, b: int) -> tuple[int, int]:
    if system == "cumulative":
        return a, b
    if a == b:
        return SET_TIE, SET_TIE
    return (SET_WIN, 0) if a > b else (0, SET_WIN)


def _regulation_over(system: System, score: tuple[int, int], ends: int) -> bool:
    if system == "sets":
        return max(score) >= SETS_TO_WIN or ends >= MAX_SETS
    return ends >= CUMULATIVE_ENDS


def shoot_off(a: ShootOffArrow, b: ShootOffArrow) -> ShootOffResult:
    """One shoot-off arrow each: the higher score, then the closer to the centre."""
    pair = (a, b)
    if a.score != b.score:
        high, low = max(a.score, b.score), min(a.score, b.score)
        return ShootOffResult(pair, "won", int(b.score > a.score), f"{high} beats {low}")
    if a.score == 0:
        return ShootOffResult(pair, "again", None, "both missed: shoot again")
    if a.distance_mm is None or b.distance_mm is None:
        why = f"equal {a.score}s and an arrow's position is not known: a judge decides"
        return ShootOffResult(pair, "judge", None, why)
    da, db = round(a.distance_mm, 1), round(b.distance_mm, 1)  # as shown, to 0.1 mm
    if da == db:
        why = f"equal {a.score}s, both {da:.1f} mm from the centre: shoot again"
        return ShootOffResult(pair, "again", None, why)
    near, far = sorted((da, db))
    why = f"equal {a.score}s, closer to the centre: {near:.1f} mm against {far:.1f} mm"
    return ShootOffResult(pair, "won", int(db < da), why)


def decide(
    system: System,
    ends: Sequence[tuple[Sequence[int], Sequence[int]]],
    shoot_offs: Sequence[tuple[ShootOffArrow, ShootOffArrow]] = (),
    judge: int | None = None,
) -> MatchState:
    """The state of a match after its complete `ends` (each archer's arrow scores), its
    shoot-off arrows and, when positions could not decide one, the judge's winner."""
    results: list[EndResult] = []
    score, totals = (0, 0), (0, 0)
    for n, (a, b) in enumerate(ends, 1):
        if len(a) != END_ARROWS or len(b) != END_ARROWS:
            raise MatchError(f"end {n}: each archer shoots {END_ARROWS} arrows")
        if _regulation_over(system, score, len(results)):
            raise MatchError(f"end {n}: the match was over after end {len(results)}")
        ta, tb = sum(a), sum(b)
        points = _end_points(system, ta, tb)
        results.append(EndResult((ta, tb), points))
        score = (score[0] + points[0], score[1] + points[1])
        totals = (totals[0] + ta, totals[1] + tb)
    state = MatchState(system, "shooting", None, score, totals, tuple(results), (), "")
    if not _regulation_over(system, score, len(results)):
        if shoot_offs or judge is not None:
            raise MatchError("no shoot-off before the match's last end")
        return replace(state, reason=_standing(state))
    if score[0] != score[1]:
        if shoot_offs or judge is not None:
            raise MatchError("no shoot-off: the match is decided")
        winner = 0 if score[0] > score[1] else 1
        return replace(state, status="decided", winner=winner, reason=_won(state, winner))
    return _shoot_offs(state, shoot_offs, judge)


def _shoot_offs(
    state: MatchState,
    arrows: Sequence[tuple[ShootOffArrow, ShootOffArrow]],
    judge: int | None,
) -> MatchState:
    done: list[ShootOffResult] = []
    for n, (a, b) in enumerate(arrows, 1):
        if done and done[-1].outcome != "again":
            raise MatchError(f"shoot-off arrow {n}: the shoot-off before it is not to shoot again")
        done.append(shoot_off(a, b))
    state = replace(state, shoot_offs=tuple(done))
    last = done[-1] if done else None
    if last is not None and last.outcome == "won":
        why = f"won in a shoot-off: {last.reason}"
        return replace(state, status="decided", winner=last.winner, reason=why)
    if last is not None and last.outcome == "judge":
        if judge is None:
            return replace(state, status="judge", reason=f"shoot-off: {last.reason}")
        if judge not in (0, 1):
            raise MatchError("the judge's winner is the first (0) or the second (1) archer")
        why = f"won in a shoot-off, by the judge's decision ({last.reason})"
        return replace(state, status="decided", winner=judge, reason=why)
    if judge is not None:
        raise MatchError("no judge's decision is due")
    tied = f"{state.score[0]}–{state.score[1]}"
    why = f"{tied}: shoot-off" if last is None else f"{tied}, shoot-off: {last.reason}"
    return replace(state, status="shoot_off", reason=why)


def _standing(state: MatchState) -> str:
    a, b = state.score
    if state.system == "sets":
        return f"{a}–{b} in set points after {len(state.ends)} sets"
    return f"{a}–{b} after {len(state.ends)} of {CUMULATIVE_ENDS} ends"


def _won(state: MatchState, winner: int) -> str:
    a, b = state.score
    high, low = (a, b) if winner == 0 else (b, a)
    return f"won {high}–{low} {'in set points' if state.system == 'sets' else 'on total score'}"
