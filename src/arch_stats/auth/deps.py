"""Who is calling: the login token from `Authorization: Bearer` or the HttpOnly cookie.

Deliberately one dependency with no sub-dependencies: it runs on every request, and FastAPI's
dependency solving is a large part of a short request's cost. OpenAPI learns about the bearer and
cookie schemes from `app.py`, which marks every route that depends on `current_archer`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated
from uuid import UUID

from fastapi import Depends, Request

from arch_stats.auth import repository as repo
from arch_stats.auth.cache import TokenCache
from arch_stats.auth.tokens import COOKIE_NAME, token_hash
from arch_stats.core.database import Executor
from arch_stats.core.errors import NotAuthenticated

MAX_TOKEN_LENGTH = 200


@dataclass(frozen=True, slots=True)
class Principal:
    archer_id: UUID
    token_id: UUID
    scope: str
    expires_at: float | None = None  # epoch seconds; None: the token never expires


async def resolve(
    conn: Executor, token: str | None, *, scope: str, cache: TokenCache | None = None
) -> Principal:
    """The principal of `token` if it is valid and of `scope`; NotAuthenticated otherwise."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        raise NotAuthenticated("not logged in")
    digest = token_hash(token)
    hit = cache.get(digest) if cache is not None else None
    if hit is not None:
        if hit.scope != scope:
            raise NotAuthenticated("not logged in (token unknown, expired or revoked)")
        expiry = None if hit.expires_at == float("inf") else hit.expires_at
        return Principal(hit.archer_id, hit.token_id, hit.scope, expiry)
    generation = cache.generation if cache is not None else 0
    row = await repo.token_principal(conn, digest)
    if row is None or row["scope"] != scope:
        raise NotAuthenticated("not logged in (token unknown, expired or revoked)")
    expires_at = row["expires_at"]
    if cache is not None:
        cache.put(
            digest,
            token_id=row["id"],
            archer_id=row["archer_id"],
            scope=row["scope"],
            expires_at=expires_at,
            generation=generation,
        )
        cache.seen(row["id"])
    return Principal(
        row["archer_id"],
        row["id"],
        row["scope"],
        None if expires_at is None else expires_at.timestamp(),
    )


async def still_valid(conn: Executor, token_id: UUID) -> bool:
    """Whether the token is valid now, asked of the database (not the cache)."""
    return await repo.token_valid(conn, token_id)


def bearer_token(request: Request) -> str | None:
    """The bearer token; None without an Authorization header. Other schemes: 401."""
    header = request.headers.get("authorization")
    if header is None:
        return None
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        raise NotAuthenticated("Authorization header must be 'Bearer <token>'")
    return value.strip()


async def current_archer(request: Request) -> Principal:
    """A logged-in archer (login token). Device tokens are refused here."""
    state = request.app.state
    token = bearer_token(request) or request.cookies.get(COOKIE_NAME)
    return await resolve(state.pool, token, scope="login", cache=state.token_cache)


CurrentArcher = Annotated[Principal, Depends(current_archer)]

# How OpenAPI describes the ways in (see app.py).
SECURITY_SCHEMES = {
    "bearer": {"type": "http", "scheme": "bearer"},
    "cookie": {"type": "apiKey", "in": "cookie", "name": COOKIE_NAME},
}
LOGIN_SECURITY: list[dict[str, list[str]]] = [{"bearer": []}, {"cookie": []}]
