"""Routes of the administrator (`/admin/…`) and the password reset (`/auth/password-reset`)."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from arch_stats.admin import service
from arch_stats.admin.deps import CurrentAdmin
from arch_stats.admin.schemas import (
    AccountChanged,
    AccountPage,
    AccountQuery,
    PasswordResetDone,
    PasswordResetIn,
    ResetLinkOut,
)
from arch_stats.auth.runtime import AuthRuntime
from arch_stats.core.addresses import address_key
from arch_stats.core.database import Db, Pool, Tx
from arch_stats.core.responses import Envelope, error_responses, ok, ok_json
from arch_stats.core.settings import Settings

router = APIRouter(prefix="/admin", tags=["admin"])
reset_router = APIRouter(prefix="/auth", tags=["auth"])

HIDDEN = "Administrators only: for any other account this route does not exist (404)."


def _auth(request: Request) -> AuthRuntime:
    auth: AuthRuntime = request.app.state.auth
    return auth


@router.get(
    "/archer",
    response_model=Envelope[AccountPage],
    responses=error_responses(401, 404, 422),
    summary="Accounts, newest first, with search (administrators)",
    description=HIDDEN + " Of each account: who, since when, last sign-in, whether it is "
    "disabled or an administrator, and how many sessions it holds (never their data).",
)
async def list_accounts(
    query: Annotated[AccountQuery, Query()], admin: CurrentAdmin, conn: Db
) -> Response:
    return ok_json(
        await service.list_accounts(conn, q=query.q, limit=query.limit, offset=query.offset)
    )


@router.post(
    "/archer/{archer_id}/disable",
    response_model=Envelope[AccountChanged],
    responses=error_responses(400, 401, 404, 422),
    summary="Disable an account: every token stops working at once (administrators)",
    description=HIDDEN + " Sign-ins and device tokens are revoked; its WebSockets are closed "
    "with 4401 in every server process; it cannot sign in until re-enabled. Not your own "
    "account; never the last working administrator.",
)
async def disable(archer_id: UUID, admin: CurrentAdmin, request: Request) -> Response:
    pool: Pool = request.app.state.pool
    async with pool.acquire() as conn, conn.transaction():
        data, revoked = await service.disable(conn, admin_id=admin.archer_id, archer_id=archer_id)
    # Committed: out of this process's cache before the answer; the others hear the NOTIFY.
    _auth(request).revoked_here(revoked)
    return ok(data)


@router.post(
    "/archer/{archer_id}/enable",
    response_model=Envelope[AccountChanged],
    responses=error_responses(401, 404, 422),
    summary="Re-enable a disabled account (administrators)",
    description=HIDDEN + " The archer signs in again; revoked tokens stay revoked.",
)
async def enable(archer_id: UUID, admin: CurrentAdmin, conn: Tx) -> Response:
    return ok(await service.enable(conn, archer_id=archer_id))


@router.post(
    "/archer/{archer_id}/reset-link",
    status_code=201,
    response_model=Envelope[ResetLinkOut],
    responses=error_responses(401, 403, 404, 422),
    summary="Issue a one-time password reset link (administrators)",
    description=HIDDEN + " Give the link to the archer: it works once, for "
    "PASSWORD_RESET_HOURS, and ends the links issued before. Its address is PUBLIC_URL, or "
    "the one this request came to. Not for another administrator's account (403): the "
    "operator issues those with `arch-stats admin reset-link EMAIL`.",
)
async def reset_link(archer_id: UUID, admin: CurrentAdmin, conn: Tx, request: Request) -> Response:
    settings: Settings = request.app.state.settings
    base = settings.public_url or str(request.base_url)
    data = await service.issue_reset(
        conn, archer_id=archer_id, base_url=base, settings=settings, admin_id=admin.archer_id
    )
    return ok(data, 201)


@reset_router.post(
    "/password-reset",
    response_model=Envelope[PasswordResetDone],
    responses=error_responses(400, 422, 429),
    summary="Set a new password with a one-time reset link",
    description="`token` is what follows `#token=` in the link. The link is then used up, and "
    "every token of the account is revoked (sign-ins and device tokens; open WebSockets are "
    "closed with 4401). Links that do not work count against the client address like failed "
    "logins (LOGIN_ADDRESS_MAX_ATTEMPTS per LOGIN_WINDOW_SECONDS).",
)
async def password_reset(body: PasswordResetIn, request: Request) -> Response:
    auth = _auth(request)
    pool: Pool = request.app.state.pool
    host = request.client.host if request.client else None
    await service.check_reset_link(pool, body.token, address_key=address_key(host), auth=auth)
    # Hashing first, holding no connection; then one short transaction.
    new_hash = await auth.hasher.hash(body.new_password)
    async with pool.acquire() as conn, conn.transaction():
        data, revoked = await service.complete_reset(conn, body.token, new_hash)
    auth.revoked_here(revoked)
    return ok(data)
