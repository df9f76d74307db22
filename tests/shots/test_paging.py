"""GET /session/{id}/shot is paged: `after`, `limit` (1000 by default, 10,000 at most) and
`next_after` in the answer (issue 11)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from arch_stats.core.database import Connection
from tests.shots.test_shots import Range

API = "/api/v0"


async def seed(db: Connection, r: Range, n: int) -> None:
    """n shots straight into the session (ends of 6), as a COPY would write them."""
    await db.execute(
        "INSERT INTO shot (session_id, archer_id, target_id, seq, end_no, end_place, score) "
        "SELECT $1, $2, $3, s, (s - 1) / 6 + 1, (s - 1) % 6 + 1, 0 "
        "FROM generate_series(1, $4) AS s",
        r.session_id,
        r.archer.id,
        r.target_id,
        n,
    )
    await db.execute("UPDATE session SET last_seq = $2 WHERE id = $1", r.session_id, n)


async def page(client: httpx.AsyncClient, r: Range, query: str = "") -> dict[str, Any]:
    resp = await client.get(f"{API}/session/{r.session_id}/shot{query}", headers=r.archer.headers)
    assert resp.status_code == 200, resp.text
    body: dict[str, Any] = resp.json()
    assert set(body) == {"code", "data", "errors", "next_after"}
    return body


async def test_pages_follow_next_after_to_the_end(
    client: httpx.AsyncClient, rng: Range, db: Connection
) -> None:
    await seed(db, rng, 25)
    seqs: list[int] = []
    query = "?limit=10"
    pages = 0
    while True:
        body = await page(client, rng, query)
        seqs += [s["seq"] for s in body["data"]]
        pages += 1
        if body["next_after"] is None:
            break
        assert body["next_after"] == seqs[-1]
        query = f"?limit=10&after={body['next_after']}"
    assert (pages, seqs) == (3, list(range(1, 26)))
    # A page that ends exactly at the last shot says so.
    assert (await page(client, rng, "?after=15&limit=10"))["next_after"] is None
    assert (await page(client, rng, "?after=25"))["data"] == []


async def test_default_page_is_1000_and_at_most_10000(
    client: httpx.AsyncClient, rng: Range, db: Connection
) -> None:
    await seed(db, rng, 1001)
    first = await page(client, rng)
    assert (len(first["data"]), first["next_after"]) == (1000, 1000)
    everything = await page(client, rng, "?limit=10000")
    assert (len(everything["data"]), everything["next_after"]) == (1001, None)


@pytest.mark.parametrize("query", ["?limit=0", "?limit=10001", "?limit=x", "?limit=-5"])
async def test_a_limit_out_of_range_422(client: httpx.AsyncClient, rng: Range, query: str) -> None:
    resp = await client.get(
        f"{API}/session/{rng.session_id}/shot{query}", headers=rng.archer.headers
    )
    assert resp.status_code == 422
