"""HTTP routes of the equipment domain (thin: parse, authorise, call the service). Coaches
read what a member shares (bows, arrow sets, a session's equipment and analyses)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query
from starlette.responses import Response

from arch_stats.access import policy
from arch_stats.auth.deps import CurrentArcher
from arch_stats.core.database import Db, Executor, Tx
from arch_stats.core.responses import Envelope, error_responses, ok_json
from arch_stats.equipment import service
from arch_stats.equipment.schemas import (
    ArrowSetIn,
    ArrowSetOut,
    ArrowSetPatch,
    BowIn,
    BowOut,
    BowPatch,
    CullingOut,
    SessionEquipmentIn,
    SessionEquipmentOut,
    SetComparisonOut,
    SightCorrectionQuery,
    SightCorrectionsOut,
    SightMarkIn,
    SightMarkOut,
    SightMarkQuery,
    SightMarksOut,
    TuningIn,
    TuningOut,
)

router = APIRouter(tags=["equipment"])


async def _read(
    conn: Executor,
    viewer: UUID,
    kind: str,
    object_id: UUID,
    load: Callable[[UUID], Awaitable[bytes]],
) -> Response:
    return ok_json(await policy.read_as(conn, viewer, kind, object_id, load))


# -- bows --------------------------------------------------------------------------------------


@router.get(
    "/bow",
    response_model=Envelope[list[BowOut]],
    responses=error_responses(401),
    summary="My bows, each with its current setup",
)
async def list_bows(archer: CurrentArcher, conn: Db) -> Response:
    return ok_json(await service.list_bows(conn, archer.archer_id))


@router.post(
    "/bow",
    status_code=201,
    response_model=Envelope[BowOut],
    responses=error_responses(401, 422),
    summary="Add a bow (its setup is version 1)",
)
async def create_bow(body: BowIn, archer: CurrentArcher, conn: Tx) -> Response:
    return ok_json(await service.create_bow(conn, archer.archer_id, body), 201)


@router.get(
    "/bow/{bow_id}",
    response_model=Envelope[BowOut],
    responses=error_responses(401, 404, 422),
    summary="A bow with every version of its setup, newest first",
)
async def get_bow(bow_id: UUID, archer: CurrentArcher, conn: Db) -> Response:
    return await _read(
        conn, archer.archer_id, "bow", bow_id, lambda whose: service.get_bow(conn, whose, bow_id)
    )


@router.patch(
    "/bow/{bow_id}",
    response_model=Envelope[BowOut],
    responses=error_responses(401, 404, 422),
    summary="Change a bow: a change of setup makes a new version",
    description="Sessions keep the version they were shot with. `name` and `is_active` "
    "(false: retired) change the bow itself.",
)
async def update_bow(bow_id: UUID, body: BowPatch, archer: CurrentArcher, conn: Tx) -> Response:
    return ok_json(await service.update_bow(conn, archer.archer_id, bow_id, body))


@router.get(
    "/bow/{bow_id}/sight-mark",
    response_model=Envelope[SightMarksOut],
    responses=error_responses(401, 404, 422),
    summary="A bow's sight marks, the curve fitted through them, and a predicted mark",
    description="Least squares of mark against distance: a line from 3 distances, a quadratic "
    "from 5. `curve` is the fitted mark with its 95 % prediction interval from the nearest "
    "distance to 10 % past the farthest; `predict=D` gives the mark at D m with its interval "
    "(`extrapolated` outside the distances marked).",
)
async def sight_marks(
    bow_id: UUID,
    query: Annotated[SightMarkQuery, Query()],
    archer: CurrentArcher,
    conn: Db,
) -> Response:
    return await _read(
        conn,
        archer.archer_id,
        "bow",
        bow_id,
        lambda whose: service.sight_marks(conn, whose, bow_id, query.predict),
    )


@router.post(
    "/bow/{bow_id}/sight-mark",
    status_code=201,
    response_model=Envelope[SightMarkOut],
    responses=error_responses(400, 401, 404, 422),
    summary="Set the bow's mark for a distance (replaces the one there)",
    description="With `session_id`: confirmed from that session, which must have been shot at "
    "the distance (400 otherwise).",
)
async def add_sight_mark(
    bow_id: UUID, body: SightMarkIn, archer: CurrentArcher, conn: Tx
) -> Response:
    return ok_json(await service.add_sight_mark(conn, archer.archer_id, bow_id, body), 201)


@router.delete(
    "/sight-mark/{mark_id}",
    response_model=Envelope[SightMarkOut],
    responses=error_responses(401, 404, 422),
    summary="Delete a sight mark",
)
async def delete_sight_mark(mark_id: UUID, archer: CurrentArcher, conn: Tx) -> Response:
    return ok_json(await service.delete_sight_mark(conn, archer.archer_id, mark_id))


# -- arrow sets --------------------------------------------------------------------------------


@router.get(
    "/arrow-set",
    response_model=Envelope[list[ArrowSetOut]],
    responses=error_responses(401),
    summary="My arrow sets with their arrows",
)
async def list_sets(archer: CurrentArcher, conn: Db) -> Response:
    return ok_json(await service.list_sets(conn, archer.archer_id))


@router.post(
    "/arrow-set",
    status_code=201,
    response_model=Envelope[ArrowSetOut],
    responses=error_responses(401, 409, 422),
    summary="Add an arrow set, with its numbered arrows in one step (`arrows`)",
    description="`arrows` numbers them as `POST /arrow/set` does (409 when an active arrow "
    "has one of the identifiers: nothing is added).",
)
async def create_set(body: ArrowSetIn, archer: CurrentArcher, conn: Tx) -> Response:
    return ok_json(await service.create_set(conn, archer.archer_id, body), 201)


@router.get(
    "/arrow-set/{arrow_set_id}",
    response_model=Envelope[ArrowSetOut],
    responses=error_responses(401, 404, 422),
    summary="An arrow set with its arrows",
)
async def get_set(arrow_set_id: UUID, archer: CurrentArcher, conn: Db) -> Response:
    return await _read(
        conn,
        archer.archer_id,
        "arrow_set",
        arrow_set_id,
        lambda whose: service.get_set(conn, whose, arrow_set_id),
    )


@router.patch(
    "/arrow-set/{arrow_set_id}",
    response_model=Envelope[ArrowSetOut],
    responses=error_responses(401, 404, 422),
    summary="Change an arrow set; `arrow_ids` adds arrows of yours to it",
)
async def update_set(
    arrow_set_id: UUID, body: ArrowSetPatch, archer: CurrentArcher, conn: Tx
) -> Response:
    return ok_json(await service.update_set(conn, archer.archer_id, arrow_set_id, body))


@router.get(
    "/arrow-set/{arrow_set_id}/culling",
    response_model=Envelope[CullingOut],
    responses=error_responses(401, 404, 422),
    summary="The set's arrows that group away from the others, over every session",
    description="Each impact's offset from its group's centre (one group per session and "
    "distance), in mm per m of distance; each arrow against the others by a two-sample "
    "Hotelling T² test (≥ 3 impacts), Holm-adjusted over the set; flagged below 0.05. "
    "Flagged arrows first.",
)
async def culling(arrow_set_id: UUID, archer: CurrentArcher, conn: Db) -> Response:
    return await _read(
        conn,
        archer.archer_id,
        "arrow_set",
        arrow_set_id,
        lambda whose: service.culling(conn, whose, arrow_set_id),
    )


@router.get(
    "/arrow-set/{arrow_set_id}/compare/{other_id}",
    response_model=Envelope[SetComparisonOut],
    responses=error_responses(400, 401, 404, 422),
    summary="Which of two arrow sets groups tighter over their sessions",
    description="Radii from each group's own centre (session and distance) in mm per m, "
    "compared by Welch's t-test; `tighter` only when p < 0.05.",
)
async def compare_sets(
    arrow_set_id: UUID, other_id: UUID, archer: CurrentArcher, conn: Db
) -> Response:
    return await _read(
        conn,
        archer.archer_id,
        "arrow_set",
        arrow_set_id,
        lambda whose: service.compare_sets(conn, whose, arrow_set_id, other_id),
    )


# -- a session's equipment and analyses --------------------------------------------------------


@router.get(
    "/session/{session_id}/equipment",
    response_model=Envelope[SessionEquipmentOut],
    responses=error_responses(401, 404, 422),
    summary="The bow version and arrow set a session was shot with",
)
async def session_equipment(session_id: UUID, archer: CurrentArcher, conn: Db) -> Response:
    return await _read(
        conn,
        archer.archer_id,
        "session",
        session_id,
        lambda whose: service.session_equipment(conn, whose, session_id),
    )


@router.put(
    "/session/{session_id}/equipment",
    response_model=Envelope[SessionEquipmentOut],
    responses=error_responses(401, 404, 422),
    summary="Record the bow (its current version) and arrow set a session is shot with",
)
async def set_session_equipment(
    session_id: UUID, body: SessionEquipmentIn, archer: CurrentArcher, conn: Tx
) -> Response:
    return ok_json(await service.set_session_equipment(conn, archer.archer_id, session_id, body))


@router.get(
    "/session/{session_id}/tuning",
    response_model=Envelope[TuningOut],
    responses=error_responses(401, 404, 422),
    summary="A tuning session's two groups compared, with the bare-shaft advice",
    description="Both groups' centres and spreads, the shift of b from a with 95 % Welch "
    "intervals per axis and a Hotelling T² p-value; advice (finger release, by the bow's "
    "hand) only for an axis whose interval excludes 0. 404 until the groups are set.",
)
async def tuning(session_id: UUID, archer: CurrentArcher, conn: Db) -> Response:
    return await _read(
        conn,
        archer.archer_id,
        "session",
        session_id,
        lambda whose: service.tuning_json(conn, whose, session_id),
    )


@router.put(
    "/session/{session_id}/tuning",
    response_model=Envelope[TuningOut],
    responses=error_responses(400, 401, 404, 422),
    summary="Mark a session's arrows as two groups (e.g. fletched and bare shafts)",
)
async def set_tuning(session_id: UUID, body: TuningIn, archer: CurrentArcher, conn: Tx) -> Response:
    return ok_json(await service.set_tuning(conn, archer.archer_id, session_id, body))


@router.get(
    "/session/{session_id}/sight-correction",
    response_model=Envelope[SightCorrectionsOut],
    responses=error_responses(401, 404, 422),
    summary="How far to move the sight, from the group (per distance; `end_no`: one end)",
    description="Group centre from the face centre with its 95 % interval (t · σ/√n); the "
    "sight moves offset × sight radius / distance in the group's direction, on an axis only "
    "when the offset exceeds its interval. The sight radius is the session's bow version's.",
)
async def sight_correction(
    session_id: UUID,
    query: Annotated[SightCorrectionQuery, Query()],
    archer: CurrentArcher,
    conn: Db,
) -> Response:
    return await _read(
        conn,
        archer.archer_id,
        "session",
        session_id,
        lambda whose: service.sight_correction(conn, whose, session_id, query.end_no),
    )
