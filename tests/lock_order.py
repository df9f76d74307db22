"""Checks that a statement locks its rows in one order (by key), whatever order it is given
them in: two such statements of different processes then queue, never deadlock."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any

from arch_stats.core import migrations
from arch_stats.core.database import Connection


async def assert_locks_in_key_order(
    dsn: str,
    *,
    table: str,
    key: str,
    low: Any,
    high: Any,
    write: Callable[[Connection], Coroutine[Any, Any, object]],
) -> None:
    """`write` (on a connection of its own) locks the rows `low` < `high` of `table`, named
    high first (and stored high first by the caller). With `low` held by another transaction,
    it must wait for `low` holding nothing: `high` stays free."""
    holder = await migrations.connect(dsn)
    writer = await migrations.connect(dsn)
    probe = await migrations.connect(dsn)
    lock = f"SELECT FROM {table} WHERE {key} = $1 FOR UPDATE"
    try:
        async with holder.transaction():
            await holder.execute(lock, low)
            pid = await writer.fetchval("SELECT pg_backend_pid()")
            written = asyncio.create_task(write(writer))
            async with asyncio.timeout(10):
                while not await probe.fetchval(
                    "SELECT wait_event_type = 'Lock' FROM pg_stat_activity WHERE pid = $1", pid
                ):
                    await asyncio.sleep(0.01)
            async with probe.transaction():
                await probe.execute(f"{lock} NOWAIT", high)  # LockNotAvailableError if held
        await written
    finally:
        for conn in (holder, writer, probe):
            await conn.close()
