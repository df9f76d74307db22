"""Who is calling: the login token from `Authorization: Bearer` or the HttpOnly cookie."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated
from uuid import UUID

from fastapi import Depends, Request
from fastapi.security import APIKeyCookie, HTTPAuthorizationCredentials, HTTPBearer

from arch_stats.auth import repository as repo
from arch_stats.auth.tokens import COOKIE_NAME, token_hash
from arch_stats.core.database import Db
from arch_stats.core.errors import NotAuthenticated


@dataclass(frozen=True, slots=True)
class Principal:
    archer_id: UUID
    token_id: UUID
    scope: str


async def resolve(conn: Db, token: str | None, *, scope: str) -> Principal:
    if not token or len(token) > 200:
        raise NotAuthenticated("not logged in")
    row = await repo.token_principal(conn, token_hash(token))
    if row is None or row["scope"] != scope:
        raise NotAuthenticated("not logged in (token unknown, expired or revoked)")
    return Principal(archer_id=row["archer_id"], token_id=row["id"], scope=row["scope"])


# Declared through FastAPI's security classes so that OpenAPI documents both ways in.
_bearer = HTTPBearer(auto_error=False, scheme_name="bearer")
_cookie = APIKeyCookie(name=COOKIE_NAME, auto_error=False, scheme_name="cookie")


async def current_archer(
    request: Request,
    conn: Db,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    cookie: Annotated[str | None, Depends(_cookie)],
) -> Principal:
    """A logged-in archer (login token). Device tokens are refused here."""
    if request.headers.get("authorization") and bearer is None:
        raise NotAuthenticated("Authorization header must be 'Bearer <token>'")
    return await resolve(conn, bearer.credentials if bearer else cookie, scope="login")


CurrentArcher = Annotated[Principal, Depends(current_archer)]
