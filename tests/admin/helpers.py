"""Helpers of the administrator's tests."""

from __future__ import annotations

from typing import Any

import httpx

from arch_stats.core.database import Connection
from tests.conftest import ArcherCtx

API = "/api/v0"
NO_SUCH_ROUTE = {"code": 404, "data": None, "errors": ["no such route"]}


async def make_admin(db: Connection, who: ArcherCtx) -> ArcherCtx:
    await db.execute("UPDATE archer SET is_admin = true WHERE id = $1", who.id)
    return who


async def issue_link(client: httpx.AsyncClient, admin: ArcherCtx, archer_id: Any) -> str:
    r = await client.post(f"{API}/admin/archer/{archer_id}/reset-link", headers=admin.headers)
    assert r.status_code == 201, r.text
    url: str = r.json()["data"]["url"]
    return url


def token_of(url: str) -> str:
    return url.split("#token=", 1)[1]
