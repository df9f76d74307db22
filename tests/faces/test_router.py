"""The public, static endpoints: faces and standard rounds."""

from __future__ import annotations

import httpx
import pytest

from arch_stats.core.responses import Envelope
from arch_stats.faces.catalog import FACE_TYPES, FACES
from arch_stats.faces.rounds import ROUNDS
from arch_stats.faces.schemas import FaceOut, RoundOut, RoundSummaryOut


async def test_list_faces_200_without_login(client: httpx.AsyncClient) -> None:
    r = await client.get("/api/v0/face")
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/json"
    body = Envelope[list[FaceOut]].model_validate(r.json())
    assert (body.code, body.errors) == (200, [])
    assert body.data is not None
    assert [f.face_type for f in body.data] == list(FACES)
    assert set(FACE_TYPES) == {f.face_type for f in body.data}


async def test_get_face_triple_vertical_200(client: httpx.AsyncClient) -> None:
    r = await client.get("/api/v0/face/wa_40_triple_vertical")
    assert r.status_code == 200
    data = r.json()["data"]
    FaceOut.model_validate(data)
    assert data["face_type"] == "wa_40_triple_vertical"
    assert data["spots"] == [
        {"x_mm": 0.0, "y_mm": 220.0},
        {"x_mm": 0.0, "y_mm": 0.0},
        {"x_mm": 0.0, "y_mm": -220.0},
    ]
    assert [ring["value"] for ring in data["rings"]] == [10, 9, 8, 7, 6]
    assert data["rings"][0] == {
        "outer_radius_mm": 20.0,
        "value": 10,
        "colour": "gold",
        "colour_hex": "#FFE552",
    }
    assert data["x_radius_mm"] == 10.0
    assert data["compound_applies"] is True
    assert data["compound_rings"][0]["outer_radius_mm"] == 10.0


async def test_get_field_face_has_no_x_200(client: httpx.AsyncClient) -> None:
    r = await client.get("/api/v0/face/wa_field_80")
    assert r.status_code == 200
    data = r.json()["data"]
    assert data["x_radius_mm"] is None
    assert data["compound_rings"] is None
    assert data["spots"] == [{"x_mm": 0.0, "y_mm": 0.0}]
    assert data["max_score"] == 6


async def test_get_unknown_face_404(client: httpx.AsyncClient) -> None:
    r = await client.get("/api/v0/face/wa_999")
    assert r.status_code == 404
    assert r.json() == {"code": 404, "data": None, "errors": ["face type wa_999 not found"]}


async def test_list_rounds_200(client: httpx.AsyncClient) -> None:
    r = await client.get("/api/v0/round")
    assert r.status_code == 200
    body = Envelope[list[RoundSummaryOut]].model_validate(r.json())
    assert body.data is not None
    assert [x.code for x in body.data] == list(ROUNDS)
    assert "passes" not in r.json()["data"][0]
    wa18 = next(x for x in body.data if x.code == "wa18")
    assert (wa18.max_score, wa18.face_types, wa18.supported) == (600, ["wa_40"], True)


async def test_list_rounds_name_their_distances_for_a_search_by_distance(
    client: httpx.AsyncClient,
) -> None:
    r = await client.get("/api/v0/round")
    found = {x["code"]: x["distances"] for x in r.json()["data"]}
    assert found["york"] == ["100 yd", "80 yd", "60 yd"]
    assert found["wa18"] == ["18 m"]  # two passes at one distance: named once
    assert found["wa1440_90"] == ["90 m", "70 m", "50 m", "30 m"]


@pytest.mark.parametrize(
    ("query", "location", "body"),
    [
        ("location=indoor", "indoor", None),
        ("location=field", "field", None),
        ("body=AGB", None, "AGB"),
        ("location=outdoor&body=WA", "outdoor", "WA"),
    ],
)
async def test_list_rounds_filtered_200(
    client: httpx.AsyncClient, query: str, location: str | None, body: str | None
) -> None:
    r = await client.get(f"/api/v0/round?{query}")
    assert r.status_code == 200
    data = r.json()["data"]
    expected = [
        code
        for code, spec in ROUNDS.items()
        if (location is None or spec.location == location) and (body is None or spec.body == body)
    ]
    assert expected
    assert [x["code"] for x in data] == expected


async def test_list_rounds_bad_filter_422(client: httpx.AsyncClient) -> None:
    r = await client.get("/api/v0/round?location=space&body=FITA")
    assert r.status_code == 422
    body = r.json()
    assert body["data"] is None
    assert any(e.startswith("query.location:") for e in body["errors"])
    assert len(body["errors"]) == 2  # one per bad filter


async def test_get_round_200(client: httpx.AsyncClient) -> None:
    r = await client.get("/api/v0/round/wa720_70")
    assert r.status_code == 200
    data = RoundOut.model_validate(r.json()["data"])
    assert (data.code, data.location, data.body, data.n_arrows, data.max_score) == (
        "wa720_70",
        "outdoor",
        "WA",
        72,
        720,
    )
    assert [p.face_type for p in data.passes] == ["wa_122", "wa_122"]
    assert data.passes[0].distance_m == 70.0


async def test_get_round_without_face_has_null_face_type_200(client: httpx.AsyncClient) -> None:
    r = await client.get("/api/v0/round/worcester")
    assert r.status_code == 200
    data = r.json()["data"]
    assert data["supported"] is False
    assert data["face_types"] == []
    assert all(p["face_type"] is None for p in data["passes"])


async def test_get_unknown_round_404(client: httpx.AsyncClient) -> None:
    r = await client.get("/api/v0/round/wa721")
    assert r.status_code == 404
    assert r.json() == {"code": 404, "data": None, "errors": ["round wa721 not found"]}


async def test_face_and_round_routes_documented(client: httpx.AsyncClient) -> None:
    paths = (await client.get("/api/openapi.json")).json()["paths"]
    for path in ("/api/v0/face/{face_type}", "/api/v0/round/{code}"):
        assert set(paths[path]["get"]["responses"]) == {"200", "404", "422"}
    error = paths["/api/v0/round"]["get"]["responses"]["422"]
    assert error["content"]["application/json"]["schema"]["$ref"].endswith("ErrorEnvelope")
