"""Live subscribers closed with 4401 when their token is revoked or expires."""

from __future__ import annotations

import asyncio
import time
from uuid import uuid4

import httpx
import pytest
from fastapi import FastAPI
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed

from arch_stats.auth.cache import CachedToken
from arch_stats.core.database import Connection
from arch_stats.live.hub import LiveHub, Subscriber
from tests.auth.test_tokens import PHONE, login
from tests.conftest import PASSWORD, ArcherCtx
from tests.live.conftest import frames_until, ws_connect
from tests.shots.test_shots import C, Range, make_range, shot


@pytest.fixture
async def rng(db: Connection, archer: ArcherCtx) -> Range:
    return await make_range(db, archer)


def path(r: Range) -> str:
    return f"/api/v0/ws?session_id={r.session_id}"


async def closed_with(ws: ClientConnection, timeout: float = 10) -> tuple[int, str]:
    """Read until the server closes the socket; its close code and reason."""
    with pytest.raises(ConnectionClosed) as closed:
        await asyncio.wait_for(read_forever(ws), timeout)
    rcvd = closed.value.rcvd
    assert rcvd is not None, "closed without a close frame"
    return rcvd.code, rcvd.reason


async def read_forever(ws: ClientConnection) -> None:
    while True:
        await ws.recv()


async def post_shot(client: httpx.AsyncClient, r: Range, x: float = C) -> None:
    resp = await client.post("/api/v0/shot", json=shot(r, x, C), headers=r.archer.headers)
    assert resp.status_code == 201, resp.text


async def test_logout_closes_that_tokens_socket_4401_and_no_other(
    client: httpx.AsyncClient, rng: Range, server_url: str
) -> None:
    phone = await login(client, rng.archer, agent=PHONE)
    async with (
        await ws_connect(server_url, path(rng), phone) as doomed,
        await ws_connect(server_url, path(rng), rng.archer.token) as kept,
    ):
        await post_shot(client, rng)
        await frames_until(doomed, 1)
        await frames_until(kept, 1)
        r = await client.post("/api/v0/auth/logout", headers={"Authorization": f"Bearer {phone}"})
        assert r.status_code == 200
        assert await closed_with(doomed) == (4401, "token revoked")
        await post_shot(client, rng, C + 50)
        assert [f["data"]["seq"] for f in await frames_until(kept, 1)] == [2]


@pytest.mark.parametrize("how", ["password", "everywhere", "one"])
async def test_revocations_close_sockets_4401(
    client: httpx.AsyncClient, rng: Range, server_url: str, how: str
) -> None:
    phone = await login(client, rng.archer, agent=PHONE)
    headers = rng.archer.headers
    async with (
        await ws_connect(server_url, path(rng), phone) as doomed,
        await ws_connect(server_url, path(rng), rng.archer.token) as kept,
    ):
        await asyncio.sleep(0.1)
        if how == "password":
            body = {"current_password": PASSWORD, "new_password": "a-brand-new-one"}
            r = await client.patch("/api/v0/auth/me", headers=headers, json=body)
        elif how == "everywhere":
            r = await client.post(
                "/api/v0/auth/logout/everywhere", headers=headers, json={"keep_current": True}
            )
        else:
            tokens = (await client.get("/api/v0/auth/login-token", headers=headers)).json()
            other = next(t["id"] for t in tokens["data"] if not t["current"])
            r = await client.delete(f"/api/v0/auth/login-token/{other}", headers=headers)
        assert r.status_code == 200, r.text
        assert await closed_with(doomed) == (4401, "token revoked")
        await post_shot(client, rng)  # the token that did it keeps its socket
        assert [f["data"]["seq"] for f in await frames_until(kept, 1)] == [1]


async def test_socket_closed_4401_when_its_token_expires(
    client: httpx.AsyncClient, rng: Range, db: Connection, server_url: str
) -> None:
    phone = await login(client, rng.archer, agent=PHONE)
    await db.execute(
        "UPDATE auth_token SET expires_at = now() + interval '1.5 seconds' "
        "WHERE archer_id = $1 AND user_agent = $2",
        rng.archer.id,
        PHONE,
    )
    async with await ws_connect(server_url, path(rng), phone) as ws:
        await post_shot(client, rng)
        await frames_until(ws, 1)
        assert await closed_with(ws) == (4401, "token expired")


async def test_revocation_missed_while_the_listener_was_down_closes_after_reconnect(
    client: httpx.AsyncClient, rng: Range, db: Connection, app: FastAPI, server_url: str
) -> None:
    hub: LiveHub = app.state.hub
    phone = await login(client, rng.archer, agent=PHONE)
    async with await ws_connect(server_url, path(rng), phone) as ws:
        await post_shot(client, rng)
        await frames_until(ws, 1)
        # A revocation whose note never reaches this process (as if sent while it was away).
        async with db.transaction():
            await db.execute("ALTER TABLE auth_token DISABLE TRIGGER auth_token_revoked_notify")
            await db.execute(
                "UPDATE auth_token SET revoked_at = now() WHERE archer_id = $1 AND user_agent = $2",
                rng.archer.id,
                PHONE,
            )
            await db.execute("ALTER TABLE auth_token ENABLE TRIGGER auth_token_revoked_notify")
        before = hub.reconnects
        assert await db.fetchval("SELECT pg_terminate_backend($1)", hub.listener_pid)
        assert await closed_with(ws, timeout=20) == (4401, "token revoked")
        assert hub.reconnects == before + 1


async def test_socket_opened_with_a_token_revoked_during_the_handshake_is_closed(
    client: httpx.AsyncClient,
    rng: Range,
    db: Connection,
    app: FastAPI,
    server_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The revocation note came before the subscriber existed: it is checked once more."""
    phone = await login(client, rng.archer, agent=PHONE)
    async with await ws_connect(server_url, path(rng), phone) as ws:
        await frames_until(ws, 0)
    cache = app.state.token_cache
    token_id = await db.fetchval(
        "SELECT id FROM auth_token WHERE archer_id = $1 AND user_agent = $2", rng.archer.id, PHONE
    )
    # The token is in the cache; revoke it in the database without a note, and bump the
    # generation as an eviction of another token would: the handshake must ask the database.
    async with db.transaction():
        await db.execute("ALTER TABLE auth_token DISABLE TRIGGER auth_token_revoked_notify")
        await db.execute("UPDATE auth_token SET revoked_at = now() WHERE id = $1", token_id)
        await db.execute("ALTER TABLE auth_token ENABLE TRIGGER auth_token_revoked_notify")
    original = cache.get

    def get_then_evict_another(digest: bytes) -> CachedToken | None:
        hit: CachedToken | None = original(digest)
        cache.evict(uuid4())
        return hit

    monkeypatch.setattr(cache, "get", get_then_evict_another)
    try:
        async with await ws_connect(server_url, path(rng), phone) as ws:
            assert await closed_with(ws) == (4401, "token revoked")
    finally:
        monkeypatch.undo()
        cache.evict(token_id)


async def test_close_where_ends_matching_subscribers_with_code_and_drops_their_frames() -> None:
    hub = LiveHub("postgresql://unused", None)  # type: ignore[arg-type]  # never connects
    session = uuid4()
    a, b = uuid4(), uuid4()
    subs = [Subscriber(session, uuid4(), last_seq=0, token_id=t) for t in (a, b, a)]
    for sub in subs:
        hub.add(sub)
        sub.live()
        sub.push("frame")
    assert hub.close_where(lambda s: s.token_id == a, 4403, "consent withdrawn") == 2
    assert [(s.closed, s.close_code, s.close_reason) for s in subs] == [
        (True, 4403, "consent withdrawn"),
        (False, None, ""),
        (True, 4403, "consent withdrawn"),
    ]
    assert await subs[0].next_frames() == []  # nothing more is sent to an ended one
    assert await subs[1].next_frames() == ["frame"]
    assert hub.close_where(lambda s: True, 4401, "again") == 1  # ended ones are skipped
    for sub in subs:
        hub.remove(sub)
    assert not hub.subscribers


async def test_subscriber_ends_at_its_credentials_expiry() -> None:
    hub = LiveHub("postgresql://unused", None)  # type: ignore[arg-type]  # never connects
    soon = Subscriber(uuid4(), uuid4(), last_seq=0, expires_at=time.time() + 0.2)
    never = Subscriber(uuid4(), uuid4(), last_seq=0)
    hub.add(soon)
    hub.add(never)
    await asyncio.wait_for(soon.next_frames(), timeout=10)
    assert (soon.closed, soon.close_code, soon.close_reason) == (True, 4401, "token expired")
    assert not never.closed
    hub.remove(soon)
    hub.remove(never)
