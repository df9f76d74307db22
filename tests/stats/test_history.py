"""GET /stats/history: rows by session, week and month, the trend, personal bests, filters."""

from __future__ import annotations

import statistics
from datetime import timedelta
from typing import Any
from uuid import UUID

import httpx
import pytest
from archeryutils import handicaps as hc
from archeryutils import load_rounds

from arch_stats.core.database import Connection
from arch_stats.stats.schemas import HistoryOut
from tests.conftest import ArcherCtx
from tests.stats import data
from tests.stats.data import T0, Shot

URL = "/api/v0/stats/history"
TRIPLE = (("wa_40_triple_vertical", data.C, data.C),)


async def history(client: httpx.AsyncClient, archer: ArcherCtx, query: str = "") -> Any:
    r = await client.get(URL + query, headers=archer.headers)
    assert r.status_code == 200, r.text
    HistoryOut.model_validate(r.json()["data"])  # exactly the documented shape
    return r.json()["data"]


class Three:
    """S1 (5 Jan, 70 m): X, 9, 8, 7 at the corners of a 10 mm square from (0,0) (arrow A, B);
    S2 (15 Jan, 70 m): 9, 9 at (±20, 0) (arrow A); S3 (4 Feb, 18 m indoor, triple spot):
    10, 10, 10 at (1,1), (−1,−1), (0,0)."""

    s1: UUID
    s2: UUID
    s3: UUID
    a: UUID
    b: UUID


@pytest.fixture
async def three(db: Connection, archer: ArcherCtx) -> Three:
    f = Three()
    f.a = await data.arrow(db, archer.id, "A")
    f.b = await data.arrow(db, archer.id, "B")
    f.s1 = await data.session(db, archer.id, start=T0.replace(month=1, day=5))
    t1 = await data.target(db, archer.id, f.s1)
    await data.shots(
        db,
        archer.id,
        f.s1,
        t1,
        [
            Shot(0, 0, 10, True, f.a),
            Shot(10, 0, 9, False, f.a),
            Shot(0, 10, 8, False, f.b),
            Shot(10, 10, 7, False, f.b),
        ],
    )
    f.s2 = await data.session(db, archer.id, start=T0.replace(month=1, day=15), round_code="wa18")
    t2 = await data.target(db, archer.id, f.s2)
    await data.shots(
        db, archer.id, f.s2, t2, [Shot(20, 0, 9, arrow=f.a), Shot(-20, 0, 9, arrow=f.a)]
    )
    f.s3 = await data.session(
        db, archer.id, start=T0.replace(month=2, day=4), distance_m=18, is_indoor=True
    )
    t3 = await data.target(db, archer.id, f.s3, faces=TRIPLE, distance_m=18)
    await data.shots(
        db,
        archer.id,
        f.s3,
        t3,
        [Shot(1, 1, 10, True), Shot(-1, -1, 10, True), Shot(0, 0, 10, True)],
    )
    return f


async def test_history_by_session(
    client: httpx.AsyncClient, archer: ArcherCtx, three: Three
) -> None:
    h = await history(client, archer)
    assert h["group"] == "session"
    r1, r2, r3 = h["rows"]
    assert [r["session_id"] for r in h["rows"]] == [str(three.s1), str(three.s2), str(three.s3)]
    assert r1 == {
        "session_id": str(three.s1),
        "period": None,
        "start_time": "2026-01-05T09:00:00+00:00",
        "sessions": 1,
        "location": "Club field",
        "distance_m": 70,
        "is_indoor": False,
        "round_code": None,
        "arrows": 4,
        "hits": 4,
        "total": 34,
        "average_per_arrow": 8.5,
        "x_count": 1,
        "ten_count": 1,
        "impacts": 4,
        "centre_x_mm": pytest.approx(5),
        "centre_y_mm": pytest.approx(5),
        # 0, 10, 0, 10 about 5: sqrt(4·25/3)
        "sigma_x_mm": pytest.approx(statistics.stdev([0, 10, 0, 10])),
        "sigma_y_mm": pytest.approx(statistics.stdev([0, 0, 10, 10])),
    }
    assert (r2["arrows"], r2["average_per_arrow"], r2["round_code"]) == (2, 9, "wa18")
    assert (r2["sigma_x_mm"], r2["sigma_y_mm"]) == (pytest.approx(800**0.5), 0)
    assert (r3["arrows"], r3["total"], r3["x_count"], r3["is_indoor"]) == (3, 30, 3, True)
    # Average per arrow 8.5, 9, 10 on days 0, 10 and 30: slope 0.05 per day.
    days, averages = [0, 10, 30], [8.5, 9, 10]
    trend = h["trend"]
    assert trend["points"] == 3
    assert trend["slope_per_day"] == pytest.approx(0.05)
    assert trend["slope_per_year"] == pytest.approx(0.05 * 365.25)
    assert trend["r2"] == pytest.approx(statistics.correlation(days, averages) ** 2)


async def test_history_by_month_and_week(
    client: httpx.AsyncClient, archer: ArcherCtx, three: Three
) -> None:
    h = await history(client, archer, "?group=month")
    jan, feb = h["rows"]
    xs, ys = [0, 10, 0, 10, 20, -20], [0, 0, 10, 10, 0, 0]
    assert jan == {
        "session_id": None,
        "period": "2026-01-01",
        "start_time": "2026-01-05T09:00:00+00:00",
        "sessions": 2,
        "location": None,
        "distance_m": None,
        "is_indoor": None,
        "round_code": None,
        "arrows": 6,
        "hits": 6,
        "total": 52,
        "average_per_arrow": pytest.approx(52 / 6),
        "x_count": 1,
        "ten_count": 1,
        "impacts": 6,
        "centre_x_mm": pytest.approx(statistics.mean(xs)),
        "centre_y_mm": pytest.approx(statistics.mean(ys)),
        "sigma_x_mm": pytest.approx(statistics.stdev(xs)),
        "sigma_y_mm": pytest.approx(statistics.stdev(ys)),
    }
    assert (feb["period"], feb["sessions"], feb["total"]) == ("2026-02-01", 1, 30)
    assert h["trend"]["slope_per_day"] == pytest.approx((10 - 52 / 6) / 31)
    weeks = await history(client, archer, "?group=week")
    # ISO weeks start on Monday: 5 Jan 2026 is one, 12 Jan and 2 Feb are the others.
    assert [w["period"] for w in weeks["rows"]] == ["2026-01-05", "2026-01-12", "2026-02-02"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("?distance_m=70", ["s1", "s2"]),
        ("?is_indoor=true", ["s3"]),
        ("?is_indoor=false", ["s1", "s2"]),
        ("?face_type=wa_40_triple_vertical", ["s3"]),
        ("?round_code=wa18", ["s2"]),
        ("?start_from=2026-01-15", ["s2", "s3"]),
        ("?start_to=2026-01-15", ["s1", "s2"]),
        ("?start_from=2026-01-06&start_to=2026-02-03", ["s2"]),
    ],
)
async def test_history_filters(
    client: httpx.AsyncClient, archer: ArcherCtx, three: Three, query: str, expected: list[str]
) -> None:
    h = await history(client, archer, query)
    assert [r["session_id"] for r in h["rows"]] == [str(getattr(three, s)) for s in expected]


async def test_history_of_one_arrow(
    client: httpx.AsyncClient, archer: ArcherCtx, three: Three
) -> None:
    h = await history(client, archer, f"?arrow_id={three.b}")
    (row,) = h["rows"]
    assert row["session_id"] == str(three.s1)
    assert (row["arrows"], row["total"], row["x_count"]) == (2, 15, 0)
    assert (row["centre_x_mm"], row["centre_y_mm"]) == (pytest.approx(5), pytest.approx(10))
    assert row["sigma_x_mm"] == pytest.approx(statistics.stdev([0, 10]))
    a = await history(client, archer, f"?arrow_id={three.a}&group=month")
    assert [(r["period"], r["arrows"], r["total"]) for r in a["rows"]] == [("2026-01-01", 4, 37)]


async def test_personal_bests_by_round_and_distance(
    client: httpx.AsyncClient, db: Connection, archer: ArcherCtx
) -> None:
    async def wa18(day: int, scores: list[int]) -> UUID:
        s = await data.session(
            db,
            archer.id,
            start=T0 + timedelta(days=day),
            round_code="wa18",
            distance_m=18,
            is_indoor=True,
        )
        t = await data.target(db, archer.id, s, faces=TRIPLE, distance_m=18)
        await data.shots(db, archer.id, s, t, [Shot(0, 0, v) for v in scores])
        return s

    best = await wa18(0, [10] * 30 + [9] * 30)  # 570
    await wa18(10, [9] * 60)  # 540
    partial = await wa18(20, [10] * 10)  # incomplete: no round best; 10 arrows
    h = await history(client, archer)
    assert h["personal_bests"]["by_round"] == [
        {
            "round_code": "wa18",
            "score": 570,
            "session_id": str(best),
            "start_time": "2026-05-01T09:00:00+00:00",
            "name": "WA 18m",
            "handicap": hc.handicap_from_score(
                570, load_rounds.WA_indoor.wa18, "AGB", int_prec=True
            ),
        }
    ]
    (distance,) = h["personal_bests"]["by_distance"]
    assert (distance["distance_m"], distance["is_indoor"]) == (18, True)
    assert (distance["session_id"], distance["average_per_arrow"]) == (str(best), 9.5)
    fewer = await history(client, archer, "?pb_min_arrows=10&scheme=AA")
    assert fewer["personal_bests"]["by_distance"][0]["session_id"] == str(partial)
    assert fewer["personal_bests"]["by_round"][0]["handicap"] == hc.handicap_from_score(
        570, load_rounds.WA_indoor.wa18, "AA", int_prec=True
    )


async def test_history_empty(client: httpx.AsyncClient, archer: ArcherCtx) -> None:
    h = await history(client, archer)
    assert h == {
        "group": "session",
        "rows": [],
        "trend": {"points": 0, "slope_per_day": None, "slope_per_year": None, "r2": None},
        "personal_bests": {"by_round": [], "by_distance": []},
    }


async def test_history_shows_only_my_sessions(
    client: httpx.AsyncClient, db: Connection, archer: ArcherCtx, other: ArcherCtx, three: Three
) -> None:
    s = await data.session(db, other.id)
    t = await data.target(db, other.id, s)
    await data.shots(db, other.id, s, t, [Shot(0, 0, 10, True)])
    mine = await history(client, archer)
    assert str(s) not in {r["session_id"] for r in mine["rows"]}
    theirs = await history(client, other)
    assert [r["session_id"] for r in theirs["rows"]] == [str(s)]
    # Someone else's arrow as a filter: as if it did not exist.
    r = await client.get(f"{URL}?arrow_id={three.a}", headers=other.headers)
    assert r.status_code == 404


async def test_history_without_login_401(client: httpx.AsyncClient) -> None:
    assert (await client.get(URL)).status_code == 401


@pytest.mark.parametrize(
    "query",
    [
        "?group=year",
        "?face_type=wa_999",
        "?start_from=2026-13-01",
        "?start_from=yesterday",
        "?is_indoor=yes",
        "?distance_m=0",
        "?pb_min_arrows=0",
        "?scheme=FITA",
        "?colour=gold",
    ],
)
async def test_history_bad_query_422(
    client: httpx.AsyncClient, archer: ArcherCtx, query: str
) -> None:
    r = await client.get(URL + query, headers=archer.headers)
    assert r.status_code == 422, r.text


async def test_history_has_no_spread_under_two_impacts(
    client: httpx.AsyncClient, db: Connection, archer: ArcherCtx
) -> None:
    """σ needs two impacts: with one (or none) it is null, not 0, by session, week and
    month, and for one arrow; two impacts on the same point are a real 0."""
    a = await data.arrow(db, archer.id, "A")
    one = await data.session(db, archer.id, start=T0.replace(month=1, day=5))
    t = await data.target(db, archer.id, one)
    await data.shots(db, archer.id, one, t, [Shot(3, 4, 10, arrow=a), Shot(None, None, 0)])
    none = await data.session(db, archer.id, start=T0.replace(month=3, day=2))
    t = await data.target(db, archer.id, none)
    await data.shots(db, archer.id, none, t, [Shot(None, None, 0)])
    two = await data.session(db, archer.id, start=T0.replace(month=5, day=4))
    t = await data.target(db, archer.id, two)
    await data.shots(db, archer.id, two, t, [Shot(3, 4, 10), Shot(3, 4, 10, arrow=a)])
    spreads = [
        (r["impacts"], r["sigma_x_mm"], r["sigma_y_mm"])
        for r in (await history(client, archer))["rows"]
    ]
    assert spreads == [(1, None, None), (0, None, None), (2, 0, 0)]
    for group in ("week", "month"):
        rows = (await history(client, archer, f"?group={group}"))["rows"]
        assert [(r["impacts"], r["sigma_x_mm"]) for r in rows] == [(1, None), (0, None), (2, 0)]
    by_arrow = (await history(client, archer, f"?arrow_id={a}&group=month"))["rows"]
    assert [(r["impacts"], r["sigma_x_mm"], r["sigma_y_mm"]) for r in by_arrow] == [
        (1, None, None),
        (1, None, None),
    ]
    kept = await db.fetch("SELECT impacts, sigma_x, sigma_y FROM session_summary ORDER BY impacts")
    assert [tuple(r) for r in kept] == [(0, None, None), (1, None, None), (2, 0, 0)]
