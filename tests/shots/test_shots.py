"""Recording shots by hand: scoring on the server, numbering, ownership, corrections."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import httpx
import pytest

from arch_stats.core.database import Connection
from tests.conftest import ArcherCtx

C = 650.0  # centre of the wa_122 face in a 1300 × 1300 mm view


@dataclass
class Range:
    archer: ArcherCtx
    session_id: UUID
    target_id: UUID
    arrow_id: UUID
    thin_arrow_id: UUID


async def make_range(db: Connection, archer: ArcherCtx, *, per_end: int = 6) -> Range:
    session_id = await db.fetchval(
        "INSERT INTO session (archer_id, distance_m, arrows_per_end) "
        "VALUES ($1, 70, $2) RETURNING id",
        archer.id,
        per_end,
    )
    target_id = await db.fetchval(
        "INSERT INTO target (session_id, archer_id, distance_m, view_width_mm, view_height_mm) "
        "VALUES ($1, $2, 70, 1300, 1300) RETURNING id",
        session_id,
        archer.id,
    )
    await db.execute("INSERT INTO target_face VALUES ($1, 0, 'wa_122', $2, $2)", target_id, C)
    arrow_id = await db.fetchval(
        "INSERT INTO arrow (archer_id, identifier, diameter_mm) "
        "VALUES ($1, 'A01', 5.5) RETURNING id",
        archer.id,
    )
    thin = await db.fetchval(
        "INSERT INTO arrow (archer_id, identifier, diameter_mm) "
        "VALUES ($1, 'T01', 3.0) RETURNING id",
        archer.id,
    )
    return Range(archer, session_id, target_id, arrow_id, thin)


def shot(r: Range, x: float | None = C, y: float | None = C, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"session_id": str(r.session_id), "target_id": str(r.target_id)}
    if x is not None:
        body["x_mm"] = x
    if y is not None:
        body["y_mm"] = y
    return {**body, **extra}


async def post(client: httpx.AsyncClient, r: Range, body: Any) -> httpx.Response:
    return await client.post("/api/v0/shot", json=body, headers=r.archer.headers)


async def test_post_single_centre_shot_scores_x_201(client: httpx.AsyncClient, rng: Range) -> None:
    resp = await post(client, rng, shot(rng, C + 3, C - 4, arrow_id=str(rng.arrow_id)))
    assert resp.status_code == 201
    data = resp.json()["data"]
    assert isinstance(data, dict)
    assert (data["score"], data["is_x"], data["label"], data["is_miss"]) == (10, True, "X", False)
    assert (data["seq"], data["end_no"], data["face_index"], data["spot_index"]) == (1, 1, 0, 0)
    assert data["dx_mm"] == pytest.approx(3.0)
    assert data["dy_mm"] == pytest.approx(-4.0)  # y up: below the centre is negative
    assert data["arrow_id"] == str(rng.arrow_id)


async def test_post_end_of_six_numbers_seq_and_ends_201(
    client: httpx.AsyncClient, rng: Range
) -> None:
    first = await post(client, rng, [shot(rng, C + 10 * i, C) for i in range(6)])
    assert first.status_code == 201
    data = first.json()["data"]
    assert [s["seq"] for s in data] == [1, 2, 3, 4, 5, 6]
    assert {s["end_no"] for s in data} == {1}
    second = await post(client, rng, [shot(rng), shot(rng)])
    assert [(s["seq"], s["end_no"]) for s in second.json()["data"]] == [(7, 2), (8, 2)]


async def test_line_cutter_scores_higher_using_arrow_diameter(
    client: httpx.AsyncClient, rng: Range
) -> None:
    # The 10 ring of the 122 cm face has a 61 mm radius. 63 mm off centre:
    # a 5.5 mm shaft (r 2.75) touches the line → 10; a 3 mm shaft (r 1.5) does not → 9.
    at = C + 63.0
    default = await post(client, rng, shot(rng, at, C))
    fat = await post(client, rng, shot(rng, at, C, arrow_id=str(rng.arrow_id)))
    thin = await post(client, rng, shot(rng, at, C, arrow_id=str(rng.thin_arrow_id)))
    assert default.json()["data"]["score"] == 10
    assert fat.json()["data"]["score"] == 10
    assert thin.json()["data"]["score"] == 9


async def test_miss_without_coordinates_scores_m(client: httpx.AsyncClient, rng: Range) -> None:
    data = (await post(client, rng, shot(rng, None, None))).json()["data"]
    assert (data["score"], data["is_miss"], data["label"], data["x_mm"]) == (0, True, "M", None)
    assert data["face_index"] is None and data["dx_mm"] is None


async def test_inside_view_outside_face_scores_m_with_position(
    client: httpx.AsyncClient, rng: Range
) -> None:
    data = (await post(client, rng, shot(rng, 5, 5))).json()["data"]
    assert (data["score"], data["is_miss"], data["label"]) == (0, False, "M")
    assert data["x_mm"] == 5 and data["face_index"] == 0


@pytest.mark.parametrize(
    ("body_patch", "fragment"),
    [
        ({"x_mm": 1400.0}, "outside the target view"),
        ({"y_mm": -1.0}, "outside the target view"),
        ({"y_mm": None}, "x_mm and y_mm go together"),
        ({"colour": "gold"}, "unknown field"),
        ({"x_mm": "ten"}, "x_mm"),
        ({"session_id": "nope"}, "session_id"),
    ],
)
async def test_post_invalid_shot_422(
    client: httpx.AsyncClient, rng: Range, body_patch: dict[str, Any], fragment: str
) -> None:
    body = {k: v for k, v in {**shot(rng), **body_patch}.items() if v is not None}
    r = await post(client, rng, body)
    assert r.status_code == 422
    assert any(fragment in e for e in r.json()["errors"]), r.json()


async def test_post_empty_list_422(client: httpx.AsyncClient, rng: Range) -> None:
    assert (await post(client, rng, [])).status_code == 422


async def test_batch_is_all_or_nothing(
    client: httpx.AsyncClient, rng: Range, db: Connection
) -> None:
    r = await post(client, rng, [shot(rng), shot(rng), shot(rng, 99999, 1)])
    assert r.status_code == 422
    assert "shot 2" in r.json()["errors"][0]
    assert await db.fetchval("SELECT count(*) FROM shot") == 0
    assert await db.fetchval("SELECT last_seq FROM session") == 0


async def test_post_on_closed_session_400(
    client: httpx.AsyncClient, rng: Range, db: Connection
) -> None:
    await db.execute(
        "UPDATE session SET is_open = false, end_time = start_time + interval '1 hour'"
    )
    r = await post(client, rng, shot(rng))
    assert r.status_code == 400
    assert "closed" in r.json()["errors"][0]


async def test_post_on_someone_elses_target_or_arrow_404(
    client: httpx.AsyncClient, rng: Range, other: ArcherCtx, db: Connection
) -> None:
    theirs = await make_range(db, other)
    # my session, their target
    r = await post(client, rng, shot(rng, target_id=str(theirs.target_id)))
    assert r.status_code == 404
    # their session and target entirely
    r = await post(client, rng, shot(theirs))
    assert r.status_code == 404
    # my target, their arrow
    r = await post(client, rng, shot(rng, arrow_id=str(theirs.arrow_id)))
    assert r.status_code == 404
    assert await db.fetchval("SELECT count(*) FROM shot") == 0


async def test_post_with_retired_arrow_400(
    client: httpx.AsyncClient, rng: Range, db: Connection
) -> None:
    await db.execute(
        "UPDATE arrow SET is_active = false, retired_at = now() WHERE id = $1", rng.arrow_id
    )
    r = await post(client, rng, shot(rng, arrow_id=str(rng.arrow_id)))
    assert r.status_code == 400
    assert "retired" in r.json()["errors"][0]


async def test_post_without_login_401(client: httpx.AsyncClient, rng: Range) -> None:
    r = await client.post("/api/v0/shot", json=shot(rng))
    assert r.status_code == 401


async def test_concurrent_posts_get_unique_consecutive_seq(
    client: httpx.AsyncClient, rng: Range
) -> None:
    results = await asyncio.gather(*(post(client, rng, shot(rng)) for _ in range(12)))
    assert all(r.status_code == 201 for r in results)
    seqs = sorted(r.json()["data"]["seq"] for r in results)
    assert seqs == list(range(1, 13))


async def test_list_shots_in_order_with_after(client: httpx.AsyncClient, rng: Range) -> None:
    await post(client, rng, [shot(rng, C + i, C) for i in range(5)])
    url = f"/api/v0/session/{rng.session_id}/shot"
    all_shots = (await client.get(url, headers=rng.archer.headers)).json()["data"]
    assert [s["seq"] for s in all_shots] == [1, 2, 3, 4, 5]
    later = (await client.get(url + "?after=3", headers=rng.archer.headers)).json()["data"]
    assert [s["seq"] for s in later] == [4, 5]
    assert (await client.get(url + "?after=-1", headers=rng.archer.headers)).status_code == 422


async def test_list_shots_empty_session_is_empty_list(
    client: httpx.AsyncClient, rng: Range
) -> None:
    r = await client.get(f"/api/v0/session/{rng.session_id}/shot", headers=rng.archer.headers)
    assert r.json() == {"code": 200, "data": [], "errors": [], "next_after": None}


async def test_someone_elses_shots_404(
    client: httpx.AsyncClient, rng: Range, other: ArcherCtx
) -> None:
    created = (await post(client, rng, shot(rng))).json()["data"]
    r = await client.get(f"/api/v0/session/{rng.session_id}/shot", headers=other.headers)
    assert r.status_code == 404
    for method in ("GET", "DELETE"):
        r = await client.request(method, f"/api/v0/shot/{created['id']}", headers=other.headers)
        assert r.status_code == 404
    r = await client.patch(
        f"/api/v0/shot/{created['id']}", json={"end_no": 3}, headers=other.headers
    )
    assert r.status_code == 404


async def test_get_shot_200_and_unknown_404(client: httpx.AsyncClient, rng: Range) -> None:
    created = (await post(client, rng, shot(rng))).json()["data"]
    r = await client.get(f"/api/v0/shot/{created['id']}", headers=rng.archer.headers)
    assert r.json()["data"] == created
    r = await client.get(
        "/api/v0/shot/00000000-0000-0000-0000-000000000000", headers=rng.archer.headers
    )
    assert r.status_code == 404


async def test_patch_shot_rescores_200(client: httpx.AsyncClient, rng: Range) -> None:
    created = (await post(client, rng, shot(rng))).json()["data"]
    url = f"/api/v0/shot/{created['id']}"
    # Move it 200 mm right: 200 − 2.75 = 197.25 ≤ 244 (7 ring outer radius) but > 183 → 7.
    r = await client.patch(url, json={"x_mm": C + 200, "y_mm": C}, headers=rng.archer.headers)
    assert r.status_code == 200
    assert (r.json()["data"]["score"], r.json()["data"]["is_x"]) == (7, False)
    # Make it a miss, then give it the thin arrow and an end number.
    r = await client.patch(url, json={"x_mm": None, "y_mm": None}, headers=rng.archer.headers)
    assert (r.json()["data"]["score"], r.json()["data"]["is_miss"]) == (0, True)
    r = await client.patch(
        url, json={"arrow_id": str(rng.thin_arrow_id), "end_no": 4}, headers=rng.archer.headers
    )
    assert r.json()["data"]["end_no"] == 4
    assert r.json()["data"]["arrow_id"] == str(rng.thin_arrow_id)


@pytest.mark.parametrize(
    "body",
    [{"x_mm": 5.0}, {"end_no": None}, {"end_no": 0}, {"score": 10}, {"x_mm": 2000.0, "y_mm": 1.0}],
)
async def test_patch_shot_invalid_422(
    client: httpx.AsyncClient, rng: Range, body: dict[str, Any]
) -> None:
    created = (await post(client, rng, shot(rng))).json()["data"]
    r = await client.patch(f"/api/v0/shot/{created['id']}", json=body, headers=rng.archer.headers)
    assert r.status_code == 422, r.text


async def test_patch_or_delete_on_closed_session_400(
    client: httpx.AsyncClient, rng: Range, db: Connection
) -> None:
    created = (await post(client, rng, shot(rng))).json()["data"]
    await db.execute(
        "UPDATE session SET is_open = false, end_time = start_time + interval '1 hour'"
    )
    url = f"/api/v0/shot/{created['id']}"
    assert (
        await client.patch(url, json={"end_no": 2}, headers=rng.archer.headers)
    ).status_code == 400
    assert (await client.delete(url, headers=rng.archer.headers)).status_code == 400
    assert await db.fetchval("SELECT count(*) FROM shot") == 1


async def test_delete_shot_200_then_404(
    client: httpx.AsyncClient, rng: Range, db: Connection
) -> None:
    created = (await post(client, rng, shot(rng))).json()["data"]
    url = f"/api/v0/shot/{created['id']}"
    r = await client.delete(url, headers=rng.archer.headers)
    assert r.status_code == 200
    assert r.json()["data"]["id"] == created["id"]
    assert (await client.delete(url, headers=rng.archer.headers)).status_code == 404
    # seq numbers are never reused
    nxt = (await post(client, rng, shot(rng))).json()["data"]
    assert nxt["seq"] == 2
