"""The statistics domain's hot read, answered by `core.hotpath` ahead of FastAPI: the
scorecard, which the phone fetches again after every arrow. Success case only; a session
that is not found goes on to the FastAPI route, which answers it."""

from __future__ import annotations

from uuid import UUID

from arch_stats.core.hotpath import UUID_PATTERN, HotRequest, HotRoute, hot_route
from arch_stats.stats import service


async def scorecard(request: HotRequest) -> bytes:
    return await service.scorecard_json(request.pool, request.archer_id, UUID(request.params[0]))


def routes(prefix: str) -> list[HotRoute]:
    return [hot_route("GET", f"{prefix}/session/({UUID_PATTERN})/scorecard", scorecard)]
