"""The ceiling: a bare Starlette app whose one endpoint runs one `SELECT 1` through a pool.

Served exactly like Arch Stats (uvicorn, 1 process, uvloop, httptools, no access log) with
the same pool size, it shows what this machine, Python, uvicorn and asyncpg can do at best;
Arch Stats is measured as a fraction of it.

    DATABASE_URL=... uvicorn --factory bench.api.ceiling:create_app
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from arch_stats.core.database import Pool, create_pool
from arch_stats.core.settings import get_settings

PATH = "/select1"


async def select1(request: Request) -> Response:
    pool: Pool = request.app.state.pool
    async with pool.acquire() as conn:
        value = await conn.fetchval("SELECT 1")
    body = b'{"code":200,"data":%d,"errors":[]}' % value
    return Response(body, media_type="application/json")


def create_app() -> Starlette:
    """Pool settings (DATABASE_URL, PG_POOL_MIN, PG_POOL_MAX) are the app's, from the env."""
    settings = get_settings()
    dsn = settings.database_url
    if dsn is None:
        raise ValueError("DATABASE_URL is not set")

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        app.state.pool = await create_pool(
            dsn, min_size=settings.pg_pool_min, max_size=settings.pg_pool_max
        )
        try:
            yield
        finally:
            await app.state.pool.close()

    return Starlette(routes=[Route(PATH, select1)], lifespan=lifespan)
