"""Handicaps, classifications and predicted scores, as archeryutils computes them.

* Handicap of a complete round: `handicap_from_score(score, round, scheme, int_prec=True)`,
  the whole-number value of the published tables (AGB: lower is better; AA: higher is).
* Classification: Archery GB's (archeryutils has no other), for rounds that archeryutils
  lists for the outdoor, indoor or field classifications; the archer's bowstyle, gender and
  age group map to archeryutils' categories, coaxed (`coax_*_group`) into those the scheme
  has (e.g. traditional shoots as barebow outdoors). Independent of the handicap scheme.
* Handicap allowance (Archery GB, for handicap competitions and leagues): 1440 less the
  score archeryutils expects on the round at the archer's handicap (`agb_allowance`).
* Predicted final score of an incomplete round: the k arrows shot so far are the first k of
  the round, i.e. a round of its own (the passes, the last one cut short). Its exact
  (decimal) handicap h is the one at which archeryutils expects the score shot so far on
  that partial round; the prediction is the score archeryutils expects on the whole round
  at h (= the score so far + the expected score of the arrows still to shoot), rounded.
  When no handicap exists for the partial score (0, or the maximum so far), the prediction
  extrapolates the average per arrow instead.

Every function is pure (same inputs, same answer), so results are memoised: a cache that
can never be stale. archeryutils warns about some inputs (numpy overflow at extreme
handicaps, the maximum score): those warnings are silenced here, the values kept.

Handicaps for many sessions at once (the history) come from *curves* instead of one root
search per score (archeryutils' takes ≈ 1.7 ms): archeryutils' expected arrow score of each
pass's target, computed once for every handicap of the scheme's range in steps of
`GRID_STEP`, summed over the passes of a round. Then:

* `decimal_handicap`: the handicap at which the round's expected score equals the score,
  by linear interpolation on the curve (within 0.001 of the exact root; archeryutils' own
  root search stops within about 0.01 of it);
* `table_handicap`: archeryutils' whole-number table value (`int_prec=True`), replicated
  from the rounded scores at whole handicaps, and equal to `round_handicap`. Where the
  exact root lies within `NEAR_WHOLE` of a whole number, archeryutils' own answer is taken
  (its less precise root can land on the other side), so the two never differ.
"""

from __future__ import annotations

import math
import warnings
from bisect import bisect_left
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from types import MappingProxyType
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
from archeryutils import Pass, Round, Target, handicaps, load_rounds
from archeryutils import classifications as cf
from archeryutils.classifications import (
    agb_field_classifications,
    agb_indoor_classifications,
    agb_outdoor_classifications,
)
from archeryutils.classifications import classification_utils as cf_utils

from arch_stats.faces.rounds import ROUND_SETS, RoundSpec

Scheme = Literal["AGB", "AA"]
SCHEMES: tuple[Scheme, ...] = ("AGB", "AA")
CLASSIFICATION_SCHEME = "AGB"


def _au_rounds() -> Mapping[str, Round]:
    """archeryutils' Round objects by codename, in the order `arch_stats.faces.rounds` uses."""
    out: dict[str, Round] = {}
    for set_name in ROUND_SETS:
        for r in getattr(load_rounds, set_name).values():
            out.setdefault(str(r.codename), r)
    return MappingProxyType(out)


AU_ROUNDS = _au_rounds()

BOWSTYLES: Mapping[str, Any] = MappingProxyType(
    {
        "recurve": cf.AGB_bowstyles.RECURVE,
        "compound": cf.AGB_bowstyles.COMPOUND,
        "barebow": cf.AGB_bowstyles.BAREBOW,
        "longbow": cf.AGB_bowstyles.LONGBOW,
        "traditional": cf.AGB_bowstyles.TRADITIONAL,
        "flatbow": cf.AGB_bowstyles.FLATBOW,
    }
)
GENDERS: Mapping[str, Any] = MappingProxyType(
    {"male": cf.AGB_genders.MALE, "female": cf.AGB_genders.FEMALE}
)
AGE_GROUPS: Mapping[str, Any] = MappingProxyType(
    {
        "adult": cf.AGB_ages.ADULT,
        "50+": cf.AGB_ages.OVER_50,
        "under 21": cf.AGB_ages.UNDER_21,
        "under 18": cf.AGB_ages.UNDER_18,
        "under 16": cf.AGB_ages.UNDER_16,
        "under 15": cf.AGB_ages.UNDER_15,
        "under 14": cf.AGB_ages.UNDER_14,
        "under 12": cf.AGB_ages.UNDER_12,
    }
)

_Classify = Callable[..., str]
_Coax = Callable[..., Mapping[str, Any]]
# Which classification applies to a round: the first scheme that lists it.
_CLASSIFICATIONS: tuple[tuple[Mapping[str, Round], _Coax, _Classify], ...] = (
    (
        agb_outdoor_classifications.ALL_OUTDOOR_ROUNDS,
        cf.coax_outdoor_group,
        cf.calculate_agb_outdoor_classification,
    ),
    (
        agb_indoor_classifications.ALL_INDOOR_ROUNDS,
        cf.coax_indoor_group,
        cf.calculate_agb_indoor_classification,
    ),
    (
        agb_field_classifications.ALL_FIELD_ROUNDS,
        cf.coax_field_group,
        cf.calculate_agb_field_classification,
    ),
)


UNCLASSIFIED = "UC"


def _classification_names() -> Mapping[str, str]:
    """Every classification code archeryutils answers, with its full name (its own tables:
    "B1" → "Bowman 1st Class", "I-MB" → "Indoor Master Bowman"; field uses the outdoor ones)."""
    names = {UNCLASSIFIED: "Unclassified"}
    for system in ("agb_outdoor", "agb_indoor", "agb_field"):
        data = cf_utils.read_classes_json(system)
        names.update(zip(data["classes"], data["classes_long"], strict=True))
    return MappingProxyType(names)


CLASSIFICATION_NAMES = _classification_names()


def classification_name(code: str | None) -> str | None:
    """The full name of a classification code (the code itself if archeryutils has none)."""
    return None if code is None else CLASSIFICATION_NAMES.get(code, code)


def _ladders() -> Mapping[str, tuple[str, tuple[str, ...]]]:
    """Round code → (the scheme's name, its classes lowest first)."""
    out: dict[str, tuple[str, tuple[str, ...]]] = {}
    for (rounds, _, _), (name, system) in zip(
        _CLASSIFICATIONS,
        (("outdoor", "agb_outdoor"), ("indoor", "agb_indoor"), ("field", "agb_field")),
        strict=True,
    ):
        ladder = tuple(reversed(cf_utils.read_classes_json(system)["classes"]))
        for code in rounds:
            out.setdefault(code, (name, ladder))
    return MappingProxyType(out)


_LADDERS = _ladders()


def classification_meaning(
    round_code: str, code: str | None, category: tuple[str, str, str]
) -> str | None:
    """What a classification means, in a sentence: where it stands on Archery GB's ladder of
    the round's scheme, and for whom (the archer's category)."""
    ladder = _LADDERS.get(round_code)
    if code is None or ladder is None:
        return None
    scheme, classes = ladder
    who = " ".join(category)
    lowest, highest = (CLASSIFICATION_NAMES.get(c, c) for c in (classes[0], classes[-1]))
    if code == UNCLASSIFIED or code not in classes:
        return (
            f"Unclassified: the score is below {lowest}, the first level of Archery GB's "
            f"{scheme} classification for a {who} archer."
        )
    return (
        f"{classification_name(code)} ({code}): level {classes.index(code) + 1} of "
        f"{len(classes)} of Archery GB's {scheme} classification, from {lowest} up to "
        f"{highest}; this score reaches it for a {who} archer."
    )


@dataclass(frozen=True, slots=True)
class Prediction:
    score: int
    method: Literal["handicap", "average"]
    handicap: float | None  # the decimal handicap of the arrows shot so far


def get_round(code: str | None) -> Round | None:
    return AU_ROUNDS.get(code) if code else None


def partial_round(rnd: Round, arrows: int) -> Round:
    """The first `arrows` arrows of `rnd`, as a round of their own."""
    passes: list[Pass] = []
    left = arrows
    for p in rnd.passes:
        if left <= 0:
            break
        take = min(left, int(p.n_arrows))
        passes.append(Pass(take, p.target))
        left -= take
    return Round(f"{rnd.name} (first {arrows} arrows)", passes)


@lru_cache(maxsize=256)
def custom_round(spec: RoundSpec) -> Round:
    """archeryutils' round of a custom round's passes (each a target of the pass's face and
    scoring at its distance)."""
    return Round(
        spec.name,
        [
            Pass.at_target(p.n_arrows, p.scoring, p.face_diameter_cm, p.distance_m, indoor=p.indoor)
            for p in spec.passes
        ],
    )


def au_round(spec: RoundSpec) -> Round | None:
    """archeryutils' round of a spec: a standard round's own, a custom one built."""
    return get_round(spec.code) if spec.code else custom_round(spec)


@lru_cache(maxsize=8192)
def round_handicap(scheme: Scheme, code: str, score: int) -> float | None:
    """The table handicap of `score` on the complete round `code`; None when it has none."""
    return _handicap(scheme, get_round(code), score)


@lru_cache(maxsize=8192)
def spec_handicap(scheme: Scheme, spec: RoundSpec, score: int) -> float | None:
    """`round_handicap` of a standard or custom round given by its spec."""
    return _handicap(scheme, au_round(spec), score)


def _handicap(scheme: Scheme, rnd: Round | None, score: int) -> float | None:
    if rnd is None or score <= 0 or score > rnd.max_score():
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            value = handicaps.handicap_from_score(score, rnd, scheme, int_prec=True)
    except (ValueError, ArithmeticError):
        return None
    return float(value)


ALLOWANCE_BASE = 1440  # Archery GB: an archer shooting to their handicap makes this


@lru_cache(maxsize=8192)
def agb_allowance(spec: RoundSpec, handicap: int) -> int | None:
    """Archery GB's handicap allowance of a round at a handicap: 1440 less the score
    archeryutils expects at that handicap on the round (its rounded table score), added to
    the score shot in a handicap competition. None for a round archeryutils cannot model."""
    rnd = au_round(spec)
    if rnd is None:
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = handicaps.score_for_round(handicap, rnd, "AGB", rounded_score=True)
    return ALLOWANCE_BASE - int(expected)


@lru_cache(maxsize=8192)
def classification(code: str, bowstyle: str, gender: str, age_group: str, score: int) -> str | None:
    """Archery GB classification of `score` on the complete round `code`; None when the round
    is not one archeryutils classifies or the category has no classification there."""
    try:
        category = (BOWSTYLES[bowstyle], GENDERS[gender], AGE_GROUPS[age_group])
    except KeyError:
        return None
    for rounds, coax, classify in _CLASSIFICATIONS:
        if code in rounds:
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    group = coax(*category)
                    return str(classify(score, code, **group))
            except (ValueError, TypeError, KeyError):
                return None
    return None


@lru_cache(maxsize=8192)
def predict(scheme: Scheme, code: str, arrows: int, score: int) -> Prediction | None:
    """The predicted final score of round `code` after `arrows` arrows scoring `score`."""
    return _predict(scheme, get_round(code), arrows, score)


@lru_cache(maxsize=8192)
def spec_predict(scheme: Scheme, spec: RoundSpec, arrows: int, score: int) -> Prediction | None:
    """`predict` of a standard or custom round given by its spec."""
    return _predict(scheme, au_round(spec), arrows, score)


def _predict(scheme: Scheme, rnd: Round | None, arrows: int, score: int) -> Prediction | None:
    if rnd is None or not 0 < arrows < rnd.n_arrows:
        return None
    part = partial_round(rnd, arrows)
    if 0 < score < part.max_score():
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                h = float(handicaps.handicap_from_score(score, part, scheme, int_prec=False))
                expected = float(handicaps.score_for_round(h, rnd, scheme, rounded_score=False))
        except (ValueError, ArithmeticError):
            h = math.nan
            expected = math.nan
        if math.isfinite(h) and math.isfinite(expected):
            rest_max = rnd.max_score() - part.max_score()
            predicted = min(max(round(expected), score), score + int(rest_max))
            return Prediction(score=predicted, method="handicap", handicap=h)
    return Prediction(score=round(score * rnd.n_arrows / arrows), method="average", handicap=None)


# --- curves: many handicaps at once ------------------------------------------------------

GRID_STEP = 0.05
NEAR_WHOLE = 0.05

Curve = npt.NDArray[np.float64]
TargetKey = tuple[str, float, float, bool]  # scoring system, diameter m, distance m, indoor

_TARGETS: dict[TargetKey, Target] = {}


@lru_cache(maxsize=4)
def _scale(scheme: Scheme) -> tuple[float, float, bool]:
    """(lowest, highest handicap, whether scores fall as the handicap rises)."""
    system = handicaps.handicap_scheme(scheme)
    lo, hi = (float(v) for v in system.scale_bounds)
    return lo, hi, bool(system.desc_scale)


@lru_cache(maxsize=4)
def grid(scheme: Scheme) -> Curve:
    lo, hi, _ = _scale(scheme)
    values: Curve = np.round(np.arange(lo, hi + GRID_STEP / 2, GRID_STEP), 10)
    values.setflags(write=False)
    return values


def target_key(target: Target) -> TargetKey:
    key = (
        str(target.scoring_system),
        round(float(target.diameter), 6),
        round(float(target.distance), 6),
        bool(target.indoor),
    )
    _TARGETS.setdefault(key, target)
    return key


def face_target(scoring: str, diameter_cm: float, distance_m: float, indoor: bool) -> TargetKey:
    """The key of archeryutils' target for a face shot at a distance."""
    key = (scoring, round(diameter_cm / 100, 6), round(distance_m, 6), indoor)
    if key not in _TARGETS:
        _TARGETS[key] = Target(scoring, diameter_cm, distance_m, indoor)
    return key


@lru_cache(maxsize=512)
def arrow_curve(scheme: Scheme, key: TargetKey) -> Curve:
    """archeryutils' expected score of one arrow at every handicap of `grid(scheme)`."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        values = handicaps.handicap_scheme(scheme).arrow_score(grid(scheme), _TARGETS[key])
    curve: Curve = np.asarray(values, dtype=np.float64)
    curve.setflags(write=False)
    return curve


@dataclass(frozen=True, slots=True)
class ScoreCurve:
    """Expected scores at the grid handicaps, ordered by score for interpolation."""

    scores: Curve  # non-decreasing
    handicaps: Curve
    max_score: float
    score_list: list[float]  # the same as lists, for one value at a time (no numpy overhead)
    handicap_list: list[float]

    @classmethod
    def of(cls, scheme: Scheme, expected: Curve) -> ScoreCurve:
        h = grid(scheme)
        if _scale(scheme)[2]:  # scores fall as the handicap rises
            expected, h = expected[::-1], h[::-1]
        scores, hs = np.ascontiguousarray(expected), np.ascontiguousarray(h)
        scores.setflags(write=False)
        hs.setflags(write=False)
        return cls(scores, hs, float(scores[-1]), scores.tolist(), hs.tolist())

    def handicap_for(self, value: float) -> float | None:
        """`handicaps_for` of one value, None instead of NaN."""
        if not 0 < value < self.max_score:
            return None
        xs, ys = self.score_list, self.handicap_list
        i = min(max(bisect_left(xs, value), 1), len(xs) - 1)
        x0, x1 = xs[i - 1], xs[i]
        if x1 <= x0:
            return ys[i - 1]
        return ys[i - 1] + (value - x0) / (x1 - x0) * (ys[i] - ys[i - 1])

    def handicaps_for(self, values: npt.ArrayLike) -> Curve:
        """The handicap at which the expected score equals each value; NaN for a value with
        none (≤ 0, or at or above the maximum)."""
        # np.interp would be O(grid) per call: a binary search and one linear step instead.
        v = np.atleast_1d(np.asarray(values, dtype=np.float64))
        xs, ys = self.scores, self.handicaps
        i = np.clip(np.searchsorted(xs, v), 1, len(xs) - 1)
        x0, x1 = xs[i - 1], xs[i]
        width = np.where(x1 > x0, x1 - x0, 1.0)
        out: Curve = ys[i - 1] + (v - x0) / width * (ys[i] - ys[i - 1])
        out[(v <= 0) | (v >= self.max_score)] = np.nan
        return out


@lru_cache(maxsize=512)
def per_arrow_curve(scheme: Scheme, key: TargetKey) -> ScoreCurve:
    """Average score per arrow on one target, for a session at one face and distance."""
    return ScoreCurve.of(scheme, arrow_curve(scheme, key))


@lru_cache(maxsize=1024)
def round_curve(scheme: Scheme, code: str, arrows: int | None = None) -> ScoreCurve | None:
    """Expected score of round `code` (or of its first `arrows` arrows)."""
    rnd = get_round(code)
    if rnd is None:
        return None
    if arrows is not None:
        rnd = partial_round(rnd, arrows)
    total = np.zeros_like(grid(scheme))
    for p in rnd.passes:
        total += int(p.n_arrows) * arrow_curve(scheme, target_key(p.target))
    return ScoreCurve.of(scheme, total)


@lru_cache(maxsize=64)
def _whole_table(scheme: Scheme, code: str) -> tuple[int, tuple[float, ...]]:
    """(lowest whole handicap, the round's rounded expected score at each whole handicap)."""
    lo, hi, _ = _scale(scheme)
    whole = np.arange(math.ceil(lo), math.floor(hi) + 1, dtype=np.float64)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        scores = handicaps.score_for_round(whole, AU_ROUNDS[code], scheme, rounded_score=True)
    return int(whole[0]), tuple(float(v) for v in np.asarray(scores))


@lru_cache(maxsize=8192)
def table_handicap(scheme: Scheme, code: str, score: int) -> float | None:
    """`round_handicap`, from the curves: archeryutils' table value of a complete round."""
    rnd = get_round(code)
    curve = round_curve(scheme, code)
    if rnd is None or curve is None or score <= 0 or score > rnd.max_score():
        return None
    exact = curve.handicap_for(score)
    if exact is None or abs(exact - round(exact)) < NEAR_WHOLE:
        return round_handicap(scheme, code, score)  # the maximum score, or a close call
    # archeryutils: from the decimal handicap rounded away from the better end, step on
    # while the rounded expected score still reaches the score.
    first, table = _whole_table(scheme, code)
    _, _, desc = _scale(scheme)
    step = 1 if desc else -1
    h = math.ceil(exact) if desc else math.floor(exact)
    while True:
        i = h + step - first
        if not 0 <= i < len(table):
            return round_handicap(scheme, code, score)  # off the scale: archeryutils decides
        if table[i] < score:
            return float(h)
        h += step
