"""All SQL of the accounts domain."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg

from arch_stats.core.database import Executor
from arch_stats.core.errors import Conflict

ARCHER_JSON = """json_build_object(
    'id', a.id, 'email', a.email, 'name', a.name, 'bowstyle', a.bowstyle, 'gender', a.gender,
    'age_group', a.age_group, 'draw_weight_lbs', a.draw_weight_lbs, 'created_at', a.created_at)"""

TOKEN_JSON = """json_build_object(
    'id', t.id, 'name', t.name, 'scope', t.scope, 'created_at', t.created_at,
    'expires_at', t.expires_at, 'revoked_at', t.revoked_at, 'last_used_at', t.last_used_at)"""

PROFILE_FIELDS = ("name", "bowstyle", "gender", "age_group", "draw_weight_lbs")


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


async def archer_for_login(conn: Executor, email: str) -> asyncpg.Record | None:
    return await conn.fetchrow(
        f"SELECT a.id, a.password_hash, {ARCHER_JSON} AS json FROM archer a "
        "WHERE lower(a.email) = lower($1)",
        email,
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
    row = await conn.fetchrow(
        f"""INSERT INTO auth_token AS t (archer_id, token_hash, scope, name, expires_at)
            VALUES ($1, $2, $3, $4, $5) RETURNING t.id, t.expires_at, {TOKEN_JSON} AS json""",
        archer_id,
        token_hash,
        scope,
        name,
        expires_at,
    )
    assert row is not None
    return row


async def token_principal(conn: Executor, token_hash: bytes) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT id, archer_id, scope, expires_at FROM auth_token WHERE token_hash = $1 "
        "AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now())",
        token_hash,
    )


async def touch_token(conn: Executor, token_id: UUID) -> None:
    await conn.execute("UPDATE auth_token SET last_used_at = now() WHERE id = $1", token_id)


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
