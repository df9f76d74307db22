"""The shots domain's hot reads, answered by `core.hotpath` ahead of FastAPI.

Each handler does what its FastAPI route does, for the success case only; anything else
(an `after` that is not a plain number in range, a session or shot not found) goes on to
the route, which answers it.
"""

from __future__ import annotations

import re
from typing import Literal
from uuid import UUID

import orjson
from pydantic import TypeAdapter

from arch_stats.core.hotpath import (
    UUID_PATTERN,
    HotAnswer,
    HotRequest,
    HotRoute,
    hot_route,
    query_params,
)
from arch_stats.shots import service
from arch_stats.shots.schemas import IDEMPOTENCY_KEY_PATTERN, ShotIn, ShotsIn

_LIST_QUERY = frozenset({"after", "limit"})
# The body of POST /shot, validated as FastAPI validates it (the route's parameter type).
_SHOTS: TypeAdapter[ShotsIn] = TypeAdapter(ShotsIn)
MAX_AFTER = 2**31 - 1
_KEY = re.compile(IDEMPOTENCY_KEY_PATTERN)


async def list_shots(request: HotRequest) -> HotAnswer | None:
    query = query_params(request.query_string, _LIST_QUERY)
    if query is None:
        return None
    after = _number(query, "after", 0, 0, MAX_AFTER)
    limit = _number(query, "limit", service.DEFAULT_PAGE, 1, service.MAX_PAGE)
    if after is None or limit is None:
        return None
    session_id = UUID(request.params[0])
    page = await service.list_for_session(
        request.pool, request.archer_id, session_id, after=after, limit=limit
    )
    return HotAnswer(200, page.json.encode(), page.extra())


def _number(query: dict[str, str], name: str, default: int, low: int, high: int) -> int | None:
    """A query number as the route validates it; None (let the route answer) when it is not
    plain digits in [low, high]: every other spelling is left to the route's validation."""
    if name not in query:
        return default
    text = query[name]
    if not (text.isascii() and text.isdigit() and len(text) <= 10):
        return None
    number = int(text)
    return number if low <= number <= high else None


async def get_shot(request: HotRequest) -> bytes:
    shot_id = UUID(request.params[0])
    return (await service.get(request.pool, request.archer_id, shot_id)).encode()


async def create_shots(request: HotRequest) -> HotAnswer | None:
    """POST /shot: the same checks, scoring and single INSERT as the route.

    Anything invalid (JSON orjson refuses, a body that does not validate, a rule broken) is
    raised before anything is written, and the route answers it. Shots for more than one
    session are left to the route (in practice an error: an archer has one open session),
    so that the one write here is a single statement: if it fails, nothing was written.
    A post sent again (same ids or Idempotency-Key) is answered here too, with 200.
    """
    key = _idempotency_key(request)
    if key is False or request.settings is None:
        return None
    body = _SHOTS.validate_python(orjson.loads(request.body))
    single = isinstance(body, ShotIn)
    shots = [body] if isinstance(body, ShotIn) else body
    if len({shot.session_id for shot in shots}) > 1:
        return None
    created = await service.create(
        request.pool,
        request.archer_id,
        shots,
        max_shots=request.settings.session_max_shots,
        idempotency_key=key,
    )
    # PostgreSQL built the part as a JSON array: splice its elements, never re-parse them.
    items = ",".join(p.strip()[1:-1] for p in created.parts)
    data = (items if single else f"[{items}]").encode()
    return HotAnswer(200 if created.replayed else 201, data)


def _idempotency_key(request: HotRequest) -> str | Literal[False] | None:
    """The Idempotency-Key header; False (let the route answer) when repeated or invalid."""
    values = [v for k, v in request.headers if k == b"idempotency-key"]
    if not values:
        return None
    if len(values) > 1:
        return False
    key = values[0].decode("latin-1")
    return key if _KEY.fullmatch(key) else False


def routes(prefix: str) -> list[HotRoute]:
    return [
        hot_route("GET", f"{prefix}/session/({UUID_PATTERN})/shot", list_shots),
        hot_route("GET", f"{prefix}/shot/({UUID_PATTERN})", get_shot),
        hot_route("POST", f"{prefix}/shot", create_shots, status=201, json_body=True),
    ]
