"""Server processes writing shots for the same archers at once never deadlock.

Each process joins the posts that wait into one write (shots/writer.py), which locks every
session of the write. Two processes' writes that hold some of the same sessions must lock
them in one order, or each may hold what the other waits for: PostgreSQL then waits its
deadlock_timeout (1 s), aborts one, and its posts are written again: a 1 s tail on a club
night.
"""

from __future__ import annotations

import asyncio
import random
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from uuid import UUID

import httpx

from arch_stats.core import migrations
from arch_stats.core.database import Connection
from tests.conftest import new_archer
from tests.serve_process import serve
from tests.shots.test_shots import C

ARCHERS = 32
ENDS = 16  # each: every archer posts an arrow through one process, half of them through both
HELD = 3  # sessions another write holds when the joint writes reach them
QUEUE_S = 0.5  # long enough for every post of an end to reach its process
# Idle connections are let go before the server closes them (KEEP_ALIVE_TIMEOUT_SECONDS 5).
LIMITS = httpx.Limits(keepalive_expiry=2)


@dataclass(frozen=True)
class Archer:
    token: str
    session_id: UUID
    target_id: UUID


async def _archer(conn: Connection) -> Archer:
    archer = await new_archer(conn)
    # Ends of 24 arrows: an arrow's place never depends on another process's write.
    session_id = await conn.fetchval(
        "INSERT INTO session (archer_id, distance_m, arrows_per_end) VALUES ($1, 70, 24) "
        "RETURNING id",
        archer.id,
    )
    target_id = await conn.fetchval(
        "INSERT INTO target (session_id, archer_id, distance_m, view_width_mm, view_height_mm) "
        "VALUES ($1, $2, 70, 1300, 1300) RETURNING id",
        session_id,
        archer.id,
    )
    await conn.execute("INSERT INTO target_face VALUES ($1, 0, 'wa_122', $2, $2)", target_id, C)
    return Archer(archer.token, session_id, target_id)


async def _deadlocks(conn: Connection) -> int:
    """PostgreSQL's count of deadlocks in this database (pg_stat_database)."""
    await conn.execute("SELECT pg_stat_clear_snapshot()")
    count: int = await conn.fetchval(
        "SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()"
    )
    return count


async def _log_end(conn: Connection) -> tuple[str, int]:
    """PostgreSQL's log (the collector's file, or the embedded server's `pgdata/log`) and its
    size now."""
    path: str = await conn.fetchval("SELECT coalesce(pg_current_logfile(), 'log')")
    size = await conn.fetchval("SELECT (pg_stat_file($1, true)).size", path)
    assert size is not None, f"PostgreSQL's log {path} cannot be read"
    return path, size


class Holder:
    """Another write holding sessions (a correction, a slow commit) until `release`. It takes
    them while no one else holds any, so it never waits itself."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.held = asyncio.Event()
        self.release = asyncio.Event()

    async def hold(self, sessions: list[UUID]) -> None:
        self.held.clear()
        self.release.clear()
        async with self.conn.transaction():
            await self.conn.execute(
                "SELECT FROM session WHERE id = ANY($1::uuid[]) ORDER BY id FOR NO KEY UPDATE",
                sessions,
            )
            self.held.set()
            await self.release.wait()


async def _waiting(conn: Connection, count: int) -> None:
    """Until `count` backends wait for a lock (at most a few seconds)."""
    with suppress(TimeoutError):
        async with asyncio.timeout(5):
            while (
                await conn.fetchval(
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND wait_event_type = 'Lock'"
                )
                < count
            ):
                await asyncio.sleep(0.01)


async def test_two_processes_posting_for_the_same_archers_never_deadlock(
    scratch: str, tmp_path: Path
) -> None:
    conn = await migrations.connect(scratch)
    holders = [Holder(await migrations.connect(scratch)) for _ in range(2)]
    try:
        await migrations.up(conn)
        archers = [await _archer(conn) for _ in range(ARCHERS)]
        deadlocks_before = await _deadlocks(conn)
        log, log_start = await _log_end(conn)
        pick = random.Random(18)

        async def post(http: httpx.AsyncClient, archer: Archer, end: int) -> None:
            shot = {
                "session_id": str(archer.session_id),
                "target_id": str(archer.target_id),
                "x_mm": C + end,
                "y_mm": C,
            }
            headers = {"Authorization": f"Bearer {archer.token}"}
            r = await http.post("/api/v0/shot", json=shot, headers=headers)
            assert r.status_code == 201, r.text

        async def shoot_an_end(a: httpx.AsyncClient, b: httpx.AsyncClient, end: int) -> None:
            """Every archer posts an arrow through process A, half of them through B too (a
            phone and a reader, or a proxy spreading one client's requests). While the first
            archer's session is held, the others' posts wait in each process; then each
            process writes them jointly, A 31 sessions, B 16 of them, at the same moment,
            and both writes meet sessions held by another write on their way."""
            first, *others = pick.sample(archers, ARCHERS)
            both = others[: ARCHERS // 2]
            queue, block = holders
            queueing = asyncio.create_task(queue.hold([first.session_id]))
            blocking = asyncio.create_task(
                block.hold([x.session_id for x in pick.sample(both, HELD)])
            )
            await queue.held.wait()
            await block.held.wait()
            posts = [asyncio.create_task(post(http, first, end)) for http in (a, b)]
            await _waiting(conn, 2)  # each process's write of the first post
            posts += [asyncio.create_task(post(a, x, end)) for x in others]
            posts += [asyncio.create_task(post(b, x, end)) for x in both]
            await asyncio.sleep(QUEUE_S)
            queue.release.set()
            await queueing
            await _waiting(conn, 2)  # the joint writes, stopped on their way
            block.release.set()
            await blocking
            await asyncio.gather(*posts)

        # As `serve --workers 2` runs them: one write in flight per process.
        env = {"SHOT_WRITES_IN_FLIGHT": "1"}
        async with (
            serve(scratch, tmp_path / "a.log", env=env) as a,
            serve(scratch, tmp_path / "b.log", env=env) as b,
            httpx.AsyncClient(base_url=a.url, timeout=60, limits=LIMITS) as http_a,
            httpx.AsyncClient(base_url=b.url, timeout=60, limits=LIMITS) as http_b,
            asyncio.timeout(300),
        ):
            for end in range(ENDS):
                await shoot_an_end(http_a, http_b, end)
        # The servers have stopped: their connections have reported their statistics.
        async with asyncio.timeout(30):
            while await conn.fetchval(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND backend_type = 'client backend' "
                "AND application_name = 'arch-stats' AND pid <> pg_backend_pid() "
                "AND pid <> ALL ($1::int[])",
                [await h.conn.fetchval("SELECT pg_backend_pid()") for h in holders],
            ):
                await asyncio.sleep(0.05)

        written = await conn.fetchval("SELECT count(*) FROM shot")
        assert written == ENDS * (ARCHERS + ARCHERS // 2 + 1)
        text = await conn.fetchval(
            "SELECT pg_read_file($1, $2, (pg_stat_file($1)).size - $2)", log, log_start
        )
        assert text.count("deadlock detected") == 0, text[-3000:]
        assert await _deadlocks(conn) - deadlocks_before == 0
    finally:
        for holder in holders:
            await holder.conn.close()
        await conn.close()
