"""The hot path (core/hotpath.py) answers exactly what FastAPI's routes answer.

Every request below is sent to the suite's app (hot path on, the default) and to a second
app on the same database with `HOT_PATH=false`; status and body must be identical, and the
hot path must really have answered the success cases (its counters), not passed them on.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any
from uuid import UUID, uuid4

import httpx
import orjson
import pytest
from fastapi import FastAPI
from starlette.types import Message, Receive, Scope, Send

from arch_stats.app import create_app
from arch_stats.auth.deps import MAX_TOKEN_LENGTH
from arch_stats.auth.tokens import COOKIE_NAME
from arch_stats.core.hotpath import HotPath, HotRequest, hot_route, query_params
from arch_stats.core.middleware import BodyRule
from arch_stats.core.settings import Settings
from arch_stats.shots.schemas import MAX_BATCH
from tests.conftest import ArcherCtx

API = "/api/v0"


def hot_layer(app: FastAPI) -> HotPath:
    layer: Any = app.middleware_stack
    while layer is not None and not isinstance(layer, HotPath):
        layer = getattr(layer, "app", None)
    assert isinstance(layer, HotPath), "the hot path is not in the middleware stack"
    return layer


@pytest.fixture(scope="module")
async def plain_app(settings: Settings) -> AsyncIterator[FastAPI]:
    application = create_app(settings.model_copy(update={"hot_path": False}), access_log=False)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def plain(plain_app: FastAPI, client: httpx.AsyncClient) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=plain_app, client=("127.0.0.1", 50001))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
        yield c


async def seed_sessions(client: httpx.AsyncClient, archer: ArcherCtx) -> dict[str, str]:
    """Two closed sessions (one shot to a round it follows) and an open one with a target and
    four shots (one a miss)."""
    ids: dict[str, str] = {}
    for n, (location, indoor) in enumerate([("Club", False), ("Hall", True), ("Field", False)]):
        body: dict[str, Any] = {"location": location, "is_indoor": indoor, "distance_m": 18 + n}
        if n == 1:
            body["round_code"] = "wa18"
        r = await client.post(f"{API}/session", json=body, headers=archer.headers)
        assert r.status_code == 201, r.text
        ids[f"session{n}"] = r.json()["data"]["id"]
        if n < 2:
            r = await client.post(
                f"{API}/session/{ids[f'session{n}']}/close", headers=archer.headers
            )
            assert r.status_code == 200, r.text
    open_id = ids["session2"]
    r = await client.post(
        f"{API}/session/{open_id}/target",
        json={
            "distance_m": 20,
            "view_width_mm": 1000,
            "view_height_mm": 1000,
            "faces": [{"face_type": "wa_122", "center_x_mm": 500, "center_y_mm": 500}],
        },
        headers=archer.headers,
    )
    assert r.status_code == 201, r.text
    target_id = r.json()["data"]["id"]
    shots = [
        {"session_id": open_id, "target_id": target_id, "x_mm": 500 + dx, "y_mm": 500 + dy}
        for dx, dy in [(0, 0), (50, -20), (-150, 90)]
    ] + [{"session_id": open_id, "target_id": target_id}]
    r = await client.post(f"{API}/shot", json=shots, headers=archer.headers)
    assert r.status_code == 201, r.text
    ids["shot"] = r.json()["data"][0]["id"]
    return ids


def request_matrix(ids: dict[str, str], archer: ArcherCtx, other: ArcherCtx) -> list[Any]:
    """(path, headers, hot path expected to answer) — every case a route can meet."""
    mine, theirs = archer.headers, other.headers
    open_id, closed_id, shot_id = ids["session2"], ids["session0"], ids["shot"]
    return [
        # sessions
        (f"{API}/session/{open_id}", mine, True),
        (f"{API}/session/{closed_id}", mine, True),
        (f"{API}/session/{ids['session1']}", mine, True),  # with its round and progress
        (f"{API}/session/{ids['session1']}/scorecard", mine, True),
        (f"{API}/session/{closed_id}", archer.cookie_header, True),
        (f"{API}/session/{closed_id}?unknown=1", mine, True),
        (f"{API}/session/{closed_id.upper()}", mine, True),
        (f"{API}/session/{closed_id}", theirs, False),
        (f"{API}/session/{uuid4()}", mine, False),
        (f"{API}/session/{closed_id.replace('-', '')}", mine, False),
        (f"{API}/session/{closed_id}", {}, False),
        (f"{API}/session/{closed_id}", {"Authorization": "Basic abc"}, False),
        (f"{API}/session/{closed_id}", {"Authorization": "Bearer nope"}, False),
        (f"{API}/session/{closed_id}", {"Authorization": f"Bearer {'x' * 300}"}, False),
        (f"{API}/session", mine, True),
        (f"{API}/session", theirs, True),
        (f"{API}/session?limit=2", mine, True),
        (f"{API}/session?limit=2&offset=1", mine, True),
        (f"{API}/session?is_open=false&is_indoor=true", mine, True),
        (f"{API}/session?location=ha", mine, True),
        (f"{API}/session?start_from=2000-01-01&start_to=2199-12-31", mine, True),
        (f"{API}/session?distance_m=19", mine, True),
        (f"{API}/session?limit=0", mine, False),
        (f"{API}/session?limit=abc", mine, False),
        (f"{API}/session?limit=1&limit=2", mine, False),
        (f"{API}/session?colour=red", mine, False),
        (f"{API}/session?start_from=yesterday", mine, False),
        (f"{API}/session", {}, False),
        (f"{API}/session/open", mine, True),
        (f"{API}/session/open", theirs, False),
        # shots
        (f"{API}/session/{open_id}/shot", mine, True),
        (f"{API}/session/{open_id}/shot?after=2", mine, True),
        (f"{API}/session/{open_id}/shot?after=0", mine, True),
        (f"{API}/session/{closed_id}/shot", mine, True),
        (f"{API}/session/{open_id}/shot", theirs, False),
        (f"{API}/session/{uuid4()}/shot", mine, False),
        (f"{API}/session/{open_id}/shot?after=-1", mine, False),
        (f"{API}/session/{open_id}/shot?after=%202", mine, False),
        (f"{API}/session/{open_id}/shot?after=2147483648", mine, False),
        (f"{API}/session/{open_id}/shot?after=99999999999", mine, False),
        (f"{API}/session/{open_id}/shot?after=1.5", mine, False),
        (f"{API}/session/{open_id}/shot?after=1&after=2", mine, False),
        (f"{API}/session/{open_id}/shot?limit=2", mine, True),
        (f"{API}/session/{open_id}/shot?after=2&limit=2", mine, True),
        (f"{API}/session/{open_id}/shot?limit=1&after=1", mine, True),
        (f"{API}/session/{open_id}/shot?limit=10000", mine, True),
        (f"{API}/session/{open_id}/shot?limit=0", mine, False),
        (f"{API}/session/{open_id}/shot?limit=10001", mine, False),
        (f"{API}/session/{open_id}/shot?limit=%202", mine, False),
        (f"{API}/session/{open_id}/shot?limit=1&limit=2", mine, False),
        (f"{API}/session/not-a-uuid/shot", mine, False),
        (f"{API}/shot/{shot_id}", mine, True),
        (f"{API}/shot/{shot_id}", theirs, False),
        (f"{API}/shot/{uuid4()}", mine, False),
        (f"{API}/shot/{shot_id}", {}, False),
    ]


async def test_hot_path_answers_exactly_like_fastapi(
    app: FastAPI,
    client: httpx.AsyncClient,
    plain: httpx.AsyncClient,
    archer: ArcherCtx,
    other: ArcherCtx,
) -> None:
    ids = await seed_sessions(client, archer)
    # Both tokens are in the cache now (the archer's from seeding; the other's from this).
    assert (await client.get(f"{API}/auth/me", headers=other.headers)).status_code == 200
    layer = hot_layer(app)
    for path, headers, hot in request_matrix(ids, archer, other):
        answered, passed = layer.answered, layer.passed
        expected = await plain.get(path, headers=headers)
        got = await client.get(path, headers=headers)
        assert got.status_code == expected.status_code, path
        assert got.json() == expected.json(), path
        assert got.headers["content-type"] == expected.headers["content-type"], path
        if hot:
            assert expected.status_code == 200, (path, expected.text)
            assert (layer.answered, layer.passed) == (answered + 1, passed), path
        else:
            assert layer.answered == answered, f"hot path answered {path}"


async def test_hot_answer_has_request_id_and_list_items(
    app: FastAPI, client: httpx.AsyncClient, archer: ArcherCtx
) -> None:
    ids = await seed_sessions(client, archer)
    layer = hot_layer(app)
    answered = layer.answered
    r = await client.get(f"{API}/session", headers={**archer.headers, "X-Request-ID": "abc-123"})
    assert layer.answered == answered + 1
    assert r.headers["x-request-id"] == "abc-123"
    assert int(r.headers["content-length"]) == len(r.content)
    body = r.json()
    assert body["code"] == 200 and body["errors"] == []
    assert [s["location"] for s in body["data"]] == ["Field", "Hall", "Club"]
    assert body["data"][0]["target_count"] == 1 and body["data"][0]["shot_count"] == 4
    r = await client.get(f"{API}/session/{ids['session2']}/shot?after=1", headers=archer.headers)
    assert [s["seq"] for s in r.json()["data"]] == [2, 3, 4]


async def test_new_token_goes_through_fastapi_then_hot(
    app: FastAPI, client: httpx.AsyncClient, make_archer: Any
) -> None:
    carol: ArcherCtx = await make_archer("Carol")
    layer = hot_layer(app)
    answered, passed = layer.answered, layer.passed
    first = await client.get(f"{API}/session", headers=carol.headers)
    assert first.status_code == 200 and first.json()["data"] == []
    assert (layer.answered, layer.passed) == (answered, passed + 1)  # not cached yet
    second = await client.get(f"{API}/session", headers=carol.headers)
    assert second.json() == first.json()
    assert layer.answered == answered + 1


async def test_revoked_token_is_refused_on_hot_routes(
    client: httpx.AsyncClient, archer: ArcherCtx
) -> None:
    assert (await client.get(f"{API}/session", headers=archer.headers)).status_code == 200
    assert (await client.post(f"{API}/auth/logout", headers=archer.headers)).status_code == 200
    r = await client.get(f"{API}/session", headers=archer.headers)
    assert r.status_code == 401
    assert r.json()["data"] is None and r.json()["errors"]


async def test_device_token_is_refused_on_hot_routes(
    client: httpx.AsyncClient, archer: ArcherCtx
) -> None:
    r = await client.post(f"{API}/auth/token", json={"name": "bow"}, headers=archer.headers)
    assert r.status_code == 201, r.text
    device = {"Authorization": f"Bearer {r.json()['data']['token']}"}
    # Twice: once to let a cache learn the token, once more to use it.
    for _ in range(2):
        assert (await client.get(f"{API}/session", headers=device)).status_code == 401


async def test_session_json_follows_every_change(
    client: httpx.AsyncClient, archer: ArcherCtx, db: Any
) -> None:
    """The stored session JSON (migration 202611221500) is rebuilt by whatever writes."""
    ids = await seed_sessions(client, archer)
    sid = ids["session2"]

    async def session() -> dict[str, Any]:
        r = await client.get(f"{API}/session/{sid}", headers=archer.headers)
        assert r.status_code == 200, r.text
        data: dict[str, Any] = r.json()["data"]
        return data

    before = await session()
    assert (before["target_count"], before["shot_count"]) == (1, 4)
    # Both ways of building the stored JSON (UTC writer inline, others pinned) agree.
    same = "SELECT bool_and(doc::jsonb = {}(t)::jsonb) FROM {} t"
    assert await db.fetchval(same.format("session_json", "session")) is True
    assert await db.fetchval(same.format("shot_doc_utc", "shot")) is True
    r = await client.patch(f"{API}/session/{sid}", json={"notes": "windy"}, headers=archer.headers)
    assert r.json()["data"] == await session()
    assert (await session())["notes"] == "windy"
    # A write straight into the database, with another time zone, shows up in UTC.
    await db.execute("SET timezone = 'Asia/Tokyo'")
    await db.execute(
        "UPDATE session SET location = 'Moved', updated_at = '2026-01-02 03:04:05.5+09' "
        "WHERE id = $1",
        UUID(sid),
    )
    after = await session()
    assert after["location"] == "Moved"
    assert after["updated_at"] == "2026-01-01T18:04:05.5+00:00"
    assert after["start_time"] == before["start_time"]
    # A hand-written doc is overwritten.
    await db.execute("UPDATE session SET doc = '{}' WHERE id = $1", UUID(sid))
    assert (await session())["id"] == sid
    # Shots deleted and targets added move the counts.
    r = await client.delete(f"{API}/shot/{ids['shot']}", headers=archer.headers)
    assert r.status_code == 200, r.text
    r = await client.post(
        f"{API}/session/{sid}/target",
        json={
            "distance_m": 30,
            "view_width_mm": 800,
            "view_height_mm": 800,
            "faces": [{"face_type": "wa_80", "center_x_mm": 400, "center_y_mm": 400}],
        },
        headers=archer.headers,
    )
    assert r.status_code == 201, r.text
    now = await session()
    assert (now["target_count"], now["shot_count"]) == (2, 3)
    assert (
        await client.delete(f"/api/v0/target/{r.json()['data']['id']}", headers=archer.headers)
    ).status_code == 200
    assert (await session())["target_count"] == 1


# --- the layer on its own -----------------------------------------------------------------


class _State:
    def __init__(self, cache: Any) -> None:
        self.token_cache = cache
        self.pool = None


class _App:
    def __init__(self, cache: Any) -> None:
        self.state = _State(cache)


async def test_a_failing_handler_hands_the_request_to_the_app() -> None:
    from arch_stats.auth.cache import TokenCache
    from arch_stats.auth.tokens import token_hash

    cache = TokenCache(trusted=lambda: True)
    archer_id = uuid4()
    cache.put(
        token_hash("t0k"), token_id=uuid4(), archer_id=archer_id, scope="login", expires_at=None
    )
    inner_calls: list[str] = []

    async def inner(scope: Scope, receive: Receive, send: Send) -> None:
        inner_calls.append(scope["path"])
        await send({"type": "http.response.start", "status": 418, "headers": []})
        await send({"type": "http.response.body", "body": b"inner"})

    seen: list[HotRequest] = []

    async def boom(request: HotRequest) -> bytes:
        seen.append(request)
        raise RuntimeError("database went away")

    async def fine(request: HotRequest) -> bytes:
        seen.append(request)
        return b'{"ok":true}'

    layer = HotPath(
        inner,
        routes=[hot_route("GET", "/boom", boom), hot_route("GET", "/fine/(x+)", fine)],
        cookie_name=COOKIE_NAME,
        token_hash=token_hash,
        max_token_length=MAX_TOKEN_LENGTH,
    )

    async def call(path: str, query: bytes = b"") -> list[Message]:
        sent: list[Message] = []

        async def send(message: Message) -> None:
            sent.append(message)

        async def receive() -> Message:
            return {"type": "http.request", "body": b""}

        scope = {
            "type": "http",
            "method": "GET",
            "path": path,
            "query_string": query,
            "headers": [(b"authorization", b"Bearer t0k")],
            "app": _App(cache),
        }
        await layer(scope, receive, send)
        return sent

    sent = await call("/boom")
    assert inner_calls == ["/boom"] and sent[0]["status"] == 418
    sent = await call("/fine/xxx", b"a=1")
    assert sent[0]["status"] == 200
    assert sent[1]["body"] == b'{"code":200,"data":{"ok":true},"errors":[]}'
    assert seen[-1].params == ("xxx",) and seen[-1].archer_id == archer_id
    assert seen[-1].query_string == b"a=1"
    assert inner_calls == ["/boom"]
    await call("/fine/xxy")  # not a match: the app answers
    assert inner_calls == ["/boom", "/fine/xxy"]
    assert (layer.answered, layer.passed) == (1, 1)


def test_query_params_decodes_like_starlette_and_refuses_repeats_and_unknowns() -> None:
    allowed = frozenset({"a", "b"})
    assert query_params(b"", allowed) == {}
    assert query_params(b"a=1&b=x%20y", allowed) == {"a": "1", "b": "x y"}
    assert query_params(b"a=", allowed) == {"a": ""}
    assert query_params(b"a=1&a=2", allowed) is None
    assert query_params(b"c=1", allowed) is None


# --- POST /shot -----------------------------------------------------------------------------

VOLATILE = {"id", "seq", "end_no", "end_place", "created_at", "updated_at"}


def stable(data: Any) -> Any:
    """A shot response without what differs between two identical posts."""
    if isinstance(data, list):
        return [stable(item) for item in data]
    if isinstance(data, dict):
        return {k: v for k, v in data.items() if k not in VOLATILE}
    return data


async def test_hot_post_shot_answers_exactly_like_fastapi(
    app: FastAPI,
    client: httpx.AsyncClient,
    plain: httpx.AsyncClient,
    archer: ArcherCtx,
    other: ArcherCtx,
) -> None:
    ids = await seed_sessions(client, archer)
    theirs = await seed_sessions(client, other)
    r = await client.get(f"{API}/session/{ids['session2']}/target", headers=archer.headers)
    target = r.json()["data"][0]["id"]
    r = await client.get(f"{API}/session/{theirs['session2']}/target", headers=other.headers)
    their_target = r.json()["data"][0]["id"]
    r = await client.post(
        f"{API}/arrow", json={"identifier": "A1", "diameter_mm": 9.3}, headers=archer.headers
    )
    arrow = r.json()["data"]["id"]
    r = await client.post(f"{API}/arrow", json={"identifier": "B1"}, headers=other.headers)
    their_arrow = r.json()["data"]["id"]
    sid, closed = ids["session2"], ids["session0"]

    def shot(**fields: Any) -> dict[str, Any]:
        return {"session_id": sid, "target_id": target, "x_mm": 510.0, "y_mm": 480.0, **fields}

    JSON = {"Content-Type": "application/json"}
    cases: list[tuple[Any, dict[str, str], bool]] = [
        (shot(), {}, True),
        ([shot(x_mm=500 + i * 20.0) for i in range(6)], {}, True),
        ([shot(), {"session_id": sid, "target_id": target}], {}, True),  # with a miss
        (shot(arrow_id=arrow, x_mm=500 + 4 * 61 + 2.0, y_mm=500), {}, True),  # line-cutter
        (shot(landed_at="2026-11-22T10:00:00Z"), {}, True),
        (shot(arrow_id=their_arrow), {}, False),
        (shot(target_id=their_target), {}, False),
        (shot(session_id=closed), {}, False),
        (shot(colour="red"), {}, False),
        (shot(x_mm="abc"), {}, False),
        (shot(x_mm=5000.0), {}, False),
        ([], {}, False),
        ([shot(), shot(session_id=closed)], {}, False),
        (b"{not json", {}, False),
        (b'{"session_id": NaN}', {}, False),
        (b'{"x_mm": 1e999}', {}, False),
        (shot(), {"Content-Type": "text/plain"}, False),
        (shot(), {"Authorization": "Bearer nope"}, False),
    ]
    layer = hot_layer(app)
    for body, extra, hot in cases:
        raw = body if isinstance(body, bytes) else orjson.dumps(body)
        headers = {**archer.headers, **JSON, **extra}
        answered = layer.answered
        expected = await plain.post(f"{API}/shot", content=raw, headers=headers)
        got = await client.post(f"{API}/shot", content=raw, headers=headers)
        case = (body, extra)
        assert got.status_code == expected.status_code, case
        assert got.headers["content-type"] == expected.headers["content-type"], case
        if hot:
            assert got.status_code == 201, (case, got.text)
            assert stable(got.json()["data"]) == stable(expected.json()["data"]), case
            assert layer.answered == answered + 1, case
        else:
            assert got.json() == expected.json(), case
            assert layer.answered == answered, case
    # Every successful post was stored once per app, nothing else.
    r = await client.get(f"{API}/session/{sid}/shot", headers=archer.headers)
    posted = 1 + 6 + 2 + 1 + 1
    assert len(r.json()["data"]) == 4 + 2 * posted
    assert [s["seq"] for s in r.json()["data"]] == list(range(1, 4 + 2 * posted + 1))


async def test_hot_post_shot_body_over_the_limit_is_413(
    client: httpx.AsyncClient, archer: ArcherCtx
) -> None:
    limit = BodyRule.batch(MAX_BATCH).limit  # the post's own: what 500 shots can take
    huge = b"[" + b" " * limit + b"]"

    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: the limit while reading
        for i in range(0, len(huge), 65536):
            yield huge[i : i + 65536]

    headers = {**archer.headers, "Content-Type": "application/json"}
    await client.get(f"{API}/session", headers=archer.headers)  # the token is cached
    r = await client.post(f"{API}/shot", content=chunks(), headers=headers)
    assert r.status_code == 413
    assert r.json()["errors"] == [f"request body larger than {limit} bytes"]


async def test_hot_post_shot_sent_again_answers_exactly_like_fastapi(
    app: FastAPI,
    client: httpx.AsyncClient,
    plain: httpx.AsyncClient,
    archer: ArcherCtx,
    other: ArcherCtx,
) -> None:
    """Posts sent again (same shot ids, same Idempotency-Key): the same 200 both ways."""
    ids = await seed_sessions(client, archer)
    sid = ids["session2"]
    r = await client.get(f"{API}/session/{sid}/target", headers=archer.headers)
    target = r.json()["data"][0]["id"]

    def shot(**fields: Any) -> dict[str, Any]:
        return {"session_id": sid, "target_id": target, "x_mm": 510.0, "y_mm": 480.0, **fields}

    JSON = {**archer.headers, "Content-Type": "application/json"}
    layer = hot_layer(app)
    with_ids = [shot(id=str(uuid4()), x_mm=500.0 + i) for i in range(3)]
    one = shot(id=str(uuid4()))
    keyed = {**JSON, "Idempotency-Key": f"key-{uuid4()}"}
    for body, headers in ((with_ids, JSON), (one, JSON), ([shot(), shot()], keyed)):
        raw = orjson.dumps(body)
        first = await plain.post(f"{API}/shot", content=raw, headers=headers)
        assert first.status_code == 201, first.text
        expected = await plain.post(f"{API}/shot", content=raw, headers=headers)
        answered = layer.answered
        got = await client.post(f"{API}/shot", content=raw, headers=headers)
        assert (got.status_code, expected.status_code) == (200, 200), got.text
        assert got.json() == expected.json() == {**first.json(), "code": 200}
        assert layer.answered == answered + 1
    # Written by the hot path first, sent again through FastAPI: the same shots.
    fresh = orjson.dumps([shot(id=str(uuid4())), shot(id=str(uuid4()))])
    got = await client.post(f"{API}/shot", content=fresh, headers=JSON)
    expected = await plain.post(f"{API}/shot", content=fresh, headers=JSON)
    assert (got.status_code, expected.status_code) == (201, 200)
    assert got.json()["data"] == expected.json()["data"]
    # Refusals: the same answer, and the route gives it.
    refused: list[tuple[Any, dict[str, str], int]] = [
        ([with_ids[0], shot(id=str(uuid4()))], JSON, 409),  # a mix
        ([shot(id=with_ids[0]["id"]), shot(id=with_ids[0]["id"])], JSON, 422),  # twice
        (shot(), {**JSON, "Idempotency-Key": "x" * 201}, 422),
        (shot(), {**JSON, "Idempotency-Key": ""}, 422),
        (shot(id=with_ids[0]["id"]), {**other.headers, "Content-Type": "application/json"}, 404),
    ]
    for body, headers, status in refused:
        raw = orjson.dumps(body)
        answered = layer.answered
        expected = await plain.post(f"{API}/shot", content=raw, headers=headers)
        got = await client.post(f"{API}/shot", content=raw, headers=headers)
        assert (got.status_code, got.json()) == (expected.status_code, expected.json()), body
        assert got.status_code == status, got.text
        assert layer.answered == answered
