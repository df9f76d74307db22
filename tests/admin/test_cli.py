"""`arch-stats admin …` run as a real process against the suite's database."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys

import httpx

from arch_stats.core.database import Connection
from tests.admin.helpers import API, make_admin, token_of
from tests.conftest import ArcherCtx, MakeArcher


async def cli(dsn: str, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {**os.environ, "DATABASE_URL": dsn, "LOG_LEVEL": "WARNING", **env}
    environ.pop("PUBLIC_URL", None) if "PUBLIC_URL" not in env else None
    return await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "arch_stats", "admin", *args],
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
    )


async def test_grant_list_revoke_and_the_last_admin(
    migrated: str, archer: ArcherCtx, other: ArcherCtx, db: Connection
) -> None:
    r = await cli(migrated, "list")
    assert r.returncode == 0 and r.stdout == "" and "no administrator yet" in r.stderr
    r = await cli(migrated, "grant", archer.email.upper())  # any case
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == f"{archer.email} is now an administrator"
    assert await db.fetchval("SELECT is_admin FROM archer WHERE id = $1", archer.id)
    r = await cli(migrated, "grant", archer.email)
    assert r.returncode == 0 and "already" in r.stdout
    r = await cli(migrated, "revoke", archer.email)
    assert r.returncode == 1
    assert "last working administrator" in r.stderr and r.stdout == ""
    assert await db.fetchval("SELECT is_admin FROM archer WHERE id = $1", archer.id)
    assert (await cli(migrated, "grant", other.email)).returncode == 0
    r = await cli(migrated, "list")
    assert r.returncode == 0
    lines = r.stdout.splitlines()
    assert len(lines) == 2 and all("\tactive\t" in line for line in lines)
    assert {line.split("\t")[0] for line in lines} == {archer.email, other.email}
    r = await cli(migrated, "revoke", archer.email)
    assert r.returncode == 0 and "no longer" in r.stdout
    assert not await db.fetchval("SELECT is_admin FROM archer WHERE id = $1", archer.id)


async def test_unknown_email_fails_with_a_message(migrated: str, archer: ArcherCtx) -> None:
    for action in ("grant", "revoke", "reset-link"):
        r = await cli(migrated, action, "nobody@example.org")
        assert r.returncode == 1, (action, r.stdout, r.stderr)
        assert "no account with the e-mail address 'nobody@example.org'" in r.stderr
        assert r.stdout == ""
    r = await cli(migrated, "grant")
    assert r.returncode == 2 and "EMAIL" in r.stderr


async def test_reset_link_printed_works_once(
    migrated: str, archer: ArcherCtx, client: httpx.AsyncClient
) -> None:
    r = await cli(migrated, "reset-link", archer.email, PUBLIC_URL="https://archery.example.org/")
    assert r.returncode == 0, r.stderr
    url = r.stdout.strip()
    assert url.startswith("https://archery.example.org/app/reset#token=asr_")
    assert "valid until" in r.stderr and "PUBLIC_URL is not set" not in r.stderr
    body = {"token": token_of(url), "new_password": "new-password-1"}
    assert (await client.post(f"{API}/auth/password-reset", json=body)).status_code == 200
    assert (await client.post(f"{API}/auth/password-reset", json=body)).status_code == 400
    r = await cli(migrated, "reset-link", archer.email, HOST="0.0.0.0", PORT="8123")  # noqa: S104
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("http://localhost:8123/app/reset#token=asr_")
    assert "PUBLIC_URL is not set" in r.stderr


async def test_an_admin_cannot_take_over_another_admin_through_a_reset_link(
    migrated: str, server_url: str, make_archer: MakeArcher, db: Connection
) -> None:
    """Over a real HTTP server: another administrator's link is refused (403), and only the
    operator on the machine issues one; a link issued while an account was an ordinary one
    stops working when it is made an administrator."""
    first = await make_admin(db, await make_archer("First Admin"))
    second = await make_admin(db, await make_archer("Second Admin"))
    archer = await make_archer("Ordinary")
    async with httpx.AsyncClient(base_url=f"http://{server_url}", headers=first.headers) as http:
        r = await http.post(f"{API}/admin/archer/{second.id}/reset-link")
        assert r.status_code == 403, r.text
        assert "arch-stats admin reset-link EMAIL" in r.json()["errors"][0]
        assert await db.fetchval("SELECT count(*) FROM password_reset") == 0
        assert (await http.post(f"{API}/admin/archer/{first.id}/reset-link")).status_code == 201
        early = await http.post(f"{API}/admin/archer/{archer.id}/reset-link")
        assert early.status_code == 201
        # The operator may.
        done = await cli(migrated, "reset-link", second.email)
        assert done.returncode == 0, done.stderr
        body = {"token": token_of(done.stdout.strip()), "new_password": "operator-chose-this"}
        assert (await http.post(f"{API}/auth/password-reset", json=body)).status_code == 200
        # Granted: the link issued before no longer opens the account.
        assert (await cli(migrated, "grant", archer.email)).returncode == 0
        body = {"token": token_of(early.json()["data"]["url"]), "new_password": "taken-over-now"}
        r = await http.post(f"{API}/auth/password-reset", json=body)
        assert r.status_code == 400, r.text


def test_help_names_every_action() -> None:
    r = subprocess.run(
        [sys.executable, "-m", "arch_stats", "admin", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    for action in ("grant", "revoke", "list", "reset-link"):
        assert action in r.stdout
