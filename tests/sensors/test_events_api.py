"""POST /api/v0/sensor/event: device tokens, ownership, validation, retries, all or nothing."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from arch_stats.core.database import Connection
from arch_stats.core.migrations import connect
from tests.assembler.helpers import Range, add_target, make_range
from tests.conftest import ArcherCtx

URL = "/api/v0/sensor/event"
TS = "2026-05-01T10:00:00.123456Z"
MISSING = "00000000-0000-4000-8000-000000000000"


async def device_token(client: httpx.AsyncClient, who: ArcherCtx) -> dict[str, str]:
    r = await client.post("/api/v0/auth/token", json={"name": "bow"}, headers=who.headers)
    assert r.status_code == 201, r.text
    return {"Authorization": f"Bearer {r.json()['data']['token']}"}


@pytest.fixture
async def rng(db: Connection, archer: ArcherCtx) -> Range:
    return await make_range(db, archer.id)


@pytest.fixture
async def device(client: httpx.AsyncClient, archer: ArcherCtx) -> dict[str, str]:
    return await device_token(client, archer)


def event(kind: str = "arrow_engaged", ts: str = TS, **extra: Any) -> dict[str, Any]:
    return {"device": "bow-1", "kind": kind, "sensor_ts": ts, **extra}


def landed(r: Range, **extra: Any) -> dict[str, Any]:
    return event("arrow_landed", session_id=str(r.session_id), x_mm=650.5, y_mm=640.0, **extra)


async def stored(db: Connection) -> list[dict[str, Any]]:
    rows = await db.fetch(
        "SELECT archer_id, session_id, device, kind, arrow_id, target_id, x_mm, y_mm "
        "FROM sensor_event ORDER BY id"
    )
    return [dict(r) for r in rows]


async def test_post_one_event_201(
    client: httpx.AsyncClient, db: Connection, rng: Range, device: dict[str, str]
) -> None:
    resp = await client.post(URL, json=landed(rng, target_id=str(rng.target_id)), headers=device)
    assert resp.status_code == 201, resp.text
    assert resp.json() == {"code": 201, "data": {"stored": 1, "duplicates": 0}, "errors": []}
    [row] = await stored(db)
    assert row == {
        "archer_id": rng.archer_id,
        "session_id": rng.session_id,
        "device": "bow-1",
        "kind": "arrow_landed",
        "arrow_id": None,
        "target_id": rng.target_id,
        "x_mm": 650.5,
        "y_mm": 640.0,
    }


async def test_post_list_then_retry_counts_duplicates_201(
    client: httpx.AsyncClient, db: Connection, rng: Range, device: dict[str, str]
) -> None:
    body = [
        event("arrow_identified", "2026-05-01T10:00:00Z", arrow_id=str(rng.arrows["A01"])),
        event("arrow_engaged", "2026-05-01T10:00:00.5Z"),
        event("arrow_released", "2026-05-01T10:00:02.5Z"),
        landed(rng, sensor_ts="2026-05-01T10:00:03.7Z"),
    ]
    first = await client.post(URL, json=body, headers=device)
    assert first.status_code == 201, first.text
    assert first.json()["data"] == {"stored": 4, "duplicates": 0}
    again = await client.post(URL, json=[*body, event(ts="2026-05-01T10:00:09Z")], headers=device)
    assert again.status_code == 201
    assert again.json()["data"] == {"stored": 1, "duplicates": 4}
    assert len(await stored(db)) == 5


async def test_event_without_session_goes_to_open_session_201(
    client: httpx.AsyncClient, db: Connection, rng: Range, device: dict[str, str]
) -> None:
    resp = await client.post(URL, json=event(), headers=device)
    assert resp.status_code == 201
    assert [r["session_id"] for r in await stored(db)] == [rng.session_id]


async def test_event_without_session_and_none_open_400(
    client: httpx.AsyncClient, db: Connection, rng: Range, device: dict[str, str]
) -> None:
    await db.execute("UPDATE session SET is_open = false, end_time = now() + interval '1 s'")
    resp = await client.post(URL, json=event(), headers=device)
    assert resp.status_code == 400
    assert "no open session" in resp.json()["errors"][0]


async def test_event_for_closed_session_by_id_is_kept_201(
    client: httpx.AsyncClient, db: Connection, rng: Range, device: dict[str, str]
) -> None:
    await db.execute("UPDATE session SET is_open = false, end_time = now() + interval '1 s'")
    resp = await client.post(URL, json=event(session_id=str(rng.session_id)), headers=device)
    assert resp.status_code == 201


async def test_other_archers_session_404(
    client: httpx.AsyncClient,
    db: Connection,
    rng: Range,
    other: ArcherCtx,
) -> None:
    theirs = await device_token(client, other)
    resp = await client.post(URL, json=event(session_id=str(rng.session_id)), headers=theirs)
    assert resp.status_code == 404
    resp = await client.post(URL, json=event(session_id=MISSING), headers=theirs)
    assert resp.status_code == 404
    assert await stored(db) == []


async def test_other_archers_arrow_or_target_404(
    client: httpx.AsyncClient,
    db: Connection,
    rng: Range,
    other: ArcherCtx,
    device: dict[str, str],
) -> None:
    theirs = await make_range(db, other.id)
    bad_arrow = event("arrow_identified", arrow_id=str(theirs.arrows["A01"]))
    assert (await client.post(URL, json=bad_arrow, headers=device)).status_code == 404
    bad_target = landed(rng, target_id=str(theirs.target_id))
    assert (await client.post(URL, json=bad_target, headers=device)).status_code == 404
    assert await stored(db) == []


async def test_target_of_another_of_my_sessions_404(
    client: httpx.AsyncClient, db: Connection, rng: Range, device: dict[str, str]
) -> None:
    await db.execute("UPDATE session SET is_open = false, end_time = now() + interval '1 s'")
    second = await make_range(db, rng.archer_id, arrows={"B01": 5.5})
    body = landed(second, target_id=str(rng.target_id))
    assert (await client.post(URL, json=body, headers=device)).status_code == 404
    other_target = await add_target(db, rng.archer_id, second.session_id)
    ok = landed(second, target_id=str(other_target))
    assert (await client.post(URL, json=ok, headers=device)).status_code == 201


async def test_one_bad_event_stores_nothing_404(
    client: httpx.AsyncClient, db: Connection, rng: Range, device: dict[str, str]
) -> None:
    body = [event(), event("arrow_identified", "2026-05-01T10:00:01Z", arrow_id=MISSING)]
    resp = await client.post(URL, json=body, headers=device)
    assert resp.status_code == 404
    assert await stored(db) == []


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (event("arrow_landed"), "arrow_landed needs x_mm and y_mm"),
        (event("arrow_landed", x_mm=1.0), "arrow_landed needs x_mm and y_mm"),
        (event(x_mm=1.0, y_mm=2.0), "has no x_mm or y_mm"),
        (event("arrow_identified"), "arrow_identified needs arrow_id"),
        (event(ts="2026-05-01T10:00:00"), "needs a timezone"),
        (event(kind="arrow_dropped"), "kind"),
        (event(device=""), "device"),
        (event(colour="red"), "colour: unknown field"),
        (event("arrow_landed", x_mm=float("1e9"), y_mm=0.0), "x_mm"),
        ([], "an empty list"),
        ([event(ts=f"2026-05-01T10:{i // 60:02d}:{i % 60:02d}Z") for i in range(1001)], "1000"),
        ("not an object", "event: Input should be a valid dictionary"),
        ([event(), event(kind="arrow_dropped")], "events.1.kind"),
    ],
)
async def test_invalid_events_422(
    client: httpx.AsyncClient,
    db: Connection,
    rng: Range,
    device: dict[str, str],
    body: Any,
    message: str,
) -> None:
    resp = await client.post(URL, json=body, headers=device)
    assert resp.status_code == 422, resp.text
    assert message in " ".join(resp.json()["errors"])
    assert await stored(db) == []


async def test_missing_or_login_token_401(
    client: httpx.AsyncClient, rng: Range, archer: ArcherCtx
) -> None:
    assert (await client.post(URL, json=event())).status_code == 401
    assert (await client.post(URL, json=event(), headers=archer.headers)).status_code == 401
    # From the app's own pages (else the origin check answers 403 first).
    same_origin = {**archer.cookie_header, "Origin": "http://test"}
    cookie = await client.post(URL, json=event(), headers=same_origin)
    assert cookie.status_code == 401
    basic = {"Authorization": "Basic dXNlcjpwYXNz"}
    assert (await client.post(URL, json=event(), headers=basic)).status_code == 401


async def test_revoked_device_token_401(
    client: httpx.AsyncClient, rng: Range, archer: ArcherCtx, device: dict[str, str]
) -> None:
    listed = await client.get("/api/v0/auth/token", headers=archer.headers)
    token_id = listed.json()["data"][0]["id"]
    revoked = await client.delete(f"/api/v0/auth/token/{token_id}", headers=archer.headers)
    assert revoked.status_code == 200
    assert (await client.post(URL, json=event(), headers=device)).status_code == 401


async def test_device_token_refused_on_archer_routes_401(
    client: httpx.AsyncClient, rng: Range, device: dict[str, str]
) -> None:
    assert (await client.get("/api/v0/session", headers=device)).status_code == 401


async def test_stored_events_notify_the_assembler_channel(
    client: httpx.AsyncClient, rng: Range, device: dict[str, str], migrated: str
) -> None:
    listener = await connect(migrated)
    got: asyncio.Queue[str] = asyncio.Queue()
    try:
        await listener.add_listener("arch_stats_sensor", lambda *a: got.put_nowait(a[2]))
        body = [event(ts=f"2026-05-01T10:00:0{i}Z") for i in range(3)]
        assert (await client.post(URL, json=body, headers=device)).status_code == 201
        assert await asyncio.wait_for(got.get(), 5) == "arch_stats_sensor"
        await asyncio.sleep(0.1)
        assert got.empty()  # one notification per statement, not per event
    finally:
        await listener.close()
