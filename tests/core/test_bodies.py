"""Request bodies are bounded by what their route can use, and refused cheaply: a megabyte of
JSON list gets a small 413 or 422 while everyone else is answered (a real `serve` process)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import orjson
import pytest

from arch_stats.core.middleware import MAX_DEPTH, MAX_MEMBERS, BodyRule
from arch_stats.sensors.schemas import MAX_EVENTS
from arch_stats.shots.schemas import MAX_BATCH
from tests.conftest import ArcherCtx, MakeArcher
from tests.serve_process import Served, serve

API = "/api/v0"
# A megabyte of JSON list, as in the review: `[1,1,…]`.
MEGABYTE_LIST = b"[" + b",".join([b"1"] * 500_000) + b"]"
HALF_MEGABYTE_LIST = b"[" + b",".join([b"1"] * 250_000) + b"]"
SMALL = 4096  # bytes: an answer that says what is wrong, not a list of every element


@pytest.fixture(scope="module")
async def server(migrated: str, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Served]:
    async with serve(migrated, tmp_path_factory.mktemp("bodies") / "serve.log") as served:
        yield served


@pytest.fixture
async def http(server: Served, client: httpx.AsyncClient) -> AsyncIterator[httpx.AsyncClient]:
    """A client of the real server (`client` is asked for so that the data is cleaned up)."""
    async with httpx.AsyncClient(base_url=server.url, timeout=60) as c:
        yield c


async def post_json(http: httpx.AsyncClient, path: str, body: bytes, token: str) -> httpx.Response:
    return await http.post(
        path,
        content=body,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )


def small_refusal(r: httpx.Response, code: int) -> list[str]:
    """The errors of a small `code` answer in the envelope."""
    assert r.status_code == code, r.text[:500]
    assert len(r.content) < SMALL, len(r.content)
    answer: dict[str, Any] = r.json()
    assert answer["code"] == code and answer["data"] is None
    errors: list[str] = answer["errors"]
    assert 1 <= len(errors) <= 11
    return errors


async def test_megabyte_lists_refused_small_while_another_archer_is_answered(
    http: httpx.AsyncClient, make_archer: MakeArcher
) -> None:
    """Two clients post the megabyte list to POST /shot, two half a megabyte (under the
    route's byte limit) and two the megabyte to the sensors' route, all at once; another
    archer's read is answered meanwhile, and every refusal is a few hundred bytes."""
    abuser, victim = await make_archer("Abuser"), await make_archer("Victim")
    r = await http.post(f"{API}/auth/token", json={"name": "bow"}, headers=abuser.headers)
    device = r.json()["data"]["token"]
    posts = [
        *(post_json(http, f"{API}/shot", MEGABYTE_LIST, abuser.token) for _ in range(2)),
        *(post_json(http, f"{API}/shot", HALF_MEGABYTE_LIST, abuser.token) for _ in range(2)),
        *(post_json(http, f"{API}/sensor/event", MEGABYTE_LIST, device) for _ in range(2)),
    ]
    *answers, read = await asyncio.gather(
        *posts, http.get(f"{API}/session", headers=victim.headers)
    )
    assert read.status_code == 200
    for r in answers[:2]:  # over the route's size: refused by its Content-Length
        limit = BodyRule.batch(MAX_BATCH).limit
        assert small_refusal(r, 413) == [f"request body larger than {limit} bytes"]
    for r in answers[2:4]:
        assert small_refusal(r, 422) == [f"body: a list of more than {MAX_BATCH} items"]
    for r in answers[4:]:
        assert small_refusal(r, 422) == [f"body: a list of more than {MAX_EVENTS} items"]


async def test_object_of_thousands_of_members_422_small(
    http: httpx.AsyncClient, archer: ArcherCtx
) -> None:
    """An object with 5,000 unknown members (48 KB) is not validated member by member."""
    body = orjson.dumps({f"k{n}": 1 for n in range(5000)})
    r = await post_json(http, f"{API}/session", body, archer.token)
    assert small_refusal(r, 422) == [f"body: an object of more than {MAX_MEMBERS} members"]


async def test_deeply_nested_json_422_small(http: httpx.AsyncClient, archer: ArcherCtx) -> None:
    body = b'{"notes": ' + b"[" * 500 + b"]" * 500 + b"}"
    r = await post_json(http, f"{API}/session", body, archer.token)
    assert small_refusal(r, 422) == [f"body: nested more than {MAX_DEPTH} levels deep"]


async def test_many_problems_list_ten_and_how_many_more(
    http: httpx.AsyncClient, archer: ArcherCtx
) -> None:
    """A shot with 40 unknown fields: ten messages, then how many more there are."""
    shot = {f"unknown_{n}": n for n in range(40)}
    for body in (shot, [shot]):
        r = await post_json(http, f"{API}/shot", orjson.dumps(body), archer.token)
        errors = small_refusal(r, 422)
        assert len(errors) == 11
        more = errors[-1].split()
        assert more[0] == "…" and more[1] == "and" and more[3] == "more"
        assert int(more[2]) >= 40 + 2 - 10  # 40 unknown fields, 2 missing, 10 shown
