"""Who is posting sensor events: a device token (scope `sensor`) as `Authorization: Bearer`."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from arch_stats.auth.deps import Principal, resolve
from arch_stats.core.database import Db
from arch_stats.core.errors import NotAuthenticated

_device = HTTPBearer(
    auto_error=False,
    scheme_name="device",
    description="A device token (scope `sensor`, from POST /api/v0/auth/token).",
)


async def current_device(
    request: Request,
    conn: Db,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_device)],
) -> Principal:
    """A reader with a device token. Login tokens (and cookies) are refused here."""
    if request.headers.get("authorization") and bearer is None:
        raise NotAuthenticated("Authorization header must be 'Bearer <device token>'")
    token = bearer.credentials if bearer else None
    return await resolve(conn, token, scope="sensor", cache=request.app.state.token_cache)


CurrentDevice = Annotated[Principal, Depends(current_device)]
