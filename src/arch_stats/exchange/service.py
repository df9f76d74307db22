"""CSV export and import rules.

No client ever holds a pooled database connection at its own pace:

* Export: the COPY writes into a temporary file (`spool.ExportSpool`) at the database's pace
  while the download reads it at the client's; the connection goes back to the pool when
  PostgreSQL has produced the file. At most `EXCHANGE_MAX_RUNNING` COPYs run at once in a
  process, each under `EXCHANGE_STATEMENT_TIMEOUT_SECONDS`, and one export per account
  (`limits.Lease`).
* Import: the upload is parsed and checked as it arrives, off the event loop (a worker
  thread), under `IMPORT_BODY_TIMEOUT_SECONDS`; checked shots are pickled to a temporary file
  (`spool.StageSpool`). Only once the whole file has arrived and is right is a connection
  taken, for one transaction that copies the staged shots and merges them. A client that goes
  away stops the work, and nothing is committed.

Import is all or nothing: nothing is written to the archer's tables unless every line is
right; otherwise `InvalidInput` lists the first `MAX_ERRORS` bad lines with their reasons.
Importing the same file again adds nothing:

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
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar
from uuid import UUID, uuid4

import asyncpg
import orjson

from arch_stats.core.database import Connection, Executor, Pool
from arch_stats.core.errors import (
    AppError,
    BusinessRuleError,
    InvalidInput,
    NotFound,
    ServiceUnavailable,
)
from arch_stats.exchange import repository as repo
from arch_stats.exchange.limits import RETRY_AFTER_SECONDS, Slots
from arch_stats.exchange.parser import (
    MAX_ERRORS,
    ImportLimits,
    SessionFields,
    ShotsCsvParser,
    TargetFields,
)
from arch_stats.exchange.schemas import ExportQuery
from arch_stats.exchange.spool import ExportSpool, StageSpool, off_loop
from arch_stats.stats.repository import arrow_exists
from arch_stats.stats.service import filter_kwargs

log = logging.getLogger("arch_stats.exchange")

FEED_BYTES = 256 * 1024  # the parser is handed the upload in pieces of about this size
STAGE_BATCH = 2_000

T = TypeVar("T")


class UploadTimeout(AppError):
    """The upload took too long."""

    status = 408


class ClientGone(AppError):
    """The client went away (logged as 499, like nginx; nobody receives the answer)."""

    status = 499


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


async def start_export(
    pool: Pool,
    slots: Slots,
    sql: str,
    args: list[Any],
    *,
    spool_dir: Path | None,
    max_bytes: int,
    statement_timeout: float,
) -> tuple[ExportSpool, asyncio.Task[None]]:
    """Start the COPY of `sql` into a new spool (in a slot of `slots`, released when the
    COPY ends); returns once the first chunk, or all of a small file, is there, so that a
    failure at the start is still a clean error answer. The task ends by itself (the spool
    then says how); cancel it to stop the COPY. The caller closes the spool."""
    await slots.acquire()
    try:
        spool = ExportSpool(spool_dir, max_bytes=max_bytes)
    except BaseException:
        slots.release()
        raise
    task = asyncio.create_task(_copy(pool, slots, spool, sql, args, statement_timeout))
    try:
        await spool.started()
        if spool.done and spool.error is not None:
            raise spool.error
    except BaseException:
        task.cancel()
        with contextlib.suppress(BaseException):
            await task
        spool.close()
        raise
    return spool, task


async def _copy(
    pool: Pool,
    slots: Slots,
    spool: ExportSpool,
    sql: str,
    args: list[Any],
    statement_timeout: float,
) -> None:
    error: BaseException | None = None
    try:
        async with pool.acquire() as conn:
            await repo.copy_csv(conn, sql, args, spool.write, statement_timeout=statement_timeout)
        await spool.flush()
    except asyncio.CancelledError:
        error = ClientGone("the export was stopped")
        raise
    except asyncpg.QueryCanceledError:
        error = ServiceUnavailable(
            "the export took longer than EXCHANGE_STATEMENT_TIMEOUT_SECONDS: export less at "
            "a time (from, to)",
            retry_after=RETRY_AFTER_SECONDS,
        )
    except Exception as exc:  # handed to the download, which reports it
        error = exc
    finally:
        slots.release()
        spool.finish(error)


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


class ImportReader:
    """Reads a shots.csv as it arrives: parsed and checked off the event loop, the checked
    shots pickled to a spool. `feed` the chunks, then `finish`; then `import_staged`."""

    def __init__(self, *, limits: ImportLimits | None = None, spool_dir: Path | None) -> None:
        self.parser = ShotsCsvParser(limits)
        self.stage = StageSpool(spool_dir)
        self.read = 0
        self._waiting = bytearray()
        self._batch: list[tuple[Any, ...]] = []

    async def feed(self, chunk: bytes) -> None:
        """Hand `chunk` over; the file's first fatal error (e.g. a record over 1 MiB) stops it
        at once with its 422."""
        self.read += len(chunk)
        self._waiting += chunk
        if len(self._waiting) >= FEED_BYTES:
            data = bytes(self._waiting)
            self._waiting.clear()
            await off_loop(self._parse, data, False)
            if self.parser.stopped:
                raise _refuse(self.parser)

    async def finish(self) -> None:
        """The end of the file: 422 unless every line is right."""
        data = bytes(self._waiting)
        self._waiting.clear()
        await off_loop(self._parse, data, True)
        if self.parser.failed:
            raise _refuse(self.parser)

    def _parse(self, data: bytes, final: bool) -> None:  # in a worker thread
        parser = self.parser
        parser.feed(data)
        if final:
            parser.finish()
        if parser.failed:  # nothing will be imported: keep nothing
            parser.take_records()
            self._batch = []
            return
        self._batch += parser.take_records()
        if len(self._batch) >= STAGE_BATCH or final:
            self.stage.add(self._batch)
            self._batch = []

    def close(self) -> None:
        self.stage.close()


async def read_upload(
    chunks: AsyncIterator[bytes], reader: ImportReader, *, seconds: float
) -> None:
    """Read the whole upload into `reader` within `seconds` (else 408)."""
    try:
        async with asyncio.timeout(seconds):
            async for chunk in chunks:
                await reader.feed(chunk)
            await reader.finish()
    except TimeoutError:
        raise UploadTimeout(
            f"the upload took longer than {seconds:g} s (IMPORT_BODY_TIMEOUT_SECONDS): "
            "nothing imported"
        ) from None


async def until_disconnected(
    receive: Callable[[], Awaitable[Mapping[str, Any]]], work: Coroutine[Any, Any, T], what: str
) -> T:
    """Run `work` unless the client goes away first (`receive` gives http.disconnect): then
    it is cancelled (its transaction rolls back) and `ClientGone` raised, logged as INFO."""
    task = asyncio.ensure_future(work)

    async def disconnected() -> None:
        while (await receive())["type"] != "http.disconnect":
            pass

    watch = asyncio.ensure_future(disconnected())
    try:
        await asyncio.wait({task, watch}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        if not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            stopped = True
        else:
            stopped = False
        watch.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await watch
    if stopped:
        raise client_gone(what)
    return task.result()


def _plans(
    parser: ShotsCsvParser, created: dict[UUID, UUID], targets: dict[tuple[UUID, UUID], UUID]
) -> list[tuple[UUID, str, int]]:
    """The rounds the new sessions follow, each pass at its target here (the file's target
    whose ends hold the pass's): (session, plan JSON, the round's arrows)."""
    out = []
    for key, session_id in created.items():
        text = parser.sessions[key].fields.round_plan
        if text is None:
            continue
        plan = orjson.loads(text)
        ends = {
            parser.targets[target_key].fields.ends: target_id
            for (session_key, target_key), target_id in targets.items()
            if session_key == key and parser.targets[target_key].fields.ends
        }
        for p in plan["passes"]:
            found = [t for (first, last), t in ends.items() if first <= p["first_end"] <= last]
            if not found:
                raise InvalidInput(
                    f"nothing imported: session {key} follows its round, but no target of the "
                    f"file holds its ends {p['first_end']}–{p['last_end']} (first_end, last_end)"
                )
            p["target_id"] = str(found[0])
        out.append((session_id, orjson.dumps(plan).decode(), plan["n_arrows"]))
    return out


def client_gone(what: str) -> ClientGone:
    log.info(
        "%s stopped: the client went away; nothing was written", what, extra={"resource": what}
    )
    return ClientGone(f"{what} stopped: the client went away")


async def import_staged(
    conn: Connection,
    archer_id: UUID,
    reader: ImportReader,
    *,
    statement_timeout: float,
    max_shots: int | None = None,
) -> ImportResult:
    """Write what `reader` has checked; `conn` must be in a transaction (rolled back by the
    caller when this raises). A session that would hold more than `max_shots` shots
    (SESSION_MAX_SHOTS) refuses the whole file."""
    await repo.set_statement_timeout(conn, statement_timeout)
    try:
        return await _write(conn, archer_id, reader, max_shots)
    except asyncpg.QueryCanceledError:
        raise ServiceUnavailable(
            "the import took longer than EXCHANGE_STATEMENT_TIMEOUT_SECONDS: nothing imported; "
            "import a smaller file",
            retry_after=RETRY_AFTER_SECONDS,
        ) from None


async def _write(
    conn: Connection, archer_id: UUID, reader: ImportReader, max_shots: int | None
) -> ImportResult:
    await repo.create_stage(conn)
    reader.stage.rewind()
    while (batch := await off_loop(reader.stage.next_batch)) is not None:
        await repo.stage(conn, batch)
    parser = reader.parser
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
    # Locked before anything is written into them, by id, as the shots' writer locks its
    # sessions: a post or a correction of one of them waits for the import, or the import
    # for it, never each for the other.
    await repo.lock_sessions(conn, list(sessions.values()))
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
                    *(t.ends or (None, None)),
                )
            )
            new_faces += [(target_id, i, *face) for i, face in enumerate(t.faces)]
        targets[(t.session_key, key)] = target_id
    if new_targets:
        await repo.insert_targets(conn, archer_id, new_targets, new_faces)
    result.targets_created = len(new_targets)
    plans = _plans(parser, {row[1]: row[0] for row in new_sessions}, targets)
    if plans:
        await repo.follow(conn, plans)

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
