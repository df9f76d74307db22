"""The administrator's rules, and the password reset.

Administrators manage accounts, not archers' data: nothing here reads a session, a shot or an
arrow, only counts. Disabling an account revokes every token it has (sign-ins and device
tokens), which every server process hears at commit (`auth.runtime`): REST answers 401 and
each of its WebSockets is closed with 4401 at once. Re-enabling gives no token back: the
archer signs in again, and pairs the sensor readers again.

A password reset link is `<public address>/app/reset#token=asr_…`: the secret sits in the
fragment, which browsers never send to a server (no access log or proxy sees it). It works
once, until it expires; only its hash is stored, and issuing a new one for the account ends
the ones not used yet.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from arch_stats.admin import repository as repo
from arch_stats.auth import ratelimit
from arch_stats.auth import repository as auth_repo
from arch_stats.auth.ratelimit import Limit
from arch_stats.auth.runtime import AuthRuntime
from arch_stats.auth.tokens import new_token, token_hash
from arch_stats.core.database import Connection, Executor
from arch_stats.core.errors import BusinessRuleError, Forbidden, NotFound
from arch_stats.core.settings import Settings

PREFIX_RESET = "asr_"
RESET_PATH = "/app/reset"
LINK_DOES_NOT_WORK = (
    "this password reset link does not work: it was used already, it expired, or a newer "
    "one was issued. Ask the administrator for a new one."
)

ANOTHER_ADMIN = (
    "an administrator's password reset link is issued by the operator on the server "
    "(`arch-stats admin reset-link EMAIL`), not by another administrator"
)


class UnknownEmail(LookupError):
    """No account has this e-mail address (the CLI's error)."""


# --- accounts ------------------------------------------------------------------------------


async def list_accounts(conn: Executor, *, q: str | None, limit: int, offset: int) -> str:
    text = q.strip() if q is not None else None
    return await repo.accounts(conn, q=text or None, limit=limit, offset=offset)


async def disable(
    conn: Connection, *, admin_id: UUID, archer_id: UUID
) -> tuple[dict[str, Any], list[UUID]]:
    """Disable an account (in the caller's transaction); the answer and the revoked tokens."""
    if archer_id == admin_id:
        raise BusinessRuleError("you cannot disable your own account")
    row = await repo.lock_account(conn, archer_id)
    if row is None:
        raise NotFound("account", archer_id)
    revoked: list[UUID] = []
    if row["disabled_at"] is None:
        # Revoked here to know which (for this process's cache); the trigger of the update
        # below catches any made in between.
        rows = await auth_repo.revoke_tokens(
            conn, archer_id=archer_id, scopes=("login", "sensor"), keep=None
        )
        revoked = [r["id"] for r in rows]
        await repo.set_disabled(conn, archer_id, disabled=True)
    data = await repo.account(conn, archer_id)
    assert data is not None
    data["revoked_tokens"] = len(revoked)
    return data, revoked


async def enable(conn: Connection, *, archer_id: UUID) -> dict[str, Any]:
    row = await repo.lock_account(conn, archer_id)
    if row is None:
        raise NotFound("account", archer_id)
    if row["disabled_at"] is not None:
        await repo.set_disabled(conn, archer_id, disabled=False)
    data = await repo.account(conn, archer_id)
    assert data is not None
    data["revoked_tokens"] = 0
    return data


# --- administrators (the CLI) --------------------------------------------------------------


async def _by_email(conn: Executor, email: str) -> Any:
    row = await repo.archer_by_email(conn, email.strip())
    if row is None:
        raise UnknownEmail(f"no account with the e-mail address {email.strip()!r}")
    return row


async def grant(conn: Executor, email: str) -> tuple[str, bool]:
    """Make the account an administrator: (its e-mail address, whether it changed). Reset
    links issued before stop working: one issued by an administrator while it was an
    ordinary account must not open an administrator's account."""
    row = await _by_email(conn, email)
    changed = await repo.set_admin(conn, row["id"], admin=True)
    await repo.end_unused_resets(conn, row["id"])
    return row["email"], changed


async def revoke(conn: Executor, email: str) -> tuple[str, bool]:
    row = await _by_email(conn, email)
    return row["email"], await repo.set_admin(conn, row["id"], admin=False)


async def admins(conn: Executor) -> list[Any]:
    return await repo.admins(conn)


# --- password reset links ------------------------------------------------------------------


def reset_url(base: str, token: str) -> str:
    return f"{base.rstrip('/')}{RESET_PATH}#token={token}"


def cli_base_url(settings: Settings) -> str:
    """PUBLIC_URL, else the address `serve` listens on by default."""
    if settings.public_url:
        return settings.public_url
    host = settings.host
    if host in ("0.0.0.0", "::", ""):  # noqa: S104 (an address to reach, not to bind)
        host = "localhost"
    elif ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{settings.port}"


async def issue_reset(
    conn: Connection,
    *,
    archer_id: UUID,
    base_url: str,
    settings: Settings,
    admin_id: UUID | None,
) -> dict[str, Any]:
    """A reset link for the account, asked by the administrator `admin_id`, or by the
    operator on the server (None: the CLI). An administrator cannot get one for another
    administrator's account: the link would take that account over."""
    row = await repo.lock_account(conn, archer_id)
    if row is None:
        raise NotFound("account", archer_id)
    if admin_id is not None and row["is_admin"] and archer_id != admin_id:
        raise Forbidden(ANOTHER_ADMIN)
    token = new_token(PREFIX_RESET)
    expires_at = datetime.now(UTC) + timedelta(hours=settings.password_reset_hours)
    await repo.insert_reset(
        conn, archer_id=archer_id, token_hash=token_hash(token), expires_at=expires_at
    )
    return {"archer_id": archer_id, "url": reset_url(base_url, token), "expires_at": expires_at}


async def issue_reset_for_email(
    conn: Connection, email: str, *, settings: Settings
) -> tuple[str, dict[str, Any]]:
    row = await _by_email(conn, email)
    link = await issue_reset(
        conn, archer_id=row["id"], base_url=cli_base_url(settings), settings=settings, admin_id=None
    )
    return row["email"], link


def _reset_limits(address_key: str, settings: Settings) -> list[Limit]:
    # Links carry 256 random bits: guessing is hopeless anyway; this keeps it from being tried.
    return [Limit(f"reset-address:{address_key}", settings.login_address_max_attempts)]


async def check_reset_link(
    pool: Executor, token: str, *, address_key: str, auth: AuthRuntime
) -> None:
    """Counted like a failed login when the link does not work (400), given back otherwise."""
    limits = _reset_limits(address_key, auth.settings)
    window = auth.settings.login_window_seconds
    await ratelimit.take(pool, limits, window_s=window, what="password reset attempts")
    if not token.startswith(PREFIX_RESET) or not await repo.reset_valid(pool, token_hash(token)):
        raise BusinessRuleError(LINK_DOES_NOT_WORK)
    await ratelimit.give_back(pool, limits, window_s=window)


async def complete_reset(
    conn: Connection, token: str, new_hash: str
) -> tuple[dict[str, Any], list[UUID]]:
    """Use the link (in the caller's transaction): the new password, every token revoked."""
    archer_id = await repo.use_reset(conn, token_hash(token))
    if archer_id is None:  # used by a twin request meanwhile, or expired
        raise BusinessRuleError(LINK_DOES_NOT_WORK)
    await repo.set_password(conn, archer_id, new_hash)
    rows = await auth_repo.revoke_tokens(
        conn, archer_id=archer_id, scopes=("login", "sensor"), keep=None
    )
    n = len(rows)
    message = "Password set: sign in with it."
    if n:
        message += f" {n} earlier sign-in(s) and device token(s) were ended."
    return {"signed_out": n, "message": message}, [r["id"] for r in rows]
