"""The application, assembled in one place."""

from __future__ import annotations

import asyncio
import contextlib
import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute

from arch_stats import __version__
from arch_stats.access.live import AccessWatch
from arch_stats.admin.router import reset_router as password_reset_router
from arch_stats.admin.router import router as admin_router
from arch_stats.admin.service import PREFIX_RESET
from arch_stats.arrows.router import router as arrows_router
from arch_stats.assembler.runner import Assembler
from arch_stats.auth.deps import (
    LOGIN_SECURITY,
    MAX_TOKEN_LENGTH,
    SECURITY_SCHEMES,
    current_archer,
)
from arch_stats.auth.router import router as auth_router
from arch_stats.auth.runtime import CHANNEL as AUTH_CHANNEL
from arch_stats.auth.runtime import AuthRuntime
from arch_stats.auth.tokens import COOKIE_NAME, PREFIX_LOGIN, PREFIX_SENSOR, token_hash
from arch_stats.board import socket as board_socket
from arch_stats.board.fanout import ClubBoard
from arch_stats.board.router import router as board_router
from arch_stats.board.service import LINK_PREFIX as BOARD_LINK_PREFIX
from arch_stats.clubs.router import router as clubs_router
from arch_stats.clubs.service import INVITE_PATH
from arch_stats.competitions import live as competitions_live
from arch_stats.competitions import schemas as competitions_schemas
from arch_stats.competitions.router import router as competitions_router
from arch_stats.competitions.service import LINK_PREFIX as RESULTS_LINK_PREFIX
from arch_stats.core import handlers
from arch_stats.core.database import create_pool
from arch_stats.core.guards import AllowedHosts, OriginPolicy
from arch_stats.core.hotpath import HotPath
from arch_stats.core.logging import redact_token_prefixes
from arch_stats.core.middleware import BodyRule, RequestContextMiddleware
from arch_stats.core.serving import EdgeLimits
from arch_stats.core.settings import Settings, get_settings
from arch_stats.core.viewers import PublicViewers
from arch_stats.equipment.router import router as equipment_router
from arch_stats.exchange.router import router as exchange_router
from arch_stats.faces.router import router as faces_router
from arch_stats.health.router import router as health_router
from arch_stats.leagues.router import router as leagues_router
from arch_stats.leagues.service import LINK_PREFIX as SEASON_LINK_PREFIX
from arch_stats.live.hub import LiveHub
from arch_stats.live.revocation import close_on_revocation
from arch_stats.live.router import router as live_router
from arch_stats.live.stats_push import StatsPusher
from arch_stats.matches import service as matches_service
from arch_stats.matches.router import router as matches_router
from arch_stats.rounds.router import router as rounds_router
from arch_stats.sensors import schemas as sensors_schemas
from arch_stats.sensors.router import router as sensors_router
from arch_stats.sessions import hot as sessions_hot
from arch_stats.sessions.router import router as sessions_router
from arch_stats.shots import hot as shots_hot
from arch_stats.shots import schemas as shots_schemas
from arch_stats.shots import service as shots_service
from arch_stats.shots import writer as shot_writer
from arch_stats.shots.router import router as shots_router
from arch_stats.stats import hot as stats_hot
from arch_stats.stats.router import router as stats_router
from arch_stats.targets.router import router as targets_router
from arch_stats.timer import socket as timer_socket
from arch_stats.timer.feed import TimerFeed
from arch_stats.timer.router import router as timer_router
from arch_stats.timer.service import LINK_PREFIX as TIMER_LINK_PREFIX
from arch_stats.web.router import assets as web_assets
from arch_stats.web.router import router as web_router
from arch_stats.web.swagger import router as swagger_router

API_PREFIX = "/api/v0"
# Allocations (less deallocations) between two collections of the youngest generation
# (CPython: 700).
GC_YOUNG_THRESHOLD = 10_000


class _GcTuning:
    """What start-up made lives as long as the process: once an app has started, the garbage
    collector stops scanning it (`gc.freeze`, after a collection, so that no start-up garbage
    is kept) and runs its youngest generation less often (a request leaves a few hundred
    short-lived objects, most freed by reference counting alone). Undone when the last app
    of the process stops (tests start several, nested or not)."""

    def __init__(self) -> None:
        self.running = 0
        self.young = 0  # the threshold the first app found, restored by the last

    def started(self) -> None:
        if self.running == 0:
            self.young = gc.get_threshold()[0]
            gc.collect()
            gc.freeze()
            gc.set_threshold(GC_YOUNG_THRESHOLD, *gc.get_threshold()[1:])
        self.running += 1

    def stopped(self) -> None:
        self.running -= 1
        if self.running == 0:
            gc.unfreeze()
            gc.set_threshold(self.young, *gc.get_threshold()[1:])


_GC = _GcTuning()


def create_app(
    settings: Settings | None = None, *, dsn: str | None = None, access_log: bool | None = None
) -> FastAPI:
    """Build the app. `dsn` overrides `settings.database_url` (the embedded server's)."""
    settings = settings or get_settings()
    database_url = dsn or settings.database_url
    if database_url is None:
        raise ValueError("no database: set DATABASE_URL or start through `arch-stats serve`")

    # Secrets recognised by what comes before them: tokens by their prefix, an invite code by
    # the join link's path.
    redact_token_prefixes(
        PREFIX_LOGIN,
        PREFIX_SENSOR,
        PREFIX_RESET,
        BOARD_LINK_PREFIX,
        TIMER_LINK_PREFIX,
        RESULTS_LINK_PREFIX,
        SEASON_LINK_PREFIX,
        INVITE_PATH,
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[dict[str, Any]]:
        # The web UI's files are read and compressed once, off the event loop, meanwhile.
        web_files = asyncio.get_running_loop().run_in_executor(None, web_assets.current)
        app.state.pool = await create_pool(
            database_url,
            min_size=settings.pg_pool_min,
            max_size=settings.pg_pool_max,
            acquire_timeout=settings.pg_acquire_timeout_seconds,
            statement_timeout=settings.pg_statement_timeout_seconds,
        )
        app.state.hub = hub = LiveHub(
            database_url, app.state.pool, heartbeat_seconds=settings.ws_heartbeat_seconds
        )
        app.state.auth = auth = AuthRuntime(
            app.state.pool, settings, listener_up=hub.connected.is_set
        )
        app.state.token_cache = auth.cache
        hub.listen(AUTH_CHANNEL, auth.notified)
        hub.on_connect(auth.cache.clear)
        close_on_revocation(hub, auth)
        app.state.access = access = AccessWatch(hub, app.state.pool)
        auth.start()
        stats_pusher = StatsPusher(hub)
        # Public links' screens (the board's, the timers', live results'), bounded together.
        public_viewers = PublicViewers(
            per_link=settings.board_viewers_per_link,
            per_address=settings.board_viewers_per_address,
        )
        app.state.club_board = club_board = ClubBoard(hub, app.state.pool, access, public_viewers)
        app.state.timer_feed = timer_feed = TimerFeed(hub, app.state.pool, access, public_viewers)
        app.state.live_results = live_results = competitions_live.LiveResults(
            hub, app.state.pool, public_viewers, part=matches_service.results_part
        )
        # Posted shots are announced by the hub once committed (not by a NOTIFY in their
        # transaction, which would make all writers commit one at a time).
        shot_writer.announce_with(app.state.pool, hub.announce)
        shots_service.WRITER.max_in_flight = settings.writes_in_flight
        await hub.start()
        # One assembler among all processes: the others stand by (advisory lock).
        app.state.assembler = assembler = Assembler.from_settings(database_url, settings)
        if settings.assembler_enabled:
            assembler.start()
        _GC.started()
        try:
            # For the server's connections (core.serving.EdgeHttpProtocol).
            yield {"edge": EdgeLimits.from_settings(settings)}
        finally:
            try:
                with contextlib.suppress(Exception):  # a broken file shows on its first request
                    await web_files
                await assembler.close()
                shot_writer.announce_with(app.state.pool, None)
                await stats_pusher.close()
                await club_board.close()
                await timer_feed.close()
                await live_results.close()
                await access.close()
                await auth.close()
                await app.state.hub.stop()
                await app.state.pool.close()
            finally:
                _GC.stopped()

    app = FastAPI(
        title="Arch Stats API",
        version=__version__,
        summary="Record every arrow, score it by World Archery rules, see it live.",
        openapi_url="/api/openapi.json",
        docs_url=None,  # served from the pinned package: web/swagger.py
        redoc_url=None,
        lifespan=lifespan,
        debug=False,
    )
    app.state.settings = settings
    # Subscriptions on the live path (/api/v0/ws) other than a session's, by query parameter.
    app.state.subscriptions = {
        **dict.fromkeys(board_socket.PARAMS, board_socket.board_socket),
        **dict.fromkeys(timer_socket.PARAMS, timer_socket.timer_socket),
        **dict.fromkeys(competitions_live.PARAMS, competitions_live.results_socket),
    }
    handlers.install(app)
    if settings.hot_path:
        # Inside the request context (id, limits, log), in front of FastAPI's routing.
        app.add_middleware(
            HotPath,
            routes=[
                *sessions_hot.routes(API_PREFIX),
                *shots_hot.routes(API_PREFIX),
                *stats_hot.routes(API_PREFIX),
            ],
            cookie_name=COOKIE_NAME,
            token_hash=token_hash,
            max_token_length=MAX_TOKEN_LENGTH,
        )
    app.add_middleware(
        RequestContextMiddleware,
        max_body_bytes=settings.max_body_bytes,
        max_concurrent=settings.api_max_concurrent_requests,
        access_log=settings.access_log if access_log is None else access_log,
        body_rules={
            # Read by the route as it arrives (it spools and parses), not held in memory here.
            f"{API_PREFIX}/import/shots.csv": BodyRule(
                settings.import_max_bytes, media_type="text/csv", buffered=False
            ),
            # Batches: as many items as the route takes, and no more than that.
            f"{API_PREFIX}/shot": BodyRule.batch(shots_schemas.MAX_BATCH),
            f"{API_PREFIX}/sensor/event": BodyRule.batch(sensors_schemas.MAX_EVENTS),
            # A bale's scorer posts one archer's arrows as `/shot` takes them.
            f"{API_PREFIX}/competition/shot": BodyRule.batch(shots_schemas.MAX_BATCH),
            # The categories a club chooses (bowstyles × age classes × genders).
            f"{API_PREFIX}/competition": BodyRule.batch(competitions_schemas.MAX_CATEGORIES),
        },
        body_timeout=settings.body_timeout_seconds,
        body_min_rate=settings.body_min_rate,
        allowed_hosts=AllowedHosts.build(settings.allowed_hosts, bind_host=settings.host),
        origin_policy=OriginPolicy.build(
            COOKIE_NAME,
            settings.allowed_origins,
            cookie_free=(
                f"{API_PREFIX}/auth/login",
                f"{API_PREFIX}/auth/register",
                f"{API_PREFIX}/auth/password-reset",
            ),
        ),
    )
    app.include_router(health_router, prefix="/api")
    app.include_router(swagger_router, prefix="/api")
    # Routes are matched in order, one by one: the busiest come first.
    for router in (
        sessions_router,
        shots_router,
        stats_router,
        targets_router,
        arrows_router,
        equipment_router,
        sensors_router,
        live_router,
        auth_router,
        rounds_router,  # before faces_router: /round/custom is not a round code
        faces_router,
        exchange_router,
        board_router,
        timer_router,
        competitions_router,
        matches_router,
        leagues_router,
        clubs_router,
        admin_router,
        password_reset_router,
    ):
        _document_login(router.routes)
        app.include_router(router, prefix=API_PREFIX)
    app.include_router(web_router)  # the web UI under /app, and / → /app/
    _add_security_schemes(app)
    return app


def _document_login(routes: list[Any]) -> None:
    """Tell OpenAPI which operations need a login (bearer token or cookie)."""
    for route in routes:
        if isinstance(route, APIRoute) and _needs_login(route.dependant):
            route.openapi_extra = {**(route.openapi_extra or {}), "security": LOGIN_SECURITY}


def _needs_login(dependant: Any) -> bool:
    return any(d.call is current_archer or _needs_login(d) for d in dependant.dependencies)


def _add_security_schemes(app: FastAPI) -> None:
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = build()
            schemes = schema.setdefault("components", {}).setdefault("securitySchemes", {})
            for name, scheme in SECURITY_SCHEMES.items():
                schemes.setdefault(name, scheme)
        return app.openapi_schema or build()

    app.openapi = openapi  # type: ignore[method-assign]
