"""CSV export and import rules.

Export streams `COPY … TO STDOUT` output through a small bounded queue: PostgreSQL formats
the rows, the server holds at most `QUEUE_CHUNKS` × `CHUNK_BYTES` of them at a time, and a
slow client slows the COPY down (backpressure) instead of filling memory.

Import is all or nothing, in the caller's transaction: the whole file is read and checked
first (shots go to a temporary staging table as they are read), and nothing is written to
the archer's tables unless every line is right; otherwise `InvalidInput` lists the first
`MAX_ERRORS` bad lines with their reasons. Importing the same file again adds nothing:

* a session is identified by its `session_key` (the id it was first recorded with): a key
  that is one of the archer's sessions, or that an earlier import came from
  (`session_origin`), is that session; only the other keys create sessions;
* a target likewise within its session (`target_key`, `target_origin`);
* a shot by its session and shot number (`seq`): shots already there are skipped;
* an arrow by its identifier: the archer's active arrow with it, else the most recently
  retired one, else a new arrow (with the file's diameter).

Session, target and shot fields, times and scores are stored exactly as exported.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from uuid import UUID, uuid4

from arch_stats.core.database import Connection, Executor, Pool
from arch_stats.core.errors import BusinessRuleError, InvalidInput, NotFound
from arch_stats.exchange import repository as repo
from arch_stats.exchange.parser import MAX_ERRORS, SessionFields, ShotsCsvParser, TargetFields
from arch_stats.exchange.schemas import ExportQuery
from arch_stats.stats.repository import arrow_exists
from arch_stats.stats.service import filter_kwargs

log = logging.getLogger("arch_stats.exchange")

CHUNK_BYTES = 256 * 1024
QUEUE_CHUNKS = 4
STAGE_BATCH = 5_000


# --- export ----------------------------------------------------------------------------------


async def export_query(
    conn: Executor, archer_id: UUID, kind: str, query: ExportQuery
) -> tuple[str, list[Any]]:
    """The SELECT of `kind` ("shots" or "sessions") for the archer and filters; checked
    before anything is streamed, so that a bad filter answers 404/422, not a broken file."""
    filters = filter_kwargs(query)
    if query.arrow_id is not None and not await arrow_exists(conn, query.arrow_id, archer_id):
        raise NotFound("arrow", query.arrow_id)
    build = repo.shots_query if kind == "shots" else repo.sessions_query
    return build(archer_id, filters, query.arrow_id)


class _Chunker:
    """Collects COPY output into chunks of about `CHUNK_BYTES` for `put`."""

    def __init__(self, put: Callable[[bytes], Awaitable[None]]) -> None:
        self.put = put
        self.buffer = bytearray()

    async def write(self, data: bytes) -> None:
        self.buffer += data
        if len(self.buffer) >= CHUNK_BYTES:
            await self.flush()

    async def flush(self) -> None:
        if self.buffer:
            chunk = bytes(self.buffer)
            self.buffer.clear()
            await self.put(chunk)


async def stream_csv(pool: Pool, sql: str, args: list[Any]) -> AsyncIterator[bytes]:
    """The CSV of `sql`, chunk by chunk, from a connection held only while it streams."""
    queue: asyncio.Queue[bytes | None] = asyncio.Queue(maxsize=QUEUE_CHUNKS)

    async def produce() -> None:
        chunker = _Chunker(queue.put)
        try:
            async with pool.acquire() as conn:
                await repo.copy_csv(conn, sql, args, chunker.write)
            await chunker.flush()
        finally:
            await queue.put(None)

    task = asyncio.create_task(produce())
    try:
        while (chunk := await queue.get()) is not None:
            yield chunk
        await task  # a failed COPY ends the download with an error, not a short file
    finally:
        if not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


async def export_to(
    conn: Connection,
    sql: str,
    args: list[Any],
    write: Callable[[bytes], object],
    *,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """COPY to a synchronous writer (the command line); `progress(bytes, lines)` per chunk."""
    written = lines = 0

    async def sink(data: bytes) -> None:
        nonlocal written, lines
        write(data)
        written += len(data)
        lines += data.count(b"\n")
        if progress is not None:
            progress(written, lines)

    return await repo.copy_csv(conn, sql, args, sink)


# --- import ----------------------------------------------------------------------------------


@dataclass(slots=True)
class ImportResult:
    rows: int = 0
    sessions_created: int = 0
    sessions_matched: int = 0
    targets_created: int = 0
    arrows_created: int = 0
    shots_created: int = 0
    shots_skipped: int = 0


def _refuse(parser: ShotsCsvParser) -> InvalidInput:
    messages = list(parser.errors)
    if parser.error_count > len(messages):
        messages.append(f"… and {parser.error_count - len(messages)} more bad lines")
    messages.insert(0, f"nothing imported: {parser.error_count} bad line(s)")
    return InvalidInput(*messages)


async def import_shots(
    conn: Executor,
    archer_id: UUID,
    chunks: AsyncIterator[bytes],
    *,
    progress: Callable[[int, int], None] | None = None,
    max_shots: int | None = None,
) -> ImportResult:
    """Import a shots.csv read from `chunks`; `conn` must be in a transaction (rolled back by
    the caller when this raises). `progress(bytes read, rows read)` after each chunk. A
    session that would hold more than `max_shots` shots (SESSION_MAX_SHOTS) refuses the
    whole file."""
    parser = ShotsCsvParser()
    await repo.create_stage(conn)
    pending: list[tuple[Any, ...]] = []
    read = 0
    async for chunk in chunks:
        read += len(chunk)
        parser.feed(chunk)
        pending += parser.take_records()
        if len(pending) >= STAGE_BATCH:
            await repo.stage(conn, pending)
            pending = []
        if progress is not None:
            progress(read, parser.rows)
    parser.finish()
    pending += parser.take_records()
    if parser.failed:
        raise _refuse(parser)
    if pending:
        await repo.stage(conn, pending)
    duplicates = await repo.duplicate_shots(conn, MAX_ERRORS)
    if duplicates:
        for d in duplicates:
            parser.error(
                d["line"],
                f"shot {d['seq']} of session {d['session_key']} is already on line {d['first']}",
            )
        raise _refuse(parser)
    return await _merge(conn, archer_id, parser, max_shots)


async def _merge(
    conn: Executor, archer_id: UUID, parser: ShotsCsvParser, max_shots: int | None
) -> ImportResult:
    result = ImportResult(rows=parser.rows)
    if not parser.sessions:
        return result
    # Sessions: matched by key, or created (with where they came from).
    sessions = await repo.existing_sessions(conn, archer_id, list(parser.sessions))
    result.sessions_matched = len(sessions)
    new_sessions: list[tuple[Any, ...]] = []
    opening = [k for k, s in parser.sessions.items() if k not in sessions and s.fields.is_open]
    if opening and (len(opening) > 1 or await repo.has_open_session(conn, archer_id)):
        lines = ", ".join(str(parser.sessions[k].line) for k in opening)
        raise BusinessRuleError(
            f"nothing imported: the file has open sessions (lines {lines}) and an archer has at "
            "most one open session: close yours, or close them in the file"
        )
    for key, seen in parser.sessions.items():
        if key in sessions:
            continue
        f: SessionFields = seen.fields
        sessions[key] = uuid4()
        new_sessions.append(
            (
                sessions[key],
                key,
                f.start_time,
                f.end_time,
                f.location,
                f.is_indoor,
                f.distance_m,
                f.round_code,
                f.arrows_per_end,
                f.landing_window_ms,
                f.is_open,
                f.notes,
            )
        )
    if new_sessions:
        await repo.insert_sessions(conn, archer_id, new_sessions)
    result.sessions_created = len(new_sessions)

    # Targets: within their (now known) session.
    wanted = [(sessions[t.fields.session_key], key) for key, t in parser.targets.items()]
    found = await repo.existing_targets(conn, archer_id, wanted)
    targets: dict[tuple[UUID, UUID], UUID] = {}
    new_targets: list[tuple[Any, ...]] = []
    new_faces: list[tuple[Any, ...]] = []
    for key, seen in parser.targets.items():
        t: TargetFields = seen.fields
        session_id = sessions[t.session_key]
        target_id = found.get((session_id, key))
        if target_id is None:
            target_id = uuid4()
            new_targets.append(
                (
                    target_id,
                    session_id,
                    key,
                    t.lane,
                    t.distance_m,
                    t.view_width_mm,
                    t.view_height_mm,
                    t.compound_scoring,
                )
            )
            new_faces += [(target_id, i, *face) for i, face in enumerate(t.faces)]
        targets[(t.session_key, key)] = target_id
    if new_targets:
        await repo.insert_targets(conn, archer_id, new_targets, new_faces)
    result.targets_created = len(new_targets)

    # Arrows by identifier.
    arrows = await repo.arrows_by_identifier(conn, archer_id, list(parser.arrows))
    missing = [(uuid4(), ident, d) for ident, d in parser.arrows.items() if ident not in arrows]
    if missing:
        await repo.insert_arrows(conn, archer_id, missing)
        arrows.update({ident: arrow_id for arrow_id, ident, _ in missing})
    result.arrows_created = len(missing)

    result.shots_created = await repo.insert_shots(conn, archer_id, sessions, targets, arrows)
    result.shots_skipped = parser.rows - result.shots_created
    if max_shots is not None:
        full = await repo.sessions_over(conn, list(sessions.values()), max_shots)
        if full:
            file_key = {session_id: k for k, session_id in sessions.items()}
            raise BusinessRuleError(
                *(
                    f"nothing imported: session {file_key[session_id]} would hold {count} "
                    f"shots, at most {max_shots} (SESSION_MAX_SHOTS)"
                    for session_id, count in full
                )
            )
    log.info(
        "import: %d rows, %d sessions created, %d shots created",
        result.rows,
        result.sessions_created,
        result.shots_created,
        extra={"resource": "import"},
    )
    return result
