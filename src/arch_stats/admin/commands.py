"""`arch-stats admin …`: make and list the instance's administrators, print a reset link."""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

EPILOG = (
    "Administrators list accounts, disable and re-enable them and issue password reset links "
    "in the web UI (/app/admin) or the API (/api/v0/admin/…); they see no archer's data."
)


def add_commands(sub: Any) -> None:
    admin = sub.add_parser(
        "admin",
        help="grant, revoke and list instance administrators; print a password reset link",
        description="Manage the administrators of this Arch Stats instance, on the database "
        "of DATABASE_URL or the embedded one of DATA_DIR (as `serve`).",
        epilog=EPILOG,
    )
    actions = admin.add_subparsers(dest="action", required=True, metavar="ACTION")
    grant = actions.add_parser(
        "grant",
        help="make an account an administrator",
        description="Make EMAIL's account an administrator of the instance.",
    )
    grant.add_argument("email", metavar="EMAIL", help="the account's e-mail address")
    grant.set_defaults(func=cmd_admin, run=_grant)
    revoke = actions.add_parser(
        "revoke",
        help="stop an account being an administrator",
        description="Take the administrator's role from EMAIL's account. The last working "
        "administrator keeps it: grant another account first.",
    )
    revoke.add_argument("email", metavar="EMAIL", help="the account's e-mail address")
    revoke.set_defaults(func=cmd_admin, run=_revoke)
    listing = actions.add_parser(
        "list", help="list the administrators", description="List the administrators."
    )
    listing.set_defaults(func=cmd_admin, run=_list)
    link = actions.add_parser(
        "reset-link",
        help="print a one-time password reset link for an account",
        description="Print a one-time password reset link for EMAIL's account on standard "
        "output. It works once, for PASSWORD_RESET_HOURS (default 24), and ends the links "
        "issued before. Its address is PUBLIC_URL (set it to what archers open), else "
        "http://HOST:PORT.",
    )
    link.add_argument("email", metavar="EMAIL", help="the account's e-mail address")
    link.set_defaults(func=cmd_admin, run=_reset_link)


Action = Callable[[Any, argparse.Namespace], Awaitable[int]]


def cmd_admin(args: argparse.Namespace) -> int:
    from arch_stats.core.runtime import database, migrate_up, say
    from arch_stats.core.settings import get_settings

    settings = get_settings()
    with database(settings) as dsn:
        asyncio.run(migrate_up(dsn, quiet=True))
        return asyncio.run(_run(dsn, args, say))


async def _run(dsn: str, args: argparse.Namespace, say: Callable[[str], None]) -> int:
    from arch_stats.admin.service import UnknownEmail
    from arch_stats.core import migrations
    from arch_stats.core.errors import AppError

    run: Action = args.run
    conn = await migrations.connect(dsn)
    try:
        async with conn.transaction():
            return await run(conn, args)
    except UnknownEmail as exc:
        say(f"error: {exc}")
        return 1
    except AppError as exc:
        say(f"error: {'; '.join(exc.messages)}")
        return 1
    finally:
        await conn.close()


async def _grant(conn: Any, args: argparse.Namespace) -> int:
    from arch_stats.admin import service

    email, changed = await service.grant(conn, args.email)
    print(f"{email} is {'now' if changed else 'already'} an administrator")
    return 0


async def _revoke(conn: Any, args: argparse.Namespace) -> int:
    from arch_stats.admin import service

    email, changed = await service.revoke(conn, args.email)
    print(f"{email} is {'no longer' if changed else 'not'} an administrator")
    return 0


async def _list(conn: Any, args: argparse.Namespace) -> int:
    from arch_stats.admin import service
    from arch_stats.core.runtime import say

    rows = await service.admins(conn)
    if not rows:
        say("no administrator yet: `arch-stats admin grant EMAIL` makes one")
        return 0
    for r in rows:
        seen = r["last_sign_in_at"]
        state = "disabled" if r["disabled_at"] is not None else "active"
        last = seen.isoformat(timespec="seconds") if seen else "never signed in"
        print(f"{r['email']}\t{r['name']}\t{state}\tlast sign-in: {last}")
    return 0


async def _reset_link(conn: Any, args: argparse.Namespace) -> int:
    from arch_stats.admin import service
    from arch_stats.core.runtime import say
    from arch_stats.core.settings import get_settings

    settings = get_settings()
    email, link = await service.issue_reset_for_email(conn, args.email, settings=settings)
    print(link["url"])
    until = link["expires_at"].isoformat(timespec="minutes")
    say(f"one-time password reset link for {email}, valid until {until} (UTC)")
    if not settings.public_url:
        say(
            "PUBLIC_URL is not set: the link points at HOST:PORT; set PUBLIC_URL to the address "
            "archers open"
        )
    return 0
