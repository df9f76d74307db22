"""A shot's JSON is stored in its row (migration 202611221530) and follows every write."""

from __future__ import annotations

import httpx

from arch_stats.core.database import Connection
from tests.conftest import ArcherCtx
from tests.shots.test_shots import C, make_range

API = "/api/v0"


async def test_stored_shot_json_follows_direct_writes_in_utc(
    client: httpx.AsyncClient, db: Connection, archer: ArcherCtx
) -> None:
    r = await make_range(db, archer)
    body = {"session_id": str(r.session_id), "target_id": str(r.target_id), "x_mm": C, "y_mm": C}
    resp = await client.post(f"{API}/shot", json=body, headers=archer.headers)
    assert resp.status_code == 201, resp.text
    posted = resp.json()["data"]
    url = f"{API}/shot/{posted['id']}"
    assert (await client.get(url, headers=archer.headers)).json()["data"] == posted
    await db.execute("SET timezone = 'Asia/Kolkata'")
    await db.execute(
        "UPDATE shot SET landed_at = '2026-05-06 07:08:09.25+05:30', end_no = 7 WHERE id = $1",
        posted["id"],
    )
    got = (await client.get(url, headers=archer.headers)).json()["data"]
    assert got["landed_at"] == "2026-05-06T01:38:09.25+00:00"
    assert got["end_no"] == 7
    # Written by hand, the stored JSON is rebuilt from the row.
    await db.execute("UPDATE shot SET doc = '{\"score\": 99}' WHERE id = $1", posted["id"])
    again = (await client.get(url, headers=archer.headers)).json()["data"]
    assert again == got
    listed = await client.get(f"{API}/session/{r.session_id}/shot", headers=archer.headers)
    assert listed.json()["data"] == [got]
