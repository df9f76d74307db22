"""The ceilings: a bare Starlette app whose endpoints do the least a request can do.

`GET /select1` runs one `SELECT 1` through a pool. `POST /write` and `POST /write_notify`
durably INSERT one row of a shot's width (`{"session_id", "x_mm", "y_mm", "score"}` in the
body, and `landed_at` if given) into an indexed table with one foreign key, the second into a
table whose row trigger NOTIFYs the row as JSON, as the original Arch-Stats backend did (the
app LISTENs to it). `GET /ws_notify` (a WebSocket) is the simplest live writer on top: every
notification heard becomes one frame `{"type": "shot.created", "data": row}`, built once and
queued to every client, each sent by the client's own task.

Bare: nothing of Arch Stats is imported here (its edge protocol, pool, settings), so that
none of its cost is in the ceiling. Plain uvicorn serves it (`bench.common.server.BARE`:
uvloop, uvicorn's own httptools and sans-I/O WebSocket protocols, no access log, 1 process)
with asyncpg's own pool of the same size as Arch Stats' (`PG_POOL_MIN`, `PG_POOL_MAX`),
released without asyncpg's default reset query (a round trip per request; a connection here
never leaves state behind but an open transaction, rolled back). It shows what this machine,
Python, uvicorn, Starlette and asyncpg can do at best; Arch Stats is measured as a fraction
of it.

    DATABASE_URL=... uvicorn --factory --http httptools bench.common.ceiling:create_app
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg
import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

PATH = "/select1"
WRITE_PATH = "/write"
WRITE_NOTIFY_PATH = "/write_notify"
WS_NOTIFY_PATH = "/ws_notify"

# Created by the benchmark before it starts the servers (`bench.common.db.write_tables`).
WRITE_TABLES = """
CREATE TABLE IF NOT EXISTS bench_write_session (id uuid PRIMARY KEY);
CREATE TABLE IF NOT EXISTS bench_write_shot (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    session_id uuid NOT NULL REFERENCES bench_write_session (id),
    x_mm float8, y_mm float8, dx_mm float8, dy_mm float8,
    score int2 NOT NULL, is_x boolean NOT NULL DEFAULT false,
    engaged_at timestamptz, released_at timestamptz, landed_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS bench_write_shot_session_idx ON bench_write_shot (session_id);
CREATE TABLE IF NOT EXISTS bench_write_shot_notify (LIKE bench_write_shot INCLUDING ALL);
ALTER TABLE bench_write_shot_notify DROP CONSTRAINT IF EXISTS bench_write_shot_notify_session_fk;
ALTER TABLE bench_write_shot_notify ADD CONSTRAINT bench_write_shot_notify_session_fk
    FOREIGN KEY (session_id) REFERENCES bench_write_session (id);
CREATE OR REPLACE FUNCTION bench_write_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('bench_write', row_to_json(NEW)::text);
    RETURN NULL;
END $$;
CREATE OR REPLACE TRIGGER bench_write_notify AFTER INSERT ON bench_write_shot_notify
    FOR EACH ROW EXECUTE FUNCTION bench_write_notify();
"""
_INSERT = """INSERT INTO {table} (session_id, x_mm, y_mm, dx_mm, dy_mm, score, landed_at)
             VALUES ($1, $2::float8, $3::float8, $2::float8 - 650, $3::float8 - 650, $4,
                     coalesce($5::timestamptz, now()))
             RETURNING id, created_at"""


async def select1(request: Request) -> Response:
    pool: asyncpg.Pool[asyncpg.Record] = request.app.state.pool
    async with pool.acquire() as conn:
        value = await conn.fetchval("SELECT 1")
    body = b'{"code":200,"data":%d,"errors":[]}' % value
    return Response(body, media_type="application/json")


def _writer(table: str) -> Callable[[Request], Awaitable[Response]]:
    sql = _INSERT.format(table=table)

    async def write(request: Request) -> Response:
        body = orjson.loads(await request.body())
        pool: asyncpg.Pool[asyncpg.Record] = request.app.state.pool
        async with pool.acquire() as conn:
            landed = body.get("landed_at")
            row = await conn.fetchrow(
                sql,
                UUID(body["session_id"]),
                body["x_mm"],
                body["y_mm"],
                body["score"],
                datetime.fromisoformat(landed) if landed else None,
            )
        assert row is not None
        data = {"id": str(row["id"]), "created_at": row["created_at"].isoformat(), **body}
        out = orjson.dumps({"code": 201, "data": data, "errors": []})
        return Response(out, status_code=201, media_type="application/json")

    return write


async def ws_notify(ws: WebSocket) -> None:
    """Every notification heard, as it comes (nothing else: no auth, no replay)."""
    await ws.accept()
    queue: asyncio.Queue[str] = asyncio.Queue()
    clients: set[asyncio.Queue[str]] = ws.app.state.clients
    clients.add(queue)
    try:
        while True:
            await ws.send_text(await queue.get())
    except (WebSocketDisconnect, RuntimeError, OSError):
        pass
    finally:
        clients.discard(queue)


async def _reset(conn: asyncpg.Connection[Any]) -> None:
    if conn.is_in_transaction():
        await conn.execute("ROLLBACK")


def create_app() -> Starlette:
    """From the env: DATABASE_URL, and the pool's PG_POOL_MIN (1) and PG_POOL_MAX (10)."""
    dsn = os.environ.get("DATABASE_URL")
    if not dsn:
        raise ValueError("DATABASE_URL is not set")
    low, high = int(os.environ.get("PG_POOL_MIN", "1")), int(os.environ.get("PG_POOL_MAX", "10"))

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        app.state.pool = await asyncpg.create_pool(dsn, min_size=low, max_size=high, reset=_reset)
        # Listens as the original backend did: its notifications are read (and counted),
        # and sent to the WebSocket clients.
        listener = await asyncpg.connect(dsn)
        app.state.heard = 0
        app.state.clients = clients = set[asyncio.Queue[str]]()

        def heard(_c: object, _pid: int, _ch: str, payload: object) -> None:
            app.state.heard += 1
            if clients:
                text = f'{{"type":"shot.created","data":{payload}}}'
                for queue in clients:
                    queue.put_nowait(text)

        await listener.add_listener("bench_write", heard)
        try:
            yield
        finally:
            await listener.close()
            await app.state.pool.close()

    return Starlette(
        routes=[
            WebSocketRoute(WS_NOTIFY_PATH, ws_notify),
            Route(PATH, select1),
            Route(WRITE_PATH, _writer("bench_write_shot"), methods=["POST"]),
            Route(WRITE_NOTIFY_PATH, _writer("bench_write_shot_notify"), methods=["POST"]),
        ],
        lifespan=lifespan,
    )
