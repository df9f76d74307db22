"""Handicaps, classifications and predicted scores, as archeryutils computes them.

* Handicap of a complete round: `handicap_from_score(score, round, scheme, int_prec=True)`,
  the whole-number value of the published tables (AGB: lower is better; AA: higher is).
* Classification: Archery GB's (archeryutils has no other), for rounds that archeryutils
  lists for the outdoor, indoor or field classifications; the archer's bowstyle, gender and
  age group map to archeryutils' categories, coaxed (`coax_*_group`) into those the scheme
  has (e.g. traditional shoots as barebow outdoors). Independent of the handicap scheme.
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
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from types import MappingProxyType
from typing import Any, Literal

from archeryutils import Pass, Round, handicaps, load_rounds
from archeryutils import classifications as cf
from archeryutils.classifications import (
    agb_field_classifications,
    agb_indoor_classifications,
    agb_outdoor_classifications,
)

from arch_stats.faces.rounds import ROUND_SETS

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


@lru_cache(maxsize=8192)
def round_handicap(scheme: Scheme, code: str, score: int) -> float | None:
    """The table handicap of `score` on the complete round `code`; None when it has none."""
    rnd = get_round(code)
    if rnd is None or score <= 0 or score > rnd.max_score():
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            value = handicaps.handicap_from_score(score, rnd, scheme, int_prec=True)
    except (ValueError, ArithmeticError):
        return None
    return float(value)


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
    rnd = get_round(code)
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
