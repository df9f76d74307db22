from __future__ import annotations

import httpx


async def test_health_alive_200(client: httpx.AsyncClient) -> None:
    r = await client.get("/api/health")
    assert r.status_code == 200
    assert r.json() == {"code": 200, "data": {"status": "ok"}, "errors": []}


async def test_ready_with_current_migrations_200(client: httpx.AsyncClient) -> None:
    r = await client.get("/api/ready")
    assert r.status_code == 200
    assert r.json()["data"]["migrations"] == "current"


async def test_unknown_route_404_envelope(client: httpx.AsyncClient) -> None:
    r = await client.get("/api/v0/nowhere")
    assert r.status_code == 404
    assert r.json() == {"code": 404, "data": None, "errors": ["no such route"]}


async def test_request_id_echoed(client: httpx.AsyncClient) -> None:
    r = await client.get("/api/health", headers={"X-Request-ID": "abc-123"})
    assert r.headers["x-request-id"] == "abc-123"
    r = await client.get("/api/health")
    assert len(r.headers["x-request-id"]) == 32
