"""All SQL of the accounts domain."""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from datetime import datetime
from typing import Any, TypeAlias
from uuid import UUID

import asyncpg

from arch_stats.core.database import Executor
from arch_stats.core.errors import Conflict, NotAuthenticated

ARCHER_JSON = """json_build_object(
    'id', a.id, 'email', a.email, 'name', a.name, 'bowstyle', a.bowstyle, 'gender', a.gender,
    'age_group', a.age_group, 'draw_weight_lbs', a.draw_weight_lbs, 'created_at', a.created_at,
    'is_admin', a.is_admin)"""

TOKEN_JSON = """json_build_object(
    'id', t.id, 'name', t.name, 'scope', t.scope, 'created_at', t.created_at,
    'expires_at', t.expires_at, 'revoked_at', t.revoked_at, 'last_used_at', t.last_used_at)"""

ACCOUNT_DISABLED = "this account is disabled: ask the administrator of this Arch Stats"

PROFILE_FIELDS = ("name", "bowstyle", "gender", "age_group", "draw_weight_lbs")

IPAddress: TypeAlias = ipaddress.IPv4Address | ipaddress.IPv6Address
# The account's own addresses: those it signed in from within this many days.
KNOWN_ADDRESS_DAYS = 90


async def insert_archer(
    conn: Executor, *, email: str, password_hash: str, profile: dict[str, Any]
) -> str:
    try:
        json: str = await conn.fetchval(
            f"""INSERT INTO archer AS a (email, password_hash, name, bowstyle, gender, age_group,
                                        draw_weight_lbs)
                VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING {ARCHER_JSON}""",
            email,
            password_hash,
            profile["name"],
            profile["bowstyle"],
            profile["gender"],
            profile["age_group"],
            profile["draw_weight_lbs"],
        )
    except asyncpg.UniqueViolationError:
        raise Conflict("an account with this e-mail address already exists") from None
    return json


async def archer_for_login(
    conn: Executor, email: str, address: IPAddress | None
) -> asyncpg.Record | None:
    """The account of `email`, and whether it has signed in from `address` lately."""
    return await conn.fetchrow(
        f"""SELECT a.id, a.password_hash, {ARCHER_JSON} AS json,
                   a.disabled_at IS NOT NULL AS disabled,
                   EXISTS (SELECT 1 FROM auth_token t
                           WHERE t.archer_id = a.id AND t.scope = 'login' AND t.address = $2
                             AND t.created_at > now() - make_interval(days => $3)) AS known
            FROM archer a WHERE lower(a.email) = lower($1)""",
        email,
        address,
        KNOWN_ADDRESS_DAYS,
    )


async def archer_json(conn: Executor, archer_id: UUID) -> str | None:
    json: str | None = await conn.fetchval(
        f"SELECT {ARCHER_JSON} FROM archer a WHERE a.id = $1", archer_id
    )
    return json


async def password_hash(conn: Executor, archer_id: UUID) -> str:
    value: str = await conn.fetchval("SELECT password_hash FROM archer WHERE id = $1", archer_id)
    return value


async def update_archer(
    conn: Executor, archer_id: UUID, changes: dict[str, Any], new_hash: str | None
) -> str:
    sets = [f"{k} = ${i}" for i, k in enumerate(changes, start=2) if k in PROFILE_FIELDS]
    args: list[Any] = [archer_id, *(changes[k] for k in changes if k in PROFILE_FIELDS)]
    if new_hash is not None:
        args.append(new_hash)
        sets.append(f"password_hash = ${len(args)}")
    sets.append("updated_at = now()")
    json: str = await conn.fetchval(
        f"UPDATE archer AS a SET {', '.join(sets)} WHERE a.id = $1 RETURNING {ARCHER_JSON}", *args
    )
    return json


async def insert_token(
    conn: Executor,
    *,
    archer_id: UUID,
    token_hash: bytes,
    scope: str,
    name: str | None,
    expires_at: datetime | None,
) -> asyncpg.Record:
    try:
        row = await conn.fetchrow(
            f"""INSERT INTO auth_token AS t (archer_id, token_hash, scope, name, expires_at)
                VALUES ($1, $2, $3, $4, $5) RETURNING t.id, t.expires_at, {TOKEN_JSON} AS json""",
            archer_id,
            token_hash,
            scope,
            name,
            expires_at,
        )
    except asyncpg.InvalidAuthorizationSpecificationError:  # disabled meanwhile (a trigger)
        raise NotAuthenticated(ACCOUNT_DISABLED) from None
    assert row is not None
    return row


async def insert_login_token(
    conn: Executor,
    *,
    archer_id: UUID,
    token_hash: bytes,
    expires_at: datetime,
    verified_hash: str,
    user_agent: str | None,
    address: IPAddress | None,
) -> bool:
    """Store a login token, only if the password checked is still the account's.

    FOR SHARE waits for a password change in progress: a login checked against the old
    password cannot slip a token in after the change has revoked the others."""
    done = await conn.fetchval(
        """INSERT INTO auth_token (archer_id, token_hash, scope, expires_at, user_agent, address)
           SELECT a.id, $2, 'login', $3, $5, $6 FROM archer a
           WHERE a.id = $1 AND a.password_hash = $4 AND a.disabled_at IS NULL FOR SHARE
           RETURNING true""",
        archer_id,
        token_hash,
        expires_at,
        verified_hash,
        user_agent,
        address,
    )
    return bool(done)


async def token_principal(conn: Executor, token_hash: bytes) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT id, archer_id, scope, expires_at FROM auth_token WHERE token_hash = $1 "
        "AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now())",
        token_hash,
    )


VALID = "revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now())"


async def token_valid(conn: Executor, token_id: UUID) -> bool:
    found = await conn.fetchval(f"SELECT true FROM auth_token WHERE id = $1 AND {VALID}", token_id)
    return bool(found)


async def valid_token_ids(conn: Executor, token_ids: Sequence[UUID]) -> set[UUID]:
    rows = await conn.fetch(
        f"SELECT id FROM auth_token WHERE id = ANY($1::uuid[]) AND {VALID}", list(token_ids)
    )
    return {r["id"] for r in rows}


async def record_token_use(
    conn: Executor, token_ids: Sequence[UUID], used_at: Sequence[datetime]
) -> None:
    """Last use of many tokens in one statement; never moves a token's last use back.

    Every process flushes the tokens it saw used, the same ones when a client's requests
    reach several: the rows are locked in one order, by id, before they are written (an
    UPDATE locks them in the order its plan meets them), so two flushes never deadlock."""
    await conn.execute(
        """WITH locked AS MATERIALIZED (
               SELECT t.id FROM auth_token t WHERE t.id = ANY ($1::uuid[])
               ORDER BY t.id FOR NO KEY UPDATE
           )
           UPDATE auth_token t SET last_used_at = u.at
           FROM unnest($1::uuid[], $2::timestamptz[]) AS u (id, at)
           WHERE t.id = u.id AND t.id IN (SELECT id FROM locked)
             AND (t.last_used_at IS NULL OR t.last_used_at < u.at)""",
        list(token_ids),
        list(used_at),
    )


LOGIN_TOKEN_JSON = """json_build_object(
    'id', t.id, 'created_at', t.created_at, 'expires_at', t.expires_at,
    'last_used_at', t.last_used_at, 'user_agent', t.user_agent, 'address', host(t.address),
    'revoked_at', t.revoked_at)"""


async def login_tokens(conn: Executor, archer_id: UUID) -> list[asyncpg.Record]:
    """The account's login tokens that still work, newest first."""
    return await conn.fetch(
        f"""SELECT t.id, t.user_agent, {LOGIN_TOKEN_JSON} AS json FROM auth_token t
            WHERE t.archer_id = $1 AND t.scope = 'login' AND {VALID}
            ORDER BY t.created_at DESC, t.id""",
        archer_id,
    )


async def revoke_login_token(
    conn: Executor, *, token_id: UUID, archer_id: UUID
) -> asyncpg.Record | None:
    """Revoke one of the account's working login tokens; None when there is no such one."""
    return await conn.fetchrow(
        f"""UPDATE auth_token AS t SET revoked_at = now()
            WHERE t.id = $1 AND t.archer_id = $2 AND t.scope = 'login' AND {VALID}
            RETURNING t.id, t.user_agent, {LOGIN_TOKEN_JSON} AS json""",
        token_id,
        archer_id,
    )


async def revoke_tokens(
    conn: Executor, *, archer_id: UUID, scopes: Sequence[str], keep: UUID | None
) -> list[asyncpg.Record]:
    """Revoke the account's working tokens of `scopes`, but `keep`; returns (id, scope)."""
    return await conn.fetch(
        f"""UPDATE auth_token SET revoked_at = now()
            WHERE archer_id = $1 AND scope = ANY($2::text[]) AND id IS DISTINCT FROM $3
              AND {VALID}
            RETURNING id, scope""",
        archer_id,
        list(scopes),
        keep,
    )


# --- rate limits (see auth.ratelimit and definitions/auth_limit_take.sql) --------------------


async def limit_take(
    conn: Executor, keys: Sequence[str], intervals: Sequence[float], window_s: float
) -> float:
    wait: float = await conn.fetchval(
        "SELECT auth_limit_take($1::text[], $2::float8[], $3)",
        list(keys),
        list(intervals),
        window_s,
    )
    return wait


# The keys' rows locked in key order, as auth_limit_take locks them: a give-back or a reset
# and another process's take of the same keys queue, never deadlock.
_LIMIT_KEYS_LOCKED = (
    "SELECT key FROM auth_limit WHERE key = ANY ($1::text[]) ORDER BY key FOR UPDATE"
)


async def limit_give_back(conn: Executor, keys: Sequence[str], intervals: Sequence[float]) -> None:
    await conn.execute(
        f"""WITH locked AS MATERIALIZED ({_LIMIT_KEYS_LOCKED})
            UPDATE auth_limit l SET tat = l.tat - make_interval(secs => u.iv)
            FROM unnest($1::text[], $2::float8[]) AS u (key, iv)
            WHERE l.key = u.key AND l.key IN (SELECT key FROM locked)""",
        list(keys),
        list(intervals),
    )


async def limit_reset(conn: Executor, keys: Sequence[str]) -> None:
    await conn.execute(f"DELETE FROM auth_limit WHERE key IN ({_LIMIT_KEYS_LOCKED})", list(keys))


async def limit_prune(conn: Executor) -> None:
    """Keys whose attempts have all run out of the window hold nothing: delete them."""
    await conn.execute("DELETE FROM auth_limit WHERE tat < now()")


async def revoke_token(conn: Executor, *, token_id: UUID, archer_id: UUID) -> bool:
    done = await conn.fetchval(
        "UPDATE auth_token SET revoked_at = coalesce(revoked_at, now()) "
        "WHERE id = $1 AND archer_id = $2 RETURNING true",
        token_id,
        archer_id,
    )
    return bool(done)


async def revoke_device_token(conn: Executor, *, token_id: UUID, archer_id: UUID) -> str | None:
    json: str | None = await conn.fetchval(
        f"""UPDATE auth_token AS t SET revoked_at = coalesce(revoked_at, now())
            WHERE t.id = $1 AND t.archer_id = $2 AND t.scope = 'sensor' RETURNING {TOKEN_JSON}""",
        token_id,
        archer_id,
    )
    return json


async def device_tokens_json(conn: Executor, archer_id: UUID) -> str:
    json: str = await conn.fetchval(
        f"""SELECT coalesce(json_agg({TOKEN_JSON} ORDER BY t.created_at, t.id), '[]')
            FROM auth_token t WHERE t.archer_id = $1 AND t.scope = 'sensor'""",
        archer_id,
    )
    return json
