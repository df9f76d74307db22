"""One-time password reset links: single use, expiry, hashed, limited, tokens revoked."""

from __future__ import annotations

import hashlib

import httpx
import pytest

from arch_stats.core.database import Connection
from arch_stats.core.settings import Settings
from tests.admin.helpers import API, issue_link, make_admin, token_of
from tests.conftest import PASSWORD, ArcherCtx

NEW = "a-brand-new-password"


async def reset(client: httpx.AsyncClient, token: str, password: str = NEW) -> httpx.Response:
    return await client.post(
        f"{API}/auth/password-reset", json={"token": token, "new_password": password}
    )


async def login_status(client: httpx.AsyncClient, who: ArcherCtx, password: str) -> int:
    r = await client.post(f"{API}/auth/login", json={"email": who.email, "password": password})
    return r.status_code


async def test_link_sets_the_password_once_and_revokes_every_token(
    client: httpx.AsyncClient, archer: ArcherCtx, other: ArcherCtx, db: Connection
) -> None:
    await make_admin(db, archer)
    url = await issue_link(client, archer, other.id)
    assert url.startswith("http://test/app/reset#token=asr_")
    token = token_of(url)
    # Stored as a hash only.
    stored = await db.fetchval(
        "SELECT token_hash FROM password_reset WHERE archer_id = $1", other.id
    )
    assert stored == hashlib.sha256(token.encode()).digest()
    assert token.encode() not in stored
    r = await reset(client, token)
    assert r.status_code == 200, r.text
    assert r.json()["data"]["signed_out"] == 1
    assert (await client.get(f"{API}/auth/me", headers=other.headers)).status_code == 401
    assert await login_status(client, other, PASSWORD) == 401
    assert await login_status(client, other, NEW) == 200
    r = await reset(client, token, "yet-another-password")
    assert r.status_code == 400 and "does not work" in r.json()["errors"][0]
    assert await login_status(client, other, NEW) == 200


async def test_expired_link_does_not_work(
    client: httpx.AsyncClient, archer: ArcherCtx, other: ArcherCtx, db: Connection
) -> None:
    await make_admin(db, archer)
    token = token_of(await issue_link(client, archer, other.id))
    await db.execute(
        "UPDATE password_reset SET created_at = now() - interval '2 days', "
        "expires_at = now() - interval '1 second'"
    )
    r = await reset(client, token)
    assert r.status_code == 400
    assert await login_status(client, other, PASSWORD) == 200


async def test_a_new_link_ends_the_earlier_one(
    client: httpx.AsyncClient, archer: ArcherCtx, other: ArcherCtx, db: Connection
) -> None:
    await make_admin(db, archer)
    first = token_of(await issue_link(client, archer, other.id))
    second = token_of(await issue_link(client, archer, other.id))
    assert (await reset(client, first)).status_code == 400
    assert (await reset(client, second)).status_code == 200


async def test_link_lifetime_follows_the_setting(
    client: httpx.AsyncClient, archer: ArcherCtx, other: ArcherCtx, db: Connection,
    settings: Settings,
) -> None:  # fmt: skip
    await make_admin(db, archer)
    r = await client.post(f"{API}/admin/archer/{other.id}/reset-link", headers=archer.headers)
    hours = await db.fetchval(
        "SELECT extract(epoch FROM expires_at - created_at) / 3600 FROM password_reset"
    )
    assert abs(hours - settings.password_reset_hours) < 0.1
    assert r.json()["data"]["archer_id"] == str(other.id)


async def test_new_password_follows_registration_rules(
    client: httpx.AsyncClient, archer: ArcherCtx, other: ArcherCtx, db: Connection
) -> None:
    await make_admin(db, archer)
    token = token_of(await issue_link(client, archer, other.id))
    r = await reset(client, token, "short")
    assert r.status_code == 422 and "new_password" in r.json()["errors"][0]
    r = await client.post(f"{API}/auth/password-reset", json={"token": token})
    assert r.status_code == 422
    r = await client.post(
        f"{API}/auth/password-reset", json={"token": token, "new_password": NEW, "x": 1}
    )
    assert r.status_code == 422
    assert (await reset(client, token)).status_code == 200  # the link was not used up


async def test_guessing_links_is_limited_per_address(
    client: httpx.AsyncClient, archer: ArcherCtx, other: ArcherCtx, db: Connection,
    settings: Settings,
) -> None:  # fmt: skip
    await make_admin(db, archer)
    token = token_of(await issue_link(client, archer, other.id))
    codes = [
        (await reset(client, f"asr_guess{i}")).status_code
        for i in range(settings.login_address_max_attempts + 2)
    ]
    assert codes[: settings.login_address_max_attempts] == [400] * (
        settings.login_address_max_attempts
    )
    assert codes[-1] == 429
    r = await reset(client, token)
    assert r.status_code == 429 and r.headers["Retry-After"]


@pytest.mark.parametrize("token", ["", "x" * 201])
async def test_malformed_token_422(client: httpx.AsyncClient, token: str) -> None:
    r = await reset(client, token)
    assert r.status_code == 422 and r.json()["data"] is None


async def test_public_url_setting_shapes_the_link(
    client: httpx.AsyncClient, archer: ArcherCtx, other: ArcherCtx, db: Connection,
    settings: Settings,
) -> None:  # fmt: skip
    await make_admin(db, archer)
    object.__setattr__(settings, "public_url", "https://archery.example.org")
    try:
        url = await issue_link(client, archer, other.id)
    finally:
        object.__setattr__(settings, "public_url", None)
    assert url.startswith("https://archery.example.org/app/reset#token=asr_")


def test_public_url_must_be_http() -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError):
        Settings(public_url="archery.example.org")
    assert Settings(public_url=" https://x.org/ ").public_url == "https://x.org"
