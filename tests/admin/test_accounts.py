"""The administrator's API: accounts listed, disabled and re-enabled; hidden from others."""

from __future__ import annotations

import httpx
import pytest

from arch_stats.core.database import Connection
from tests.admin.helpers import API, NO_SUCH_ROUTE, make_admin
from tests.conftest import PASSWORD, ArcherCtx, MakeArcher
from tests.live.conftest import ws_connect
from tests.live.test_revocation import closed_with
from tests.sessions.helpers import MISSING_ID, open_session

ADMIN_CALLS = [
    ("GET", "/admin/archer"),
    ("GET", "/admin/archer?q=a"),
    ("POST", "/admin/archer/{other}/disable"),
    ("POST", "/admin/archer/{other}/enable"),
    ("POST", "/admin/archer/{other}/reset-link"),
    ("POST", f"/admin/archer/{MISSING_ID}/disable"),
]


@pytest.mark.parametrize(("method", "path"), ADMIN_CALLS)
async def test_admin_routes_answer_a_non_admin_exactly_like_a_missing_route(
    client: httpx.AsyncClient, archer: ArcherCtx, other: ArcherCtx, method: str, path: str
) -> None:
    r = await client.request(method, API + path.format(other=other.id), headers=archer.headers)
    missing = await client.request(method, f"{API}/no-such-thing", headers=archer.headers)
    assert r.status_code == 404
    assert r.json() == NO_SUCH_ROUTE == missing.json()
    r = await client.request(method, API + path.format(other=other.id))
    assert r.status_code == 401
    # and nothing happened
    assert (await client.get(f"{API}/auth/me", headers=other.headers)).status_code == 200


async def test_device_token_of_an_admin_is_not_an_admin(
    client: httpx.AsyncClient, archer: ArcherCtx, db: Connection
) -> None:
    await make_admin(db, archer)
    r = await client.post(f"{API}/auth/token", json={"name": "reader"}, headers=archer.headers)
    device = r.json()["data"]["token"]
    r = await client.get(f"{API}/admin/archer", headers={"Authorization": f"Bearer {device}"})
    assert r.status_code == 401


async def test_revoked_admin_is_refused_at_once(
    client: httpx.AsyncClient, archer: ArcherCtx, other: ArcherCtx, db: Connection
) -> None:
    await make_admin(db, archer)
    await make_admin(db, other)
    assert (await client.get(f"{API}/admin/archer", headers=archer.headers)).status_code == 200
    await db.execute("UPDATE archer SET is_admin = false WHERE id = $1", archer.id)
    assert (await client.get(f"{API}/admin/archer", headers=archer.headers)).status_code == 404


async def test_list_accounts_counts_sessions_and_shows_none_of_their_data(
    client: httpx.AsyncClient, archer: ArcherCtx, other: ArcherCtx, db: Connection
) -> None:
    await make_admin(db, archer)
    await open_session(client, other, location="Secret meadow")
    r = await client.get(f"{API}/admin/archer", headers=archer.headers)
    assert r.status_code == 200, r.text
    page = r.json()["data"]
    assert page["total"] == 2 and page["limit"] == 50 and page["offset"] == 0
    by_id = {a["id"]: a for a in page["items"]}
    bob = by_id[str(other.id)]
    assert bob["email"] == other.email and bob["name"] == "Bob"
    assert bob["sessions"] == 1 and bob["open_sessions"] == 1
    assert bob["is_admin"] is False and bob["disabled_at"] is None
    assert by_id[str(archer.id)]["is_admin"] is True
    assert set(bob) == {
        "id", "email", "name", "created_at", "last_sign_in_at", "disabled_at", "is_admin",
        "sessions", "open_sessions",
    }  # fmt: skip
    assert "Secret meadow" not in r.text


async def test_list_accounts_search_and_pages(
    client: httpx.AsyncClient, make_archer: MakeArcher, db: Connection
) -> None:
    admin = await make_admin(db, await make_archer("Admin"))
    for name in ("Robin Hood", "Maid Marian", "Little John", "Will_Scarlet"):
        await make_archer(name)

    async def get(**q: object) -> httpx.Response:
        return await client.get(f"{API}/admin/archer", params=q, headers=admin.headers)  # type: ignore[arg-type]

    def names(r: httpx.Response) -> list[str]:
        return [a["name"] for a in r.json()["data"]["items"]]

    assert names(await get(q="robin")) == ["Robin Hood"]
    assert names(await get(q="_")) == ["Will_Scarlet"]  # a LIKE wildcard is a plain character
    assert names(await get(q="%")) == []
    r = await get(q=admin.email.upper())
    assert names(r) == ["Admin"]
    first, second = await get(limit=3), await get(limit=3, offset=3)
    assert first.json()["data"]["total"] == 5 == second.json()["data"]["total"]
    assert len(names(first)) == 3 and len(names(second)) == 2
    assert not set(names(first)) & set(names(second))
    for bad in ({"limit": 0}, {"limit": 201}, {"offset": -1}, {"q": "x" * 101}, {"x": 1}):
        r = await get(**bad)
        assert r.status_code == 422, (bad, r.text)
        assert r.json()["data"] is None


async def test_disable_refuses_rest_and_login_then_enable_lets_them_sign_in_again(
    client: httpx.AsyncClient, archer: ArcherCtx, other: ArcherCtx, db: Connection
) -> None:
    await make_admin(db, archer)
    device = (
        await client.post(f"{API}/auth/token", json={"name": "reader"}, headers=other.headers)
    ).json()["data"]["token"]
    assert (await client.get(f"{API}/auth/me", headers=other.headers)).status_code == 200
    r = await client.post(f"{API}/admin/archer/{other.id}/disable", headers=archer.headers)
    assert r.status_code == 200, r.text
    data = r.json()["data"]
    assert data["disabled_at"] is not None and data["revoked_tokens"] == 2
    assert (await client.get(f"{API}/auth/me", headers=other.headers)).status_code == 401
    assert (await client.get(f"{API}/session", headers=other.headers)).status_code == 401
    r = await client.post(
        f"{API}/sensor/event",
        json=[],
        headers={"Authorization": f"Bearer {device}"},
    )
    assert r.status_code == 401
    login = {"email": other.email, "password": PASSWORD}
    r = await client.post(f"{API}/auth/login", json=login)
    assert r.status_code == 401 and "disabled" in r.json()["errors"][0]
    r = await client.post(f"{API}/auth/login", json={**login, "password": "wrong-password"})
    assert r.status_code == 401 and "disabled" not in r.text  # only the password holder learns
    # Disabling again changes nothing; no token can be slipped in meanwhile.
    r = await client.post(f"{API}/admin/archer/{other.id}/disable", headers=archer.headers)
    assert r.status_code == 200 and r.json()["data"]["revoked_tokens"] == 0
    r = await client.post(f"{API}/admin/archer/{other.id}/enable", headers=archer.headers)
    assert r.status_code == 200 and r.json()["data"]["disabled_at"] is None
    assert (await client.get(f"{API}/auth/me", headers=other.headers)).status_code == 401
    r = await client.post(f"{API}/auth/login", json=login)
    assert r.status_code == 200, r.text


async def test_no_token_can_be_made_for_a_disabled_account(
    client: httpx.AsyncClient, archer: ArcherCtx, db: Connection
) -> None:
    import asyncpg

    await db.execute("UPDATE archer SET disabled_at = now() WHERE id = $1", archer.id)
    assert not await db.fetchval(
        "SELECT count(*) FROM auth_token WHERE archer_id = $1 AND revoked_at IS NULL", archer.id
    )
    with pytest.raises(asyncpg.InvalidAuthorizationSpecificationError):
        await db.execute(
            "INSERT INTO auth_token (archer_id, token_hash, scope) VALUES ($1, 'x', 'sensor')",
            archer.id,
        )


async def test_admin_cannot_disable_themselves(
    client: httpx.AsyncClient, archer: ArcherCtx, db: Connection
) -> None:
    await make_admin(db, archer)
    r = await client.post(f"{API}/admin/archer/{archer.id}/disable", headers=archer.headers)
    assert r.status_code == 400
    assert r.json()["errors"] == ["you cannot disable your own account"]
    assert (await client.get(f"{API}/auth/me", headers=archer.headers)).status_code == 200


async def test_unknown_account_404_and_bad_id_422(
    client: httpx.AsyncClient, archer: ArcherCtx, db: Connection
) -> None:
    await make_admin(db, archer)
    for action in ("disable", "enable", "reset-link"):
        r = await client.post(f"{API}/admin/archer/{MISSING_ID}/{action}", headers=archer.headers)
        assert r.status_code == 404 and r.json()["data"] is None
        r = await client.post(f"{API}/admin/archer/not-an-id/{action}", headers=archer.headers)
        assert r.status_code == 422


async def test_the_last_working_admin_is_kept(
    client: httpx.AsyncClient, archer: ArcherCtx, other: ArcherCtx, db: Connection
) -> None:
    import asyncpg

    await make_admin(db, archer)
    with pytest.raises(asyncpg.CheckViolationError):
        await db.execute("UPDATE archer SET is_admin = false WHERE id = $1", archer.id)
    with pytest.raises(asyncpg.CheckViolationError):
        await db.execute("UPDATE archer SET disabled_at = now() WHERE id = $1", archer.id)
    # With a second administrator, one may disable the other; then that one is the last.
    await make_admin(db, other)
    r = await client.post(f"{API}/admin/archer/{other.id}/disable", headers=archer.headers)
    assert r.status_code == 200, r.text
    with pytest.raises(asyncpg.CheckViolationError):
        await db.execute("UPDATE archer SET is_admin = false WHERE id = $1", archer.id)
    # A disabled administrator re-enabled counts again.
    await db.execute("UPDATE archer SET disabled_at = NULL WHERE id = $1", other.id)
    await db.execute("UPDATE archer SET is_admin = false WHERE id = $1", archer.id)


async def test_two_admins_revoking_each_other_at_once_leave_one(
    archer: ArcherCtx, other: ArcherCtx, db: Connection, migrated: str
) -> None:
    import asyncio

    import asyncpg

    await make_admin(db, archer)
    await make_admin(db, other)
    a, b = await asyncpg.connect(migrated), await asyncpg.connect(migrated)
    try:
        ta, tb = a.transaction(), b.transaction()
        await ta.start()
        await tb.start()
        await a.execute("UPDATE archer SET is_admin = false WHERE id = $1", archer.id)
        second = asyncio.create_task(
            b.execute("UPDATE archer SET is_admin = false WHERE id = $1", other.id)
        )
        await asyncio.sleep(0.2)
        await ta.commit()
        with pytest.raises(asyncpg.CheckViolationError):
            await second
        await tb.rollback()
    finally:
        await a.close()
        await b.close()
    assert await db.fetchval("SELECT count(*) FROM archer WHERE is_admin") == 1


async def test_admin_reads_no_archer_data_beyond_any_account(
    client: httpx.AsyncClient, archer: ArcherCtx, other: ArcherCtx, db: Connection
) -> None:
    await make_admin(db, archer)
    session = await open_session(client, other)
    sid = session["id"]
    for path in (
        f"/session/{sid}",
        f"/session/{sid}/shot",
        f"/session/{sid}/target",
        f"/session/{sid}/stats",
        f"/session/{sid}/scorecard",
    ):
        assert (await client.get(API + path, headers=other.headers)).status_code == 200
        r = await client.get(API + path, headers=archer.headers)
        assert r.status_code == 404, (path, r.text)
        assert r.json()["data"] is None
    r = await client.get(f"{API}/session", headers=archer.headers)
    assert r.status_code == 200 and sid not in r.text
    r = await client.patch(f"{API}/session/{sid}", json={"location": "x"}, headers=archer.headers)
    assert r.status_code == 404


async def test_profile_says_whether_one_is_an_admin(
    client: httpx.AsyncClient, archer: ArcherCtx, db: Connection
) -> None:
    r = await client.get(f"{API}/auth/me", headers=archer.headers)
    assert r.json()["data"]["is_admin"] is False
    await make_admin(db, archer)
    r = await client.get(f"{API}/auth/me", headers=archer.headers)
    assert r.json()["data"]["is_admin"] is True


async def test_admin_cannot_subscribe_to_another_archers_session(
    client: httpx.AsyncClient, archer: ArcherCtx, other: ArcherCtx, db: Connection,
    server_url: str,
) -> None:  # fmt: skip
    await make_admin(db, archer)
    session = await open_session(client, other)
    path = f"/api/v0/ws?session_id={session['id']}"
    async with await ws_connect(server_url, path, archer.token) as ws:
        assert (await closed_with(ws))[0] == 4404
