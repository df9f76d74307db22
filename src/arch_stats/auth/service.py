"""Account rules: registration, login with rate limits, profile, device tokens."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import orjson
from pwdlib import PasswordHash

from arch_stats.auth import repository as repo
from arch_stats.auth.ratelimit import FailureLimiter
from arch_stats.auth.schemas import ArcherPatch, DeviceTokenIn, LoginIn, RegisterIn
from arch_stats.auth.tokens import PREFIX_LOGIN, PREFIX_SENSOR, new_token, token_hash
from arch_stats.core.database import Executor
from arch_stats.core.errors import BusinessRuleError, NotAuthenticated, NotFound, TooManyRequests

_hasher = PasswordHash.recommended()
# Verifying against this when the account does not exist keeps the timing the same.
_DUMMY_HASH = _hasher.hash("not-a-real-password")


async def hash_password(password: str) -> str:
    return await asyncio.to_thread(_hasher.hash, password)


async def verify_password(password: str, hashed: str) -> bool:
    return await asyncio.to_thread(_hasher.verify, password, hashed)


async def register(conn: Executor, body: RegisterIn) -> str:
    hashed = await hash_password(body.password)
    profile = body.model_dump(exclude={"email", "password"})
    return await repo.insert_archer(
        conn, email=str(body.email), password_hash=hashed, profile=profile
    )


async def login(
    conn: Executor,
    body: LoginIn,
    *,
    client: str,
    limiter: FailureLimiter,
    lifetime: timedelta,
) -> tuple[str, dict[str, Any]]:
    """Returns the new token and the login response data."""
    email = str(body.email).lower()
    keys = (f"account:{email}", f"address:{client}")
    wait = max(limiter.retry_after(k) for k in keys)
    if wait:
        raise TooManyRequests(f"too many failed logins; try again in {wait} s", retry_after=wait)
    row = await repo.archer_for_login(conn, email)
    valid = await verify_password(body.password, row["password_hash"] if row else _DUMMY_HASH)
    if row is None or not valid:
        for key in keys:
            limiter.fail(key)
        raise NotAuthenticated("wrong e-mail address or password")
    limiter.reset(keys[0])
    token = new_token(PREFIX_LOGIN)
    expires_at = datetime.now(UTC) + lifetime
    await repo.insert_token(
        conn,
        archer_id=row["id"],
        token_hash=token_hash(token),
        scope="login",
        name=None,
        expires_at=expires_at,
    )
    data = {
        "token": token,
        "token_type": "bearer",
        "expires_at": expires_at,
        "archer": orjson.Fragment(row["json"]),
    }
    return token, data


async def logout(conn: Executor, *, token_id: UUID, archer_id: UUID) -> None:
    await repo.revoke_token(conn, token_id=token_id, archer_id=archer_id)


async def me(conn: Executor, archer_id: UUID) -> str:
    json = await repo.archer_json(conn, archer_id)
    if json is None:  # the account was deleted while the token lived
        raise NotAuthenticated("account no longer exists")
    return json


async def update_me(conn: Executor, archer_id: UUID, body: ArcherPatch) -> str:
    changes = body.model_dump(exclude_unset=True, exclude={"current_password", "new_password"})
    for key in ("name", "bowstyle", "gender", "age_group"):
        if key in changes and changes[key] is None:
            raise BusinessRuleError(f"{key} cannot be null")
    new_hash = None
    if body.new_password is not None:
        if body.current_password is None:
            raise BusinessRuleError("changing the password needs current_password")
        if not await verify_password(
            body.current_password, await repo.password_hash(conn, archer_id)
        ):
            raise BusinessRuleError("current_password is wrong")
        new_hash = await hash_password(body.new_password)
    elif body.current_password is not None:
        raise BusinessRuleError("current_password given without new_password")
    return await repo.update_archer(conn, archer_id, changes, new_hash)


async def create_device_token(
    conn: Executor, archer_id: UUID, body: DeviceTokenIn
) -> dict[str, Any]:
    token = new_token(PREFIX_SENSOR)
    expires_at = (
        datetime.now(UTC) + timedelta(days=body.expires_in_days) if body.expires_in_days else None
    )
    row = await repo.insert_token(
        conn,
        archer_id=archer_id,
        token_hash=token_hash(token),
        scope="sensor",
        name=body.name,
        expires_at=expires_at,
    )
    data: dict[str, Any] = orjson.loads(row["json"])
    data["token"] = token
    return data


async def revoke_device_token(conn: Executor, archer_id: UUID, token_id: UUID) -> str:
    json = await repo.revoke_device_token(conn, token_id=token_id, archer_id=archer_id)
    if json is None:
        raise NotFound("token", token_id)
    return json
