"""The history's fast handicaps (stats/handicap.py curves) against archeryutils' own."""

from __future__ import annotations

import random
import warnings

import pytest
from archeryutils import Pass, Round, Target, handicaps

from arch_stats.stats import handicap as hc

ROUNDS = ["wa720_70", "wa18", "portsmouth", "york", "wa1440_90", "wa_field_24_red_marked"]


@pytest.mark.parametrize("scheme", ["AGB", "AA"])
@pytest.mark.parametrize("code", ROUNDS)
def test_table_handicap_is_archeryutils_table_value(scheme: hc.Scheme, code: str) -> None:
    rnd = hc.get_round(code)
    assert rnd is not None
    top = int(rnd.max_score())
    rng = random.Random(f"{scheme}{code}")
    sample = {1, 2, top - 1, top, *rng.sample(range(3, top - 1), 40)}
    for score in sorted(sample):
        assert hc.table_handicap(scheme, code, score) == hc.round_handicap(scheme, code, score), (
            scheme,
            code,
            score,
        )
    assert hc.table_handicap(scheme, code, 0) is None
    assert hc.table_handicap(scheme, code, top + 1) is None


@pytest.mark.parametrize("scheme", ["AGB", "AA"])
def test_decimal_handicaps_match_archeryutils_root(scheme: hc.Scheme) -> None:
    """archeryutils' root search stops within about 0.04 of the root; ours is closer."""
    curve = hc.round_curve(scheme, "wa720_70")
    assert curve is not None
    rnd = hc.get_round("wa720_70")
    system = handicaps.handicap_scheme(scheme)
    for score in (50, 250, 480, 650, 710):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            theirs = float(handicaps.handicap_from_score(score, rnd, scheme))
        ours = curve.handicap_for(score)
        assert ours == pytest.approx(theirs, abs=0.05)
        # Ours is where archeryutils expects exactly that score.
        expected = float(system.score_for_round(ours, rnd, rounded_score=False))
        assert expected == pytest.approx(score, abs=0.01)
    assert curve.handicap_for(0) is None and curve.handicap_for(720) is None
    values = curve.handicaps_for([0, 250, 720])
    assert values[1] == pytest.approx(curve.handicap_for(250))
    assert [v != v for v in values] == [True, False, True]  # NaN where there is none


def test_partial_round_and_face_curves() -> None:
    part = hc.round_curve("AGB", "wa720_70", 36)
    assert part is not None
    expected = float(
        handicaps.handicap_scheme("AGB").score_for_round(
            part.handicap_for(300), hc.partial_round(hc.get_round("wa720_70"), 36),
            rounded_score=False,
        )
    )  # fmt: skip
    assert expected == pytest.approx(300, abs=0.01)
    key = hc.face_target("10_zone", 40, 18.0, True)
    per_arrow = hc.per_arrow_curve("AGB", key)
    practice = Round("p", [Pass(30, Target("10_zone", 40, 18.0, True))])
    h = per_arrow.handicap_for(250 / 30)
    assert h is not None
    total = float(
        handicaps.handicap_scheme("AGB").score_for_round(h, practice, rounded_score=False)
    )
    assert total == pytest.approx(250, abs=0.01)
