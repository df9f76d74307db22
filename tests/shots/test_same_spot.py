"""The multi-spot rule (shots/spots.py): within an end, only the lowest-valued arrow in a
spot of a triple face counts; the others score M and say what they hit."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import httpx
import pytest

from arch_stats.core.database import Connection
from tests.conftest import ArcherCtx

API = "/api/v0"
C = 650.0  # the triple face's centre in a 1300 × 1300 mm view: its middle spot
TOP = C + 220.0  # the top spot's centre (y up)
# x of a hit on a spot (the arrow 5.5 mm): 10 ring radius 20 mm, X 10 mm, zones 20 mm apart.
X, TEN, NINE, EIGHT = 0.0, 15.0, 35.0, 55.0


async def triple_range(
    db: Connection, archer: ArcherCtx, face: str = "wa_40_triple_vertical"
) -> dict[str, Any]:
    session_id = await db.fetchval(
        "INSERT INTO session (archer_id, distance_m, arrows_per_end, is_indoor) "
        "VALUES ($1, 18, 3, true) RETURNING id",
        archer.id,
    )
    target_id = await db.fetchval(
        "INSERT INTO target (session_id, archer_id, distance_m, view_width_mm, view_height_mm) "
        "VALUES ($1, $2, 18, 1300, 1300) RETURNING id",
        session_id,
        archer.id,
    )
    await db.execute("INSERT INTO target_face VALUES ($1, 0, $2, $3, $3)", target_id, face, C)
    return {"archer": archer, "session_id": str(session_id), "target_id": str(target_id)}


def hit(r: dict[str, Any], dx: float, y: float = C, **extra: Any) -> dict[str, Any]:
    return {
        "session_id": r["session_id"],
        "target_id": r["target_id"],
        "x_mm": C + dx,
        "y_mm": y,
        **extra,
    }


async def post(client: httpx.AsyncClient, r: dict[str, Any], body: Any) -> Any:
    resp = await client.post(f"{API}/shot", json=body, headers=r["archer"].headers)
    assert resp.status_code == 201, resp.text
    return resp.json()["data"]


async def shots(client: httpx.AsyncClient, r: dict[str, Any]) -> list[dict[str, Any]]:
    resp = await client.get(f"{API}/session/{r['session_id']}/shot", headers=r["archer"].headers)
    data: list[dict[str, Any]] = resp.json()["data"]
    return data


def card(data: list[dict[str, Any]]) -> list[tuple[str, bool, str | None]]:
    return [(s["label"], s["same_spot_miss"], s["hit_label"]) for s in data]


async def totals(client: httpx.AsyncClient, r: dict[str, Any], db: Connection) -> tuple[int, ...]:
    session = (
        await client.get(f"{API}/session/{r['session_id']}", headers=r["archer"].headers)
    ).json()["data"]
    summary = await db.fetchrow(
        "SELECT total, hits, x_count, ten_count FROM session_summary WHERE session_id = $1",
        UUID(r["session_id"]),
    )
    assert summary is not None
    stats = (
        await client.get(f"{API}/session/{r['session_id']}/stats", headers=r["archer"].headers)
    ).json()["data"]
    assert stats["total"] == session["total_score"] == summary["total"]
    return summary["total"], summary["hits"], summary["x_count"], summary["ten_count"]


async def test_two_arrows_in_one_spot_only_the_lower_counts(
    client: httpx.AsyncClient, db: Connection, archer: ArcherCtx
) -> None:
    r = await triple_range(db, archer)
    nine = await post(client, r, hit(r, NINE))
    assert card([nine]) == [("9", False, None)]
    ten = await post(client, r, hit(r, TEN, TOP))
    eight = await post(client, r, hit(r, EIGHT))
    # The 8 counts; the 9 in the same spot is now a miss that says what it hit.
    assert card([eight]) == [("8", False, None)]
    stored = await shots(client, r)
    assert card(stored) == [("M", True, "9"), ("10", False, None), ("8", False, None)]
    first = stored[0]
    assert (first["score"], first["is_x"], first["hit_score"], first["is_miss"]) == (
        0,
        False,
        9,
        False,
    )
    assert stored[1] == ten
    assert await totals(client, r, db) == (18, 2, 0, 1)


async def test_one_post_with_two_arrows_in_a_spot_is_scored_as_written(
    client: httpx.AsyncClient, db: Connection, archer: ArcherCtx
) -> None:
    r = await triple_range(db, archer)
    data = await post(client, r, [hit(r, EIGHT), hit(r, TEN, TOP), hit(r, NINE)])
    assert card(data) == [("8", False, None), ("10", False, None), ("M", True, "9")]
    assert data == await shots(client, r)
    # Three in one spot: only the lowest counts.
    data = await post(client, r, [hit(r, NINE), hit(r, EIGHT), hit(r, TEN)])
    assert card(data) == [("M", True, "9"), ("8", False, None), ("M", True, "10")]
    assert await totals(client, r, db) == (26, 3, 0, 1)


@pytest.mark.parametrize(
    ("first", "second", "expected"),
    [
        # An X and a plain 10: the plain 10 counts (it is the lower for the X count).
        (X, TEN, [("M", True, "X"), ("10", False, None)]),
        (TEN, X, [("10", False, None), ("M", True, "X")]),
        # Equal values: the earlier arrow counts.
        (NINE, NINE + 1, [("9", False, None), ("M", True, "9")]),
    ],
)
async def test_ties_and_the_x(
    client: httpx.AsyncClient,
    db: Connection,
    archer: ArcherCtx,
    first: float,
    second: float,
    expected: list[tuple[str, bool, str | None]],
) -> None:
    r = await triple_range(db, archer)
    await post(client, r, hit(r, first))
    await post(client, r, hit(r, second))
    assert card(await shots(client, r)) == expected


async def test_deleting_moving_and_correcting_rescore_the_end(
    client: httpx.AsyncClient, db: Connection, archer: ArcherCtx
) -> None:
    r = await triple_range(db, archer)
    nine, ten, eight = await post(client, r, [hit(r, NINE), hit(r, TEN, TOP), hit(r, EIGHT)])
    h = r["archer"].headers

    async def patch(shot: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
        resp = await client.patch(f"{API}/shot/{shot['id']}", json=body, headers=h)
        assert resp.status_code == 200, resp.text
        data: dict[str, Any] = resp.json()["data"]
        return data

    # The 8 moved onto the top spot: the 9 counts again, the 10 above it does not.
    moved = await patch(eight, {"x_mm": C + EIGHT, "y_mm": TOP})
    assert card([moved]) == [("8", False, None)]
    assert card(await shots(client, r)) == [
        ("9", False, None),
        ("M", True, "10"),
        ("8", False, None),
    ]
    assert await totals(client, r, db) == (17, 2, 0, 0)
    # The 8 made a miss (no landing): it is out of the rule, the 10 counts.
    assert card([await patch(eight, {"x_mm": None, "y_mm": None})]) == [("M", False, None)]
    assert card(await shots(client, r)) == [
        ("9", False, None),
        ("10", False, None),
        ("M", False, None),
    ]
    # Back on the middle spot as a 9: the later 9 is the miss; in the next end, it counts.
    assert card([await patch(eight, {"x_mm": C + NINE, "y_mm": C})]) == [("M", True, "9")]
    assert card([await patch(eight, {"end_no": 2})]) == [("9", False, None)]
    assert card([await patch(eight, {"end_no": 1})]) == [("M", True, "9")]
    # Deleting the counted 9: the other one counts.
    resp = await client.delete(f"{API}/shot/{nine['id']}", headers=h)
    assert resp.status_code == 200
    assert card(await shots(client, r)) == [("10", False, None), ("9", False, None)]
    assert await totals(client, r, db) == (19, 2, 0, 1)
    assert ten["id"] == (await shots(client, r))[0]["id"]


async def test_single_spot_faces_are_not_touched_by_the_rule(
    client: httpx.AsyncClient, db: Connection, archer: ArcherCtx
) -> None:
    r = await triple_range(db, archer, face="wa_40")
    data = await post(client, r, [hit(r, NINE), hit(r, NINE), hit(r, EIGHT)])
    assert [s["same_spot_miss"] for s in data] == [False] * 3
    assert sum(s["score"] for s in data) == sum(s["score"] for s in data if s["score"]) > 0
    spots = await db.fetchval("SELECT count(*) FROM shot WHERE spot_score IS NOT NULL")
    assert spots == 0
