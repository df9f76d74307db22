from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import httpx
import pytest

from arch_stats.core.database import Connection
from tests.conftest import ArcherCtx
from tests.sessions.helpers import API, MISSING_ID, add_shot, add_target, open_session


async def _close(client: httpx.AsyncClient, who: ArcherCtx, session_id: str) -> dict[str, Any]:
    r = await client.post(f"{API}/session/{session_id}/close", headers=who.headers)
    assert r.status_code == 200, r.text
    data: dict[str, Any] = r.json()["data"]
    return data


def _ago(days: int) -> str:
    return (datetime.now(UTC) - timedelta(days=days)).isoformat()


# --- create ---------------------------------------------------------------------------


async def test_create_session_201_with_defaults(
    client: httpx.AsyncClient, archer: ArcherCtx
) -> None:
    r = await client.post(f"{API}/session", json={"distance_m": 18}, headers=archer.headers)
    assert r.status_code == 201
    data = r.json()["data"]
    assert data["is_open"] is True
    assert data["end_time"] is None
    assert data["location"] == ""
    assert data["is_indoor"] is False
    assert data["round_code"] is None
    assert data["arrows_per_end"] == 6
    assert data["landing_window_ms"] == 3000
    assert (data["shot_count"], data["total_score"], data["target_count"]) == (0, 0, 0)
    started = datetime.fromisoformat(data["start_time"])
    assert abs((datetime.now(UTC) - started).total_seconds()) < 60


@pytest.mark.parametrize(
    ("fields", "indoor", "per_end", "code"),
    [
        ({"round_code": "wa18"}, True, 3, "wa18"),
        ({"round_code": "WA720_70"}, False, 6, "wa720_70"),
        ({"round_code": "worcester"}, True, 5, "worcester"),
        ({"round_code": "wa18", "arrows_per_end": 6, "is_indoor": False}, False, 6, "wa18"),
    ],
)
async def test_create_session_with_round_201(
    client: httpx.AsyncClient,
    archer: ArcherCtx,
    fields: dict[str, Any],
    indoor: bool,
    per_end: int,
    code: str,
) -> None:
    data = await open_session(client, archer, **fields)
    assert data["round_code"] == code
    assert data["is_indoor"] is indoor
    assert data["arrows_per_end"] == per_end


async def test_create_session_unknown_round_422(
    client: httpx.AsyncClient, archer: ArcherCtx
) -> None:
    r = await client.post(
        f"{API}/session", json={"distance_m": 70, "round_code": "wa9999"}, headers=archer.headers
    )
    assert r.status_code == 422
    assert r.json()["errors"][0].startswith("round_code: unknown round 'wa9999'")


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"distance_m": 0},
        {"distance_m": 70, "arrows_per_end": 0},
        {"distance_m": 70, "landing_window_ms": 50},
        {"distance_m": 70, "location": None},
        {"distance_m": 70, "location": "a\u0000b"},
        {"distance_m": 70, "start_time": "2026-01-01T10:00:00"},
        {"distance_m": 70, "start_time": 0},
        {"distance_m": 70, "start_time": "1700000000"},
        {"distance_m": 70, "start_time": "0001-01-01T00:00:00+01:00"},
        {"distance_m": "70"},
        {"distance_m": 70, "is_indoor": 1},
        {"distance_m": 70, "arrows_per_end": "6"},
        {"distance_m": 70, "round_code": "wa 18"},
        {"distance_m": 70, "colour": "red"},
    ],
)
async def test_create_session_invalid_422(
    client: httpx.AsyncClient, archer: ArcherCtx, body: dict[str, Any]
) -> None:
    r = await client.post(f"{API}/session", json=body, headers=archer.headers)
    assert r.status_code == 422
    assert r.json()["data"] is None


async def test_create_session_without_login_401(client: httpx.AsyncClient) -> None:
    r = await client.post(f"{API}/session", json={"distance_m": 70})
    assert r.status_code == 401


async def test_create_second_open_session_409(
    client: httpx.AsyncClient, archer: ArcherCtx, other: ArcherCtx
) -> None:
    await open_session(client, archer)
    r = await client.post(f"{API}/session", json={"distance_m": 18}, headers=archer.headers)
    assert r.status_code == 409
    assert "already open" in r.json()["errors"][0]
    await open_session(client, other)  # one open session per archer, not per server


# --- read -----------------------------------------------------------------------------


async def test_get_session_with_counts_200(
    client: httpx.AsyncClient, db: Connection, archer: ArcherCtx
) -> None:
    session = await open_session(client, archer)
    target = await add_target(client, archer, session["id"])
    await add_target(client, archer, session["id"])
    for score in (10, 9, 0):
        await add_shot(
            db, archer_id=archer.id, session_id=session["id"], target_id=target["id"], score=score
        )
    r = await client.get(f"{API}/session/{session['id']}", headers=archer.headers)
    assert r.status_code == 200
    data = r.json()["data"]
    assert (data["shot_count"], data["total_score"], data["target_count"]) == (3, 19, 2)
    assert {
        k: v
        for k, v in data.items()
        if k not in ("shot_count", "total_score", "target_count", "updated_at")
    } == {
        k: v
        for k, v in session.items()
        if k not in ("shot_count", "total_score", "target_count", "updated_at")
    }


async def test_session_totals_follow_shot_changes(
    client: httpx.AsyncClient, db: Connection, archer: ArcherCtx
) -> None:
    first = await open_session(client, archer, start_time=_ago(1))
    t1 = await add_target(client, archer, first["id"])
    for score in (10, 9, 8):
        await add_shot(
            db, archer_id=archer.id, session_id=first["id"], target_id=t1["id"], score=score
        )
    await _close(client, archer, first["id"])
    second = await open_session(client, archer)
    t2 = await add_target(client, archer, second["id"])
    await add_shot(db, archer_id=archer.id, session_id=second["id"], target_id=t2["id"], score=5)

    async def totals(session_id: str) -> tuple[int, int]:
        r = await client.get(f"{API}/session/{session_id}", headers=archer.headers)
        data = r.json()["data"]
        return data["shot_count"], data["total_score"]

    assert await totals(first["id"]) == (3, 27)
    await db.execute(
        "UPDATE shot SET score = 0, x_mm = NULL, y_mm = NULL, dx_mm = NULL, "
        "dy_mm = NULL, face_index = NULL, spot_index = NULL WHERE score = 10"
    )
    assert await totals(first["id"]) == (3, 17)
    await db.execute("UPDATE shot SET arrow_id = NULL")  # no score change: nothing to do
    assert await totals(first["id"]) == (3, 17)
    await db.execute("DELETE FROM shot WHERE score = 8")
    assert await totals(first["id"]) == (2, 9)
    await db.execute(
        "UPDATE shot SET session_id = $1, target_id = $2, seq = seq + 100 WHERE score = 9",
        UUID(second["id"]),
        UUID(t2["id"]),
    )
    assert await totals(first["id"]) == (1, 0)
    assert await totals(second["id"]) == (2, 14)


async def test_get_other_archers_session_404(
    client: httpx.AsyncClient, archer: ArcherCtx, other: ArcherCtx
) -> None:
    session = await open_session(client, other)
    for session_id in (session["id"], MISSING_ID):
        r = await client.get(f"{API}/session/{session_id}", headers=archer.headers)
        assert r.status_code == 404
        assert r.json() == {
            "code": 404,
            "data": None,
            "errors": [f"session {session_id} not found"],
        }


async def test_get_session_malformed_id_404(client: httpx.AsyncClient, archer: ArcherCtx) -> None:
    r = await client.get(f"{API}/session/123", headers=archer.headers)
    assert r.status_code == 404


async def test_patch_open_session_path_405(client: httpx.AsyncClient, archer: ArcherCtx) -> None:
    r = await client.patch(f"{API}/session/open", json={}, headers=archer.headers)
    assert r.status_code == 405


async def test_get_session_without_login_401(client: httpx.AsyncClient) -> None:
    r = await client.get(f"{API}/session/{MISSING_ID}")
    assert r.status_code == 401


async def test_get_open_session_200_then_404(
    client: httpx.AsyncClient, archer: ArcherCtx, other: ArcherCtx
) -> None:
    r = await client.get(f"{API}/session/open", headers=archer.headers)
    assert r.status_code == 404
    assert r.json()["errors"] == ["no open session"]
    await open_session(client, other)
    session = await open_session(client, archer)
    r = await client.get(f"{API}/session/open", headers=archer.headers)
    assert r.status_code == 200
    assert r.json()["data"]["id"] == session["id"]


async def test_list_sessions_newest_first_with_counts(
    client: httpx.AsyncClient, db: Connection, archer: ArcherCtx, other: ArcherCtx
) -> None:
    old = await open_session(client, archer, start_time=_ago(3), location="Old Field")
    target = await add_target(client, archer, old["id"])
    await add_shot(db, archer_id=archer.id, session_id=old["id"], target_id=target["id"], score=8)
    await _close(client, archer, old["id"])
    new = await open_session(client, archer, start_time=_ago(1))
    await open_session(client, other)

    r = await client.get(f"{API}/session", headers=archer.headers)
    assert r.status_code == 200
    data = r.json()["data"]
    assert [s["id"] for s in data] == [new["id"], old["id"]]
    assert (data[1]["shot_count"], data[1]["total_score"], data[1]["target_count"]) == (1, 8, 1)
    assert data[1]["is_open"] is False


async def test_list_sessions_filters(client: httpx.AsyncClient, archer: ArcherCtx) -> None:
    a = await open_session(
        client, archer, start_time=_ago(10), location="Club Field", round_code="wa720_70"
    )
    await _close(client, archer, a["id"])
    b = await open_session(
        client, archer, start_time=_ago(5), location="Hall", distance_m=18, is_indoor=True
    )
    await _close(client, archer, b["id"])
    c = await open_session(client, archer, start_time=_ago(0), location="field B")

    async def ids(query: str) -> list[str]:
        r = await client.get(f"{API}/session?{query}", headers=archer.headers)
        assert r.status_code == 200, r.text
        return [s["id"] for s in r.json()["data"]]

    assert await ids("is_open=true") == [c["id"]]
    assert await ids("is_open=false") == [b["id"], a["id"]]
    assert await ids("is_indoor=true") == [b["id"]]
    assert await ids("distance_m=18") == [b["id"]]
    assert await ids("round_code=WA720_70") == [a["id"]]
    assert await ids("location=FIELD") == [c["id"], a["id"]]
    assert await ids("location=%25") == []  # no wildcard: a literal percent sign
    day = (datetime.now(UTC) - timedelta(days=5)).date().isoformat()
    assert await ids(f"start_from={day}&start_to={day}") == [b["id"]]
    assert await ids(f"start_from={day}") == [c["id"], b["id"]]
    assert await ids("limit=2") == [c["id"], b["id"]]
    assert await ids("limit=2&offset=2") == [a["id"]]
    assert await ids("offset=3") == []


@pytest.mark.parametrize(
    "query",
    ["limit=0", "limit=201", "offset=-1", "start_from=yesterday", "is_open=perhaps", "colour=red"],
)
async def test_list_sessions_bad_query_422(
    client: httpx.AsyncClient, archer: ArcherCtx, query: str
) -> None:
    r = await client.get(f"{API}/session?{query}", headers=archer.headers)
    assert r.status_code == 422


async def test_list_sessions_without_login_401(client: httpx.AsyncClient) -> None:
    r = await client.get(f"{API}/session")
    assert r.status_code == 401


# --- change ---------------------------------------------------------------------------


async def test_patch_session_200(client: httpx.AsyncClient, archer: ArcherCtx) -> None:
    session = await open_session(client, archer, round_code="wa720_70")
    r = await client.patch(
        f"{API}/session/{session['id']}",
        json={"location": "Hall", "notes": "windy", "round_code": None, "arrows_per_end": 3},
        headers=archer.headers,
    )
    assert r.status_code == 200
    data = r.json()["data"]
    assert (data["location"], data["notes"], data["round_code"], data["arrows_per_end"]) == (
        "Hall",
        "windy",
        None,
        3,
    )
    assert data["distance_m"] == session["distance_m"]


async def test_patch_session_round_code_normalised(
    client: httpx.AsyncClient, archer: ArcherCtx
) -> None:
    session = await open_session(client, archer)
    r = await client.patch(
        f"{API}/session/{session['id']}", json={"round_code": "WA18"}, headers=archer.headers
    )
    assert r.json()["data"]["round_code"] == "wa18"


@pytest.mark.parametrize(
    "body",
    [
        {"colour": "red"},
        {"location": None},
        {"distance_m": None},
        {"distance_m": -1},
        {"round_code": "no_such_round"},
        {"start_time": None},
    ],
)
async def test_patch_session_invalid_422(
    client: httpx.AsyncClient, archer: ArcherCtx, body: dict[str, Any]
) -> None:
    session = await open_session(client, archer)
    r = await client.patch(f"{API}/session/{session['id']}", json=body, headers=archer.headers)
    assert r.status_code == 422


async def test_patch_closed_session_start_after_end_400(
    client: httpx.AsyncClient, archer: ArcherCtx
) -> None:
    session = await open_session(client, archer, start_time=_ago(1))
    await _close(client, archer, session["id"])
    r = await client.patch(
        f"{API}/session/{session['id']}", json={"start_time": _ago(-1)}, headers=archer.headers
    )
    assert r.status_code == 400
    assert "start_time" in r.json()["errors"][0]


@pytest.mark.parametrize(
    ("method", "suffix"),
    [("PATCH", ""), ("DELETE", ""), ("POST", "/close"), ("POST", "/reopen")],
)
async def test_other_archers_session_404(
    client: httpx.AsyncClient, archer: ArcherCtx, other: ArcherCtx, method: str, suffix: str
) -> None:
    session = await open_session(client, other)
    body = {"notes": "mine"} if method == "PATCH" else None
    for session_id in (session["id"], MISSING_ID):
        r = await client.request(
            method, f"{API}/session/{session_id}{suffix}", json=body, headers=archer.headers
        )
        assert r.status_code == 404
    r = await client.get(f"{API}/session/{session['id']}", headers=other.headers)
    assert r.json()["data"]["notes"] == ""
    assert r.json()["data"]["is_open"] is True


@pytest.mark.parametrize(
    ("method", "suffix"),
    [("PATCH", ""), ("DELETE", ""), ("POST", "/close"), ("POST", "/reopen")],
)
async def test_change_session_without_login_401(
    client: httpx.AsyncClient, method: str, suffix: str
) -> None:
    body = {"notes": "x"} if method == "PATCH" else None
    r = await client.request(method, f"{API}/session/{MISSING_ID}{suffix}", json=body)
    assert r.status_code == 401


async def test_delete_session_with_targets_and_shots_200(
    client: httpx.AsyncClient, db: Connection, archer: ArcherCtx
) -> None:
    session = await open_session(client, archer)
    target = await add_target(client, archer, session["id"])
    await add_shot(db, archer_id=archer.id, session_id=session["id"], target_id=target["id"])
    r = await client.delete(f"{API}/session/{session['id']}", headers=archer.headers)
    assert r.status_code == 200
    assert r.json()["data"]["shot_count"] == 1
    r = await client.get(f"{API}/session/{session['id']}", headers=archer.headers)
    assert r.status_code == 404
    assert await db.fetchval("SELECT count(*) FROM target") == 0
    assert await db.fetchval("SELECT count(*) FROM shot") == 0


# --- close and reopen -----------------------------------------------------------------


async def test_close_session_200_then_again_400(
    client: httpx.AsyncClient, archer: ArcherCtx
) -> None:
    session = await open_session(client, archer, start_time=_ago(1))
    data = await _close(client, archer, session["id"])
    assert data["is_open"] is False
    assert datetime.fromisoformat(data["end_time"]) > datetime.fromisoformat(data["start_time"])
    r = await client.post(f"{API}/session/{session['id']}/close", headers=archer.headers)
    assert r.status_code == 400
    assert r.json()["errors"] == ["session is already closed"]
    # Closed, so another one may be opened.
    await open_session(client, archer)


async def test_close_session_starting_in_future_400(
    client: httpx.AsyncClient, archer: ArcherCtx
) -> None:
    session = await open_session(client, archer, start_time=_ago(-2))
    r = await client.post(f"{API}/session/{session['id']}/close", headers=archer.headers)
    assert r.status_code == 400
    assert "future" in r.json()["errors"][0]


async def test_reopen_session_200_then_again_400(
    client: httpx.AsyncClient, archer: ArcherCtx
) -> None:
    session = await open_session(client, archer, start_time=_ago(1))
    await _close(client, archer, session["id"])
    r = await client.post(f"{API}/session/{session['id']}/reopen", headers=archer.headers)
    assert r.status_code == 200
    assert r.json()["data"]["is_open"] is True
    assert r.json()["data"]["end_time"] is None
    r = await client.post(f"{API}/session/{session['id']}/reopen", headers=archer.headers)
    assert r.status_code == 400
    assert r.json()["errors"] == ["session is already open"]


async def test_reopen_session_while_another_open_409(
    client: httpx.AsyncClient, archer: ArcherCtx
) -> None:
    first = await open_session(client, archer, start_time=_ago(1))
    await _close(client, archer, first["id"])
    await open_session(client, archer)
    r = await client.post(f"{API}/session/{first['id']}/reopen", headers=archer.headers)
    assert r.status_code == 409
