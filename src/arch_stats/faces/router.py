"""HTTP routes of the faces domain: the face catalogue and the standard rounds.

Public (no login) and static: every answer is JSON serialised once at import.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from starlette.responses import Response

from arch_stats.core.responses import Envelope, error_responses, ok_json
from arch_stats.faces import service
from arch_stats.faces.schemas import Body, FaceOut, Location, RoundOut, RoundSummaryOut

router = APIRouter(tags=["faces"])


@router.get(
    "/face",
    response_model=Envelope[list[FaceOut]],
    summary="Every scoring face: rings, X ring, spot layout",
)
async def list_faces() -> Response:
    return ok_json(service.face_list_json())


@router.get(
    "/face/{face_type}",
    response_model=Envelope[FaceOut],
    responses=error_responses(404, 422),
    summary="One scoring face",
)
async def get_face(face_type: str) -> Response:
    return ok_json(service.face_json(face_type))


@router.get(
    "/round",
    response_model=Envelope[list[RoundSummaryOut]],
    responses=error_responses(422),
    summary="Standard rounds (from archeryutils), optionally filtered",
)
async def list_rounds(
    location: Annotated[Location | None, Query(description="indoor, outdoor or field")] = None,
    body: Annotated[Body | None, Query(description="Governing body, e.g. WA, AGB, AA")] = None,
) -> Response:
    return ok_json(service.round_list_json(location, body))


@router.get(
    "/round/{code}",
    response_model=Envelope[RoundOut],
    responses=error_responses(404, 422),
    summary="One standard round with its passes and the faces that score them",
)
async def get_round(code: str) -> Response:
    return ok_json(service.round_json(code))
