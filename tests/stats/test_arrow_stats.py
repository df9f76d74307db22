"""GET /arrow/{id}/stats: one arrow across sessions, against each session's group."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import httpx
import pytest

from arch_stats.core.database import Connection
from arch_stats.stats.schemas import ArrowStatsOut
from tests.conftest import ArcherCtx
from tests.stats import data
from tests.stats.data import T0, Shot

URL = "/api/v0/arrow/{}/stats"


class Two:
    """S1 (5 Jan): A (0,0) 10, A (10,0) 9, B (20,0) 8, B (30,0) 7 — centre (15,0), 8.5 per arrow.
    S2 (5 Feb): A (−10,10) 9, B (10,10) 9 — centre (0,10), 9 per arrow."""

    a: UUID
    b: UUID
    s1: UUID
    s2: UUID


@pytest.fixture
async def two(db: Connection, archer: ArcherCtx) -> Two:
    f = Two()
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
            Shot(20, 0, 8, False, f.b),
            Shot(30, 0, 7, False, f.b),
        ],
    )
    f.s2 = await data.session(db, archer.id, start=T0.replace(month=2, day=5))
    t2 = await data.target(db, archer.id, f.s2)
    await data.shots(
        db, archer.id, f.s2, t2, [Shot(-10, 10, 9, arrow=f.a), Shot(10, 10, 9, arrow=f.b)]
    )
    return f


async def stats(
    client: httpx.AsyncClient, archer: ArcherCtx, arrow_id: UUID, query: str = ""
) -> Any:
    r = await client.get(URL.format(arrow_id) + query, headers=archer.headers)
    assert r.status_code == 200, r.text
    ArrowStatsOut.model_validate(r.json()["data"])  # exactly the documented shape
    return r.json()["data"]


async def test_arrow_stats_by_session(
    client: httpx.AsyncClient, archer: ArcherCtx, two: Two
) -> None:
    st = await stats(client, archer, two.a)
    assert st["arrow"] == {"id": str(two.a), "identifier": "A", "is_active": True}
    assert st["group"] == "session"
    r1, r2 = st["rows"]
    assert r1 == {
        "session_id": str(two.s1),
        "period": None,
        "start_time": "2026-01-05T09:00:00+00:00",
        "sessions": 1,
        "shots": 2,
        "hits": 2,
        "total": 19,
        "mean_score": 9.5,
        "score_vs_session": pytest.approx(1.0),  # 9.5 against 8.5
        "impacts": 2,
        "centre_x_mm": pytest.approx(5),
        "centre_y_mm": pytest.approx(0),
        "offset_x_mm": pytest.approx(-10),  # 5 against the session's 15
        "offset_y_mm": pytest.approx(0),
        "offset_mm": pytest.approx(10),
    }
    assert (r2["session_id"], r2["mean_score"], r2["score_vs_session"]) == (
        str(two.s2),
        9,
        pytest.approx(0),
    )
    assert (r2["offset_x_mm"], r2["offset_y_mm"]) == (pytest.approx(-10), pytest.approx(0))
    # Over both: 28 in 3 arrows, against 2 × 8.5 + 1 × 9 expected; offsets −15, −5, −10.
    assert st["summary"] == {
        "sessions": 2,
        "shots": 3,
        "hits": 3,
        "total": 28,
        "mean_score": pytest.approx(28 / 3),
        "score_vs_session": pytest.approx(2 / 3),
        "impacts": 3,
        "centre_x_mm": pytest.approx(0),
        "centre_y_mm": pytest.approx(10 / 3),
        "offset_x_mm": pytest.approx(-10),
        "offset_y_mm": pytest.approx(0),
        "offset_mm": pytest.approx(10),
    }


async def test_arrow_stats_by_month_and_dates(
    client: httpx.AsyncClient, archer: ArcherCtx, two: Two
) -> None:
    st = await stats(client, archer, two.b, "?group=month")
    jan, feb = st["rows"]
    assert (jan["period"], jan["shots"], jan["total"]) == ("2026-01-01", 2, 15)
    assert jan["offset_x_mm"] == pytest.approx(10)  # 25 against 15
    assert (feb["period"], feb["offset_x_mm"]) == ("2026-02-01", pytest.approx(10))
    later = await stats(client, archer, two.b, "?start_from=2026-02-01")
    assert [r["session_id"] for r in later["rows"]] == [str(two.s2)]
    assert later["summary"]["sessions"] == 1


async def test_retired_arrow_keeps_its_history(
    client: httpx.AsyncClient, db: Connection, archer: ArcherCtx, two: Two
) -> None:
    await db.execute("UPDATE arrow SET is_active = false, retired_at = now() WHERE id = $1", two.a)
    st = await stats(client, archer, two.a)
    assert st["arrow"]["is_active"] is False
    assert st["summary"]["shots"] == 3


async def test_arrow_without_shots_has_empty_stats(
    client: httpx.AsyncClient, db: Connection, archer: ArcherCtx
) -> None:
    arrow_id = await data.arrow(db, archer.id, "NEW")
    st = await stats(client, archer, arrow_id)
    assert st["rows"] == []
    assert st["summary"]["sessions"] == 0 and st["summary"]["shots"] == 0
    assert st["summary"]["mean_score"] is None and st["summary"]["offset_mm"] is None


async def test_someone_elses_arrow_stats_404(
    client: httpx.AsyncClient, other: ArcherCtx, two: Two
) -> None:
    r = await client.get(URL.format(two.a), headers=other.headers)
    assert r.status_code == 404
    assert r.json()["errors"] == [f"arrow {two.a} not found"]


async def test_arrow_stats_without_login_401(client: httpx.AsyncClient, two: Two) -> None:
    assert (await client.get(URL.format(two.a))).status_code == 401


@pytest.mark.parametrize("query", ["?group=decade", "?start_to=31-01-2026", "?x=1"])
async def test_arrow_stats_bad_query_422(
    client: httpx.AsyncClient, archer: ArcherCtx, two: Two, query: str
) -> None:
    r = await client.get(URL.format(two.a) + query, headers=archer.headers)
    assert r.status_code == 422
