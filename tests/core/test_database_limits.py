"""Database time limits and outages: 503 with Retry-After, never a hang or a 500.

The outage tests stop, freeze (SIGSTOP) and cut a PostgreSQL of their own, never the suite's.
They run in this file's order on one server: frozen and thawed, backends cut, then stopped.
"""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import httpx
import pytest
from fastapi import FastAPI

from arch_stats.app import create_app
from arch_stats.core import migrations
from arch_stats.core.database import (
    CLIENT_GRACE_SECONDS,
    Connection,
    create_pool,
    long_statements,
)
from arch_stats.core.embedded import EmbeddedPostgres, start_embedded
from arch_stats.core.settings import Settings
from tests.conftest import PASSWORD, ArcherCtx, new_archer

API = "/api/v0"


def assert_503(r: httpx.Response) -> None:
    assert r.status_code == 503, r.text
    assert r.headers["retry-after"] == "5"
    body = r.json()
    assert body["code"] == 503 and body["data"] is None and body["errors"]


async def client_of(application: FastAPI) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=application, client=("127.0.0.1", 50003))
    return httpx.AsyncClient(transport=transport, base_url="http://test")


# Time limits on the suite's server.


@pytest.fixture(scope="module")
async def short_app(settings: Settings) -> AsyncIterator[FastAPI]:
    limited = settings.model_copy(
        update={
            "pg_pool_min": 1,
            "pg_pool_max": 2,
            "pg_statement_timeout_seconds": 0.5,
            "pg_acquire_timeout_seconds": 0.5,
        }
    )
    application = create_app(limited, access_log=False)
    async with application.router.lifespan_context(application):
        yield application


async def test_statement_over_the_timeout_503(
    short_app: FastAPI, archer: ArcherCtx, db: Connection
) -> None:
    async with await client_of(short_app) as http:
        assert (await http.get(f"{API}/arrow", headers=archer.headers)).status_code == 200
        async with db.transaction():
            await db.execute("LOCK TABLE arrow IN ACCESS EXCLUSIVE MODE")  # the read waits
            r = await http.get(f"{API}/arrow", headers=archer.headers)
        assert_503(r)
        assert "no answer in time" in r.json()["errors"][0]
        assert (await http.get(f"{API}/arrow", headers=archer.headers)).status_code == 200


async def test_no_pooled_connection_in_time_503(short_app: FastAPI, archer: ArcherCtx) -> None:
    pool = short_app.state.pool
    async with await client_of(short_app) as http:
        assert (await http.get(f"{API}/arrow", headers=archer.headers)).status_code == 200
        held = [await pool.acquire() for _ in range(2)]
        try:
            r = await http.post(f"{API}/arrow", json={"identifier": "A01"}, headers=archer.headers)
        finally:
            for conn in held:
                await pool.release(conn)
        assert_503(r)
        assert (await http.get(f"{API}/arrow", headers=archer.headers)).json()["data"] == []


async def test_a_free_open_connection_is_taken_without_arming_the_acquire_deadline(
    migrated: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The acquire deadline bounds waiting (for a connection to come free, or to open): taking
    one that is free and open arms no timer, and its release keeps the acquire's limit."""
    pool = await create_pool(migrated, min_size=1, max_size=2, acquire_timeout=0.5)
    loop = asyncio.get_running_loop()
    armed: list[object] = []
    call_at = loop.call_at

    def at(when: float, callback: object, *args: object, **kwargs: object) -> object:
        armed.append(callback)
        return call_at(when, callback, *args, **kwargs)  # type: ignore[arg-type]

    try:
        async with pool.acquire():
            pass  # the pool's one open connection is free from now on
        monkeypatch.setattr(loop, "call_at", at)
        conn = await pool.acquire()
        armed_by_acquire = list(armed)
        release_limit = getattr(conn._holder, "_timeout")  # noqa: B009 (what `release` is limited by)
        await pool.release(conn)
        monkeypatch.undo()
        assert armed_by_acquire == []
        assert release_limit == 0.5
        taken = [await pool.acquire() for _ in range(2)]
        with pytest.raises(TimeoutError):  # none free, none to open: the deadline holds
            await pool.acquire()
        for conn in taken:
            await pool.release(conn)
    finally:
        await pool.close()


async def test_long_statements_lengthen_one_transaction_only(migrated: str) -> None:
    pool = await create_pool(migrated, min_size=1, max_size=1, statement_timeout=0.3)
    try:
        with pytest.raises(asyncpg.QueryCanceledError):
            await pool.execute("SELECT pg_sleep(0.6)")
        async with pool.acquire() as conn, conn.transaction():
            await long_statements(conn, 5)
            await conn.execute("SELECT pg_sleep(0.6)")
            await conn.fetchval("SELECT pg_sleep(0.6)")
        with pytest.raises(asyncpg.QueryCanceledError):
            await pool.execute("SELECT pg_sleep(0.6)")
    finally:
        await pool.close()


async def test_long_statements_lengthen_the_client_side_limit_until_release(
    migrated: str,
) -> None:
    """The client gives up `CLIENT_GRACE_SECONDS` after PostgreSQL would (for a server that
    does not answer at all): long statements move that too, for the connection's turn only."""
    pool = await create_pool(migrated, min_size=1, max_size=1, statement_timeout=0.1)
    sleep = f"SELECT pg_sleep({CLIENT_GRACE_SECONDS + 1})"
    try:
        async with pool.acquire() as conn, conn.transaction():
            await long_statements(conn, 60)
            await conn.execute(sleep)  # past the client's default limit (0.1 s + the grace)
        async with pool.acquire() as conn, conn.transaction():
            await conn.execute("SET LOCAL statement_timeout = 0")  # only the client's limit
            with pytest.raises(TimeoutError):
                await conn.execute(sleep)
    finally:
        await pool.close()


# Outages, on a server of this module's own.


@dataclass
class Own:
    server: EmbeddedPostgres
    app: FastAPI
    archer: ArcherCtx
    session_id: str


@pytest.fixture(scope="module")
async def own(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Own]:
    base = Path(tmp_path_factory.mktemp("pgo", numbered=True))
    server = await asyncio.to_thread(start_embedded, base, cleanup="delete", database="outage")
    try:
        conn = await migrations.connect(server.dsn)
        try:
            await migrations.up(conn)
            archer = await new_archer(conn, "Own")
        finally:
            await conn.close()
        settings = Settings(
            database_url=server.dsn,
            pg_pool_min=1,
            pg_pool_max=3,
            pg_statement_timeout_seconds=1,
            assembler_enabled=False,
            allowed_hosts=["test"],
        )
        application = create_app(settings, access_log=False)
        async with application.router.lifespan_context(application):
            async with await client_of(application) as http:
                r = await http.post(
                    f"{API}/session",
                    json={"location": "Club", "distance_m": 18},
                    headers=archer.headers,
                )
                assert r.status_code == 201, r.text
            yield Own(server, application, archer, r.json()["data"]["id"])
    finally:
        await asyncio.to_thread(server.stop)


def postgres_pids(pgdata: Path) -> list[int]:
    postmaster = int((pgdata / "postmaster.pid").read_text().split()[0])
    pids = [postmaster]
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == postmaster:
                pids.append(int(entry))
    return pids


@contextmanager
def frozen(pgdata: Path) -> Iterator[None]:
    pids = postgres_pids(pgdata)
    for pid in pids:
        os.kill(pid, signal.SIGSTOP)
    try:
        yield
    finally:
        for pid in pids:
            os.kill(pid, signal.SIGCONT)


async def test_ready_503_within_its_bound_while_postgres_is_sigstopped(own: Own) -> None:
    async with await client_of(own.app) as http:
        assert (await http.get("/api/ready")).status_code == 200
        with frozen(own.server.data_dir):
            async with asyncio.timeout(15):  # each step of the check gives up after 1.5 s
                ready = await http.get("/api/ready")
            async with asyncio.timeout(30):  # the statement limit, 1 s, plus the client's grace
                arrows = await http.get(f"{API}/arrow", headers=own.archer.headers)
            health = await http.get("/api/health")
        assert_503(ready)
        assert_503(arrows)
        assert health.status_code == 200
        for _ in range(100):
            if (await http.get("/api/ready")).status_code == 200:
                break
            await asyncio.sleep(0.1)
        assert (await http.get(f"{API}/arrow", headers=own.archer.headers)).status_code == 200


async def test_backends_gone_503_then_served_again(own: Own) -> None:
    async with await client_of(own.app) as http:
        assert (await http.get(f"{API}/arrow", headers=own.archer.headers)).status_code == 200
        admin = await asyncpg.connect(own.server.dsn)
        try:
            await admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE application_name = 'arch-stats' AND pid <> pg_backend_pid()"
            )
        finally:
            await admin.close()
        answers = [await http.get(f"{API}/arrow", headers=own.archer.headers) for _ in range(4)]
        assert {r.status_code for r in answers} <= {200, 503}
        for r in answers:
            if r.status_code == 503:
                assert_503(r)
        assert answers[-1].status_code == 200


async def test_database_stopped_every_api_call_503_health_200(own: Own) -> None:
    await asyncio.to_thread(own.server.stop)  # the last test of this server
    headers = own.archer.headers
    async with await client_of(own.app) as http:
        calls = [
            await http.get(f"{API}/arrow", headers=headers),
            await http.get(f"{API}/session/{own.session_id}", headers=headers),  # hot path
            await http.get(f"{API}/session", headers=headers),
            await http.post(f"{API}/arrow", json={"identifier": "A01"}, headers=headers),
            await http.post(
                f"{API}/auth/login", json={"email": own.archer.email, "password": PASSWORD}
            ),
            await http.get("/api/ready"),
        ]
        for r in calls:
            assert_503(r)
        assert (await http.get("/api/health")).status_code == 200
