"""The asyncpg pool and the request dependencies that hand out database access.

`Db` is the pool itself, for reads: each statement borrows a connection just for itself, which
costs less per request than holding one (and FastAPI's generator dependencies cost more still).
Anything that needs several statements on one connection takes `Tx`: a pooled connection
inside a transaction that commits before the response is sent and rolls back on any error.
The request owns the transaction: services never commit.

Time limits. Every acquire waits at most `PG_ACQUIRE_TIMEOUT_SECONDS` (for a free connection or a
new one), and every statement runs at most `PG_STATEMENT_TIMEOUT_SECONDS`: PostgreSQL's own
`statement_timeout`, and the same plus a grace on the client side, for a server that no longer
answers at all (stopped, or a network gone quiet). A route that needs longer statements (CSV
import and export) asks for them inside its transaction:

    async with pool.acquire() as conn, conn.transaction():
        await long_statements(conn, settings.exchange_statement_timeout_seconds)
        ...  # every statement of this transaction may take that long, on both sides

(the client side lasts until the connection goes back to the pool).

Failures to reach the database (`unavailable`) are answered 503 with Retry-After
(`core.handlers`), never 500.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Annotated, Any, TypeAlias

import asyncpg
import asyncpg.pool
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
    client_timeout(conn, None)


# Seconds a client should wait before trying again after a 503 (database unreachable or busy).
RETRY_AFTER_SECONDS = 5
# The client-side limit of a statement is PostgreSQL's plus this: PostgreSQL cancels first and
# says why; the client gives up only when the server does not answer at all.
CLIENT_GRACE_SECONDS = 5.0

_UNAVAILABLE_SQLSTATES = (
    "08",  # connection exception
    "53",  # insufficient resources (too many connections, out of memory, disk full)
    "57",  # operator intervention: query canceled (statement_timeout), shutdown, starting up
    "58",  # system error (I/O)
)


def unavailable(exc: BaseException) -> bool:
    """Whether `exc` means the database cannot be used right now (an answer of 503)."""
    if isinstance(exc, asyncpg.PostgresError):
        sqlstate = getattr(exc, "sqlstate", None) or ""
        return sqlstate.startswith(_UNAVAILABLE_SQLSTATES)
    if isinstance(exc, asyncpg.exceptions.InternalClientError):
        # "another operation is in progress" on a connection whose server has just gone (its
        # FATAL read, its end not yet): the pool drops it, the next try gets a new one.
        return True
    if isinstance(exc, asyncpg.InterfaceError):
        # "connection is closed", "pool is closing"; not a bad argument or configuration.
        return not isinstance(exc, ValueError | asyncpg.exceptions.UnsupportedServerFeatureError)
    # Refused, reset, no such socket; TimeoutError (acquire, statement) is an OSError too.
    return isinstance(exc, OSError | asyncio.TimeoutError)


class _Connection(asyncpg.Connection):
    """asyncpg's connection whose client-side statement limit (`command_timeout`, the default
    `timeout=` of every call) `long_statements` can lengthen until the pool takes it back.

    asyncpg has no public setter for it: the connection's settings tuple is replaced
    (`tests/core/test_database_limits.py` checks that a long statement is then allowed)."""

    __slots__ = ("_default_timeout",)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        config: Any = getattr(self, "_config")  # noqa: B009 (private in asyncpg's stubs)
        self._default_timeout: float | None = config.command_timeout

    def set_client_timeout(self, timeout: float | None) -> None:
        """`timeout` as the default of every call from now on; None: the pool's again."""
        config: Any = getattr(self, "_config")  # noqa: B009
        limit = self._default_timeout if timeout is None else timeout
        if config.command_timeout != limit:  # (every release asks for the pool's again)
            setattr(self, "_config", config._replace(command_timeout=limit))  # noqa: B010


class _Pool(asyncpg.pool.Pool):
    """asyncpg's pool whose acquires wait at most `acquire_timeout` unless told otherwise:
    `pool.fetchrow(...)` and every `pool.acquire()` of the domains included.

    An acquire that finds an open connection free takes it at once, without arming the
    deadline (a timer per query, set and cancelled): the deadline bounds the waits, for a
    connection to come free or for a new one to open, and only they arm it. The connection's
    release keeps the same time limit either way."""

    __slots__ = ("_acquire_timeout",)

    def __init__(self, *args: Any, acquire_timeout: float | None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._acquire_timeout = acquire_timeout

    def acquire(self, *, timeout: float | None = None) -> Any:
        return super().acquire(timeout=self._acquire_timeout if timeout is None else timeout)

    async def _acquire(self, timeout: float | None) -> Any:  # noqa: ASYNC109 (asyncpg's)
        free: Any = getattr(self, "_queue")  # noqa: B009 (asyncpg's LIFO queue of holders)
        holders = free._queue if free is not None else None
        acquire: Any = super()._acquire  # type: ignore[misc]  # (private in asyncpg's stubs)
        if timeout is None or not holders or not _open(holders[-1]):
            return await acquire(timeout)
        proxy = await acquire(None)  # the free holder on top: nothing awaited
        proxy._holder._timeout = timeout  # its release's limit, as a timed acquire leaves it
        return proxy


def _open(holder: Any) -> bool:
    """Whether a pool's connection holder has an open connection of the pool's generation
    (one that `PoolConnectionHolder.acquire` hands out without connecting)."""
    con = holder._con
    return (
        con is not None and not con.is_closed() and holder._generation == holder._pool._generation
    )


async def create_pool(
    dsn: str,
    *,
    min_size: int,
    max_size: int,
    acquire_timeout: float | None = None,
    statement_timeout: float | None = None,
    **kwargs: Any,
) -> Pool:
    """The request pool. With `statement_timeout` (seconds) every statement is limited
    (server side, and client side with a grace); `acquire_timeout` bounds every acquire."""
    server_settings = dict(SERVER_SETTINGS)
    if statement_timeout is not None:
        server_settings["statement_timeout"] = str(round(statement_timeout * 1000))
        kwargs.setdefault("command_timeout", statement_timeout + CLIENT_GRACE_SECONDS)
    pool = _Pool(
        dsn,
        acquire_timeout=acquire_timeout,
        min_size=min_size,
        max_size=max_size,
        max_queries=50_000,
        max_inactive_connection_lifetime=300.0,
        server_settings=server_settings,
        reset=_reset,
        loop=None,
        connection_class=_Connection,
        record_class=asyncpg.Record,
        **kwargs,
    )
    await pool
    return pool


def client_timeout(conn: Connection, seconds: float | None) -> None:
    """The client's own limit for each statement on `conn` from now until it goes back to the
    pool (None: the pool's); asyncpg then cancels a statement past it, and closes a connection
    whose cancel is not answered. No effect on connections not from `create_pool`."""
    setter = getattr(conn, "set_client_timeout", None)  # through a pool's proxy too
    if setter is not None:
        setter(seconds)


async def long_statements(conn: Connection, seconds: float) -> None:
    """Let the statements of the current transaction run up to `seconds`: PostgreSQL's
    `statement_timeout` (until the transaction ends) and, on a pooled connection, the
    client's own limit (until the connection goes back to the pool)."""
    if not conn.is_in_transaction():
        raise RuntimeError("long_statements needs a transaction (SET LOCAL)")
    client_timeout(conn, seconds + CLIENT_GRACE_SECONDS)
    await conn.execute(
        "SELECT set_config('statement_timeout', $1, true)", str(max(1, round(seconds * 1000)))
    )


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
