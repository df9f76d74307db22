"""Revocation that bites: password change, the list of sign-ins, sign out one or everywhere,
and the last use of tokens tracked without a write per request."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4

import httpx
import pytest
from fastapi import FastAPI

from arch_stats.auth import repository as repo
from arch_stats.auth.runtime import AuthRuntime
from arch_stats.auth.tokens import COOKIE_NAME
from arch_stats.core.database import Connection
from tests.conftest import PASSWORD, ArcherCtx
from tests.lock_order import assert_locks_in_key_order

FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
PHONE = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/130.0.0.0 Mobile Safari/537.36"
)
ME = "/api/v0/auth/me"
TOKENS = "/api/v0/auth/login-token"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def login(
    client: httpx.AsyncClient, who: ArcherCtx, *, agent: str = FIREFOX, password: str = PASSWORD
) -> str:
    r = await client.post(
        "/api/v0/auth/login",
        json={"email": who.email, "password": password},
        headers={"User-Agent": agent},
    )
    assert r.status_code == 200, r.text
    client.cookies.clear()
    token: str = r.json()["data"]["token"]
    return token


async def device_token(client: httpx.AsyncClient, who: ArcherCtx) -> str:
    r = await client.post("/api/v0/auth/token", json={"name": "bow"}, headers=who.headers)
    assert r.status_code == 201
    token: str = r.json()["data"]["token"]
    return token


async def status(client: httpx.AsyncClient, token: str) -> int:
    return (await client.get(ME, headers=bearer(token))).status_code


async def device_status(client: httpx.AsyncClient, token: str) -> int:
    # An empty batch: 200 when the token works, 401 when it does not (and nothing is stored).
    r = await client.post("/api/v0/sensor/event", json=[], headers=bearer(token))
    return r.status_code


async def test_password_change_revokes_every_other_token_and_keeps_this_one(
    client: httpx.AsyncClient, archer: ArcherCtx, other: ArcherCtx
) -> None:
    laptop = await login(client, archer)
    phone = await login(client, archer, agent=PHONE)
    reader = await device_token(client, archer)
    bystander = await login(client, other)
    # In use (so in this process's token cache) before the change.
    assert [await status(client, t) for t in (laptop, phone, bystander)] == [200, 200, 200]
    assert await device_status(client, reader) != 401

    r = await client.patch(
        ME,
        headers=archer.headers,
        json={"current_password": PASSWORD, "new_password": "a-brand-new-one"},
    )
    assert r.status_code == 200, r.text
    signed_out = r.json()["data"]["signed_out"]
    assert (signed_out["login_tokens"], signed_out["device_tokens"]) == (2, 1)
    assert signed_out["current_kept"] is True
    assert "paired again" in signed_out["message"]
    assert r.json()["data"]["name"] == "Alice"

    assert await status(client, archer.token) == 200  # the token that made the change
    assert await status(client, laptop) == 401
    assert await status(client, phone) == 401
    assert await device_status(client, reader) == 401
    assert await status(client, bystander) == 200  # another account: untouched
    assert await status(client, await login(client, archer, password="a-brand-new-one")) == 200


async def test_profile_change_without_password_revokes_nothing(
    client: httpx.AsyncClient, archer: ArcherCtx
) -> None:
    laptop = await login(client, archer)
    r = await client.patch(ME, headers=archer.headers, json={"bowstyle": "barebow"})
    assert r.status_code == 200
    assert r.json()["data"]["signed_out"] is None
    assert await status(client, laptop) == 200


async def test_login_tokens_listed_with_device_address_and_current(
    client: httpx.AsyncClient, archer: ArcherCtx, other: ArcherCtx
) -> None:
    phone = await login(client, archer, agent=PHONE)
    await login(client, archer, agent="curl/8.5.0")
    await login(client, other)
    r = await client.get(TOKENS, headers=bearer(phone))
    assert r.status_code == 200
    tokens = r.json()["data"]
    assert len(tokens) == 3  # the fixture's token and the two logins; not the other archer's
    by_device = {t["device"]: t for t in tokens}
    assert by_device["Chrome Mobile on Android (Pixel 8)"]["current"] is True
    assert by_device["Chrome Mobile on Android (Pixel 8)"]["user_agent"] == PHONE
    assert by_device["Chrome Mobile on Android (Pixel 8)"]["address"] == "127.0.0.1"
    assert by_device["curl"]["current"] is False
    assert sum(t["current"] for t in tokens) == 1
    assert "token" not in tokens[0] and "token_hash" not in tokens[0]
    assert {"created_at", "expires_at", "last_used_at"} <= tokens[0].keys()
    assert tokens == sorted(tokens, key=lambda t: t["created_at"], reverse=True)


async def test_revoke_one_login_token(
    client: httpx.AsyncClient, archer: ArcherCtx, other: ArcherCtx
) -> None:
    laptop = await login(client, archer)
    assert await status(client, laptop) == 200
    tokens = (await client.get(TOKENS, headers=archer.headers)).json()["data"]
    laptop_id = next(t["id"] for t in tokens if not t["current"])

    assert (await client.delete(f"{TOKENS}/{laptop_id}", headers=other.headers)).status_code == 404
    r = await client.delete(f"{TOKENS}/{laptop_id}", headers=archer.headers)
    assert r.status_code == 200
    assert r.json()["data"]["revoked_at"] is not None and r.json()["data"]["current"] is False
    assert "set-cookie" not in r.headers  # another device signed out: this one stays
    assert await status(client, laptop) == 401
    assert await status(client, archer.token) == 200
    assert (await client.delete(f"{TOKENS}/{laptop_id}", headers=archer.headers)).status_code == 404
    listed = (await client.get(TOKENS, headers=archer.headers)).json()["data"]
    assert [t["current"] for t in listed] == [True]


async def test_revoke_own_login_token_clears_the_cookie(
    client: httpx.AsyncClient, archer: ArcherCtx
) -> None:
    tokens = (await client.get(TOKENS, headers=archer.headers)).json()["data"]
    r = await client.delete(f"{TOKENS}/{tokens[0]['id']}", headers=archer.headers)
    assert r.status_code == 200 and r.json()["data"]["current"] is True
    assert COOKIE_NAME in r.headers["set-cookie"]
    assert await status(client, archer.token) == 401


@pytest.mark.parametrize(
    ("body", "login_left", "this_one", "reader_works"),
    [
        ({"keep_current": True}, 1, 200, True),
        ({"keep_current": False}, 0, 401, True),
        ({"keep_current": True, "include_device_tokens": True}, 1, 200, False),
    ],
)
async def test_sign_out_everywhere(
    client: httpx.AsyncClient,
    archer: ArcherCtx,
    other: ArcherCtx,
    body: dict[str, bool],
    login_left: int,
    this_one: int,
    reader_works: bool,
) -> None:
    laptop = await login(client, archer)
    phone = await login(client, archer, agent=PHONE)
    reader = await device_token(client, archer)
    bystander = await login(client, other)
    r = await client.post("/api/v0/auth/logout/everywhere", headers=archer.headers, json=body)
    assert r.status_code == 200, r.text
    data = r.json()["data"]
    assert data["login_tokens"] == 3 - login_left
    assert data["device_tokens"] == (0 if reader_works else 1)
    assert data["current_kept"] is body["keep_current"]
    assert (COOKIE_NAME in r.headers.get("set-cookie", "")) is not body["keep_current"]
    assert await status(client, laptop) == 401 and await status(client, phone) == 401
    assert await status(client, archer.token) == this_one
    assert (await device_status(client, reader) != 401) is reader_works
    assert await status(client, bystander) == 200


async def test_sign_out_everywhere_needs_an_explicit_choice_422(
    client: httpx.AsyncClient, archer: ArcherCtx
) -> None:
    for body in ({}, {"keep_current": "maybe"}, {"keep_current": True, "extra": 1}):
        r = await client.post("/api/v0/auth/logout/everywhere", headers=archer.headers, json=body)
        assert r.status_code == 422, body
    assert await status(client, archer.token) == 200


async def test_last_use_noted_in_memory_and_written_once_off_the_request_path(
    client: httpx.AsyncClient, archer: ArcherCtx, db: Connection, app: FastAPI
) -> None:
    auth: AuthRuntime = app.state.auth
    await auth.usage.flush()  # whatever earlier tests left noted
    row = "SELECT xmin::text AS xmin, last_used_at FROM auth_token WHERE id = $1"
    tokens = (await client.get(TOKENS, headers=archer.headers)).json()["data"]
    token_id = tokens[0]["id"]
    await auth.usage.flush()
    first = await db.fetchrow(row, token_id)
    assert first is not None
    for _ in range(20):  # the cached fast path and FastAPI's both note the use
        assert (await client.get("/api/v0/session", headers=archer.headers)).status_code == 200
        assert await status(client, archer.token) == 200
    # No write on the request path: the row version is the same after 40 requests.
    assert await db.fetchrow(row, token_id) == first
    # The list shows the use noted in memory all the same.
    listed = (await client.get(TOKENS, headers=archer.headers)).json()["data"]
    assert datetime.fromisoformat(listed[0]["last_used_at"]) > first["last_used_at"]
    assert await auth.usage.flush() == 1  # one row, one statement, whatever the traffic
    after = await db.fetchrow(row, token_id)
    assert after is not None
    assert after["xmin"] != first["xmin"]
    assert after["last_used_at"] > first["last_used_at"]
    assert await auth.usage.flush() == 0  # nothing used since: nothing written


async def test_token_uses_are_written_locking_the_tokens_by_id(
    archer: ArcherCtx, db: Connection, migrated: str
) -> None:
    """Every process flushes its tokens' last uses now and then, the same tokens when one
    client's requests reach several processes: two flushes queue, never deadlock."""
    low, high = sorted((uuid4(), uuid4()))
    for token_id in (high, low):
        await db.execute(
            "INSERT INTO auth_token (id, archer_id, token_hash, scope) "
            "VALUES ($1, $2, $3, 'login')",
            token_id,
            archer.id,
            token_id.bytes,
        )
    now = datetime.now(UTC)
    await assert_locks_in_key_order(
        migrated,
        table="auth_token",
        key="id",
        low=low,
        high=high,
        write=lambda conn: repo.record_token_use(conn, [high, low], [now, now]),
    )
    written = await db.fetchval(
        "SELECT count(*) FROM auth_token WHERE id = ANY($1::uuid[]) AND last_used_at = $2",
        [low, high],
        now,
    )
    assert written == 2
