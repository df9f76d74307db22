"""`/api/health` answers while the process lives; `/api/ready` when the database is usable."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from arch_stats.core import migrations
from arch_stats.core.database import Pool
from arch_stats.core.responses import error, error_responses, ok

router = APIRouter(tags=["health"])


@router.get("/health", summary="The process is alive")
async def health() -> Response:
    return ok({"status": "ok"})


@router.get(
    "/ready", summary="Database reachable and migrations current", responses=error_responses(503)
)
async def ready(request: Request) -> Response:
    pool: Pool = request.app.state.pool
    try:
        async with pool.acquire(timeout=5) as conn:
            current = await migrations.is_current(conn)
    except Exception as exc:  # any failure to reach the database means "not ready"
        return error(503, [f"database unreachable: {type(exc).__name__}"])
    if not current:
        return error(503, ["database migrations are not current: run `arch-stats migrate up`"])
    return ok({"status": "ready", "database": "ok", "migrations": "current"})
