"""No writes from other origins, no answers to other Host names, typed bodies, full `Allow`.

Each attack of issue 11 is reproduced as a browser would send it: the login cookie comes along
on its own (same site: another port of this host), the attacker chooses the rest.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import orjson
import pytest
from fastapi import FastAPI

from arch_stats.app import create_app
from arch_stats.core.database import Connection
from arch_stats.core.guards import AllowedHosts, host_name, parse_origin
from arch_stats.core.settings import Settings
from tests.conftest import ArcherCtx
from tests.shots.test_shots import C, make_range, shot

API = "/api/v0"
OWN = "http://test"
EVIL_PORT = "http://test:9999"  # same site, another origin
ARROW = {"identifier": "A07", "spine": 600}


def cookie_from(archer: ArcherCtx, **headers: str) -> dict[str, str]:
    return {**archer.cookie_header, **headers}


async def arrows(client: httpx.AsyncClient, archer: ArcherCtx) -> list[object]:
    r = await client.get(f"{API}/arrow", headers=archer.headers)
    data: list[object] = r.json()["data"]
    return data


async def test_no_cors_blob_with_cookie_from_another_port_403_nothing_written(
    client: httpx.AsyncClient, archer: ArcherCtx
) -> None:
    # fetch(url, {mode: "no-cors", method: "POST", credentials: "include",
    #             body: new Blob([json])}): no Content-Type, the cookie, Origin of the page.
    r = await client.post(
        f"{API}/arrow",
        content=orjson.dumps(ARROW),
        headers=cookie_from(archer, Origin=EVIL_PORT, **{"Sec-Fetch-Site": "same-site"}),
    )
    assert r.status_code == 403
    assert r.json()["data"] is None and "cross-origin" in r.json()["errors"][0]
    assert await arrows(client, archer) == []


async def test_cookie_write_from_own_origin_201(
    client: httpx.AsyncClient, archer: ArcherCtx
) -> None:
    r = await client.post(f"{API}/arrow", json=ARROW, headers=cookie_from(archer, Origin=OWN))
    assert r.status_code == 201


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({"Sec-Fetch-Site": "same-origin"}, 201),
        ({"Sec-Fetch-Site": "none"}, 201),
        ({"Sec-Fetch-Site": "same-site"}, 403),
        ({"Sec-Fetch-Site": "cross-site"}, 403),
        ({}, 403),  # neither Origin nor Sec-Fetch-Site: not known to come from our pages
        ({"Origin": "null"}, 403),
        ({"Origin": "http://evil.example"}, 403),
        ({"Origin": "https://test"}, 403),  # another scheme is another origin
        ({"Origin": "http://test:80"}, 201),  # the default port spelt out
    ],
)
async def test_cookie_write_origin_rules(
    client: httpx.AsyncClient, archer: ArcherCtx, headers: dict[str, str], status: int
) -> None:
    r = await client.post(f"{API}/arrow", json=ARROW, headers=cookie_from(archer, **headers))
    assert r.status_code == status, r.text


async def test_cookie_close_session_from_another_port_403_still_open(
    client: httpx.AsyncClient, archer: ArcherCtx, db: Connection
) -> None:
    rng = await make_range(db, archer)
    r = await client.post(
        f"{API}/session/{rng.session_id}/close", headers=cookie_from(archer, Origin=EVIL_PORT)
    )
    assert r.status_code == 403
    r = await client.get(f"{API}/session/{rng.session_id}", headers=archer.headers)
    assert r.json()["data"]["is_open"] is True


async def test_bearer_requests_are_not_checked_for_origin(
    client: httpx.AsyncClient, archer: ArcherCtx
) -> None:
    r = await client.post(
        f"{API}/arrow", json=ARROW, headers={**archer.headers, "Origin": "http://evil.example"}
    )
    assert r.status_code == 201


async def test_cookie_reads_are_not_checked_for_origin(
    client: httpx.AsyncClient, archer: ArcherCtx
) -> None:
    r = await client.get(f"{API}/arrow", headers=cookie_from(archer, Origin=EVIL_PORT))
    assert r.status_code == 200


async def test_text_plain_form_to_import_refused_nothing_imported(
    client: httpx.AsyncClient, archer: ArcherCtx
) -> None:
    # <form method="post" enctype="text/plain" action=".../import/shots.csv"> on another port.
    form = "session_id,x=1\r\n"
    r = await client.post(
        f"{API}/import/shots.csv",
        content=form,
        headers=cookie_from(archer, Origin=EVIL_PORT, **{"Content-Type": "text/plain"}),
    )
    assert r.status_code == 403
    # The same body with a bearer token is still not a CSV.
    r = await client.post(
        f"{API}/import/shots.csv",
        content=form,
        headers={**archer.headers, "Content-Type": "text/plain"},
    )
    assert r.status_code == 415
    assert r.json()["errors"] == ["Content-Type must be text/csv (got text/plain)"]


@pytest.mark.parametrize("content_type", [None, "text/plain", "application/x-www-form-urlencoded"])
async def test_json_route_without_json_content_type_415(
    client: httpx.AsyncClient, archer: ArcherCtx, content_type: str | None
) -> None:
    headers = dict(archer.headers)
    if content_type:
        headers["Content-Type"] = content_type
    r = await client.post(f"{API}/arrow", content=orjson.dumps(ARROW), headers=headers)
    assert r.status_code == 415
    assert r.json() == {
        "code": 415,
        "data": None,
        "errors": [f"Content-Type must be application/json (got {content_type or 'none'})"],
    }
    assert await arrows(client, archer) == []


async def test_json_with_charset_parameter_accepted(
    client: httpx.AsyncClient, archer: ArcherCtx
) -> None:
    r = await client.post(
        f"{API}/arrow",
        content=orjson.dumps(ARROW),
        headers={**archer.headers, "Content-Type": "Application/JSON; charset=utf-8"},
    )
    assert r.status_code == 201


@pytest.fixture(scope="module")
async def cold_app(settings: Settings) -> AsyncIterator[FastAPI]:
    application = create_app(settings.model_copy(update={"hot_path": False}), access_log=False)
    async with application.router.lifespan_context(application):
        yield application


async def test_hot_path_and_fastapi_agree_on_415(
    client: httpx.AsyncClient, cold_app: FastAPI, archer: ArcherCtx, db: Connection
) -> None:
    rng = await make_range(db, archer)
    body = orjson.dumps([shot(rng, C, C)])
    transport = httpx.ASGITransport(app=cold_app, client=("127.0.0.1", 50002))
    async with httpx.AsyncClient(transport=transport, base_url=OWN) as cold:
        answers = []
        for c in (client, cold):
            r = await c.post(
                f"{API}/shot",
                content=body,
                headers={**archer.headers, "Content-Type": "text/plain"},
            )
            answers.append((r.status_code, r.json()))
    assert answers[0] == answers[1]
    assert answers[0][0] == 415
    r = await client.get(f"{API}/session/{rng.session_id}/shot", headers=archer.headers)
    assert r.json()["data"] == []


async def test_login_with_rebinding_host_400(client: httpx.AsyncClient, archer: ArcherCtx) -> None:
    r = await client.post(
        f"{API}/auth/login",
        json={"email": archer.email, "password": "correct horse battery"},
        headers={"Host": "rebind.attacker.example"},
    )
    assert r.status_code == 400
    assert r.json()["data"] is None
    assert "Host" in r.json()["errors"][0]
    assert "set-cookie" not in r.headers


async def test_login_with_own_host_and_ip_address_200(
    client: httpx.AsyncClient, archer: ArcherCtx
) -> None:
    for host in ("test", "localhost:8000", "192.0.2.7:8000", "[::1]:8000"):
        # The login cookie of the last round comes along: login does not read it.
        r = await client.post(
            f"{API}/auth/login",
            json={"email": archer.email, "password": "correct horse battery"},
            headers={"Host": host},
        )
        assert r.status_code == 200, (host, r.text)


def test_allowed_hosts_default_star_and_names() -> None:
    default = AllowedHosts.build([], bind_host="0.0.0.0")  # noqa: S104
    assert default.allows("localhost:8000") and default.allows("127.0.0.1")
    assert default.allows("10.0.0.5:8000")  # an address: rebinding needs a name
    assert not default.allows("rebind.attacker.example")
    named = AllowedHosts.build([], bind_host="archery.example.org")
    assert named.allows("Archery.Example.Org.:443") and not named.allows("example.org")
    assert AllowedHosts.build(["*"], bind_host="127.0.0.1").allows("anything.example")
    assert host_name("[::1]:8000") == "::1"
    assert parse_origin("http://Test:80") == ("http", "test", 80)
    assert parse_origin("null") is None


async def test_405_allow_lists_every_method_of_the_path(client: httpx.AsyncClient) -> None:
    r = await client.put(f"{API}/arrow")
    assert r.status_code == 405
    assert r.headers["allow"] == "GET, POST"
    assert r.json() == {"code": 405, "data": None, "errors": ["method not allowed"]}
    r = await client.put(f"{API}/session/00000000-0000-0000-0000-000000000000")
    assert r.headers["allow"] == "GET, PATCH, DELETE"


async def test_every_answer_says_nosniff(client: httpx.AsyncClient) -> None:
    r = await client.get("/api/health")
    assert r.headers["x-content-type-options"] == "nosniff"
