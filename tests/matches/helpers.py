"""A club competition by the API for the bracket tests: guests entered by the organiser,
qualification arrows by value, so that the ranking (and the seeds) are known."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import httpx

from arch_stats.core.database import Connection
from tests.conftest import ArcherCtx

API = "/api/v0"


async def competition(
    client: httpx.AsyncClient,
    db: Connection,
    owner: ArcherCtx,
    *,
    round_code: str,
    bowstyle: str,
    totals: list[int],
) -> tuple[str, str, dict[int, str]]:
    """A running competition of guests who shot one end of 3 arrows each, the n-th with
    the n-th total: (competition id, category key, seed → entry id)."""
    r = await client.post(f"{API}/club", json={"name": "Riverside Bowmen"}, headers=owner.headers)
    assert r.status_code == 201, r.text
    body = {
        "club_id": r.json()["data"]["id"],
        "name": "Club championship",
        "starts_on": "2026-12-05",
        "round_code": round_code,
        "arrows_per_end": 3,
        "categories": [{"bowstyle": bowstyle}],
    }
    r = await client.post(f"{API}/competition", json=body, headers=owner.headers)
    assert r.status_code == 201, r.text
    comp = r.json()["data"]
    cid, key = comp["id"], comp["categories"][0]["key"]
    entries: list[str] = []
    for n in range(len(totals)):
        guest = {"guest_name": f"Guest {n + 1:02d}", "bowstyle": bowstyle}
        r = await client.post(f"{API}/competition/{cid}/entry", json=guest, headers=owner.headers)
        assert r.status_code == 201, r.text
        entries.append(r.json()["data"]["id"])
    r = await client.post(f"{API}/competition/{cid}/start", headers=owner.headers)
    assert r.status_code == 200, r.text
    by_entry = {e["id"]: e for e in r.json()["data"]["entrants"]}
    for entry_id, total in zip(entries, totals, strict=True):
        session = by_entry[entry_id]["session_id"]
        target = str(
            await db.fetchval(
                "SELECT id FROM target WHERE session_id = $1 ORDER BY created_at LIMIT 1",
                UUID(session),
            )
        )
        ten = "X" if bowstyle == "compound" else "10"  # compound scoring: the inner 10
        values = [ten if v == 10 else str(v) for v in _three(total)]
        shots = [{"session_id": session, "target_id": target, "value": v} for v in values]
        r = await client.post(f"{API}/competition/shot", json=shots, headers=owner.headers)
        assert r.status_code == 201, r.text
    return cid, key, {n + 1: e for n, e in enumerate(entries)}


def _three(total: int) -> tuple[int, int, int]:
    a = min(10, total - 2)
    b = min(10, total - a - 1)
    return a, b, total - a - b


async def end(
    client: httpx.AsyncClient,
    who: ArcherCtx,
    match_id: str,
    side: int,
    end_no: int,
    arrows: list[dict[str, Any]],
) -> httpx.Response:
    return await client.post(
        f"{API}/match/{match_id}/end",
        json={"side": side, "end_no": end_no, "arrows": arrows},
        headers=who.headers,
    )


def values(*scores: str) -> list[dict[str, Any]]:
    return [{"value": s} for s in scores]
