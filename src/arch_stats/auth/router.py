"""Routes of the accounts domain."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Request
from starlette.responses import Response

from arch_stats.auth import repository as repo
from arch_stats.auth import service
from arch_stats.auth.deps import CurrentArcher
from arch_stats.auth.runtime import AuthRuntime
from arch_stats.auth.schemas import (
    ArcherOut,
    ArcherPatch,
    ArcherUpdated,
    DeviceTokenCreated,
    DeviceTokenIn,
    DeviceTokenOut,
    LoginIn,
    LoginOut,
    LoginTokenOut,
    RegisteredOut,
    RegisterIn,
    SignedOut,
    SignOutIn,
)
from arch_stats.auth.tokens import COOKIE_NAME
from arch_stats.core.database import Db, Pool, Tx
from arch_stats.core.responses import Envelope, error_responses, ok, ok_json
from arch_stats.core.settings import Settings

router = APIRouter(prefix="/auth", tags=["auth"])

AUTH_ERRORS = error_responses(401, 422)
USER_AGENT_MAX = 512


def _auth(request: Request) -> AuthRuntime:
    auth: AuthRuntime = request.app.state.auth
    return auth


def _client(request: Request) -> service.Client:
    agent = request.headers.get("user-agent")
    return service.Client(
        host=request.client.host if request.client else None,
        user_agent=agent[:USER_AGENT_MAX] if agent else None,
    )


def _clear_cookie(response: Response) -> None:
    response.delete_cookie(COOKIE_NAME, path="/")


@router.post(
    "/register",
    status_code=201,
    response_model=Envelope[RegisteredOut],
    responses=error_responses(404, 409, 422, 429),
    summary="Create an account (limited per client address: REGISTER_MAX_ATTEMPTS), and "
    "join a club with its invite code",
    description="409: an account has this e-mail address already (without e-mail delivery "
    "the registrant could tell that anyway by signing in with the password just chosen; such "
    "attempts count against the client address). 404: `invite_code` does not work.",
)
async def register(body: RegisterIn, request: Request) -> Response:
    # No connection is held while the password is hashed: the pool lends one per statement.
    pool: Pool = request.app.state.pool
    data = await service.register(pool, body, client=_client(request), auth=_auth(request))
    return ok(data, 201)


@router.post(
    "/login",
    response_model=Envelope[LoginOut],
    responses=error_responses(401, 422, 429),
    summary="Log in: token in the body and as an HttpOnly cookie",
)
async def login(body: LoginIn, request: Request, pool: Db) -> Response:
    settings: Settings = request.app.state.settings
    token, data = await service.login(pool, body, client=_client(request), auth=_auth(request))
    response = ok(data)
    response.set_cookie(
        COOKIE_NAME,
        token,
        max_age=settings.token_lifetime_hours * 3600,
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
    _auth(request).revoked_here([archer.token_id])  # the others hear it via NOTIFY
    response = ok(None)
    _clear_cookie(response)
    return response


@router.post(
    "/logout/everywhere",
    response_model=Envelope[SignedOut],
    responses=AUTH_ERRORS,
    summary="Sign out everywhere: every login token but this one (keep_current) or all",
    description="Open WebSockets of the revoked tokens are closed with 4401, in every server "
    "process. With `include_device_tokens` the sensor readers' tokens are revoked too.",
)
async def sign_out_everywhere(
    body: SignOutIn, archer: CurrentArcher, conn: Tx, request: Request
) -> Response:
    data, revoked = await service.sign_out_everywhere(
        conn,
        archer_id=archer.archer_id,
        current=archer.token_id,
        keep_current=body.keep_current,
        devices=body.include_device_tokens,
    )
    _auth(request).revoked_here(revoked)
    response = ok(data)
    if not body.keep_current:
        _clear_cookie(response)
    return response


@router.get(
    "/login-token",
    response_model=Envelope[list[LoginTokenOut]],
    responses=AUTH_ERRORS,
    summary="Where I am signed in: my working login tokens (without their secrets)",
)
async def list_login_tokens(archer: CurrentArcher, conn: Db, request: Request) -> Response:
    data = await service.login_tokens(
        conn, archer.archer_id, current=archer.token_id, auth=_auth(request)
    )
    return ok(data)


@router.delete(
    "/login-token/{token_id}",
    response_model=Envelope[LoginTokenOut],
    responses=error_responses(401, 404, 422),
    summary="Sign one browser or client out (revoke one of my login tokens)",
)
async def revoke_login_token(
    token_id: UUID, archer: CurrentArcher, conn: Tx, request: Request
) -> Response:
    auth = _auth(request)
    data = await service.revoke_login_token(
        conn, archer.archer_id, token_id, current=archer.token_id, auth=auth
    )
    auth.revoked_here([token_id])
    response = ok(data)
    if data["current"]:
        _clear_cookie(response)
    return response


@router.get("/me", response_model=Envelope[ArcherOut], responses=AUTH_ERRORS, summary="My profile")
async def me(archer: CurrentArcher, conn: Db) -> Response:
    return ok_json(await service.me(conn, archer.archer_id))


@router.patch(
    "/me",
    response_model=Envelope[ArcherUpdated],
    responses=error_responses(400, 401, 422, 429),
    summary="Change my profile or password",
    description="A new password needs `current_password` (wrong ones are limited like logins) "
    "and revokes every other token of the account, device tokens included: `signed_out` "
    "says how many, and that readers must be paired again. The token of this request stays.",
)
async def update_me(body: ArcherPatch, archer: CurrentArcher, request: Request) -> Response:
    auth = _auth(request)
    pool: Pool = request.app.state.pool
    # Hashing first, holding no connection; then one short transaction.
    new_hash = await service.new_password_hash(pool, archer.archer_id, body, auth=auth)
    async with pool.acquire() as conn, conn.transaction():
        data, revoked = await service.update_me(
            conn, archer.token_id, archer.archer_id, body, new_hash
        )
    auth.revoked_here(revoked)  # committed: out of this process's cache before we answer
    return ok(data)


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
async def revoke_token(
    token_id: UUID, archer: CurrentArcher, conn: Tx, request: Request
) -> Response:
    data = await service.revoke_device_token(conn, archer.archer_id, token_id)
    _auth(request).revoked_here([token_id])
    return ok_json(data)
