"""The asyncpg pool and the request dependencies that hand out database access.

`Db` is the pool itself, for reads: each statement borrows a connection just for itself, which
costs less per request than holding one (and FastAPI's generator dependencies cost more still).
Anything that needs several statements on one connection takes `Tx`: a pooled connection
inside a transaction that commits before the response is sent and rolls back on any error.
The request owns the transaction: services never commit.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Annotated, Any, TypeAlias

import asyncpg
from fastapi import Depends, Request

if TYPE_CHECKING:
    from asyncpg.pool import PoolConnectionProxy

    Connection: TypeAlias = asyncpg.Connection[asyncpg.Record] | PoolConnectionProxy[asyncpg.Record]
    Pool: TypeAlias = asyncpg.Pool[asyncpg.Record]
    # For a single statement a pool will do: it lends a connection for just that statement.
    Executor: TypeAlias = Connection | Pool
else:  # asyncpg's classes are generic only in its stubs
    Connection = asyncpg.Connection | asyncpg.pool.PoolConnectionProxy
    Pool = asyncpg.Pool
    Executor = Connection | Pool

SERVER_SETTINGS = {
    "application_name": "arch-stats",
    "timezone": "UTC",
    # JIT compilation costs more than it saves on the short queries of this service.
    "jit": "off",
}


async def _reset(conn: Connection) -> None:
    """Cheaper than asyncpg's default reset (UNLISTEN *, RESET ALL, … on every release).

    Pooled connections here never LISTEN, take session advisory locks or SET session state
    (request ids are SET LOCAL): only a transaction left open needs undoing.
    """
    if conn.is_in_transaction():
        await conn.execute("ROLLBACK")


async def create_pool(dsn: str, *, min_size: int, max_size: int, **kwargs: Any) -> Pool:
    pool = await asyncpg.create_pool(
        dsn,
        min_size=min_size,
        max_size=max_size,
        server_settings=SERVER_SETTINGS,
        reset=_reset,
        **kwargs,
    )
    assert pool is not None
    return pool


async def get_conn(request: Request) -> AsyncIterator[Connection]:
    pool: Pool = request.app.state.pool
    async with pool.acquire() as conn:
        yield conn


async def get_tx(
    conn: Annotated[Connection, Depends(get_conn, scope="function")],
) -> AsyncIterator[Connection]:
    async with conn.transaction():
        yield conn


async def get_pool(request: Request) -> Pool:
    pool: Pool = request.app.state.pool
    return pool


Db = Annotated[Executor, Depends(get_pool)]
Tx = Annotated[Connection, Depends(get_tx, scope="function")]
