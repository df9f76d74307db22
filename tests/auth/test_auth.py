from __future__ import annotations

import httpx
import pytest

from arch_stats.auth.tokens import COOKIE_NAME
from arch_stats.core.database import Connection
from tests.conftest import PASSWORD, ArcherCtx, MakeArcher

REGISTER = {"email": "Robin@Example.org", "password": "longbow-sherwood", "name": "Robin"}


async def _register(client: httpx.AsyncClient, **extra: object) -> httpx.Response:
    return await client.post("/api/v0/auth/register", json={**REGISTER, **extra})


async def test_register_201_hides_password_and_stores_argon2(
    client: httpx.AsyncClient, db: Connection
) -> None:
    r = await _register(client, bowstyle="compound", gender="female")
    assert r.status_code == 201
    body = r.json()
    assert body["code"] == 201 and body["errors"] == []
    data = body["data"]
    assert data["email"] == "Robin@example.org"  # the domain is normalised
    assert data["bowstyle"] == "compound" and data["gender"] == "female"
    assert "password" not in r.text and "password_hash" not in data
    stored = await db.fetchval("SELECT password_hash FROM archer WHERE id = $1::uuid", data["id"])
    assert stored.startswith("$argon2id$")


async def test_register_same_email_any_case_409(client: httpx.AsyncClient) -> None:
    assert (await _register(client)).status_code == 201
    r = await _register(client, email="robin@EXAMPLE.org")
    assert r.status_code == 409
    assert r.json() == {
        "code": 409,
        "data": None,
        "errors": ["an account with this e-mail address already exists"],
    }


@pytest.mark.parametrize(
    ("patch", "fragment"),
    [
        ({"email": "not-an-email"}, "email"),
        ({"password": "short"}, "password"),
        ({"name": ""}, "name"),
        ({"bowstyle": "crossbow"}, "bowstyle"),
        ({"is_admin": True}, "is_admin: unknown field"),
    ],
)
async def test_register_invalid_422(
    client: httpx.AsyncClient, patch: dict[str, object], fragment: str
) -> None:
    r = await _register(client, **patch)
    assert r.status_code == 422
    body = r.json()
    assert body["data"] is None
    assert any(fragment in e for e in body["errors"]), body


async def test_login_sets_httponly_cookie_and_token_works_both_ways(
    client: httpx.AsyncClient,
) -> None:
    await _register(client)
    r = await client.post(
        "/api/v0/auth/login", json={"email": "robin@example.org", "password": REGISTER["password"]}
    )
    assert r.status_code == 200
    data = r.json()["data"]
    token = data["token"]
    assert data["token_type"] == "bearer" and data["archer"]["name"] == "Robin"
    cookie = r.headers["set-cookie"]
    assert f"{COOKIE_NAME}={token}" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    client.cookies.clear()
    me = await client.get("/api/v0/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200 and me.json()["data"]["name"] == "Robin"
    me = await client.get("/api/v0/auth/me", headers={"Cookie": f"{COOKIE_NAME}={token}"})
    assert me.status_code == 200


async def test_login_wrong_password_401_then_rate_limited_429(client: httpx.AsyncClient) -> None:
    await _register(client)
    bad = {"email": REGISTER["email"], "password": "wrong-password"}
    for _ in range(5):  # the test settings allow 5 failures per window
        r = await client.post("/api/v0/auth/login", json=bad)
        assert r.status_code == 401
        assert r.json()["errors"] == ["wrong e-mail address or password"]
    r = await client.post("/api/v0/auth/login", json=bad)
    assert r.status_code == 429
    assert int(r.headers["retry-after"]) > 0
    # Even the right password waits: the account is locked for the window.
    good = {"email": REGISTER["email"], "password": REGISTER["password"]}
    assert (await client.post("/api/v0/auth/login", json=good)).status_code == 429


async def test_login_rate_limit_per_address_across_accounts(client: httpx.AsyncClient) -> None:
    for i in range(8):  # the test settings allow 8 failures per address, whatever the account
        r = await client.post(
            "/api/v0/auth/login", json={"email": f"nobody{i}@example.org", "password": "x"}
        )
        assert r.status_code == 401
    r = await client.post(
        "/api/v0/auth/login", json={"email": "other@example.org", "password": "x"}
    )
    assert r.status_code == 429


async def test_login_unknown_email_401(client: httpx.AsyncClient) -> None:
    r = await client.post(
        "/api/v0/auth/login", json={"email": "ghost@example.org", "password": PASSWORD}
    )
    assert r.status_code == 401


async def test_logout_revokes_token_for_real(client: httpx.AsyncClient, archer: ArcherCtx) -> None:
    assert (await client.get("/api/v0/auth/me", headers=archer.headers)).status_code == 200
    r = await client.post("/api/v0/auth/logout", headers=archer.headers)
    assert r.status_code == 200
    assert COOKIE_NAME in r.headers["set-cookie"]  # the cookie is cleared
    r = await client.get("/api/v0/auth/me", headers=archer.headers)
    assert r.status_code == 401


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer not-a-token"},
        {"Authorization": "Basic dXNlcjpwYXNz"},
        {"Authorization": "Bearer " + "x" * 500},
    ],
)
async def test_me_without_valid_token_401(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    r = await client.get("/api/v0/auth/me", headers=headers)
    assert r.status_code == 401
    assert r.json()["data"] is None and r.json()["errors"]


async def test_expired_token_401(
    client: httpx.AsyncClient, archer: ArcherCtx, db: Connection
) -> None:
    await db.execute(
        "UPDATE auth_token SET created_at = now() - interval '2 days', "
        "expires_at = now() - interval '1 second' WHERE archer_id = $1",
        archer.id,
    )
    assert (await client.get("/api/v0/auth/me", headers=archer.headers)).status_code == 401


async def test_patch_me_profile_200(client: httpx.AsyncClient, archer: ArcherCtx) -> None:
    r = await client.patch(
        "/api/v0/auth/me",
        headers=archer.headers,
        json={"bowstyle": "barebow", "age_group": "50+", "draw_weight_lbs": 32.5},
    )
    assert r.status_code == 200
    data = r.json()["data"]
    assert (data["bowstyle"], data["age_group"], data["draw_weight_lbs"]) == (
        "barebow",
        "50+",
        32.5,
    )
    assert data["name"] == "Alice"


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"email": "new@example.org"}, 422),
        ({"name": None}, 400),
        ({"new_password": "another-password"}, 400),
        ({"new_password": "another-password", "current_password": "wrong"}, 400),
        ({"current_password": PASSWORD}, 400),
        ({"draw_weight_lbs": -3}, 422),
    ],
)
async def test_patch_me_refused(
    client: httpx.AsyncClient, archer: ArcherCtx, body: dict[str, object], status: int
) -> None:
    r = await client.patch("/api/v0/auth/me", headers=archer.headers, json=body)
    assert r.status_code == status, r.text


async def test_change_password_then_login_with_new_one(
    client: httpx.AsyncClient, archer: ArcherCtx
) -> None:
    r = await client.patch(
        "/api/v0/auth/me",
        headers=archer.headers,
        json={"current_password": PASSWORD, "new_password": "a-brand-new-one"},
    )
    assert r.status_code == 200
    login = {"email": archer.email, "password": "a-brand-new-one"}
    assert (await client.post("/api/v0/auth/login", json=login)).status_code == 200


async def test_device_token_shown_once_stored_hashed_and_not_a_login(
    client: httpx.AsyncClient, archer: ArcherCtx, db: Connection
) -> None:
    r = await client.post(
        "/api/v0/auth/token", headers=archer.headers, json={"name": "target reader lane 3"}
    )
    assert r.status_code == 201
    created = r.json()["data"]
    assert created["scope"] == "sensor" and created["expires_at"] is None
    token = created["token"]
    stored = await db.fetchval(
        "SELECT token_hash FROM auth_token WHERE id = $1::uuid", created["id"]
    )
    assert token.encode() not in stored and len(stored) == 32
    listed = (await client.get("/api/v0/auth/token", headers=archer.headers)).json()["data"]
    assert [t["id"] for t in listed] == [created["id"]]
    assert "token" not in listed[0]
    # A device token cannot act as the archer on the REST API.
    r = await client.get("/api/v0/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 401


async def test_device_token_revoke_and_others_404(
    client: httpx.AsyncClient, archer: ArcherCtx, other: ArcherCtx
) -> None:
    r = await client.post(
        "/api/v0/auth/token", headers=archer.headers, json={"name": "bow", "expires_in_days": 30}
    )
    token_id = r.json()["data"]["id"]
    assert r.json()["data"]["expires_at"] is not None
    r = await client.delete(f"/api/v0/auth/token/{token_id}", headers=other.headers)
    assert r.status_code == 404
    r = await client.delete(f"/api/v0/auth/token/{token_id}", headers=archer.headers)
    assert r.status_code == 200 and r.json()["data"]["revoked_at"] is not None
    r = await client.delete("/api/v0/auth/token/not-a-uuid", headers=archer.headers)
    assert r.status_code == 422


async def test_device_token_invalid_body_422(client: httpx.AsyncClient, archer: ArcherCtx) -> None:
    for body in ({}, {"name": "x", "scope": "login"}, {"name": "x", "expires_in_days": 0}):
        r = await client.post("/api/v0/auth/token", headers=archer.headers, json=body)
        assert r.status_code == 422, body


async def test_token_routes_need_login_401(client: httpx.AsyncClient) -> None:
    assert (await client.get("/api/v0/auth/token")).status_code == 401
    assert (await client.post("/api/v0/auth/token", json={"name": "x"})).status_code == 401
    assert (await client.post("/api/v0/auth/logout")).status_code == 401


async def test_make_archer_fixture_logs_in(
    make_archer: MakeArcher, client: httpx.AsyncClient
) -> None:
    a = await make_archer("Carol")
    r = await client.get("/api/v0/auth/me", headers=a.cookie_header)
    assert r.json()["data"]["name"] == "Carol"
