"""GET /session/{id}/stats: every number checked against values computed by hand."""

from __future__ import annotations

import math
from typing import Any
from uuid import UUID

import httpx
import pytest

from arch_stats.core.database import Connection
from arch_stats.stats.schemas import SessionStatsOut
from arch_stats.stats.service import session_stats_json
from tests.conftest import ArcherCtx
from tests.stats import data
from tests.stats.data import Shot

URL = "/api/v0/session/{}/stats"


async def get_stats(
    client: httpx.AsyncClient, archer: ArcherCtx, session_id: UUID, query: str = ""
) -> dict[str, Any]:
    r = await client.get(URL.format(session_id) + query, headers=archer.headers)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["errors"] == []
    result: dict[str, Any] = body["data"]
    SessionStatsOut.model_validate(result)  # exactly the documented shape
    return result


@pytest.fixture
async def basic(db: Connection, archer: ArcherCtx) -> UUID:
    """Five arrows, ends of 3: four impacts at the corners of a 60 × 80 mm rectangle around
    (30, 40), and a miss that never landed.

    | seq | arrow | dx, dy  | score | draw ms | flight ms |
    |  1  |  A    | 0, 0    | X     | 2000    | 500       |
    |  2  |  A    | 60, 0   | 10    | 2200    | 700       |
    |  3  |  B    | 0, 80   | 9     | 2400    |           |
    |  4  |  B    | 60, 80  | 9     | 2600    |           |
    |  5  |  A    | miss    | M     | 2800    |           |
    """
    s = await data.session(db, archer.id)
    t = await data.target(db, archer.id, s)
    a = await data.arrow(db, archer.id, "A")
    b = await data.arrow(db, archer.id, "B")
    await data.shots(
        db,
        archer.id,
        s,
        t,
        [
            Shot(0, 0, 10, True, a, draw_ms=2000, flight_ms=500),
            Shot(60, 0, 10, False, a, draw_ms=2200, flight_ms=700),
            Shot(0, 80, 9, False, b, draw_ms=2400),
            Shot(60, 80, 9, False, b, draw_ms=2600),
            Shot(None, None, 0, False, a, draw_ms=2800),
        ],
    )
    return s


async def test_session_stats_scores_and_ends(
    client: httpx.AsyncClient, archer: ArcherCtx, basic: UUID
) -> None:
    st = await get_stats(client, archer, basic)
    assert st["session_id"] == str(basic)
    assert (st["arrows"], st["hits"], st["misses"], st["no_landing"]) == (5, 4, 1, 1)
    assert (st["total"], st["max_possible"], st["x_count"], st["ten_count"]) == (38, 50, 1, 2)
    assert st["average_per_arrow"] == pytest.approx(38 / 5)
    assert st["ends"] == [
        {
            "end_no": 1,
            "arrows": 3,
            "labels": ["X", "10", "9"],
            "total": 29,
            "running_total": 29,
            "average_per_arrow": pytest.approx(29 / 3),
        },
        {
            "end_no": 2,
            "arrows": 2,
            "labels": ["9", "M"],
            "total": 9,
            "running_total": 38,
            "average_per_arrow": 4.5,
        },
    ]
    assert st["distribution"] == [
        {"label": "X", "score": 10, "count": 1},
        {"label": "10", "score": 10, "count": 1},
        {"label": "9", "score": 9, "count": 2},
        {"label": "M", "score": 0, "count": 1},
    ]
    assert st["round"] is None


async def test_session_stats_group_spread(
    client: httpx.AsyncClient, archer: ArcherCtx, basic: UUID
) -> None:
    g = (await get_stats(client, archer, basic))["group"]
    # Centre (30, 40); each corner is 50 mm from it; the diagonal is 100 mm.
    assert g["impacts"] == 4
    assert (g["centre_x_mm"], g["centre_y_mm"]) == (pytest.approx(30), pytest.approx(40))
    # σx: deviations ±30 → sqrt(4·900/3); σy: ±40 → sqrt(4·1600/3).
    assert g["sigma_x_mm"] == pytest.approx(math.sqrt(1200))
    assert g["sigma_y_mm"] == pytest.approx(math.sqrt(6400 / 3))
    assert g["mean_radius_mm"] == pytest.approx(50)
    assert g["cep50_mm"] == pytest.approx(50)
    assert g["extreme_spread_mm"] == pytest.approx(100)


async def test_session_stats_timing_and_fatigue(
    client: httpx.AsyncClient, archer: ArcherCtx, basic: UUID
) -> None:
    st = await get_stats(client, archer, basic)
    t = st["timing"]
    # Draws 2000…2800 step 200: mean 2400, deviations ±400, ±200, 0 → sqrt(400000/4).
    assert (t["draw_count"], t["draw_ms_mean"]) == (5, pytest.approx(2400))
    assert t["draw_ms_sd"] == pytest.approx(math.sqrt(100_000))
    # Flights 500 and 700 ms: mean 600, sd sqrt(2·100²/1); speeds 70/0.5 and 70/0.7 m/s.
    assert (t["flight_count"], t["flight_ms_mean"]) == (2, pytest.approx(600))
    assert t["flight_ms_sd"] == pytest.approx(math.sqrt(20_000))
    assert t["speed_mps"] == pytest.approx((140 + 100) / 2)
    f = st["fatigue"]
    # End averages 29/3 then 4.5: slope over ends 1→2 is their difference.
    assert f["slope_per_end"] == pytest.approx(4.5 - 29 / 3)
    # First half: seq 1–2 (10, 10); second: seq 3–5 (9, 9, 0).
    assert (f["first_half_average"], f["second_half_average"]) == (10, 6)


async def test_session_stats_per_arrow_offsets(
    client: httpx.AsyncClient, archer: ArcherCtx, basic: UUID
) -> None:
    rows = (await get_stats(client, archer, basic))["per_arrow"]
    a, b = rows
    assert (a["identifier"], a["shots"], a["impacts"], a["total"]) == ("A", 3, 2, 20)
    assert a["mean_score"] == pytest.approx(20 / 3)
    # A's impacts (0,0) and (60,0): centre (30,0), 40 mm below the group centre (30,40).
    assert (a["centre_x_mm"], a["centre_y_mm"]) == (pytest.approx(30), pytest.approx(0))
    assert (a["offset_x_mm"], a["offset_y_mm"]) == (pytest.approx(0), pytest.approx(-40))
    assert a["offset_mm"] == pytest.approx(40)
    assert (b["identifier"], b["shots"], b["mean_score"]) == ("B", 2, 9)
    assert (b["offset_y_mm"], b["offset_mm"]) == (pytest.approx(40), pytest.approx(40))
    # Fewer than 3 impacts each: not tested, never flagged.
    for row in rows:
        assert (row["p_value"], row["p_adjusted"], row["flagged"]) == (None, None, False)


async def test_off_group_arrow_is_flagged_with_hotelling_p(
    client: httpx.AsyncClient, db: Connection, archer: ArcherCtx
) -> None:
    """Four arrows shoot the same triangle (−10,0), (10,0), (0,10); A's is 100 mm right.

    A against the 9 others: pooled Sxx = (200 + 600)/10 = 80, Syy = (200/3 + 200)/10, Sxy = 0;
    d = (100, 0); T² = 3·9/12 · 100²/80 = 281.25; F = T²·9/(2·10) = 126.5625 on (2, 9) d.f.;
    p = (1 + 2F/9)^(−9/2) = 29.125^(−4.5). Holm over 4 arrows: A's adjusted p is 4p.
    """
    s = await data.session(db, archer.id)
    t = await data.target(db, archer.id, s)
    arrows = [await data.arrow(db, archer.id, name) for name in ("A", "B", "C", "D")]
    triangle = [(-10.0, 0.0), (10.0, 0.0), (0.0, 10.0)]
    items = [
        Shot(dx + (100 if i == 0 else 0), dy, 9, False, arrow_id)
        for i, arrow_id in enumerate(arrows)
        for dx, dy in triangle
    ]
    await data.shots(db, archer.id, s, t, items)
    rows = {r["identifier"]: r for r in (await get_stats(client, archer, s))["per_arrow"]}
    p_a = 29.125**-4.5
    assert rows["A"]["p_value"] == pytest.approx(p_a, rel=1e-9)
    assert rows["A"]["p_adjusted"] == pytest.approx(4 * p_a, rel=1e-9)
    assert rows["A"]["flagged"] is True
    # B against A, C, D: d = (−100/3, 0), pooled Sxx = (200 + 20600)/10, T² = 2.25·d²/Sxx.
    t2 = 2.25 * (100 / 3) ** 2 / 2080
    p_b = (1 + 2 * (t2 * 9 / 20) / 9) ** -4.5
    for name in ("B", "C", "D"):
        assert rows[name]["p_value"] == pytest.approx(p_b, rel=1e-9)
        assert rows[name]["p_adjusted"] == 1.0
        assert rows[name]["flagged"] is False
    assert rows["A"]["offset_x_mm"] == pytest.approx(75)  # 100 − the group's 25


async def test_multi_spot_face_pools_positions_per_spot(
    client: httpx.AsyncClient, db: Connection, archer: ArcherCtx
) -> None:
    """A vertical triple spot: (5,0) on the top spot, (−5,0) on the middle, (0,5) on the
    bottom one. Pooled from each spot's centre: centre (0, 5/3), extreme spread 10 mm."""
    s = await data.session(db, archer.id, distance_m=18, is_indoor=True)
    t = await data.target(db, archer.id, s, faces=(("wa_40_triple_vertical", 650.0, 650.0),))
    spots = ((0.0, 220.0), (0.0, 0.0), (0.0, -220.0))
    await data.shots(
        db,
        archer.id,
        s,
        t,
        [Shot(5, 0, 10, True, spot=0), Shot(-5, 0, 10, True, spot=1), Shot(0, 5, 10, True, spot=2)],
        spots=spots,
    )
    st = await get_stats(client, archer, s)
    g = st["group"]
    assert (g["centre_x_mm"], g["centre_y_mm"]) == (pytest.approx(0), pytest.approx(5 / 3))
    assert g["sigma_x_mm"] == pytest.approx(5)  # sqrt((25 + 25 + 0) / 2)
    assert g["sigma_y_mm"] == pytest.approx(math.sqrt((2 * (5 / 3) ** 2 + (10 / 3) ** 2) / 2))
    assert g["extreme_spread_mm"] == pytest.approx(10)
    # Radii from (0, 5/3): sqrt(25 + 25/9) twice and 10/3; the median is the larger one.
    assert g["cep50_mm"] == pytest.approx(math.sqrt(25 + 25 / 9))
    assert g["mean_radius_mm"] == pytest.approx((2 * math.sqrt(25 + 25 / 9) + 10 / 3) / 3)
    assert (st["total"], st["max_possible"], st["x_count"]) == (30, 30, 3)
    # The per-arrow row of shots without an arrow.
    assert [(r["arrow_id"], r["shots"]) for r in st["per_arrow"]] == [(None, 3)]


async def test_session_without_shots_has_empty_stats(
    client: httpx.AsyncClient, db: Connection, archer: ArcherCtx
) -> None:
    s = await data.session(db, archer.id, is_open=True)
    st = await get_stats(client, archer, s)
    assert (st["arrows"], st["hits"], st["total"], st["max_possible"]) == (0, 0, 0, 0)
    assert st["average_per_arrow"] is None
    assert (st["ends"], st["distribution"], st["per_arrow"]) == ([], [], [])
    assert st["group"] == {
        "impacts": 0,
        "centre_x_mm": None,
        "centre_y_mm": None,
        "sigma_x_mm": None,
        "sigma_y_mm": None,
        "mean_radius_mm": None,
        "cep50_mm": None,
        "extreme_spread_mm": None,
    }
    assert st["timing"]["draw_count"] == 0 and st["timing"]["speed_mps"] is None
    assert st["fatigue"] == {
        "slope_per_end": None,
        "first_half_average": None,
        "second_half_average": None,
    }


async def test_session_with_only_misses(
    client: httpx.AsyncClient, db: Connection, archer: ArcherCtx
) -> None:
    s = await data.session(db, archer.id)
    t = await data.target(db, archer.id, s)
    await data.shots(db, archer.id, s, t, [Shot(), Shot(), Shot()])
    st = await get_stats(client, archer, s)
    assert (st["arrows"], st["hits"], st["misses"], st["no_landing"]) == (3, 0, 3, 3)
    assert (st["total"], st["average_per_arrow"], st["max_possible"]) == (0, 0, 30)
    assert st["group"]["impacts"] == 0 and st["group"]["centre_x_mm"] is None
    assert st["distribution"] == [{"label": "M", "score": 0, "count": 3}]
    assert st["per_arrow"][0]["centre_x_mm"] is None
    assert st["per_arrow"][0]["offset_mm"] is None


async def test_m_on_the_view_counts_as_an_impact(
    client: httpx.AsyncClient, db: Connection, archer: ArcherCtx
) -> None:
    s = await data.session(db, archer.id)
    t = await data.target(db, archer.id, s)
    await data.shots(db, archer.id, s, t, [Shot(0, 0, 10, True), Shot(600, 600, 0)])
    st = await get_stats(client, archer, s)
    assert (st["hits"], st["misses"], st["no_landing"]) == (1, 1, 0)
    assert st["group"]["impacts"] == 2
    assert st["group"]["centre_x_mm"] == pytest.approx(300)
    assert st["group"]["extreme_spread_mm"] == pytest.approx(600 * math.sqrt(2))


async def test_session_stats_json_for_the_live_channel(
    db: Connection, archer: ArcherCtx, other: ArcherCtx, basic: UUID
) -> None:
    text = await session_stats_json(db, basic, archer.id)
    assert text is not None and b'"total":38' in text
    assert await session_stats_json(db, basic, other.id) is None


async def test_someone_elses_session_stats_404(
    client: httpx.AsyncClient, other: ArcherCtx, basic: UUID
) -> None:
    r = await client.get(URL.format(basic), headers=other.headers)
    assert r.status_code == 404
    assert r.json() == {"code": 404, "data": None, "errors": [f"session {basic} not found"]}


async def test_session_stats_without_login_401(client: httpx.AsyncClient, basic: UUID) -> None:
    assert (await client.get(URL.format(basic))).status_code == 401


@pytest.mark.parametrize("query", ["?scheme=XYZ", "?unknown=1"])
async def test_session_stats_bad_query_422(
    client: httpx.AsyncClient, archer: ArcherCtx, basic: UUID, query: str
) -> None:
    r = await client.get(URL.format(basic) + query, headers=archer.headers)
    assert r.status_code == 422, r.text


async def test_session_stats_malformed_id_422(client: httpx.AsyncClient, archer: ArcherCtx) -> None:
    r = await client.get(URL.format("not-a-uuid"), headers=archer.headers)
    assert r.status_code == 422
