"""Routes of the accounts domain."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

from fastapi import APIRouter, Request
from starlette.responses import Response

from arch_stats.auth import repository as repo
from arch_stats.auth import service
from arch_stats.auth.deps import CurrentArcher
from arch_stats.auth.ratelimit import FailureLimiter
from arch_stats.auth.schemas import (
    ArcherOut,
    ArcherPatch,
    DeviceTokenCreated,
    DeviceTokenIn,
    DeviceTokenOut,
    LoginIn,
    LoginOut,
    RegisterIn,
)
from arch_stats.auth.tokens import COOKIE_NAME
from arch_stats.core.database import Db, Tx
from arch_stats.core.responses import Envelope, error_responses, ok, ok_json
from arch_stats.core.settings import Settings

router = APIRouter(prefix="/auth", tags=["auth"])

AUTH_ERRORS = error_responses(401, 422)


def _limiter(request: Request) -> FailureLimiter:
    state = request.app.state
    if not hasattr(state, "login_limiter"):
        settings: Settings = state.settings
        state.login_limiter = FailureLimiter(
            max_failures=settings.login_max_attempts, window_seconds=settings.login_window_seconds
        )
    limiter: FailureLimiter = state.login_limiter
    return limiter


@router.post(
    "/register",
    status_code=201,
    response_model=Envelope[ArcherOut],
    responses=error_responses(409, 422),
    summary="Create an account",
)
async def register(body: RegisterIn, conn: Tx) -> Response:
    return ok_json(await service.register(conn, body), 201)


@router.post(
    "/login",
    response_model=Envelope[LoginOut],
    responses=error_responses(401, 422, 429),
    summary="Log in: token in the body and as an HttpOnly cookie",
)
async def login(body: LoginIn, request: Request, conn: Tx) -> Response:
    settings: Settings = request.app.state.settings
    lifetime = timedelta(hours=settings.token_lifetime_hours)
    client = request.client.host if request.client else "unknown"
    token, data = await service.login(
        conn, body, client=client, limiter=_limiter(request), lifetime=lifetime
    )
    response = ok(data)
    response.set_cookie(
        COOKIE_NAME,
        token,
        max_age=int(lifetime.total_seconds()),
        httponly=True,
        samesite="lax",
        secure=settings.cookie_secure,
        path="/",
    )
    return response


@router.post(
    "/logout",
    response_model=Envelope[None],
    responses=AUTH_ERRORS,
    summary="Revoke the token used for this request",
)
async def logout(archer: CurrentArcher, conn: Tx, request: Request) -> Response:
    await service.logout(conn, token_id=archer.token_id, archer_id=archer.archer_id)
    request.app.state.token_cache.evict(archer.token_id)  # the others hear it via NOTIFY
    response = ok(None)
    response.delete_cookie(COOKIE_NAME, path="/")
    return response


@router.get("/me", response_model=Envelope[ArcherOut], responses=AUTH_ERRORS, summary="My profile")
async def me(archer: CurrentArcher, conn: Db) -> Response:
    return ok_json(await service.me(conn, archer.archer_id))


@router.patch(
    "/me",
    response_model=Envelope[ArcherOut],
    responses=error_responses(400, 401, 422),
    summary="Change my profile or password",
)
async def update_me(body: ArcherPatch, archer: CurrentArcher, conn: Tx) -> Response:
    return ok_json(await service.update_me(conn, archer.archer_id, body))


@router.post(
    "/token",
    status_code=201,
    response_model=Envelope[DeviceTokenCreated],
    responses=AUTH_ERRORS,
    summary="Create a device token (scope `sensor`) for a reader; shown once",
)
async def create_token(body: DeviceTokenIn, archer: CurrentArcher, conn: Tx) -> Response:
    return ok(await service.create_device_token(conn, archer.archer_id, body), 201)


@router.get(
    "/token",
    response_model=Envelope[list[DeviceTokenOut]],
    responses=AUTH_ERRORS,
    summary="My device tokens (without their secrets)",
)
async def list_tokens(archer: CurrentArcher, conn: Db) -> Response:
    return ok_json(await repo.device_tokens_json(conn, archer.archer_id))


@router.delete(
    "/token/{token_id}",
    response_model=Envelope[DeviceTokenOut],
    responses=error_responses(401, 404, 422),
    summary="Revoke a device token",
)
async def revoke_token(token_id: UUID, archer: CurrentArcher, conn: Tx) -> Response:
    return ok_json(await service.revoke_device_token(conn, archer.archer_id, token_id))
