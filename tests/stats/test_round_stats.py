"""Handicap, classification and predicted score: equal to what archeryutils gives for the same
inputs (archeryutils is called here directly, without going through Arch Stats' code)."""

from __future__ import annotations

import warnings
from typing import Any
from uuid import UUID

import httpx
import pytest
from archeryutils import Pass, Round, load_rounds
from archeryutils import classifications as cf
from archeryutils import handicaps as hc

from arch_stats.core.database import Connection
from arch_stats.stats.schemas import SessionStatsOut
from tests.conftest import ArcherCtx, MakeArcher
from tests.stats import data
from tests.stats.data import Shot

URL = "/api/v0/session/{}/stats"


async def round_of(
    client: httpx.AsyncClient, archer: ArcherCtx, session_id: UUID, query: str = ""
) -> dict[str, Any]:
    r = await client.get(URL.format(session_id) + query, headers=archer.headers)
    assert r.status_code == 200, r.text
    SessionStatsOut.model_validate(r.json()["data"])
    result: dict[str, Any] = r.json()["data"]["round"]
    return result


async def shoot(
    db: Connection,
    archer: ArcherCtx,
    *,
    round_code: str,
    scores: list[int],
    face: str = "wa_122",
    distance_m: float = 70.0,
) -> UUID:
    s = await data.session(db, archer.id, round_code=round_code, distance_m=distance_m, per_end=6)
    t = await data.target(db, archer.id, s, faces=((face, data.C, data.C),))
    # Positions do not matter here, only the scores: all on the spot centre.
    await data.shots(db, archer.id, s, t, [Shot(0, 0, v) for v in scores], per_end=6)
    return s


async def test_complete_wa18_handicap_and_classification_equal_archeryutils(
    client: httpx.AsyncClient, db: Connection, archer: ArcherCtx
) -> None:
    s = await shoot(
        db,
        archer,
        round_code="wa18",
        scores=[10] * 30 + [9] * 30,
        face="wa_40_triple_vertical",
        distance_m=18,
    )
    rnd = await round_of(client, archer, s)
    wa18 = load_rounds.WA_indoor.wa18
    assert (rnd["code"], rnd["n_arrows"], rnd["max_score"]) == ("wa18", 60, 600)
    assert (rnd["score"], rnd["arrows_counted"], rnd["complete"]) == (570, 60, True)
    assert rnd["scheme"] == "AGB"
    assert rnd["handicap"] == hc.handicap_from_score(570, wa18, "AGB", int_prec=True)
    expected = cf.calculate_agb_indoor_classification(
        570, "wa18", cf.AGB_bowstyles.RECURVE, cf.AGB_genders.MALE, cf.AGB_ages.ADULT
    )
    assert rnd["classification"] == expected
    assert (rnd["predicted_score"], rnd["prediction_method"]) == (570, "final")
    # The AA scheme on request.
    aa = await round_of(client, archer, s, "?scheme=AA")
    assert aa["handicap"] == hc.handicap_from_score(570, wa18, "AA", int_prec=True)
    assert aa["classification"] == expected


async def test_classification_uses_the_archers_category(
    client: httpx.AsyncClient, db: Connection, make_archer: MakeArcher
) -> None:
    archer = await make_archer("Carol", bowstyle="compound", gender="female", age_group="50+")
    s = await shoot(db, archer, round_code="wa720_70", scores=[9] * 72)
    rnd = await round_of(client, archer, s)
    assert rnd["classification"] == cf.calculate_agb_outdoor_classification(
        648, "wa720_70", cf.AGB_bowstyles.COMPOUND, cf.AGB_genders.FEMALE, cf.AGB_ages.OVER_50
    )
    assert rnd["handicap"] == hc.handicap_from_score(
        648, load_rounds.WA_outdoor.wa720_70, "AGB", int_prec=True
    )


async def test_incomplete_round_predicts_from_the_handicap_so_far(
    client: httpx.AsyncClient, db: Connection, archer: ArcherCtx
) -> None:
    s = await shoot(db, archer, round_code="wa720_70", scores=[9] * 20 + [8] * 10)
    rnd = await round_of(client, archer, s)
    assert (rnd["score"], rnd["arrows_counted"], rnd["complete"]) == (260, 30, False)
    assert (rnd["handicap"], rnd["classification"]) == (None, None)
    # The first 30 arrows of a WA 720 are a round of their own: 30 arrows on its first pass.
    full = load_rounds.WA_outdoor.wa720_70
    part = Round("first 30", [Pass(30, full.passes[0].target)])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        h = hc.handicap_from_score(260, part, "AGB")
        expected = round(float(hc.score_for_round(h, full, "AGB", rounded_score=False)))
    assert rnd["handicap_so_far"] == pytest.approx(h)
    assert (rnd["predicted_score"], rnd["prediction_method"]) == (expected, "handicap")
    assert rnd["predicted_classification"] == cf.calculate_agb_outdoor_classification(
        expected, "wa720_70", cf.AGB_bowstyles.RECURVE, cf.AGB_genders.MALE, cf.AGB_ages.ADULT
    )


async def test_incomplete_round_without_handicap_extrapolates(
    client: httpx.AsyncClient, db: Connection, archer: ArcherCtx
) -> None:
    # Ten arrows, all 10: a perfect score so far has no finite handicap.
    s = await shoot(db, archer, round_code="wa720_70", scores=[10] * 10)
    rnd = await round_of(client, archer, s)
    assert (rnd["predicted_score"], rnd["prediction_method"]) == (720, "average")
    assert rnd["handicap_so_far"] is None


async def test_round_counts_only_its_arrows(
    client: httpx.AsyncClient, db: Connection, archer: ArcherCtx
) -> None:
    s = await shoot(
        db, archer, round_code="wa18", scores=[9] * 60 + [10] * 3, face="wa_40_triple_vertical"
    )
    rnd = await round_of(client, archer, s)
    assert (rnd["score"], rnd["arrows_counted"], rnd["complete"]) == (540, 60, True)


async def test_unknown_round_code_has_no_round_block(
    client: httpx.AsyncClient, db: Connection, archer: ArcherCtx
) -> None:
    s = await shoot(db, archer, round_code="no_such_round", scores=[9, 9])
    assert await round_of(client, archer, s) is None
