"""The application, assembled in one place."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from arch_stats import __version__
from arch_stats.arrows.router import router as arrows_router
from arch_stats.auth.router import router as auth_router
from arch_stats.core import handlers
from arch_stats.core.database import create_pool
from arch_stats.core.middleware import RequestContextMiddleware
from arch_stats.core.settings import Settings, get_settings
from arch_stats.faces.router import router as faces_router
from arch_stats.health.router import router as health_router
from arch_stats.live.hub import LiveHub
from arch_stats.live.router import router as live_router
from arch_stats.sessions.router import router as sessions_router
from arch_stats.shots.router import router as shots_router
from arch_stats.targets.router import router as targets_router

API_PREFIX = "/api/v0"


def create_app(
    settings: Settings | None = None, *, dsn: str | None = None, access_log: bool = True
) -> FastAPI:
    """Build the app. `dsn` overrides `settings.database_url` (the embedded server's)."""
    settings = settings or get_settings()
    database_url = dsn or settings.database_url
    if database_url is None:
        raise ValueError("no database: set DATABASE_URL or start through `arch-stats serve`")

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.pool = await create_pool(
            database_url, min_size=settings.pg_pool_min, max_size=settings.pg_pool_max
        )
        app.state.hub = LiveHub(
            database_url, app.state.pool, heartbeat_seconds=settings.ws_heartbeat_seconds
        )
        await app.state.hub.start()
        try:
            yield
        finally:
            await app.state.hub.stop()
            await app.state.pool.close()

    app = FastAPI(
        title="Arch Stats API",
        version=__version__,
        summary="Record every arrow, score it by World Archery rules, see it live.",
        openapi_url="/api/openapi.json",
        docs_url="/api/swagger",
        redoc_url=None,
        lifespan=lifespan,
        debug=False,
    )
    app.state.settings = settings
    handlers.install(app)
    app.add_middleware(
        RequestContextMiddleware,
        max_body_bytes=settings.max_body_bytes,
        max_concurrent=settings.api_max_concurrent_requests,
        access_log=access_log,
    )
    app.include_router(health_router, prefix="/api")
    for router in (
        auth_router,
        arrows_router,
        faces_router,
        sessions_router,
        targets_router,
        shots_router,
        live_router,
    ):
        app.include_router(router, prefix=API_PREFIX)
    return app
