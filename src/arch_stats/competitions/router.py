"""HTTP routes of the competitions domain (thin: parse, authorise, call the service)."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

import orjson
from fastapi import APIRouter, Body, Path, Query, Request
from starlette.responses import Response

from arch_stats.auth.deps import CurrentArcher
from arch_stats.competitions import results_files, service
from arch_stats.competitions.schemas import (
    CompetitionIn,
    CompetitionOut,
    CompetitionPatch,
    EntryIn,
    PlaceIn,
    SwapIn,
)
from arch_stats.core.database import Db, Tx
from arch_stats.core.responses import Envelope, error_responses, ok_json
from arch_stats.core.settings import Settings
from arch_stats.shots.schemas import ShotIn, ShotPatch, ShotsIn
from arch_stats.stats.router import sheet_threads_of

router = APIRouter(tags=["competitions"])

CompetitionId = Annotated[UUID, Path()]
EndNo = Annotated[int, Path(ge=1, le=10_000)]
Data = Envelope[dict[str, Any]]


def _ok(data: Any, status: int = 200) -> Response:
    """The envelope around the service's answer (asyncpg's ids are written as strings)."""
    return ok_json(orjson.dumps(data, default=str), status)


@router.post(
    "/competition",
    status_code=201,
    response_model=Data,
    responses=error_responses(401, 404, 422),
    summary="Create a club competition (the club's owners and coaches)",
)
async def create(body: CompetitionIn, archer: CurrentArcher, conn: Tx) -> Response:
    return _ok(await service.create(conn, archer.archer_id, body), 201)


@router.get(
    "/competition",
    response_model=Envelope[list[CompetitionOut]],
    responses=error_responses(401, 422),
    summary="Competitions of my clubs, and those I am entered in (newest first)",
)
async def visible(
    archer: CurrentArcher, conn: Db, club_id: Annotated[UUID | None, Query()] = None
) -> Response:
    return _ok(await service.visible(conn, archer.archer_id, club_id))


@router.get(
    "/competition/{competition_id:uuid}",
    response_model=Data,
    responses=error_responses(401, 404, 422),
    summary="A competition with its categories and its entries (the target list)",
)
async def get(competition_id: CompetitionId, archer: CurrentArcher, conn: Db) -> Response:
    return _ok(await service.get(conn, archer.archer_id, competition_id))


@router.patch(
    "/competition/{competition_id:uuid}",
    response_model=Data,
    responses=error_responses(401, 403, 404, 422),
    summary="Change a competition's name, venue or dates (organisers)",
)
async def update(
    competition_id: CompetitionId, body: CompetitionPatch, archer: CurrentArcher, conn: Tx
) -> Response:
    return _ok(await service.update(conn, archer.archer_id, competition_id, body))


@router.delete(
    "/competition/{competition_id:uuid}",
    response_model=Data,
    responses=error_responses(401, 403, 404),
    summary="Delete a competition (organisers; members' sessions stay theirs)",
)
async def delete(competition_id: CompetitionId, archer: CurrentArcher, conn: Tx) -> Response:
    return _ok(await service.delete(conn, archer.archer_id, competition_id))


@router.post(
    "/competition/{competition_id:uuid}/entry",
    status_code=201,
    response_model=Data,
    responses=error_responses(401, 403, 404, 409, 422),
    summary="Enter a club member, or a guest by name (organisers)",
)
async def add_entry(
    competition_id: CompetitionId, body: EntryIn, archer: CurrentArcher, conn: Tx
) -> Response:
    return _ok(await service.add_entry(conn, archer.archer_id, competition_id, body), 201)


@router.delete(
    "/competition/{competition_id:uuid}/entry/{entry_id}",
    response_model=Data,
    responses=error_responses(401, 403, 404),
    summary="Withdraw an entry (organisers)",
)
async def delete_entry(
    competition_id: CompetitionId, entry_id: UUID, archer: CurrentArcher, conn: Tx
) -> Response:
    return _ok(await service.delete_entry(conn, archer.archer_id, competition_id, entry_id))


@router.post(
    "/competition/{competition_id:uuid}/targets",
    response_model=Data,
    responses=error_responses(401, 403, 404),
    summary="Make the target list afresh: by category, then name, to bales and details",
)
async def assign(competition_id: CompetitionId, archer: CurrentArcher, conn: Tx) -> Response:
    return _ok(await service.assign_targets(conn, archer.archer_id, competition_id))


@router.put(
    "/competition/{competition_id:uuid}/entry/{entry_id}/place",
    response_model=Data,
    responses=error_responses(401, 403, 404, 409, 422),
    summary="Move an entry to a bale and detail (409 when taken: swap instead)",
)
async def move(
    competition_id: CompetitionId,
    entry_id: UUID,
    body: PlaceIn,
    archer: CurrentArcher,
    conn: Tx,
) -> Response:
    return _ok(await service.move(conn, archer.archer_id, competition_id, entry_id, body))


@router.post(
    "/competition/{competition_id:uuid}/swap",
    response_model=Data,
    responses=error_responses(401, 403, 404, 422),
    summary="Swap two entries' places on the target list",
)
async def swap(
    competition_id: CompetitionId, body: SwapIn, archer: CurrentArcher, conn: Tx
) -> Response:
    return _ok(await service.swap(conn, archer.archer_id, competition_id, body.a, body.b))


@router.post(
    "/competition/{competition_id:uuid}/start",
    response_model=Data,
    responses=error_responses(401, 403, 404, 409),
    summary="Start: every entry's session opens, following the round",
)
async def start(competition_id: CompetitionId, archer: CurrentArcher, conn: Tx) -> Response:
    return _ok(await service.start(conn, archer.archer_id, competition_id))


@router.post(
    "/competition/{competition_id:uuid}/finish",
    response_model=Data,
    responses=error_responses(401, 403, 404, 409),
    summary="Finish: every entry's session closes; the results are final",
)
async def finish(competition_id: CompetitionId, archer: CurrentArcher, conn: Tx) -> Response:
    return _ok(await service.finish(conn, archer.archer_id, competition_id))


@router.get(
    "/competition/{competition_id:uuid}/bale/{bale}",
    response_model=Data,
    responses=error_responses(401, 404, 422),
    summary="A bale: its archers (A, B, C …), their progress, arrows and confirmed ends",
)
async def bale(
    competition_id: CompetitionId,
    bale: Annotated[int, Path(ge=1, le=500)],
    archer: CurrentArcher,
    conn: Db,
) -> Response:
    return _ok(await service.bale(conn, archer.archer_id, competition_id, bale))


@router.post(
    "/competition/shot",
    status_code=201,
    responses=error_responses(400, 401, 404, 409, 422),
    summary="Score one archer's arrows at the bale (one session per post)",
    description="The shots of `POST /shot`, for the session of a competition entry the caller "
    "scores (an organiser, the archer, or an archer on the same bale). Written as the "
    "archer's own; a post whose shot ids are all stored answers 200 and writes nothing.",
)
async def post_shots(
    body: Annotated[ShotsIn, Body()], archer: CurrentArcher, conn: Db, request: Request
) -> Response:
    single = isinstance(body, ShotIn)
    given = [body] if isinstance(body, ShotIn) else body
    settings: Settings = request.app.state.settings
    created = await service.post_shots(
        conn, archer.archer_id, given, max_shots=settings.session_max_shots
    )
    items = ",".join(p.strip()[1:-1] for p in created.parts)
    return ok_json(items if single else f"[{items}]", 200 if created.replayed else 201)


@router.patch(
    "/competition/shot/{shot_id}",
    responses=error_responses(400, 401, 404, 409, 422),
    summary="Correct an arrow at the bale (409 while its end is confirmed)",
)
async def correct_shot(shot_id: UUID, body: ShotPatch, archer: CurrentArcher, conn: Tx) -> Response:
    return ok_json(await service.correct_shot(conn, archer.archer_id, shot_id, body))


@router.delete(
    "/competition/shot/{shot_id}",
    responses=error_responses(400, 401, 404, 409),
    summary="Delete an arrow at the bale (409 while its end is confirmed)",
)
async def delete_shot(shot_id: UUID, archer: CurrentArcher, conn: Tx) -> Response:
    return ok_json(await service.delete_shot(conn, archer.archer_id, shot_id))


@router.post(
    "/competition/{competition_id:uuid}/entry/{entry_id}/end/{end_no}/confirm",
    response_model=Data,
    responses=error_responses(401, 403, 404, 409),
    summary="Confirm (sign) a complete end: the archer, or their bale's scorer as them",
)
async def confirm_end(
    competition_id: CompetitionId,
    entry_id: UUID,
    end_no: EndNo,
    archer: CurrentArcher,
    conn: Tx,
) -> Response:
    return _ok(await service.confirm_end(conn, archer.archer_id, competition_id, entry_id, end_no))


@router.delete(
    "/competition/{competition_id:uuid}/entry/{entry_id}/end/{end_no}/confirm",
    response_model=Data,
    responses=error_responses(401, 403, 404),
    summary="Release a confirmed end for correction: the archer (signed in) or an organiser",
)
async def release_end(
    competition_id: CompetitionId,
    entry_id: UUID,
    end_no: EndNo,
    archer: CurrentArcher,
    conn: Tx,
) -> Response:
    return _ok(await service.release_end(conn, archer.archer_id, competition_id, entry_id, end_no))


@router.get(
    "/competition/{competition_id:uuid}/results",
    response_model=Data,
    responses=error_responses(401, 404),
    summary="The qualification ranking per category, by the round's rules",
)
async def results(competition_id: CompetitionId, archer: CurrentArcher, conn: Db) -> Response:
    return _ok(await service.results(conn, archer.archer_id, competition_id))


@router.get(
    "/competition/{competition_id:uuid}/results.csv",
    responses=error_responses(401, 404),
    summary="The results as CSV (one row per archer, by category and place)",
)
async def results_csv(competition_id: CompetitionId, archer: CurrentArcher, conn: Db) -> Response:
    data = await service.results(conn, archer.archer_id, competition_id)
    return results_files.csv_response(data)


@router.get(
    "/competition/{competition_id:uuid}/results.pdf",
    responses=error_responses(401, 404),
    summary="The final results sheet (PDF, A4)",
)
async def results_pdf(
    competition_id: CompetitionId, archer: CurrentArcher, conn: Db, request: Request
) -> Response:
    data = await service.results(conn, archer.archer_id, competition_id)
    return await results_files.pdf_response(data, sheet_threads_of(request))


@router.post(
    "/competition/{competition_id:uuid}/results/link",
    status_code=201,
    response_model=Data,
    responses=error_responses(401, 403, 404),
    summary="A public read-only results link (the previous one stops working)",
)
async def create_link(competition_id: CompetitionId, archer: CurrentArcher, conn: Tx) -> Response:
    return _ok(await service.create_link(conn, archer.archer_id, competition_id), 201)


@router.delete(
    "/competition/{competition_id:uuid}/results/link",
    response_model=Data,
    responses=error_responses(401, 403, 404),
    summary="Revoke the public results link",
)
async def revoke_link(competition_id: CompetitionId, archer: CurrentArcher, conn: Tx) -> Response:
    return _ok(await service.revoke_link(conn, archer.archer_id, competition_id))


@router.get(
    "/results/{link}",
    response_model=Data,
    responses=error_responses(404),
    summary="A competition's results by its public link (no account; names and scores only)",
)
async def public_results(link: str, conn: Db) -> Response:
    return _ok(await service.public_results(conn, link))
