"""All SQL of the administrator's domain (accounts, administrators, password reset links)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg
import orjson

from arch_stats.core.database import Executor
from arch_stats.core.errors import BusinessRuleError

# What an administrator sees of an account: no profile details beyond the name, and of its
# data only counts.
ACCOUNT_JSON = """json_build_object(
    'id', a.id, 'email', a.email, 'name', a.name, 'created_at', a.created_at,
    'last_sign_in_at', (SELECT max(t.created_at) FROM auth_token t
                        WHERE t.archer_id = a.id AND t.scope = 'login'),
    'disabled_at', a.disabled_at, 'is_admin', a.is_admin,
    'sessions', (SELECT count(*) FROM session s WHERE s.archer_id = a.id),
    'open_sessions', (SELECT count(*) FROM session s
                      WHERE s.archer_id = a.id AND s.is_open))"""

LAST_ADMIN = "archer_keeps_an_admin"
LAST_ADMIN_MESSAGE = (
    "this is the last working administrator: grant another account first "
    "(`arch-stats admin grant EMAIL`)"
)


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


async def is_admin(conn: Executor, archer_id: UUID) -> bool:
    found = await conn.fetchval(
        "SELECT true FROM archer WHERE id = $1 AND is_admin AND disabled_at IS NULL", archer_id
    )
    return bool(found)


async def accounts(conn: Executor, *, q: str | None, limit: int, offset: int) -> str:
    """A page of accounts, newest first, with the total: `{"items", "total", …}` as JSON."""
    json: str = await conn.fetchval(
        f"""WITH found AS (
                SELECT a.* FROM archer a
                WHERE NOT a.is_guest
                  AND ($1::text IS NULL OR a.email ILIKE $1 OR a.name ILIKE $1)),
            page AS (
                SELECT a.* FROM found a ORDER BY a.created_at DESC, a.id LIMIT $2 OFFSET $3)
            SELECT json_build_object(
                'items', coalesce((SELECT json_agg({ACCOUNT_JSON} ORDER BY a.created_at DESC, a.id)
                                   FROM page a), '[]'),
                'total', (SELECT count(*) FROM found),
                'limit', $2::int, 'offset', $3::int)""",
        None if q is None else _like(q),
        limit,
        offset,
    )
    return json


async def account(conn: Executor, archer_id: UUID) -> dict[str, Any] | None:
    json: str | None = await conn.fetchval(
        f"SELECT {ACCOUNT_JSON} FROM archer a WHERE a.id = $1", archer_id
    )
    return None if json is None else _loads(json)


def _loads(json: str) -> dict[str, Any]:
    data: dict[str, Any] = orjson.loads(json)
    return data


async def lock_account(conn: Executor, archer_id: UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT id, is_admin, disabled_at FROM archer WHERE id = $1 FOR UPDATE", archer_id
    )


async def set_disabled(conn: Executor, archer_id: UUID, *, disabled: bool) -> None:
    """Disable (a trigger revokes every token left: definitions/archer_disabled_revoke_tokens.sql)
    or re-enable an account."""
    try:
        await conn.execute(
            "UPDATE archer SET disabled_at = CASE WHEN $2 THEN coalesce(disabled_at, now()) END, "
            "updated_at = now() WHERE id = $1",
            archer_id,
            disabled,
        )
    except asyncpg.CheckViolationError as exc:
        if exc.constraint_name == LAST_ADMIN:
            raise BusinessRuleError(LAST_ADMIN_MESSAGE) from None
        raise


async def archer_by_email(conn: Executor, email: str) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT id, email, name, is_admin, disabled_at FROM archer WHERE lower(email) = lower($1)",
        email,
    )


async def set_admin(conn: Executor, archer_id: UUID, *, admin: bool) -> bool:
    """Grant or revoke; False when it was so already."""
    try:
        done = await conn.fetchval(
            "UPDATE archer SET is_admin = $2, updated_at = now() "
            "WHERE id = $1 AND is_admin <> $2 RETURNING true",
            archer_id,
            admin,
        )
    except asyncpg.CheckViolationError as exc:
        if exc.constraint_name == LAST_ADMIN:
            raise BusinessRuleError(LAST_ADMIN_MESSAGE) from None
        raise
    return bool(done)


async def admins(conn: Executor) -> list[asyncpg.Record]:
    return await conn.fetch(
        """SELECT a.email, a.name, a.created_at, a.disabled_at,
                  (SELECT max(t.created_at) FROM auth_token t
                   WHERE t.archer_id = a.id AND t.scope = 'login') AS last_sign_in_at
           FROM archer a WHERE a.is_admin ORDER BY lower(a.email)"""
    )


# --- password reset links ------------------------------------------------------------------


async def end_unused_resets(conn: Executor, archer_id: UUID) -> None:
    await conn.execute(
        "DELETE FROM password_reset WHERE archer_id = $1 AND used_at IS NULL", archer_id
    )


async def insert_reset(
    conn: Executor, *, archer_id: UUID, token_hash: bytes, expires_at: datetime
) -> None:
    """A new link for the account; its links not used yet stop working."""
    await end_unused_resets(conn, archer_id)
    await conn.execute(
        "INSERT INTO password_reset (archer_id, token_hash, expires_at) VALUES ($1, $2, $3)",
        archer_id,
        token_hash,
        expires_at,
    )


RESET_VALID = "used_at IS NULL AND expires_at > now()"


async def reset_valid(conn: Executor, token_hash: bytes) -> bool:
    found = await conn.fetchval(
        f"SELECT true FROM password_reset WHERE token_hash = $1 AND {RESET_VALID}", token_hash
    )
    return bool(found)


async def use_reset(conn: Executor, token_hash: bytes) -> UUID | None:
    """Mark the link used; the account's id, or None when it does not work (any more)."""
    archer_id: UUID | None = await conn.fetchval(
        f"""UPDATE password_reset SET used_at = now()
            WHERE token_hash = $1 AND {RESET_VALID} RETURNING archer_id""",
        token_hash,
    )
    return archer_id


async def set_password(conn: Executor, archer_id: UUID, password_hash: str) -> None:
    await conn.execute(
        "UPDATE archer SET password_hash = $2, updated_at = now() WHERE id = $1",
        archer_id,
        password_hash,
    )
