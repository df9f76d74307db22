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

from arch_stats.core.hotpath import UUID_PATTERN, HotRequest, HotRoute, hot_route, query_params
from arch_stats.shots import service
from arch_stats.shots.schemas import IDEMPOTENCY_KEY_PATTERN, ShotIn

_AFTER = frozenset({"after"})
# The body of POST /shot, validated as FastAPI validates it (the route's parameter type).
_SHOTS = TypeAdapter(ShotIn | list[ShotIn])
MAX_AFTER = 2**31 - 1
_KEY = re.compile(IDEMPOTENCY_KEY_PATTERN)


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


async def create_shots(request: HotRequest) -> tuple[int, bytes] | None:
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
    return 200 if created.replayed else 201, (items if single else f"[{items}]").encode()


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
