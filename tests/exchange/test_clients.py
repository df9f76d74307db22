"""Slow, stalled and vanishing clients of CSV import and export, over real sockets against a
real server: none of them holds a pooled connection at its own pace, each account runs one
import and one export at a time, and a client that goes away leaves nothing behind."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from typing import Any
from uuid import UUID

import asyncpg
import httpx
import pytest
from fastapi import FastAPI

from arch_stats.core.database import Connection
from arch_stats.core.errors import ServiceUnavailable
from arch_stats.exchange import limits
from arch_stats.exchange.schemas import SHOT_COLUMNS
from tests.conftest import ArcherCtx, MakeArcher
from tests.exchange.conftest import Raw, errors_of, raw_connect, request_head
from tests.exchange.test_exchange import EXPORT, IMPORT, Story, export, post_csv, story
from tests.stats import data

__all__ = ["story"]  # the fixture, used here too

HEADER_LINE = (",".join(SHOT_COLUMNS) + "\n").encode()


def upload_head(who: ArcherCtx, length: int) -> bytes:
    return request_head("POST", IMPORT, {**who.headers, "Content-Type": "text/csv"}, length=length)


async def all_pool_connections_can_be_taken(app: FastAPI) -> None:
    """Every pooled connection is free, or becomes free within a few seconds."""
    pool = app.state.pool
    async with contextlib.AsyncExitStack() as stack, asyncio.timeout(10):
        for _ in range(pool.get_max_size()):
            await stack.enter_async_context(pool.acquire())


async def wait_for(check: Callable[[], Any], what: str, seconds: float = 20) -> None:
    async with asyncio.timeout(seconds):
        while not await check():
            await asyncio.sleep(0.05)


async def many_shots(db: Connection, archer_id: UUID, n: int) -> UUID:
    """A closed session of `n` shots (misses), written in one statement."""
    # Ends of 6 (a shot's place in its end is at most the session's arrows per end).
    session_id = await data.session(db, archer_id, notes="a long day " * 20, per_end=6)
    target_id = await data.target(db, archer_id, session_id)
    await db.execute(
        """INSERT INTO shot (session_id, archer_id, target_id, seq, end_no, score, is_x)
           SELECT $1, $2, $3, g, (g - 1) / 6 + 1, 0, false FROM generate_series(1, $4) g""",
        session_id,
        archer_id,
        target_id,
        n,
    )
    await db.execute("UPDATE session SET last_seq = $2 WHERE id = $1", session_id, n)
    return session_id


# An import held at its first write into `session` (see `session_locked`).
IMPORT_WAITING = (
    "SELECT count(*) FROM pg_stat_activity "
    "WHERE wait_event_type = 'Lock' AND query LIKE '%INSERT INTO session %'"
)


@contextlib.asynccontextmanager
async def session_locked(dsn: str) -> AsyncIterator[asyncpg.Connection]:
    """While open, imports wait at their first write into `session`."""
    blocker = await asyncpg.connect(dsn)
    tx = blocker.transaction()
    await tx.start()
    try:
        await blocker.execute("LOCK TABLE session IN SHARE ROW EXCLUSIVE MODE")
        yield blocker
    finally:
        await tx.rollback()
        await blocker.close()


# --- import ----------------------------------------------------------------------------------


async def test_trickling_uploads_hold_no_pooled_connection_and_one_per_account(
    client: httpx.AsyncClient,
    app: FastAPI,
    make_archer: MakeArcher,
    http_server: tuple[str, int],
) -> None:
    archers = [await make_archer(f"Trickler {i}") for i in range(app.state.pool.get_max_size())]
    uploads: list[Raw] = []
    try:
        # As many uploads as the pool has connections, each stuck after its header line.
        for who in archers:
            raw = await raw_connect(http_server)
            await raw.send(upload_head(who, 1_000_000) + HEADER_LINE)
            uploads.append(raw)
        await asyncio.sleep(0.2)  # let the server take them in
        await all_pool_connections_can_be_taken(app)
        r = await client.get("/api/ready")
        assert r.status_code == 200
        # A second import of the same account while the first one runs: refused at once.
        r = await post_csv(client, archers[0], HEADER_LINE)
        assert r.status_code == 429
        assert int(r.headers["retry-after"]) > 0
        assert "already running" in r.json()["errors"][0]
    finally:
        for raw in uploads:
            raw.close()


async def test_upload_slower_than_its_deadline_408_and_lease_released(
    client: httpx.AsyncClient,
    other: ArcherCtx,
    override: Callable[..., None],
    http_server: tuple[str, int],
) -> None:
    override(import_body_timeout_seconds=1.0)
    raw = await raw_connect(http_server)
    try:
        await raw.send(upload_head(other, 1_000_000) + HEADER_LINE)
        status, _, body = await raw.response(timeout=15)  # one byte every now and then: no
        assert status == 408
        assert "IMPORT_BODY_TIMEOUT_SECONDS" in errors_of(body)[0]
    finally:
        raw.close()
    # The account may import again.
    r = await post_csv(client, other, HEADER_LINE)
    assert r.status_code == 200, r.text


async def test_unterminated_record_over_1_mib_refused_at_once(
    other: ArcherCtx, http_server: tuple[str, int]
) -> None:
    raw = await raw_connect(http_server)
    try:
        # Announce almost 3 MiB (the test's IMPORT_MAX_BYTES), send 1.2 MiB of one quoted
        # field, and no more: the answer must not wait for the rest.
        await raw.send(upload_head(other, 3_000_000) + HEADER_LINE + b'"\xf0\x9f\x8e\xaf')
        for _ in range(12):
            await raw.send(b"x" * 100_000)
        status, _, body = await raw.response(timeout=15)
        assert status == 422
        errors = errors_of(body)
        assert errors[1].startswith("line 2: a record longer than 1048576 bytes"), errors
    finally:
        raw.close()


async def test_client_gone_during_the_import_stops_it_nothing_written_logged_as_info(
    db: Connection,
    migrated: str,
    client: httpx.AsyncClient,
    archer: ArcherCtx,
    other: ArcherCtx,
    story: Story,
    http_server: tuple[str, int],
    caplog: pytest.LogCaptureFixture,
) -> None:
    body = (await export(client, archer)).encode()
    # Hold the import at its first write into `session`, so that the client leaves mid-way.
    async with session_locked(migrated):
        raw = await raw_connect(http_server)
        with caplog.at_level(logging.INFO):
            await raw.send(upload_head(other, len(body)) + body)
            await wait_for(lambda: _positive(db, IMPORT_WAITING), "the import waits on the lock")
            raw.close()
            # The import is cancelled: its statement stops waiting, its transaction rolls back.
            await wait_for(lambda: _zero(db, IMPORT_WAITING), "the import gave up")
            await wait_for(
                lambda: _logged(caplog, "import stopped: the client went away"), "an INFO line"
            )
    gone = [r for r in caplog.records if "client went away" in r.getMessage()]
    assert gone[0].levelno == logging.INFO
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], caplog.text
    await asyncio.sleep(0.2)
    assert await db.fetchval("SELECT count(*) FROM session WHERE archer_id = $1", other.id) == 0
    assert await db.fetchval("SELECT count(*) FROM exchange_lease") == 0


async def test_database_gone_during_an_import_frees_the_lease_within_the_retry_after(
    db: Connection,
    migrated: str,
    client: httpx.AsyncClient,
    archer: ArcherCtx,
    other: ArcherCtx,
    story: Story,
) -> None:
    """PostgreSQL drops every connection mid-import and refuses new ones for a while (as a
    restart does): the import fails with 503, and once the database answers again the
    account's next import is accepted within the Retry-After its 429 announced."""
    body = (await export(client, archer)).encode()
    name = await db.fetchval("SELECT current_database()")
    # A database may not refuse connections to itself: this is said from another one.
    admin = await asyncpg.connect(migrated, database="postgres")
    closed = False
    try:
        async with session_locked(migrated) as blocker:
            importing = asyncio.create_task(post_csv(client, other, body))
            await wait_for(lambda: _positive(db, IMPORT_WAITING), "the import waits on the lock")
            await admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
            closed = True
            await db.execute(
                """SELECT pg_terminate_backend(pid) FROM pg_stat_activity
                   WHERE datname = current_database() AND pid NOT IN (pg_backend_pid(), $1)""",
                blocker.get_server_pid(),
            )
            failed = await importing
            assert failed.status_code == 503, failed.text
            # The lease could not be let go while the database was away.
            assert await db.fetchval("SELECT count(*) FROM exchange_lease") == 1
    finally:
        if closed:
            await admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
        await admin.close()
    refused = await post_csv(client, other, HEADER_LINE)
    if refused.status_code == 429:
        announced = int(refused.headers["retry-after"])
        await wait_for(
            lambda: _zero(db, "SELECT count(*) FROM exchange_lease"),
            "the lease let go",
            seconds=announced,
        )
    else:
        assert refused.status_code == 200, refused.text
    again = await post_csv(client, other, body)
    assert again.status_code == 200, again.text
    assert again.json()["data"]["shots_created"] == 7


async def _positive(db: Connection, sql: str) -> bool:
    return bool(await db.fetchval(sql))


async def _zero(db: Connection, sql: str) -> bool:
    return not await db.fetchval(sql)


async def _logged(caplog: pytest.LogCaptureFixture, text: str) -> bool:
    return any(text in r.getMessage() for r in caplog.records)


# --- export ----------------------------------------------------------------------------------


async def test_stalled_download_holds_no_copy_or_connection_and_one_export_per_account(
    db: Connection,
    app: FastAPI,
    client: httpx.AsyncClient,
    archer: ArcherCtx,
    other: ArcherCtx,
    http_server: tuple[str, int],
) -> None:
    await many_shots(db, archer.id, 30_000)  # about 10 MB of CSV: more than sockets buffer
    raw = await raw_connect(http_server, rcvbuf=4096)
    try:
        await raw.send(request_head("GET", EXPORT, archer.headers))
        assert (await raw.reader.readuntil(b"\r\n\r\n")).startswith(b"HTTP/1.1 200")
        await raw.reader.readexactly(16_384)  # then the client stops reading
        # The COPY does not wait for the client: it ends, and its connection is free.
        copying = (
            "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'COPY%' "
            "AND state <> 'idle' AND pid <> pg_backend_pid()"
        )
        await wait_for(lambda: _zero(db, copying), "the COPY is over")
        await all_pool_connections_can_be_taken(app)
        # One export per account at a time; other accounts are not held up.
        r = await client.get(EXPORT, headers=archer.headers)
        assert r.status_code == 429
        assert int(r.headers["retry-after"]) > 0
        r = await client.get(EXPORT, headers=other.headers)
        assert r.status_code == 200
    finally:
        raw.close()


async def test_stalled_download_dropped_after_the_send_deadline(
    db: Connection,
    client: httpx.AsyncClient,
    archer: ArcherCtx,
    override: Callable[..., None],
    http_server: tuple[str, int],
    caplog: pytest.LogCaptureFixture,
) -> None:
    override(export_send_timeout_seconds=1.0)
    await many_shots(db, archer.id, 30_000)
    raw = await raw_connect(http_server, rcvbuf=4096)
    try:
        with caplog.at_level(logging.INFO):
            await raw.send(request_head("GET", EXPORT, archer.headers))
            await raw.reader.readuntil(b"\r\n\r\n")
            await raw.reader.readexactly(16_384)
            await wait_for(lambda: _logged(caplog, "export dropped"), "the drop")
        dropped = [r for r in caplog.records if "export dropped" in r.getMessage()]
        assert dropped[0].levelno == logging.INFO
        # Its lease went with it: the account may export again.
        override(export_send_timeout_seconds=60.0)
        r = await client.get(EXPORT, headers=archer.headers)
        assert r.status_code == 200
        assert r.text.count("\n") == 30_001
    finally:
        raw.close()


async def test_export_larger_than_its_limit_400_and_lease_released(
    client: httpx.AsyncClient, archer: ArcherCtx, story: Story, override: Callable[..., None]
) -> None:
    override(export_max_bytes=1000)
    r = await client.get(EXPORT, headers=archer.headers)
    assert r.status_code == 400
    assert "EXPORT_MAX_BYTES" in r.json()["errors"][0]
    override(export_max_bytes=1 << 30)
    assert (await client.get(EXPORT, headers=archer.headers)).status_code == 200


async def test_exports_one_after_another_on_one_connection_all_answered(
    archer: ArcherCtx, story: Story, http_server: tuple[str, int]
) -> None:
    # The lease is let go before the client sees the end of a download: the next one is not
    # refused as "already running".
    host, port = http_server
    async with httpx.AsyncClient(base_url=f"http://{host}:{port}") as http:
        for _ in range(5):
            r = await http.get(EXPORT, headers=archer.headers)
            assert r.status_code == 200, r.text
            assert r.text.count("\n") > 7


async def test_a_lease_left_by_a_dead_process_expires(
    client: httpx.AsyncClient, db: Connection, other: ArcherCtx
) -> None:
    lease = "INSERT INTO exchange_lease VALUES ($1, 'import', gen_random_uuid(), now() + $2)"
    await db.execute(lease, other.id, timedelta(seconds=60))
    assert (await post_csv(client, other, HEADER_LINE)).status_code == 429
    await db.execute("DELETE FROM exchange_lease")
    await db.execute(lease, other.id, timedelta(seconds=-1))  # its holder died a while ago
    assert (await post_csv(client, other, HEADER_LINE)).status_code == 200
    assert await db.fetchval("SELECT count(*) FROM exchange_lease") == 0


async def test_busy_process_answers_503_with_retry_after(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(limits, "SLOT_WAIT_SECONDS", 0.05)
    slots = limits.Slots(1)
    async with slots.slot():
        with pytest.raises(ServiceUnavailable) as busy:
            await slots.acquire()
    assert busy.value.retry_after == limits.RETRY_AFTER_SECONDS
    async with slots.slot():  # free again
        pass
