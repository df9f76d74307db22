"""The shots domain's hot reads, answered by `core.hotpath` ahead of FastAPI.

Each handler does what its FastAPI route does, for the success case only; anything else
(an `after` that is not a plain number in range, a session or shot not found) goes on to
the route, which answers it.
"""

from __future__ import annotations

from uuid import UUID

from arch_stats.core.hotpath import UUID_PATTERN, HotRequest, HotRoute, hot_route, query_params
from arch_stats.shots import service

_AFTER = frozenset({"after"})
MAX_AFTER = 2**31 - 1


async def list_shots(request: HotRequest) -> bytes | None:
    query = query_params(request.query_string, _AFTER)
    if query is None:
        return None
    after = 0
    if "after" in query:
        text = query["after"]
        # Plain digits only: every other spelling is left to the route's validation.
        if not (text.isascii() and text.isdigit() and len(text) <= 10):
            return None
        after = int(text)
        if after > MAX_AFTER:
            return None
    session_id = UUID(request.params[0])
    json = await service.list_for_session(request.pool, request.archer_id, session_id, after)
    return json.encode()


async def get_shot(request: HotRequest) -> bytes:
    shot_id = UUID(request.params[0])
    return (await service.get(request.pool, request.archer_id, shot_id)).encode()


def routes(prefix: str) -> list[HotRoute]:
    return [
        hot_route("GET", f"{prefix}/session/({UUID_PATTERN})/shot", list_shots),
        hot_route("GET", f"{prefix}/shot/({UUID_PATTERN})", get_shot),
    ]
