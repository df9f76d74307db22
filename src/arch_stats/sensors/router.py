"""Routes of the sensors domain: readers posting their events over HTTP."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body
from starlette.responses import Response

from arch_stats.core.database import Db
from arch_stats.core.responses import Envelope, error_responses, ok
from arch_stats.sensors import service
from arch_stats.sensors.deps import CurrentDevice
from arch_stats.sensors.schemas import SensorEventIn, SensorEventsIn, SensorEventsStored

router = APIRouter(tags=["sensors"])


@router.post(
    "/sensor/event",
    status_code=201,
    response_model=Envelope[SensorEventsStored],
    responses=error_responses(400, 401, 404, 422),
    summary="Store sensor events (one, or a list of up to 1000, all or nothing); "
    "needs a device token. A retried event is not stored twice.",
)
async def post_events(
    body: Annotated[SensorEventsIn, Body()],
    device: CurrentDevice,
    conn: Db,
) -> Response:
    events = [body] if isinstance(body, SensorEventIn) else body
    # No transaction needed: everything is checked before the one INSERT statement.
    return ok(await service.store(conn, device.archer_id, events), 201)
