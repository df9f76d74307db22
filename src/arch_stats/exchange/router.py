"""Routes of CSV export and import."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from starlette.responses import Response, StreamingResponse

from arch_stats.auth.deps import CurrentArcher
from arch_stats.core.database import Db, Tx
from arch_stats.core.errors import PayloadTooLarge
from arch_stats.core.middleware import BodyTooLarge
from arch_stats.core.responses import Envelope, error_responses, ok
from arch_stats.exchange import service
from arch_stats.exchange.schemas import SESSION_COLUMNS, SHOT_COLUMNS, ExportQuery, ImportOut

router = APIRouter(tags=["export"])


def _csv(description: str, columns: tuple[str, ...]) -> dict[int | str, dict[str, Any]]:
    return {
        200: {
            "description": f"{description} Columns: {', '.join(columns)}.",
            "content": {"text/csv": {"schema": {"type": "string"}}},
        },
        **error_responses(401, 404, 422),
    }


async def _download(
    request: Request, conn: Db, archer: CurrentArcher, kind: str, query: ExportQuery
) -> Response:
    sql, args = await service.export_query(conn, archer.archer_id, kind, query)
    return StreamingResponse(
        service.stream_csv(request.app.state.pool, sql, args),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{kind}.csv"'},
    )


@router.get(
    "/export/shots.csv",
    response_class=StreamingResponse,
    responses=_csv(
        "One row per shot, with its session and target, oldest first (streamed).", SHOT_COLUMNS
    ),
    summary="Export my shots as CSV (the history's filters); POST /import/shots.csv reads it",
)
async def export_shots(
    request: Request, query: Annotated[ExportQuery, Query()], archer: CurrentArcher, conn: Db
) -> Response:
    return await _download(request, conn, archer, "shots", query)


@router.get(
    "/export/sessions.csv",
    response_class=StreamingResponse,
    responses=_csv("One row per session with its figures, oldest first.", SESSION_COLUMNS),
    summary="Export my sessions and their figures as CSV (the history's filters)",
)
async def export_sessions(
    request: Request, query: Annotated[ExportQuery, Query()], archer: CurrentArcher, conn: Db
) -> Response:
    return await _download(request, conn, archer, "sessions", query)


async def _body(request: Request) -> AsyncIterator[bytes]:
    """The request body as it arrives; over the size limit, a 413."""
    try:
        async for chunk in request.stream():
            if chunk:
                yield chunk
    except BodyTooLarge as exc:
        raise PayloadTooLarge(str(exc)) from exc


@router.post(
    "/import/shots.csv",
    response_model=Envelope[ImportOut],
    responses=error_responses(400, 401, 409, 413, 422),
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
    "identifier; scores and times are kept as in the file. The body is read as it arrives, "
    "up to the server's request size limit (MAX_BODY_BYTES, else 413); `arch-stats import` "
    "has no limit.",
)
async def import_shots(request: Request, archer: CurrentArcher, conn: Tx) -> Response:
    result = await service.import_shots(
        conn,
        archer.archer_id,
        _body(request),
        max_shots=request.app.state.settings.session_max_shots,
    )
    return ok(asdict(result))
