"""`arch-stats export` and `arch-stats import`: the same files as the API, for one archer
chosen by e-mail, straight to and from the database, with progress on stderr."""

from __future__ import annotations

import asyncio
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from arch_stats.core import migrations
from arch_stats.core.errors import AppError
from arch_stats.core.settings import Settings, get_settings
from arch_stats.exchange import repository as repo
from arch_stats.exchange import service
from arch_stats.exchange.limits import Lease
from arch_stats.exchange.parser import ImportLimits
from arch_stats.exchange.schemas import ExportQuery

READ_CHUNK = 1024 * 1024
Say = Callable[[str], None]


class _Progress:
    """At most one line every `every` seconds, and a last one on `done`."""

    def __init__(self, say: Say, every: float = 0.5) -> None:
        self.say = say
        self.every = every
        self.last = 0.0
        self.started = time.monotonic()

    def __call__(self, text: str, *, done: bool = False) -> None:
        now = time.monotonic()
        if done or now - self.last >= self.every:
            self.last = now
            self.say(f"{text} ({now - self.started:.1f} s)")


def _mb(n: int) -> str:
    return f"{n / 1_048_576:,.1f} MB"


def export_csv(
    dsn: str,
    *,
    email: str,
    kind: str,
    output: Path | None,
    query: ExportQuery,
    arrow: str | None,
    say: Say,
) -> int:
    """Write shots.csv or sessions.csv of the archer `email` to `output` (stdout if None)."""
    if output is None:
        code = asyncio.run(_export(dsn, email, kind, sys.stdout.buffer, query, arrow, say))
        sys.stdout.buffer.flush()
        return code
    with output.open("wb") as target:
        code = asyncio.run(_export(dsn, email, kind, target, query, arrow, say))
    if code == 0:
        say(f"written to {output}")
    return code


async def _export(
    dsn: str,
    email: str,
    kind: str,
    target: BinaryIO,
    query: ExportQuery,
    arrow: str | None,
    say: Say,
) -> int:
    conn = await migrations.connect(dsn)
    try:
        archer_id = await repo.archer_by_email(conn, email)
        if archer_id is None:
            say(f"error: no archer with e-mail {email}")
            return 1
        if arrow is not None:
            arrow_id = await repo.arrow_by_identifier(conn, archer_id, arrow)
            if arrow_id is None:
                say(f"error: no arrow {arrow!r}")
                return 1
            query = query.model_copy(update={"arrow_id": arrow_id})
        try:
            sql, args = await service.export_query(conn, archer_id, kind, query)
        except AppError as exc:
            say("error: " + "; ".join(exc.messages))
            return 1
        progress = _Progress(say)
        rows = await service.export_to(
            conn,
            sql,
            args,
            target.write,
            progress=lambda size, lines: progress(
                f"exported {max(lines - 1, 0):,} rows, {_mb(size)}"
            ),
        )
        progress(f"exported {rows:,} {kind} rows", done=True)
        return 0
    finally:
        await conn.close()


def import_csv(
    dsn: str, *, email: str, path: Path, say: Say, settings: Settings | None = None
) -> int:
    """Import a shots.csv into the archer `email`'s account: all or nothing. The file is read
    and checked before the transaction begins; one import per account at a time."""
    settings = settings or get_settings()
    with path.open("rb") as source:
        size = os.fstat(source.fileno()).st_size
        return asyncio.run(_import(dsn, email, source, size, path, say, settings))


async def _import(
    dsn: str, email: str, source: BinaryIO, size: int, path: Path, say: Say, settings: Settings
) -> int:
    conn = await migrations.connect(dsn)
    # The lease is renewed on a connection of its own, while `conn` works.
    lease_conn = await migrations.connect(dsn)
    try:
        archer_id = await repo.archer_by_email(conn, email)
        if archer_id is None:
            say(f"error: no archer with e-mail {email}")
            return 1
        progress = _Progress(say)
        reader = service.ImportReader(
            limits=ImportLimits(
                sessions=settings.import_max_sessions,
                targets=settings.import_max_targets,
                arrows=settings.import_max_arrows,
            ),
            spool_dir=settings.spool_dir,
        )
        try:
            lease = await Lease.take(lease_conn, archer_id, "import")
            try:
                while chunk := await asyncio.to_thread(source.read, READ_CHUNK):
                    await reader.feed(chunk)
                    progress(f"read {_mb(reader.read)} of {_mb(size)}, {reader.parser.rows:,} rows")
                await reader.finish()
                async with conn.transaction():
                    result = await service.import_staged(
                        conn,
                        archer_id,
                        reader,
                        statement_timeout=settings.exchange_statement_timeout_seconds,
                    )
            finally:
                await lease.release()
        except AppError as exc:
            for message in exc.messages:
                say(message)
            return 1
        finally:
            reader.close()
        progress(
            f"imported {path}: {result.rows:,} rows; sessions {result.sessions_created:,} new, "
            f"{result.sessions_matched:,} already there; {result.targets_created:,} targets, "
            f"{result.arrows_created:,} arrows new; shots {result.shots_created:,} new, "
            f"{result.shots_skipped:,} already there",
            done=True,
        )
        return 0
    finally:
        await lease_conn.close()
        await conn.close()
