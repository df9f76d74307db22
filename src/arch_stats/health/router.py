"""`/api/health` answers while the process lives; `/api/ready` when the database is usable."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request
from starlette.responses import Response

from arch_stats.core import migrations
from arch_stats.core.database import RETRY_AFTER_SECONDS, Pool, client_timeout
from arch_stats.core.responses import error, error_responses, ok

# Each step of the check (a connection, each query) waits at most this: a server that is
# stopped (SIGSTOP) or a network gone quiet accepts and never answers. asyncpg's own timeouts
# cancel the query and close a connection whose cancel goes unanswered.
READY_STEP_SECONDS = 1.5
# A last resort over all of it (acquire, two queries, giving the connection back).
READY_TIMEOUT_SECONDS = 8.0

router = APIRouter(tags=["health"])


@router.get("/health", summary="The process is alive")
async def health() -> Response:
    return ok({"status": "ok"})


@router.get(
    "/ready", summary="Database reachable and migrations current", responses=error_responses(503)
)
async def ready(request: Request) -> Response:
    pool: Pool = request.app.state.pool
    retry = {"Retry-After": str(RETRY_AFTER_SECONDS)}
    try:
        async with asyncio.timeout(READY_TIMEOUT_SECONDS):
            async with pool.acquire(timeout=READY_STEP_SECONDS) as conn:
                client_timeout(conn, READY_STEP_SECONDS)
                current = await migrations.is_current(conn)
    except TimeoutError:
        return error(503, [f"database did not answer within {READY_STEP_SECONDS:g} s"], retry)
    except Exception as exc:  # any failure to reach the database means "not ready"
        return error(503, [f"database unreachable: {type(exc).__name__}"], retry)
    if not current:
        return error(
            503, ["database migrations are not current: run `arch-stats migrate up`"], retry
        )
    return ok({"status": "ready", "database": "ok", "migrations": "current"})
