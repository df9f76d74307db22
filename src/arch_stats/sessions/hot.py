"""The sessions domain's hot reads, answered by `core.hotpath` ahead of FastAPI.

Each handler does what its FastAPI route does, for the success case only: on anything else
(a filter that does not validate, a session that is not found) it gives the request back
to the route, which answers it.
"""

from __future__ import annotations

from uuid import UUID

from arch_stats.core.hotpath import UUID_PATTERN, HotRequest, HotRoute, hot_route, query_params
from arch_stats.sessions import service
from arch_stats.sessions.schemas import SessionFilters

_FILTERS = frozenset(SessionFilters.model_fields)
_DEFAULT_FILTERS = SessionFilters()


async def get_session(request: HotRequest) -> bytes:
    session_id = UUID(request.params[0])
    return (await service.get(request.pool, request.archer_id, session_id)).encode()


async def get_open_session(request: HotRequest) -> bytes:
    return (await service.get_open(request.pool, request.archer_id)).encode()


async def list_sessions(request: HotRequest) -> bytes | None:
    query = query_params(request.query_string, _FILTERS)
    if query is None:
        return None
    filters = SessionFilters.model_validate(query) if query else _DEFAULT_FILTERS
    return (await service.list_sessions(request.pool, request.archer_id, filters)).encode()


def routes(prefix: str) -> list[HotRoute]:
    return [
        hot_route("GET", f"{prefix}/session/({UUID_PATTERN})", get_session),
        hot_route("GET", f"{prefix}/session", list_sessions),
        hot_route("GET", f"{prefix}/session/open", get_open_session),
    ]
