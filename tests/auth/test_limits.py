"""Limits that hold under parallel attempts, that an attacker elsewhere cannot turn against the
owner, and password hashing that holds no database connection and is bounded."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from arch_stats.auth import passwords
from arch_stats.auth import repository as repo
from arch_stats.auth.passwords import PasswordHasher
from arch_stats.auth.runtime import AuthRuntime
from arch_stats.core.database import Connection
from arch_stats.core.errors import TooManyRequests
from arch_stats.core.settings import Settings
from tests.conftest import PASSWORD, ArcherCtx
from tests.lock_order import assert_locks_in_key_order

LOGIN = "/api/v0/auth/login"


def client_at(app: FastAPI, address: str) -> httpx.AsyncClient:
    """A client whose requests come from `address` (the ASGI scope's client; no network)."""
    transport = httpx.ASGITransport(app=app, client=(address, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://test")


async def wrong(c: httpx.AsyncClient, email: str) -> int:
    return (await c.post(LOGIN, json={"email": email, "password": "not-the-password"})).status_code


async def right(c: httpx.AsyncClient, email: str) -> int:
    return (await c.post(LOGIN, json={"email": email, "password": PASSWORD})).status_code


async def test_parallel_wrong_passwords_never_overshoot_the_limit(
    client: httpx.AsyncClient, archer: ArcherCtx, settings: Settings
) -> None:
    limit = settings.login_max_attempts
    codes = await asyncio.gather(*(wrong(client, archer.email) for _ in range(100)))
    assert codes.count(401) <= limit
    assert codes.count(401) + codes.count(429) == 100
    assert codes.count(429) >= 100 - limit


async def test_owner_signs_in_at_home_while_an_attacker_hammers_from_elsewhere(
    app: FastAPI, client: httpx.AsyncClient, archer: ArcherCtx, settings: Settings
) -> None:
    async with client_at(app, "192.0.2.10") as home:
        assert await right(home, archer.email) == 200  # the owner's usual address
        # One attacker address: refused after LOGIN_MAX_ATTEMPTS, the owner is not affected.
        async with client_at(app, "198.51.100.7") as attacker:
            codes = [
                await wrong(attacker, archer.email) for _ in range(settings.login_max_attempts + 3)
            ]
            assert codes == [401] * settings.login_max_attempts + [429] * 3
            assert await right(attacker, archer.email) == 429  # the pair is locked, even right
        assert await right(home, archer.email) == 200
        # Many attacker addresses, far beyond the account-wide budget: still not the owner.
        spent = 0
        for i in range(settings.login_account_max_attempts // settings.login_max_attempts + 2):
            async with client_at(app, f"203.0.113.{i + 1}") as attacker:
                for _ in range(settings.login_max_attempts):
                    spent += await wrong(attacker, archer.email) == 401
        assert spent <= settings.login_account_max_attempts  # the account-wide budget held
        assert await right(home, archer.email) == 200
        # A new address of the owner's, in the middle of such an attack, has to wait.
        async with client_at(app, "192.0.2.99") as travelling:
            assert await right(travelling, archer.email) == 429


async def test_ipv6_addresses_counted_by_their_64(
    app: FastAPI, client: httpx.AsyncClient, archer: ArcherCtx, settings: Settings
) -> None:
    codes = []
    for i in range(settings.login_max_attempts + 1):
        async with client_at(app, f"2001:db8:1:2::{i + 1:x}") as attacker:
            codes.append(await wrong(attacker, archer.email))
    assert codes[-1] == 429


async def test_right_password_gives_the_attempt_back(
    app: FastAPI, client: httpx.AsyncClient, archer: ArcherCtx, other: ArcherCtx, settings: Settings
) -> None:
    """A club behind one address: archers signing in do not use up its budget."""
    async with client_at(app, "192.0.2.50") as club:
        for _ in range(settings.login_address_max_attempts + 2):
            assert await right(club, archer.email) == 200
        assert await right(club, other.email) == 200


async def test_patch_me_wrong_current_password_limited(
    client: httpx.AsyncClient, archer: ArcherCtx, settings: Settings
) -> None:
    def change(current: str) -> dict[str, str]:
        return {"current_password": current, "new_password": "another-password"}

    for _ in range(settings.login_max_attempts):
        r = await client.patch("/api/v0/auth/me", headers=archer.headers, json=change("guess"))
        assert r.status_code == 400
    r = await client.patch("/api/v0/auth/me", headers=archer.headers, json=change("guess"))
    assert r.status_code == 429 and int(r.headers["retry-after"]) > 0
    r = await client.patch("/api/v0/auth/me", headers=archer.headers, json=change(PASSWORD))
    assert r.status_code == 429
    # A profile change needs no password: not limited.
    r = await client.patch("/api/v0/auth/me", headers=archer.headers, json={"name": "Al"})
    assert r.status_code == 200


async def test_register_limited_per_address_429_retry_after(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings
) -> None:
    async def register(c: httpx.AsyncClient, i: int) -> httpx.Response:
        body = {"email": f"new{i}@example.org", "password": "longbow-sherwood", "name": "N"}
        return await c.post("/api/v0/auth/register", json=body)

    async with client_at(app, "198.51.100.20") as c:
        codes = await asyncio.gather(
            *(register(c, i) for i in range(settings.register_max_attempts + 5))
        )
        statuses = [r.status_code for r in codes]
        assert statuses.count(201) == settings.register_max_attempts
        refused = [r for r in codes if r.status_code == 429]
        assert len(refused) == 5
        assert all(int(r.headers["retry-after"]) > 0 for r in refused)
        assert refused[0].json()["errors"][0].startswith("too many registrations")
    async with client_at(app, "198.51.100.21") as elsewhere:
        assert (await register(elsewhere, 99)).status_code == 201


# --- hashing: off the pooled connections, a few at a time ---------------------------------


class Gate:
    """Holds every argon2 call in its thread until opened; counts how many run at once."""

    def __init__(self) -> None:
        self.open = threading.Event()
        self.lock = threading.Lock()
        self.running = 0
        self.most = 0
        self.real = passwords._hasher

    def _enter(self) -> None:
        with self.lock:
            self.running += 1
            self.most = max(self.most, self.running)
        self.open.wait(30)
        with self.lock:
            self.running -= 1

    def hash(self, password: str) -> str:
        self._enter()
        return self.real.hash(password)

    def verify(self, password: str, hashed: str) -> bool:
        self._enter()
        return self.real.verify(password, hashed)


@pytest.fixture
def gate(monkeypatch: pytest.MonkeyPatch) -> Iterator[Gate]:
    g = Gate()
    monkeypatch.setattr(passwords, "_hasher", g)
    try:
        yield g
    finally:
        g.open.set()


@pytest.fixture
async def hasher(app: FastAPI) -> AsyncIterator[PasswordHasher]:
    """The app's hasher; its queue is made long enough for the test."""
    auth: AuthRuntime = app.state.auth
    queue = auth.hasher.queue
    auth.hasher.queue = 100
    yield auth.hasher
    auth.hasher.queue = queue


async def test_registrations_hashing_hold_no_connection_and_others_are_served(
    app: FastAPI,
    client: httpx.AsyncClient,
    archer: ArcherCtx,
    db: Connection,
    gate: Gate,
    hasher: PasswordHasher,
    settings: Settings,
) -> None:
    n = settings.pg_pool_max * 2  # more than the pool could lend
    clients = [client_at(app, f"198.51.100.{100 + i}") for i in range(n)]
    body: dict[str, Any] = {"password": "longbow-sherwood", "name": "N"}
    pending = [
        asyncio.create_task(c.post("/api/v0/auth/register", json={**body, "email": f"r{i}@x.org"}))
        for i, c in enumerate(clients)
    ]
    for _ in range(400):
        if gate.running == hasher.concurrency:
            break
        await asyncio.sleep(0.025)
    assert gate.running == hasher.concurrency  # the others wait for a hashing slot
    # While every registration is hashing or waiting to: another archer is served, and no
    # connection of the app sits in a transaction.
    r = await asyncio.wait_for(client.get("/api/v0/arrow", headers=archer.headers), timeout=20)
    assert r.status_code == 200
    in_tx = await db.fetchval(
        "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'arch-stats' "
        "AND state LIKE 'idle in transaction%'"
    )
    assert in_tx == 0
    assert not any(t.done() for t in pending)
    gate.open.set()
    answers = await asyncio.gather(*pending)
    assert [a.status_code for a in answers] == [201] * n
    assert gate.most == hasher.concurrency  # never more hashes at once than the setting
    for c in clients:
        await c.aclose()


async def test_hasher_queue_is_bounded_429(gate: Gate) -> None:
    hasher = PasswordHasher(concurrency=1, queue=2)
    first = asyncio.create_task(hasher.hash("one-password"))
    waiting = [asyncio.create_task(hasher.hash("two-password")) for _ in range(2)]
    while gate.running < 1:
        await asyncio.sleep(0.01)
    with pytest.raises(TooManyRequests):
        await hasher.verify("three", "whatever")
    gate.open.set()
    hashes = await asyncio.gather(first, *waiting)
    assert all(h.startswith("$argon2id$") for h in hashes)
    assert gate.most == 1


async def test_cancelled_request_keeps_its_hashing_slot_until_the_thread_ends(gate: Gate) -> None:
    hasher = PasswordHasher(concurrency=1, queue=5)
    task = asyncio.create_task(hasher.hash("a-password"))
    while gate.running < 1:
        await asyncio.sleep(0.01)
    task.cancel()  # the client went away: its argon2 thread cannot be stopped
    with pytest.raises(asyncio.CancelledError):
        await task
    second = asyncio.create_task(hasher.hash("b-password"))
    await asyncio.sleep(0.2)
    assert gate.running == 1 and not second.done()  # still one at a time
    gate.open.set()
    assert (await second).startswith("$argon2id$")
    assert gate.most == 1


@pytest.mark.parametrize("change", ["give_back", "reset"])
async def test_limit_changes_lock_their_keys_in_order(
    change: str, db: Connection, migrated: str
) -> None:
    """A success gives its attempt back (or resets its keys) while another process takes an
    attempt on the same keys (auth_limit_take locks them in key order): they queue, never
    deadlock."""
    low, high = "login-address:192.0.2.1", "login:someone@example.org|192.0.2.1"
    for key in (high, low):
        await db.execute("INSERT INTO auth_limit (key, tat) VALUES ($1, now())", key)

    async def write(conn: Connection) -> None:
        if change == "give_back":
            await repo.limit_give_back(conn, [high, low], [1.0, 1.0])
        else:
            await repo.limit_reset(conn, [high, low])

    try:
        await assert_locks_in_key_order(
            migrated, table="auth_limit", key="key", low=low, high=high, write=write
        )
        left = await db.fetchval("SELECT count(*) FROM auth_limit WHERE key IN ($1, $2)", low, high)
        assert left == (2 if change == "give_back" else 0)
    finally:
        await db.execute("DELETE FROM auth_limit WHERE key IN ($1, $2)", low, high)
