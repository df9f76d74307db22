"""SESSION_MAX_SHOTS: a session holds at most so many shots, whoever writes them (posts here;
the assembler in tests/assembler/test_shot_rules.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import orjson
import pytest
from fastapi import FastAPI

from arch_stats.app import create_app
from arch_stats.core.database import Connection
from arch_stats.core.settings import Settings
from tests.conftest import ArcherCtx
from tests.shots.test_shots import C, make_range, shot

API = "/api/v0"
MOST = 8


@pytest.fixture(scope="module")
async def small_apps(settings: Settings) -> AsyncIterator[tuple[FastAPI, FastAPI]]:
    """Apps whose sessions hold at most MOST shots: with the hot path, and without."""
    hot = create_app(settings.model_copy(update={"session_max_shots": MOST}), access_log=False)
    plain = create_app(
        settings.model_copy(update={"session_max_shots": MOST, "hot_path": False}),
        access_log=False,
    )
    async with hot.router.lifespan_context(hot), plain.router.lifespan_context(plain):
        yield hot, plain


@pytest.fixture
async def clients(
    small_apps: tuple[FastAPI, FastAPI], client: httpx.AsyncClient
) -> AsyncIterator[tuple[httpx.AsyncClient, httpx.AsyncClient]]:
    hot, plain = small_apps
    async with (
        httpx.AsyncClient(transport=httpx.ASGITransport(app=hot), base_url="http://test") as h,
        httpx.AsyncClient(transport=httpx.ASGITransport(app=plain), base_url="http://test") as p,
    ):
        yield h, p


async def test_a_post_that_would_pass_the_most_shots_400_both_ways(
    clients: tuple[httpx.AsyncClient, httpx.AsyncClient], db: Connection, archer: ArcherCtx
) -> None:
    hot, plain = clients
    r = await make_range(db, archer)
    headers = {**archer.headers, "Content-Type": "application/json"}
    six = orjson.dumps([shot(r, C + i, C) for i in range(6)])
    await hot.get(f"{API}/session", headers=archer.headers)  # the token cached: hot path
    assert (await hot.post(f"{API}/shot", content=six, headers=headers)).status_code == 201
    answers = [await c.post(f"{API}/shot", content=six, headers=headers) for c in (hot, plain)]
    assert [a.status_code for a in answers] == [400, 400]
    assert answers[0].json() == answers[1].json()
    assert answers[0].json()["errors"] == [
        f"session {r.session_id} holds 6 shots, at most {MOST} (SESSION_MAX_SHOTS): "
        "6 more do not fit"
    ]
    two = orjson.dumps([shot(r), shot(r)])
    assert (await plain.post(f"{API}/shot", content=two, headers=headers)).status_code == 201
    one = orjson.dumps(shot(r))
    assert (await hot.post(f"{API}/shot", content=one, headers=headers)).status_code == 400
    assert await db.fetchval("SELECT shot_count FROM session") == MOST


async def test_an_import_that_would_pass_the_most_shots_400_nothing_imported(
    clients: tuple[httpx.AsyncClient, httpx.AsyncClient],
    client: httpx.AsyncClient,
    db: Connection,
    archer: ArcherCtx,
    other: ArcherCtx,
) -> None:
    hot, _ = clients
    r = await make_range(db, archer)
    body = [shot(r, C + i, C) for i in range(MOST + 1)]
    assert (await client.post(f"{API}/shot", json=body, headers=archer.headers)).status_code == 201
    await client.post(f"{API}/session/{r.session_id}/close", headers=archer.headers)
    exported = await client.get(f"{API}/export/shots.csv", headers=archer.headers)
    assert exported.status_code == 200
    resp = await hot.post(
        f"{API}/import/shots.csv",
        content=exported.content,
        headers={**other.headers, "Content-Type": "text/csv"},
    )
    assert resp.status_code == 400, resp.text
    assert resp.json()["errors"] == [
        f"nothing imported: session {r.session_id} would hold {MOST + 1} shots, at most "
        f"{MOST} (SESSION_MAX_SHOTS)"
    ]
    assert await db.fetchval("SELECT count(*) FROM session WHERE archer_id = $1", other.id) == 0
