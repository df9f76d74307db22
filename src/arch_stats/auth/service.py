"""Account rules: registration, login and its limits, profile and password, tokens.

Password hashes are computed by `AuthRuntime.hasher` (threads, a few at a time) while no
database connection is held: these functions take the pool and use it one statement at a
time around the hashing, and the router opens a transaction only for what must be atomic.

Login limits (see README, "Login limits"): each attempt is taken before the password is
checked, on these keys at once, and given back when the password was right —
- the account from this address: LOGIN_MAX_ATTEMPTS (reset by a successful login);
- this address, whatever the account: LOGIN_ADDRESS_MAX_ATTEMPTS;
- the account from addresses it has not signed in from in 90 days: LOGIN_ACCOUNT_MAX_ATTEMPTS.
Guesses from elsewhere never count against the owner at their usual address, so nobody can
lock an archer out of their account from another address.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import orjson

from arch_stats.auth import ratelimit
from arch_stats.auth import repository as repo
from arch_stats.auth.agents import describe
from arch_stats.auth.ratelimit import Limit
from arch_stats.auth.runtime import AuthRuntime
from arch_stats.auth.schemas import ArcherPatch, DeviceTokenIn, LoginIn, RegisterIn
from arch_stats.auth.tokens import PREFIX_LOGIN, PREFIX_SENSOR, new_token, token_hash
from arch_stats.clubs import service as clubs
from arch_stats.clubs.schemas import ClubOut
from arch_stats.core.addresses import address_key, client_address
from arch_stats.core.database import Connection, Executor, Pool
from arch_stats.core.errors import (
    BusinessRuleError,
    Conflict,
    NotAuthenticated,
    NotFound,
    TooManyRequests,
)

WRONG_LOGIN = "wrong e-mail address or password"


@dataclass(frozen=True, slots=True)
class Client:
    """Who is on the other end: the address (as limits count it) and the browser."""

    host: str | None
    user_agent: str | None

    @property
    def address(self) -> repo.IPAddress | None:
        return client_address(self.host)

    @property
    def address_key(self) -> str:
        return address_key(self.host)


async def register(
    pool: Pool, body: RegisterIn, *, client: Client, auth: AuthRuntime
) -> dict[str, Any]:
    """Create an account; with a working invite code, it joins that club in the same
    transaction, and the registration does not count against the client address (a club
    night's archers share one). An attempt that fails on the invite or on an e-mail address
    already registered counts, whatever the code: guessing codes or addresses is limited
    like any registration."""
    settings = auth.settings
    limit = [Limit(f"register:{client.address_key}", settings.register_max_attempts)]
    window = settings.register_window_seconds
    what = "registrations from this address"
    code = body.invite_code
    counted = code is None or not await clubs.invite_usable(pool, code)
    if counted:
        await ratelimit.take(pool, limit, window_s=window, what=what)
        if code is not None:
            raise NotFound(clubs.INVITE_NOT_USABLE)
    hashed = await auth.hasher.hash(body.password)
    email = str(body.email)
    profile = body.model_dump(exclude={"email", "password", "invite_code"})
    club: ClubOut | None = None
    try:
        if code is None:
            archer = await repo.insert_archer(
                pool, email=email, password_hash=hashed, profile=profile
            )
        else:
            async with pool.acquire() as conn, conn.transaction():
                archer = await repo.insert_archer(
                    conn, email=email, password_hash=hashed, profile=profile
                )
                club = await clubs.join(conn, UUID(orjson.loads(archer)["id"]), code)
    except (Conflict, NotFound):  # the address is taken, or the invite was used up meanwhile
        if not counted:
            await ratelimit.take(pool, limit, window_s=window, what=what)
        raise
    data: dict[str, Any] = orjson.loads(archer)
    data["club"] = None if club is None else club.model_dump(mode="json")
    return data


async def login(
    pool: Executor, body: LoginIn, *, client: Client, auth: AuthRuntime
) -> tuple[str, dict[str, Any]]:
    """Returns the new token and the login response data."""
    settings = auth.settings
    window = settings.login_window_seconds
    email = str(body.email).lower()
    row = await repo.archer_for_login(pool, email, client.address)
    pair = Limit(f"login:{email}|{client.address_key}", settings.login_max_attempts)
    others = [Limit(f"login-address:{client.address_key}", settings.login_address_max_attempts)]
    if row is None or not row["known"]:
        others.append(Limit(f"login-account:{email}", settings.login_account_max_attempts))
    await ratelimit.take(pool, [pair, *others], window_s=window, what="failed logins")
    try:
        valid = await auth.hasher.verify(body.password, row["password_hash"] if row else None)
    except TooManyRequests:  # the hasher was busy: no guess was made
        await ratelimit.give_back(pool, [pair, *others], window_s=window)
        raise
    if row is None or not valid:
        raise NotAuthenticated(WRONG_LOGIN)
    if row["disabled"]:  # said only to whoever knows the password
        await ratelimit.give_back(pool, [pair, *others], window_s=window)
        raise NotAuthenticated(repo.ACCOUNT_DISABLED)
    await ratelimit.reset(pool, [pair])
    await ratelimit.give_back(pool, others, window_s=window)
    token = new_token(PREFIX_LOGIN)
    expires_at = datetime.now(UTC) + timedelta(hours=settings.token_lifetime_hours)
    stored = await repo.insert_login_token(
        pool,
        archer_id=row["id"],
        token_hash=token_hash(token),
        expires_at=expires_at,
        verified_hash=row["password_hash"],
        user_agent=client.user_agent,
        address=client.address,
    )
    if not stored:  # the password changed while this one was being checked
        raise NotAuthenticated(WRONG_LOGIN)
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


async def new_password_hash(
    pool: Executor, archer_id: UUID, body: ArcherPatch, *, auth: AuthRuntime
) -> str | None:
    """Check a password change (current password, limited like logins) and hash the new
    password; None when the patch does not change the password."""
    if body.new_password is None:
        if body.current_password is not None:
            raise BusinessRuleError("current_password given without new_password")
        return None
    if body.current_password is None:
        raise BusinessRuleError("changing the password needs current_password")
    settings = auth.settings
    limit = [Limit(f"password:{archer_id}", settings.login_max_attempts)]
    window = settings.login_window_seconds
    await ratelimit.take(pool, limit, window_s=window, what="wrong current passwords")
    try:
        valid = await auth.hasher.verify(
            body.current_password, await repo.password_hash(pool, archer_id)
        )
    except TooManyRequests:
        await ratelimit.give_back(pool, limit, window_s=window)
        raise
    if not valid:
        raise BusinessRuleError("current_password is wrong")
    await ratelimit.reset(pool, limit)
    return await auth.hasher.hash(body.new_password)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def signed_out(login_tokens: int, device_tokens: int, *, current_kept: bool) -> dict[str, Any]:
    ended = _plural(login_tokens, "sign-in")
    parts = [f"{ended} elsewhere ended." if current_kept else f"{ended} ended, this one too."]
    if device_tokens:
        parts.append(
            f"{_plural(device_tokens, 'device token')} revoked: sensor readers must be paired "
            "again with a new device token (POST /api/v0/auth/token)."
        )
    return {
        "login_tokens": login_tokens,
        "device_tokens": device_tokens,
        "current_kept": current_kept,
        "message": " ".join(parts),
    }


async def update_me(
    conn: Connection,
    principal_token: UUID,
    archer_id: UUID,
    body: ArcherPatch,
    new_hash: str | None,
) -> tuple[dict[str, Any], list[UUID]]:
    """Apply the patch (in the caller's transaction). A new password revokes every other
    token of the account, device tokens included; returns the answer and the revoked ids."""
    changes = body.model_dump(exclude_unset=True, exclude={"current_password", "new_password"})
    for key in ("name", "bowstyle", "gender", "age_group"):
        if key in changes and changes[key] is None:
            raise BusinessRuleError(f"{key} cannot be null")
    data: dict[str, Any] = orjson.loads(
        await repo.update_archer(conn, archer_id, changes, new_hash)
    )
    revoked: list[UUID] = []
    data["signed_out"] = None
    if new_hash is not None:
        rows = await repo.revoke_tokens(
            conn, archer_id=archer_id, scopes=("login", "sensor"), keep=principal_token
        )
        revoked = [r["id"] for r in rows]
        devices = sum(1 for r in rows if r["scope"] == "sensor")
        data["signed_out"] = signed_out(len(rows) - devices, devices, current_kept=True)
        data["signed_out"]["message"] = "Password changed. " + data["signed_out"]["message"]
    return data, revoked


async def sign_out_everywhere(
    conn: Executor, *, archer_id: UUID, current: UUID, keep_current: bool, devices: bool
) -> tuple[dict[str, Any], list[UUID]]:
    scopes = ("login", "sensor") if devices else ("login",)
    rows = await repo.revoke_tokens(
        conn, archer_id=archer_id, scopes=scopes, keep=current if keep_current else None
    )
    device_count = sum(1 for r in rows if r["scope"] == "sensor")
    data = signed_out(len(rows) - device_count, device_count, current_kept=keep_current)
    return data, [r["id"] for r in rows]


async def login_tokens(
    conn: Executor, archer_id: UUID, *, current: UUID, auth: AuthRuntime
) -> list[dict[str, Any]]:
    rows = await repo.login_tokens(conn, archer_id)
    agents = await asyncio.to_thread(lambda: [describe(r["user_agent"]) for r in rows])
    return [_login_token(r, agent, current, auth) for r, agent in zip(rows, agents, strict=True)]


async def revoke_login_token(
    conn: Executor, archer_id: UUID, token_id: UUID, *, current: UUID, auth: AuthRuntime
) -> dict[str, Any]:
    row = await repo.revoke_login_token(conn, token_id=token_id, archer_id=archer_id)
    if row is None:
        raise NotFound("login token", token_id)
    agent = await asyncio.to_thread(describe, row["user_agent"])
    return _login_token(row, agent, current, auth)


def _login_token(row: Any, agent: str, current: UUID, auth: AuthRuntime) -> dict[str, Any]:
    data: dict[str, Any] = orjson.loads(row["json"])
    data["device"] = agent
    data["current"] = row["id"] == current
    # A use noted in this process and not written yet is newer than the stored one.
    noted = auth.usage.pending(row["id"])
    if noted is not None:
        stored = data["last_used_at"]
        if stored is None or datetime.fromisoformat(stored) < noted:
            data["last_used_at"] = noted
    return data


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
