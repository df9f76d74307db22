"""Bows, arrow sets and sessions with shots for the equipment tests, through the API."""

from __future__ import annotations

from typing import Any

import httpx

from tests.conftest import ArcherCtx

API = "/api/v0"
CENTRE = 732.0  # one wa_122 laid out for hand scoring: 1464 × 1464 mm, centre (732, 732)


async def call(
    client: httpx.AsyncClient,
    who: ArcherCtx,
    method: str,
    path: str,
    body: Any = None,
    status: int = 200,
) -> Any:
    r = await client.request(method, f"{API}{path}", json=body, headers=who.headers)
    assert r.status_code == status, r.text
    return r.json()["data"]


async def arrow_set(
    client: httpx.AsyncClient, who: ArcherCtx, name: str = "X10 set", prefix: str = "A"
) -> dict[str, Any]:
    body = {
        "name": name,
        "shaft": "Easton X10 500",
        "spine": 500,
        "length_mm": 730,
        "point_grains": 110,
        "fletching": "Spin wings 1.75",
        "nock": "Beiter",
        "arrows": {"prefix": prefix, "count": 12},
    }
    return await call(client, who, "POST", "/arrow-set", body, 201)  # type: ignore[no-any-return]


async def session_with_shots(
    client: httpx.AsyncClient,
    who: ArcherCtx,
    shots: list[tuple[str, float, float]],
    *,
    distance: float = 30,
) -> str:
    """A closed session at `distance` with one wa_122, and `shots` (arrow id, dx, dy in mm
    from the centre)."""
    session = await call(client, who, "POST", "/session", {"distance_m": distance}, 201)
    sid = session["id"]
    target = await call(
        client, who, "POST", f"/session/{sid}/target",
        {"distance_m": distance, "faces": [{"face_type": "wa_122"}]}, 201,
    )  # fmt: skip
    posts = [
        {"session_id": sid, "target_id": target["id"], "arrow_id": arrow,
         "x_mm": CENTRE + dx, "y_mm": CENTRE + dy}
        for arrow, dx, dy in shots
    ]  # fmt: skip
    for i in range(0, len(posts), 400):
        await call(client, who, "POST", "/shot", posts[i : i + 400], 201)
    await call(client, who, "POST", f"/session/{sid}/close", None)
    return sid  # type: ignore[no-any-return]
