from __future__ import annotations

from typing import Any, get_args

import httpx
import pytest

from arch_stats.core.database import Connection
from arch_stats.faces.catalog import FACES
from arch_stats.targets.schemas import FaceType
from tests.conftest import ArcherCtx, MakeArcher
from tests.sessions.helpers import API, MISSING_ID, add_shot, add_target, open_session

TRIPLE = [
    {"face_type": "wa_40_triple_vertical", "center_x_mm": 200, "center_y_mm": 600},
    {"face_type": "wa_40_triple_vertical", "center_x_mm": 600, "center_y_mm": 600},
]


async def _target_with_shot(
    client: httpx.AsyncClient, db: Connection, who: ArcherCtx
) -> dict[str, Any]:
    session = await open_session(client, who)
    target = await add_target(client, who, session["id"])
    await add_shot(db, archer_id=who.id, session_id=session["id"], target_id=target["id"])
    return target


def test_face_types_are_the_catalogue() -> None:
    assert set(get_args(FaceType)) == set(FACES)
    assert {
        "wa_122",
        "wa_80",
        "wa_60",
        "wa_40",
        "wa_80_6ring",
        "wa_122_6ring",
        "wa_40_triple_vertical",
        "wa_40_triple_triangular",
        "wa_field_80",
        "wa_field_60",
        "wa_field_40",
        "wa_field_20",
    } <= set(FACES)


# --- create ---------------------------------------------------------------------------


async def test_create_target_201_defaults_from_session(
    client: httpx.AsyncClient, archer: ArcherCtx
) -> None:
    session = await open_session(client, archer, distance_m=18)
    r = await client.post(
        f"{API}/session/{session['id']}/target",
        json={"lane": 4, "view_width_mm": 800, "view_height_mm": 1200, "faces": TRIPLE},
        headers=archer.headers,
    )
    assert r.status_code == 201
    data = r.json()["data"]
    assert data["session_id"] == session["id"]
    assert data["lane"] == 4
    assert data["distance_m"] == 18
    assert data["compound_scoring"] is False
    assert data["has_shots"] is False
    assert data["faces"] == [
        {"face_index": i, **{k: f[k] for k in ("face_type", "center_x_mm", "center_y_mm")}}
        for i, f in enumerate(TRIPLE)
    ]
    r = await client.get(f"{API}/session/{session['id']}", headers=archer.headers)
    assert r.json()["data"]["target_count"] == 1


async def test_create_target_compound_archer_defaults_compound_scoring(
    client: httpx.AsyncClient, make_archer: MakeArcher
) -> None:
    compound = await make_archer("Carol", bowstyle="compound")
    session = await open_session(client, compound)
    assert (await add_target(client, compound, session["id"]))["compound_scoring"] is True
    target = await add_target(
        client, compound, session["id"], compound_scoring=False, distance_m=50
    )
    assert target["compound_scoring"] is False
    assert target["distance_m"] == 50


async def test_create_target_on_closed_session_201(
    client: httpx.AsyncClient, archer: ArcherCtx
) -> None:
    session = await open_session(client, archer, start_time="2024-05-01T10:00:00Z")
    r = await client.post(f"{API}/session/{session['id']}/close", headers=archer.headers)
    assert r.status_code == 200
    await add_target(client, archer, session["id"])


async def test_create_target_face_outside_view_422(
    client: httpx.AsyncClient, archer: ArcherCtx
) -> None:
    session = await open_session(client, archer)
    r = await client.post(
        f"{API}/session/{session['id']}/target",
        json={"view_width_mm": 500, "view_height_mm": 500, "faces": TRIPLE},
        headers=archer.headers,
    )
    assert r.status_code == 422
    assert r.json()["errors"] == [
        "faces.0: centre (200, 600) mm lies outside the view (0–500 × 0–500 mm)",
        "faces.1: centre (600, 600) mm lies outside the view (0–500 × 0–500 mm)",
    ]


@pytest.mark.parametrize(
    "change",
    [
        {"faces": []},
        {"faces": [TRIPLE[0]] * 13},
        {"faces": [{"face_type": "wa_99", "center_x_mm": 1, "center_y_mm": 1}]},
        {"faces": [{"face_type": "wa_40", "center_x_mm": 1}]},
        {"faces": [{"face_type": "wa_40", "center_x_mm": 1, "center_y_mm": 1, "spin": 1}]},
        {"view_width_mm": 0},
        {"lane": -1},
        {"lane": "3"},
        {"compound_scoring": 1},
        {"view_height_mm": "1000"},
        {"distance_m": None},
        {"colour": "red"},
    ],
)
async def test_create_target_invalid_422(
    client: httpx.AsyncClient, archer: ArcherCtx, change: dict[str, Any]
) -> None:
    session = await open_session(client, archer)
    body = {"view_width_mm": 1000, "view_height_mm": 1000, "faces": TRIPLE, **change}
    r = await client.post(
        f"{API}/session/{session['id']}/target", json=body, headers=archer.headers
    )
    assert r.status_code == 422


async def test_create_target_on_other_archers_session_404(
    client: httpx.AsyncClient, db: Connection, archer: ArcherCtx, other: ArcherCtx
) -> None:
    session = await open_session(client, other)
    body = {"view_width_mm": 1000, "view_height_mm": 1000, "faces": TRIPLE}
    for session_id in (session["id"], MISSING_ID):
        r = await client.post(
            f"{API}/session/{session_id}/target", json=body, headers=archer.headers
        )
        assert r.status_code == 404
        assert r.json()["errors"] == [f"session {session_id} not found"]
    assert await db.fetchval("SELECT count(*) FROM target") == 0


async def test_create_target_without_login_401(client: httpx.AsyncClient) -> None:
    r = await client.post(f"{API}/session/{MISSING_ID}/target", json={})
    assert r.status_code == 401


# --- read -----------------------------------------------------------------------------


async def test_list_targets_in_order_200(client: httpx.AsyncClient, archer: ArcherCtx) -> None:
    session = await open_session(client, archer)
    first = await add_target(client, archer, session["id"], lane=1)
    second = await add_target(
        client, archer, session["id"], lane=2, view_width_mm=800, faces=TRIPLE
    )
    r = await client.get(f"{API}/session/{session['id']}/target", headers=archer.headers)
    assert r.status_code == 200
    assert r.json()["data"] == [first, second]


async def test_list_targets_empty_session_200(client: httpx.AsyncClient, archer: ArcherCtx) -> None:
    session = await open_session(client, archer)
    r = await client.get(f"{API}/session/{session['id']}/target", headers=archer.headers)
    assert r.json() == {"code": 200, "data": [], "errors": []}


async def test_list_targets_other_archers_session_404(
    client: httpx.AsyncClient, archer: ArcherCtx, other: ArcherCtx
) -> None:
    session = await open_session(client, other)
    await add_target(client, other, session["id"])
    r = await client.get(f"{API}/session/{session['id']}/target", headers=archer.headers)
    assert r.status_code == 404


async def test_get_target_200_has_shots(
    client: httpx.AsyncClient, db: Connection, archer: ArcherCtx
) -> None:
    target = await _target_with_shot(client, db, archer)
    r = await client.get(f"{API}/target/{target['id']}", headers=archer.headers)
    assert r.status_code == 200
    assert r.json()["data"] == {**target, "has_shots": True}


@pytest.mark.parametrize("method", ["GET", "PATCH", "DELETE"])
async def test_other_archers_target_404(
    client: httpx.AsyncClient, archer: ArcherCtx, other: ArcherCtx, method: str
) -> None:
    session = await open_session(client, other)
    target = await add_target(client, other, session["id"])
    body = {"lane": 9} if method == "PATCH" else None
    for target_id in (target["id"], MISSING_ID):
        r = await client.request(
            method, f"{API}/target/{target_id}", json=body, headers=archer.headers
        )
        assert r.status_code == 404
        assert r.json()["errors"] == [f"target {target_id} not found"]
    r = await client.get(f"{API}/target/{target['id']}", headers=other.headers)
    assert r.json()["data"] == target


@pytest.mark.parametrize("method", ["GET", "PATCH", "DELETE"])
async def test_target_without_login_401(client: httpx.AsyncClient, method: str) -> None:
    body = {"lane": 9} if method == "PATCH" else None
    r = await client.request(method, f"{API}/target/{MISSING_ID}", json=body)
    assert r.status_code == 401


# --- change ---------------------------------------------------------------------------


async def test_patch_target_fields_and_faces_200(
    client: httpx.AsyncClient, archer: ArcherCtx
) -> None:
    session = await open_session(client, archer)
    target = await add_target(client, archer, session["id"], lane=3)
    r = await client.patch(
        f"{API}/target/{target['id']}",
        json={"lane": None, "view_width_mm": 800, "faces": TRIPLE, "compound_scoring": True},
        headers=archer.headers,
    )
    assert r.status_code == 200
    data = r.json()["data"]
    assert data["lane"] is None
    assert data["view_width_mm"] == 800
    assert data["view_height_mm"] == 1300
    assert data["compound_scoring"] is True
    assert [f["center_x_mm"] for f in data["faces"]] == [200, 600]
    assert [f["face_index"] for f in data["faces"]] == [0, 1]


async def test_patch_target_view_leaving_faces_outside_422(
    client: httpx.AsyncClient, archer: ArcherCtx
) -> None:
    session = await open_session(client, archer)
    target = await add_target(client, archer, session["id"])  # face centre at (650, 650)
    r = await client.patch(
        f"{API}/target/{target['id']}", json={"view_height_mm": 600}, headers=archer.headers
    )
    assert r.status_code == 422
    assert "outside the view" in r.json()["errors"][0]


@pytest.mark.parametrize(
    "body",
    [{"faces": []}, {"faces": None}, {"view_width_mm": None}, {"compound_scoring": None}, {"x": 1}],
)
async def test_patch_target_invalid_422(
    client: httpx.AsyncClient, archer: ArcherCtx, body: dict[str, Any]
) -> None:
    session = await open_session(client, archer)
    target = await add_target(client, archer, session["id"])
    r = await client.patch(f"{API}/target/{target['id']}", json=body, headers=archer.headers)
    assert r.status_code == 422


@pytest.mark.parametrize(
    "body",
    [
        {"faces": TRIPLE},
        {"view_width_mm": 1400},
        {"compound_scoring": True},
    ],
)
async def test_patch_target_with_shots_scoring_change_409(
    client: httpx.AsyncClient, db: Connection, archer: ArcherCtx, body: dict[str, Any]
) -> None:
    target = await _target_with_shot(client, db, archer)
    r = await client.patch(f"{API}/target/{target['id']}", json=body, headers=archer.headers)
    assert r.status_code == 409
    assert r.json()["errors"][0].startswith("target has 1 shot, scored with its current")


async def test_patch_target_with_shots_unchanged_scoring_200(
    client: httpx.AsyncClient, db: Connection, archer: ArcherCtx
) -> None:
    target = await _target_with_shot(client, db, archer)
    body = {
        "lane": 7,
        "distance_m": 60,
        "view_width_mm": target["view_width_mm"],
        "compound_scoring": target["compound_scoring"],
        "faces": [
            {k: f[k] for k in ("face_type", "center_x_mm", "center_y_mm")} for f in target["faces"]
        ],
    }
    r = await client.patch(f"{API}/target/{target['id']}", json=body, headers=archer.headers)
    assert r.status_code == 200
    assert (r.json()["data"]["lane"], r.json()["data"]["distance_m"]) == (7, 60)


async def test_delete_target_200(
    client: httpx.AsyncClient, db: Connection, archer: ArcherCtx
) -> None:
    session = await open_session(client, archer)
    target = await add_target(client, archer, session["id"])
    r = await client.delete(f"{API}/target/{target['id']}", headers=archer.headers)
    assert r.status_code == 200
    assert r.json()["data"] == target
    r = await client.get(f"{API}/target/{target['id']}", headers=archer.headers)
    assert r.status_code == 404
    assert await db.fetchval("SELECT count(*) FROM target_face") == 0


async def test_delete_target_with_shots_409(
    client: httpx.AsyncClient, db: Connection, archer: ArcherCtx
) -> None:
    target = await _target_with_shot(client, db, archer)
    r = await client.delete(f"{API}/target/{target['id']}", headers=archer.headers)
    assert r.status_code == 409
    assert r.json()["errors"][0].startswith("target has 1 shot: delete them first")
    r = await client.get(f"{API}/target/{target['id']}", headers=archer.headers)
    assert r.status_code == 200
