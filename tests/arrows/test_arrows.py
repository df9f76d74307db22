from __future__ import annotations

from typing import Any

import httpx
import pytest

from arch_stats.core.database import Connection
from tests.conftest import ArcherCtx
from tests.sessions.helpers import API, MISSING_ID, add_arrow, add_shot, add_target, open_session


async def _arrow_with_shot(
    client: httpx.AsyncClient, db: Connection, who: ArcherCtx, identifier: str = "A1"
) -> dict[str, Any]:
    arrow = await add_arrow(client, who, identifier=identifier)
    session = await open_session(client, who)
    target = await add_target(client, who, session["id"])
    await add_shot(
        db, archer_id=who.id, session_id=session["id"], target_id=target["id"], arrow_id=arrow["id"]
    )
    return arrow


async def test_create_arrow_201_with_defaults(client: httpx.AsyncClient, archer: ArcherCtx) -> None:
    r = await client.post(
        f"{API}/arrow", json={"identifier": "A07", "spine": 600}, headers=archer.headers
    )
    assert r.status_code == 201
    body = r.json()
    assert body["code"] == 201
    assert body["errors"] == []
    data = body["data"]
    assert data["identifier"] == "A07"
    assert data["spine"] == 600
    assert data["diameter_mm"] == 5.5
    assert data["length_mm"] is None
    assert data["is_programmed"] is False
    assert data["is_active"] is True
    assert data["retired_at"] is None


async def test_create_arrow_all_fields_201(client: httpx.AsyncClient, archer: ArcherCtx) -> None:
    fields = {
        "identifier": "red 3",
        "length_mm": 750.5,
        "weight_grains": 420,
        "diameter_mm": 4.2,
        "spine": 500,
        "label_position_mm": 120,
        "is_programmed": True,
    }
    data = await add_arrow(client, archer, **fields)
    assert {k: data[k] for k in fields} == fields


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"identifier": ""},
        {"identifier": "ABCDEFGHIJK"},
        {"identifier": " A1"},
        {"identifier": "A\n1"},
        {"identifier": "A1", "diameter_mm": 0},
        {"identifier": "A1", "spine": -5},
        {"identifier": "A1", "diameter_mm": None},
        {"identifier": "A1", "is_programmed": 0},
        {"identifier": "A1", "length_mm": "700"},
        {"identifier": "A1", "spine": "600"},
    ],
)
async def test_create_arrow_invalid_422(
    client: httpx.AsyncClient, archer: ArcherCtx, body: dict[str, Any]
) -> None:
    r = await client.post(f"{API}/arrow", json=body, headers=archer.headers)
    assert r.status_code == 422
    assert r.json()["data"] is None


async def test_create_arrow_nan_422(client: httpx.AsyncClient, archer: ArcherCtx) -> None:
    r = await client.post(
        f"{API}/arrow",
        content=b'{"identifier": "A1", "length_mm": NaN}',
        headers={**archer.headers, "Content-Type": "application/json"},
    )
    assert r.status_code == 422


async def test_create_arrow_unknown_field_422(client: httpx.AsyncClient, archer: ArcherCtx) -> None:
    r = await client.post(
        f"{API}/arrow", json={"identifier": "A1", "colour": "red"}, headers=archer.headers
    )
    assert r.status_code == 422
    assert r.json()["errors"] == ["colour: unknown field"]


async def test_create_arrow_without_login_401(client: httpx.AsyncClient) -> None:
    r = await client.post(f"{API}/arrow", json={"identifier": "A1"})
    assert r.status_code == 401


async def test_create_arrow_duplicate_active_identifier_409(
    client: httpx.AsyncClient, archer: ArcherCtx, other: ArcherCtx
) -> None:
    await add_arrow(client, archer, identifier="A1")
    r = await client.post(f"{API}/arrow", json={"identifier": "A1"}, headers=archer.headers)
    assert r.status_code == 409
    assert "A1" in r.json()["errors"][0]
    # Another archer's arrows do not collide.
    await add_arrow(client, other, identifier="A1")


async def test_list_arrows_own_active_only_by_default(
    client: httpx.AsyncClient, db: Connection, archer: ArcherCtx, other: ArcherCtx
) -> None:
    await add_arrow(client, archer, identifier="B2")
    await add_arrow(client, archer, identifier="A1")
    await add_arrow(client, other, identifier="Z9")
    retired = await _arrow_with_shot(client, db, archer, identifier="C3")
    r = await client.delete(f"{API}/arrow/{retired['id']}", headers=archer.headers)
    assert r.json()["data"]["retired"] is True

    r = await client.get(f"{API}/arrow", headers=archer.headers)
    assert r.status_code == 200
    assert [a["identifier"] for a in r.json()["data"]] == ["A1", "B2"]

    r = await client.get(f"{API}/arrow?include_retired=true", headers=archer.headers)
    assert [a["identifier"] for a in r.json()["data"]] == ["A1", "B2", "C3"]


async def test_list_arrows_empty_200(client: httpx.AsyncClient, archer: ArcherCtx) -> None:
    r = await client.get(f"{API}/arrow", headers=archer.headers)
    assert r.json() == {"code": 200, "data": [], "errors": []}


@pytest.mark.parametrize("flag", ["maybe", "1", "yes", "True"])
async def test_list_arrows_bad_flag_422(
    client: httpx.AsyncClient, archer: ArcherCtx, flag: str
) -> None:
    r = await client.get(f"{API}/arrow?include_retired={flag}", headers=archer.headers)
    assert r.status_code == 422


async def test_get_arrow_200(client: httpx.AsyncClient, archer: ArcherCtx) -> None:
    arrow = await add_arrow(client, archer)
    r = await client.get(f"{API}/arrow/{arrow['id']}", headers=archer.headers)
    assert r.status_code == 200
    assert r.json()["data"] == arrow


@pytest.mark.parametrize("method", ["GET", "PATCH", "DELETE"])
async def test_other_archers_arrow_404(
    client: httpx.AsyncClient, archer: ArcherCtx, other: ArcherCtx, method: str
) -> None:
    arrow = await add_arrow(client, other)
    body = {"spine": 700} if method == "PATCH" else None
    for arrow_id in (arrow["id"], MISSING_ID):
        r = await client.request(
            method, f"{API}/arrow/{arrow_id}", json=body, headers=archer.headers
        )
        assert r.status_code == 404
        assert r.json()["errors"] == [f"arrow {arrow_id} not found"]


async def test_get_arrow_bad_id_404(client: httpx.AsyncClient, archer: ArcherCtx) -> None:
    # Only a UUID is an arrow's path (as for sessions): anything else is no such route.
    r = await client.get(f"{API}/arrow/not-a-uuid", headers=archer.headers)
    assert r.status_code == 404


@pytest.mark.parametrize("method", ["GET", "PATCH", "DELETE", "PUT"])
async def test_arrow_set_other_methods_405(
    client: httpx.AsyncClient, archer: ArcherCtx, method: str
) -> None:
    r = await client.request(method, f"{API}/arrow/set", json={}, headers=archer.headers)
    assert r.status_code == 405
    assert "POST" in r.headers["allow"]


async def test_patch_arrow_partial_200(client: httpx.AsyncClient, archer: ArcherCtx) -> None:
    arrow = await add_arrow(client, archer, length_mm=760, spine=600)
    r = await client.patch(
        f"{API}/arrow/{arrow['id']}",
        json={"identifier": "A2", "length_mm": None, "is_programmed": True},
        headers=archer.headers,
    )
    assert r.status_code == 200
    data = r.json()["data"]
    assert data["identifier"] == "A2"
    assert data["length_mm"] is None
    assert data["is_programmed"] is True
    assert data["spine"] == 600
    assert data["updated_at"] >= arrow["updated_at"]


@pytest.mark.parametrize(
    "body", [{"identifier": None}, {"diameter_mm": None}, {"is_active": None}, {"colour": "red"}]
)
async def test_patch_arrow_invalid_422(
    client: httpx.AsyncClient, archer: ArcherCtx, body: dict[str, Any]
) -> None:
    arrow = await add_arrow(client, archer)
    r = await client.patch(f"{API}/arrow/{arrow['id']}", json=body, headers=archer.headers)
    assert r.status_code == 422


async def test_patch_arrow_rename_onto_active_identifier_409(
    client: httpx.AsyncClient, archer: ArcherCtx
) -> None:
    await add_arrow(client, archer, identifier="A1")
    second = await add_arrow(client, archer, identifier="A2")
    r = await client.patch(
        f"{API}/arrow/{second['id']}", json={"identifier": "A1"}, headers=archer.headers
    )
    assert r.status_code == 409


async def test_patch_arrow_without_login_401(client: httpx.AsyncClient, archer: ArcherCtx) -> None:
    arrow = await add_arrow(client, archer)
    r = await client.patch(f"{API}/arrow/{arrow['id']}", json={"spine": 500})
    assert r.status_code == 401


async def test_delete_arrow_without_shots_deleted(
    client: httpx.AsyncClient, archer: ArcherCtx
) -> None:
    arrow = await add_arrow(client, archer)
    r = await client.delete(f"{API}/arrow/{arrow['id']}", headers=archer.headers)
    assert r.status_code == 200
    data = r.json()["data"]
    assert data["deleted"] is True
    assert data["retired"] is False
    assert data["arrow"]["id"] == arrow["id"]
    r = await client.get(f"{API}/arrow/{arrow['id']}", headers=archer.headers)
    assert r.status_code == 404


async def test_delete_arrow_with_shots_retired(
    client: httpx.AsyncClient, db: Connection, archer: ArcherCtx
) -> None:
    arrow = await _arrow_with_shot(client, db, archer)
    r = await client.delete(f"{API}/arrow/{arrow['id']}", headers=archer.headers)
    assert r.status_code == 200
    data = r.json()["data"]
    assert data["deleted"] is False
    assert data["retired"] is True
    assert data["arrow"]["is_active"] is False
    assert data["arrow"]["retired_at"] is not None
    # Still there, history kept; deleting again keeps the first retirement date.
    r = await client.delete(f"{API}/arrow/{arrow['id']}", headers=archer.headers)
    assert r.json()["data"]["arrow"]["retired_at"] == data["arrow"]["retired_at"]
    assert await db.fetchval("SELECT count(*) FROM shot WHERE arrow_id = $1", arrow["id"]) == 1


async def test_retired_identifier_reused_then_reactivation_409(
    client: httpx.AsyncClient, db: Connection, archer: ArcherCtx
) -> None:
    old = await _arrow_with_shot(client, db, archer, identifier="A1")
    await client.delete(f"{API}/arrow/{old['id']}", headers=archer.headers)
    new = await add_arrow(client, archer, identifier="A1")

    r = await client.patch(
        f"{API}/arrow/{old['id']}", json={"is_active": True}, headers=archer.headers
    )
    assert r.status_code == 409

    await client.delete(f"{API}/arrow/{new['id']}", headers=archer.headers)
    r = await client.patch(
        f"{API}/arrow/{old['id']}", json={"is_active": True}, headers=archer.headers
    )
    assert r.status_code == 200
    data = r.json()["data"]
    assert data["is_active"] is True
    assert data["retired_at"] is None


async def test_patch_arrow_retire_200(client: httpx.AsyncClient, archer: ArcherCtx) -> None:
    arrow = await add_arrow(client, archer)
    r = await client.patch(
        f"{API}/arrow/{arrow['id']}", json={"is_active": False}, headers=archer.headers
    )
    assert r.status_code == 200
    assert r.json()["data"]["retired_at"] is not None


# --- numbered sets ---------------------------------------------------------------------------


async def _identifiers(client: httpx.AsyncClient, who: ArcherCtx) -> list[str]:
    r = await client.get(f"{API}/arrow", headers=who.headers)
    return [a["identifier"] for a in r.json()["data"]]


async def test_arrow_set_of_twelve_in_one_step_201(
    client: httpx.AsyncClient, archer: ArcherCtx
) -> None:
    spec = {"length_mm": 720.0, "weight_grains": 410.0, "diameter_mm": 5.2, "spine": 600}
    r = await client.post(
        f"{API}/arrow/set",
        json={"prefix": "A", "first": 1, "count": 12, **spec},
        headers=archer.headers,
    )
    assert r.status_code == 201, r.text
    arrows = r.json()["data"]
    assert [a["identifier"] for a in arrows] == [f"A{n:02d}" for n in range(1, 13)]
    assert all({k: a[k] for k in spec} == spec for a in arrows)
    assert all(a["is_active"] and a["label_position_mm"] is None for a in arrows)
    assert len({a["id"] for a in arrows}) == 12
    assert await _identifiers(client, archer) == [f"A{n:02d}" for n in range(1, 13)]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"prefix": "A", "first": 1, "count": 100}, ["A001", "A002", "A100"]),
        ({"prefix": "red ", "first": 7, "count": 3}, ["red 07", "red 08", "red 09"]),
        ({"prefix": "", "first": 9, "count": 3, "digits": 1}, ["9", "10", "11"]),
        ({"prefix": "X", "first": 0, "count": 2, "digits": 4}, ["X0000", "X0001"]),
        ({"count": 2}, ["01", "02"]),
    ],
)
async def test_arrow_set_numbering(
    client: httpx.AsyncClient, archer: ArcherCtx, body: dict[str, Any], expected: list[str]
) -> None:
    r = await client.post(f"{API}/arrow/set", json=body, headers=archer.headers)
    assert r.status_code == 201, r.text
    got = [a["identifier"] for a in r.json()["data"]]
    assert got[: len(expected) - 1] + got[-1:] == expected


async def test_arrow_set_clash_409_names_every_clash_and_adds_nothing(
    client: httpx.AsyncClient, db: Connection, archer: ArcherCtx, other: ArcherCtx
) -> None:
    await add_arrow(client, archer, identifier="A03")
    await add_arrow(client, archer, identifier="A07")
    await add_arrow(client, other, identifier="A05")  # someone else's: no clash
    retired = await _arrow_with_shot(client, db, archer, identifier="A09")
    r = await client.delete(f"{API}/arrow/{retired['id']}", headers=archer.headers)
    assert r.json()["data"]["retired"] is True  # a retired arrow keeps A09: no clash either
    r = await client.post(
        f"{API}/arrow/set", json={"prefix": "A", "count": 12}, headers=archer.headers
    )
    assert r.status_code == 409
    assert r.json() == {
        "code": 409,
        "data": None,
        "errors": [
            "active arrows already have the identifiers 'A03', 'A07': no arrow of the set was added"
        ],
    }
    assert await _identifiers(client, archer) == ["A03", "A07"]  # A09 is retired
    r = await client.post(
        f"{API}/arrow/set", json={"prefix": "A", "first": 4, "count": 3}, headers=archer.headers
    )
    assert r.status_code == 201, r.text
    assert await _identifiers(client, other) == ["A05"]


@pytest.mark.parametrize(
    "body",
    [
        {"prefix": "A", "count": 0},
        {"prefix": "A", "count": 101},
        {"prefix": "A", "count": "12"},
        {"prefix": "A", "count": 12.0},
        {"prefix": "A", "first": -1, "count": 2},
        {"prefix": " A", "count": 2},
        {"prefix": "A\t", "count": 2},
        {"prefix": "ABCDEFGHI", "count": 2},  # ABCDEFGHI01: 11 characters
        {"prefix": "ABCDEFG", "count": 2, "digits": 4},
        {"prefix": "A", "count": 2, "digits": 0},
        {"prefix": "A", "count": 2, "identifier": "A1"},
        {"prefix": "A", "count": 2, "diameter_mm": 0},
        {"prefix": "A"},
    ],
)
async def test_arrow_set_invalid_422(
    client: httpx.AsyncClient, archer: ArcherCtx, body: dict[str, Any]
) -> None:
    r = await client.post(f"{API}/arrow/set", json=body, headers=archer.headers)
    assert r.status_code == 422, r.text
    assert r.json()["data"] is None
    assert await _identifiers(client, archer) == []


async def test_arrow_set_too_long_identifier_message(
    client: httpx.AsyncClient, archer: ArcherCtx
) -> None:
    r = await client.post(
        f"{API}/arrow/set", json={"prefix": "ABCDEFGHI", "count": 2}, headers=archer.headers
    )
    assert r.status_code == 422
    assert "'ABCDEFGHI01' would have 11 characters; the most is 10" in r.json()["errors"][0]


async def test_arrow_set_without_login_401(client: httpx.AsyncClient) -> None:
    r = await client.post(f"{API}/arrow/set", json={"prefix": "A", "count": 2})
    assert r.status_code == 401
