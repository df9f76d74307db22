"""Inputs are stored exactly, or refused: one time range, and JSON numbers, on every path.

POST /shot is sent both through the hot path (the suite's app) and to an app without it
(`HOT_PATH=false`): the answers must be the same.
"""

from __future__ import annotations

import csv
import io
import types
import typing
from collections.abc import AsyncIterator, Iterator
from datetime import datetime
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from pydantic import BaseModel, ValidationError

from arch_stats.app import create_app
from arch_stats.core.database import Connection
from arch_stats.core.settings import Settings
from arch_stats.core.types import time_problem
from arch_stats.exchange.schemas import SHOT_COLUMNS
from tests.conftest import ArcherCtx
from tests.shots.test_shots import C, Range, make_range, shot

API = "/api/v0"
OUT_OF_RANGE = [
    "0001-01-01T00:00:00Z",  # was stored as -infinity
    "9999-12-31T23:59:59.999999Z",  # was stored as infinity
    "1899-12-31T23:59:59.999999Z",
    "2200-01-01T00:00:00Z",
    "1900-01-01T00:30:00+01:00",  # 1899-12-31T23:30Z
]
IN_RANGE = ["1900-01-01T00:00:00Z", "2199-12-31T23:59:59.999999Z", "2200-01-01T00:30:00+01:00"]
NOT_NUMBERS: list[Any] = [True, False, "500", " 500 ", "5e2", [500]]


@pytest.fixture(scope="module")
async def plain_app(settings: Settings) -> AsyncIterator[FastAPI]:
    application = create_app(settings.model_copy(update={"hot_path": False}), access_log=False)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture(params=["hot path", "route"])
async def either(
    request: pytest.FixtureRequest, client: httpx.AsyncClient, plain_app: FastAPI
) -> AsyncIterator[httpx.AsyncClient]:
    """POST /shot through the hot path, then through the FastAPI route alone."""
    if request.param == "hot path":
        yield client
        return
    transport = httpx.ASGITransport(app=plain_app, client=("127.0.0.1", 50001))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
        yield c


@pytest.fixture
async def rng(db: Connection, archer: ArcherCtx) -> Range:
    return await make_range(db, archer)


async def _shots(db: Connection, r: Range) -> int:
    n: int = await db.fetchval("SELECT count(*) FROM shot WHERE session_id = $1", r.session_id)
    return n


def _errors(resp: httpx.Response) -> str:
    return " ".join(resp.json()["errors"])


# --- the type itself ---------------------------------------------------------------------------


@pytest.mark.parametrize("text", OUT_OF_RANGE)
def test_time_out_of_range_has_a_problem(text: str) -> None:
    assert time_problem(datetime.fromisoformat(text)) is not None


@pytest.mark.parametrize("text", IN_RANGE)
def test_time_in_range_has_none(text: str) -> None:
    assert time_problem(datetime.fromisoformat(text)) is None


def test_naive_time_has_a_problem() -> None:
    assert "timezone" in (time_problem(datetime(2026, 5, 1, 10)) or "")


# --- timestamps on every path ------------------------------------------------------------------


@pytest.mark.parametrize("field", ["engaged_at", "released_at", "landed_at"])
@pytest.mark.parametrize("moment", OUT_OF_RANGE)
async def test_shot_time_out_of_range_422_nothing_stored(
    either: httpx.AsyncClient, db: Connection, rng: Range, field: str, moment: str
) -> None:
    body = {**shot(rng), field: moment}
    resp = await either.post(f"{API}/shot", json=body, headers=rng.archer.headers)
    assert resp.status_code == 422, resp.text
    assert "1900-01-01" in _errors(resp)
    assert await _shots(db, rng) == 0


@pytest.mark.parametrize("moment", IN_RANGE)
async def test_shot_time_at_the_edges_of_the_range_stored_exactly(
    either: httpx.AsyncClient, db: Connection, rng: Range, moment: str
) -> None:
    resp = await either.post(
        f"{API}/shot", json=shot(rng, landed_at=moment), headers=rng.archer.headers
    )
    assert resp.status_code == 201, resp.text
    returned = datetime.fromisoformat(resp.json()["data"]["landed_at"])
    assert returned == datetime.fromisoformat(moment)
    stored = await db.fetchval(
        "SELECT landed_at::text FROM shot WHERE session_id = $1", rng.session_id
    )
    assert "infinity" not in stored


async def test_shot_time_without_offset_422(either: httpx.AsyncClient, rng: Range) -> None:
    body = shot(rng, engaged_at="2026-05-01T10:00:00")
    resp = await either.post(f"{API}/shot", json=body, headers=rng.archer.headers)
    assert resp.status_code == 422
    assert "timezone" in _errors(resp)


@pytest.fixture
async def device(client: httpx.AsyncClient, archer: ArcherCtx) -> dict[str, str]:
    r = await client.post(f"{API}/auth/token", json={"name": "bow"}, headers=archer.headers)
    assert r.status_code == 201, r.text
    return {"Authorization": f"Bearer {r.json()['data']['token']}"}


@pytest.mark.parametrize("moment", OUT_OF_RANGE)
async def test_sensor_event_time_out_of_range_422(
    client: httpx.AsyncClient, db: Connection, rng: Range, device: dict[str, str], moment: str
) -> None:
    body = {"device": "bow", "kind": "arrow_released", "sensor_ts": moment}
    resp = await client.post(f"{API}/sensor/event", json=body, headers=device)
    assert resp.status_code == 422, resp.text
    assert "1900-01-01" in _errors(resp)
    assert await db.fetchval("SELECT count(*) FROM sensor_event") == 0


@pytest.mark.parametrize(
    "moment", ["1899-12-31T23:00:00Z", "2200-01-01T00:00:00Z", "9000-01-01T00:00:00Z"]
)
async def test_session_start_out_of_range_422_on_create_and_patch(
    client: httpx.AsyncClient, rng: Range, moment: str
) -> None:
    headers = rng.archer.headers
    created = await client.post(
        f"{API}/session", json={"distance_m": 70, "start_time": moment}, headers=headers
    )
    assert created.status_code == 422, created.text
    patched = await client.patch(
        f"{API}/session/{rng.session_id}", json={"start_time": moment}, headers=headers
    )
    assert patched.status_code == 422, patched.text
    assert "1900-01-01" in _errors(patched)


@pytest.mark.parametrize(
    "path",
    [
        "/stats/history?start_from=0001-01-01",
        "/stats/history?start_to=9999-12-31",
        "/session?start_from=1899-12-31",
        "/session?start_to=2200-01-01",
        "/export/shots.csv?start_to=9999-12-31",
        "/export/sessions.csv?start_from=0001-01-01",
    ],
)
async def test_day_filters_out_of_range_422(
    client: httpx.AsyncClient, archer: ArcherCtx, path: str
) -> None:
    resp = await client.get(API + path, headers=archer.headers)
    assert resp.status_code == 422, resp.text
    assert "1900-01-01" in _errors(resp)


@pytest.mark.parametrize(
    ("column", "moment"),
    [
        ("session_start", "0001-01-01 00:00:00+00"),
        ("engaged_at", "9999-12-31 23:59:59.999999+00"),
        ("landed_at", "2200-01-01 00:00:00+00"),
    ],
)
async def test_csv_import_time_out_of_range_422(
    client: httpx.AsyncClient,
    db: Connection,
    rng: Range,
    other: ArcherCtx,
    column: str,
    moment: str,
) -> None:
    body = shot(rng, engaged_at="2026-05-01T10:00:00Z", landed_at="2026-05-01T10:00:03Z")
    assert (
        await client.post(f"{API}/shot", json=body, headers=rng.archer.headers)
    ).status_code == 201
    exported = await client.get(f"{API}/export/shots.csv", headers=rng.archer.headers)
    assert exported.status_code == 200
    rows = list(csv.DictReader(io.StringIO(exported.text, newline="")))
    rows[0][column] = moment
    out = io.StringIO(newline="")
    writer = csv.DictWriter(out, fieldnames=list(SHOT_COLUMNS), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    resp = await client.post(
        f"{API}/import/shots.csv",
        content=out.getvalue(),
        headers={**other.headers, "Content-Type": "text/csv"},
    )
    assert resp.status_code == 422, resp.text
    assert f"{column}:" in _errors(resp) and "1900-01-01" in _errors(resp)
    assert await db.fetchval("SELECT count(*) FROM shot WHERE archer_id = $1", other.id) == 0


# --- numbers are JSON numbers ------------------------------------------------------------------


@pytest.mark.parametrize("value", NOT_NUMBERS)
async def test_shot_coordinate_not_a_json_number_422(
    either: httpx.AsyncClient, db: Connection, rng: Range, value: Any
) -> None:
    resp = await either.post(f"{API}/shot", json=shot(rng, x_mm=value), headers=rng.archer.headers)
    assert resp.status_code == 422, resp.text
    assert "x_mm" in _errors(resp)
    assert await _shots(db, rng) == 0


async def test_shot_coordinates_as_json_integers_201(either: httpx.AsyncClient, rng: Range) -> None:
    resp = await either.post(
        f"{API}/shot", json=shot(rng, x_mm=650, y_mm=650), headers=rng.archer.headers
    )
    assert resp.status_code == 201, resp.text
    assert resp.json()["data"]["x_mm"] == C


@pytest.mark.parametrize(
    ("field", "value"), [("x_mm", "600"), ("y_mm", True), ("end_no", "2"), ("end_no", 2.0)]
)
async def test_shot_patch_not_a_json_number_422(
    client: httpx.AsyncClient, rng: Range, field: str, value: Any
) -> None:
    made = await client.post(f"{API}/shot", json=shot(rng), headers=rng.archer.headers)
    shot_id = made.json()["data"]["id"]
    body = {field: value} if field == "end_no" else {"x_mm": 600, "y_mm": 600, field: value}
    resp = await client.patch(f"{API}/shot/{shot_id}", json=body, headers=rng.archer.headers)
    assert resp.status_code == 422, resp.text


@pytest.mark.parametrize("value", ["650", True, " 650 "])
async def test_sensor_event_coordinate_not_a_json_number_422(
    client: httpx.AsyncClient, db: Connection, rng: Range, device: dict[str, str], value: Any
) -> None:
    body = {
        "device": "target",
        "kind": "arrow_landed",
        "sensor_ts": "2026-05-01T10:00:00Z",
        "x_mm": value,
        "y_mm": 650,
    }
    resp = await client.post(f"{API}/sensor/event", json=body, headers=device)
    assert resp.status_code == 422, resp.text
    assert await db.fetchval("SELECT count(*) FROM sensor_event") == 0


async def test_account_numbers_not_json_numbers_422(
    client: httpx.AsyncClient, archer: ArcherCtx
) -> None:
    register = {"email": "new@example.org", "password": "long enough", "name": "N"}
    r = await client.post(f"{API}/auth/register", json={**register, "draw_weight_lbs": "38"})
    assert r.status_code == 422, r.text
    r = await client.patch(f"{API}/auth/me", json={"draw_weight_lbs": True}, headers=archer.headers)
    assert r.status_code == 422, r.text
    r = await client.post(
        f"{API}/auth/token", json={"name": "bow", "expires_in_days": "30"}, headers=archer.headers
    )
    assert r.status_code == 422, r.text


# --- every request body, swept ------------------------------------------------------------------


def _models(tp: Any) -> Iterator[type[BaseModel]]:
    """The models an annotation names (through Annotated, unions, lists)."""
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        yield tp
        for field in tp.model_fields.values():
            yield from _models(field.annotation)
        return
    for arg in typing.get_args(tp):
        yield from _models(arg)


def _kinds(tp: Any) -> set[type]:
    """float / int / bool wherever they appear in an annotation."""
    if tp in (float, int, bool):
        return {tp}
    if typing.get_origin(tp) in (list, tuple, set, dict):
        return set()  # items are checked by the models they name
    if isinstance(tp, types.UnionType) or typing.get_args(tp):
        return set().union(*(_kinds(a) for a in typing.get_args(tp)))
    return set()


def _body_models(app: FastAPI) -> set[type[BaseModel]]:
    found: set[type[BaseModel]] = set()
    for route in app.routes:
        if isinstance(route, APIRoute) and route.body_field is not None:
            found.update(_models(route.body_field.field_info.annotation))
    return found


def test_every_number_and_boolean_of_every_request_body_is_strict(app: FastAPI) -> None:
    models = _body_models(app)
    assert {m.__name__ for m in models} >= {
        "ShotIn",
        "ShotPatch",
        "SensorEventIn",
        "SessionIn",
        "RegisterIn",
    }
    lax = []
    checked = 0
    for model in sorted(models, key=lambda m: m.__name__):
        for name, field in model.model_fields.items():
            kinds = _kinds(field.annotation)
            if not kinds:
                continue
            bad: list[Any] = ["true", 1] if kinds == {bool} else [True, "5", " 5 "]
            for value in bad:
                checked += 1
                try:
                    model.model_validate({name: value})
                except ValidationError as exc:
                    if any(e["loc"][:1] == (name,) for e in exc.errors()):
                        continue
                lax.append(f"{model.__name__}.{name} = {value!r}")
    assert checked > 40
    assert lax == []
