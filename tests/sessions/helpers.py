"""Helpers shared by the tests of arrows, sessions and targets."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import httpx

from arch_stats.core.database import Connection
from tests.conftest import ArcherCtx

API = "/api/v0"
MISSING_ID = "00000000-0000-4000-8000-000000000000"


async def open_session(client: httpx.AsyncClient, who: ArcherCtx, **fields: Any) -> dict[str, Any]:
    body = {"location": "Club field", "distance_m": 70, **fields}
    r = await client.post(f"{API}/session", json=body, headers=who.headers)
    assert r.status_code == 201, r.text
    data: dict[str, Any] = r.json()["data"]
    return data


async def add_target(
    client: httpx.AsyncClient, who: ArcherCtx, session_id: str, **fields: Any
) -> dict[str, Any]:
    body = {
        "view_width_mm": 1300,
        "view_height_mm": 1300,
        "faces": [{"face_type": "wa_122", "center_x_mm": 650, "center_y_mm": 650}],
        **fields,
    }
    r = await client.post(f"{API}/session/{session_id}/target", json=body, headers=who.headers)
    assert r.status_code == 201, r.text
    data: dict[str, Any] = r.json()["data"]
    return data


async def add_arrow(client: httpx.AsyncClient, who: ArcherCtx, **fields: Any) -> dict[str, Any]:
    r = await client.post(f"{API}/arrow", json={"identifier": "A1", **fields}, headers=who.headers)
    assert r.status_code == 201, r.text
    data: dict[str, Any] = r.json()["data"]
    return data


async def add_shot(
    db: Connection,
    *,
    archer_id: UUID,
    session_id: str,
    target_id: str,
    score: int = 10,
    arrow_id: str | None = None,
) -> None:
    """A scored shot written straight to the table (the shots domain is tested elsewhere)."""
    await db.execute(
        """WITH n AS (UPDATE session SET last_seq = last_seq + 1 WHERE id = $1
                      RETURNING last_seq)
           INSERT INTO shot (session_id, archer_id, target_id, arrow_id, seq, end_no, x_mm, y_mm,
                             face_index, spot_index, dx_mm, dy_mm, score)
           SELECT $1, $2, $3, $4, n.last_seq, 1, 650, 650, 0, 0, 0, 0, $5 FROM n""",
        UUID(session_id),
        archer_id,
        UUID(target_id),
        UUID(arrow_id) if arrow_id else None,
        score,
    )
