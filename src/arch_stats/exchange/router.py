"""Routes of CSV export and import."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import asdict
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query, Request
from starlette.requests import ClientDisconnect
from starlette.responses import Response, StreamingResponse

from arch_stats.access import policy
from arch_stats.auth.deps import CurrentArcher
from arch_stats.core.database import Db, Pool
from arch_stats.core.errors import PayloadTooLarge
from arch_stats.core.middleware import BodyTooLarge
from arch_stats.core.responses import Envelope, error_responses, ok
from arch_stats.core.settings import Settings
from arch_stats.exchange import service
from arch_stats.exchange.download import SpooledDownload
from arch_stats.exchange.limits import Lease, Slots
from arch_stats.exchange.parser import ImportLimits
from arch_stats.exchange.schemas import SESSION_COLUMNS, SHOT_COLUMNS, ExportRequest, ImportOut

router = APIRouter(tags=["export"])


def _csv(description: str, columns: tuple[str, ...]) -> dict[int | str, dict[str, Any]]:
    return {
        200: {
            "description": f"{description} Columns: {', '.join(columns)}.",
            "content": {"text/csv": {"schema": {"type": "string"}}},
        },
        **error_responses(401, 404, 422, 429, 503),
    }


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _slots(request: Request) -> Slots:
    """This process's import and export slots (EXCHANGE_MAX_RUNNING), made on first use."""
    state = request.app.state
    slots: Slots | None = getattr(state, "exchange_slots", None)
    if slots is None:
        slots = state.exchange_slots = Slots(_settings(request).exchange_max_running)
    return slots


async def _download(
    request: Request, pool: Db, archer: CurrentArcher, kind: str, query: ExportRequest
) -> Response:
    settings = _settings(request)
    whose = await policy.reader_for(pool, archer.archer_id, query.archer_id, "archer")
    sql, args = await service.export_query(pool, whose, kind, query)
    lease = await Lease.take(pool, archer.archer_id, "export")
    try:
        spool, copy = await service.start_export(
            request.app.state.pool,
            _slots(request),
            sql,
            args,
            spool_dir=settings.spool_dir,
            max_bytes=settings.export_max_bytes,
            statement_timeout=settings.exchange_statement_timeout_seconds,
        )
    except BaseException:
        await lease.release()
        raise
    # From here the download owns the spool, the COPY and the lease.
    return SpooledDownload(
        spool,
        copy,
        lease,
        filename=f"{kind}.csv",
        send_timeout=settings.export_send_timeout_seconds,
    )


@router.get(
    "/export/shots.csv",
    response_class=StreamingResponse,
    responses=_csv(
        "One row per shot, with its session and target, oldest first (streamed).", SHOT_COLUMNS
    ),
    summary="Export my shots (or, with `archer_id`, a club member's who shares with me as "
    "their coach) as CSV (the history's filters); POST /import/shots.csv reads it",
)
async def export_shots(
    request: Request, query: Annotated[ExportRequest, Query()], archer: CurrentArcher, pool: Db
) -> Response:
    return await _download(request, pool, archer, "shots", query)


@router.get(
    "/export/sessions.csv",
    response_class=StreamingResponse,
    responses=_csv("One row per session with its figures, oldest first.", SESSION_COLUMNS),
    summary="Export my sessions and their figures as CSV (the history's filters; with "
    "`archer_id`, a club member's who shares with me as their coach)",
)
async def export_sessions(
    request: Request, query: Annotated[ExportRequest, Query()], archer: CurrentArcher, pool: Db
) -> Response:
    return await _download(request, pool, archer, "sessions", query)


async def _body(request: Request) -> AsyncIterator[bytes]:
    """The request body as it arrives; over the size limit, a 413; a client gone, 499."""
    try:
        async for chunk in request.stream():
            if chunk:
                yield chunk
    except BodyTooLarge as exc:
        raise PayloadTooLarge(str(exc)) from exc
    except ClientDisconnect:
        raise service.client_gone("import") from None


@router.post(
    "/import/shots.csv",
    response_model=Envelope[ImportOut],
    responses=error_responses(400, 401, 408, 409, 413, 422, 429, 503),
    openapi_extra={
        "requestBody": {
            "required": True,
            "description": "A shots.csv as GET /export/shots.csv writes it (UTF-8).",
            "content": {"text/csv": {"schema": {"type": "string"}}},
        }
    },
    summary="Import a shots.csv: all or nothing; importing it twice adds nothing",
    description="Every line is checked before anything is written; a bad file is refused (422) "
    "with the first 50 bad lines and their reasons. Sessions and targets are matched by their "
    "keys (where they were first recorded), shots by session and shot number, arrows by "
    "identifier; scores and times are kept as in the file. The body is read and checked as it "
    "arrives, up to the import's size limit (IMPORT_MAX_BYTES, else 413) and time limit "
    "(IMPORT_BODY_TIMEOUT_SECONDS, else 408); a record longer than 1 MiB (an unterminated "
    "quoted field) is refused at once, and so is a file with more distinct sessions, targets "
    "or arrows than IMPORT_MAX_SESSIONS, IMPORT_MAX_TARGETS or IMPORT_MAX_ARROWS (422). One "
    "import per account at a time (429 with Retry-After while another runs). A client that "
    "goes away stops the import: nothing is written. `arch-stats import` has no size limit.",
)
async def import_shots(request: Request, archer: CurrentArcher) -> Response:
    settings = _settings(request)
    pool = request.app.state.pool
    limits = ImportLimits(
        sessions=settings.import_max_sessions,
        targets=settings.import_max_targets,
        arrows=settings.import_max_arrows,
    )
    lease = await Lease.take(pool, archer.archer_id, "import")
    reader = service.ImportReader(limits=limits, spool_dir=settings.spool_dir)
    try:
        # No database connection is held while the body arrives and is checked.
        await service.read_upload(
            _body(request), reader, seconds=settings.import_body_timeout_seconds
        )
        result = await service.until_disconnected(
            request.receive, _write(request, archer.archer_id, reader), "import"
        )
    finally:
        reader.close()
        await lease.release()
    return ok(asdict(result))


async def _write(
    request: Request, archer_id: UUID, reader: service.ImportReader
) -> service.ImportResult:
    settings = _settings(request)
    pool: Pool = request.app.state.pool
    async with _slots(request).slot(), pool.acquire() as conn, conn.transaction():
        return await service.import_staged(
            conn,
            archer_id,
            reader,
            statement_timeout=settings.exchange_statement_timeout_seconds,
            max_shots=settings.session_max_shots,
        )
