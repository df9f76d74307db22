"""A hand-scored target needs no sensor view: the server lays the faces out and derives a view
that holds every ring of every face with the documented margin (targets/layout.py)."""

from __future__ import annotations

import itertools
import math
from typing import Any

import httpx
import pytest

from arch_stats.faces.catalog import FACES
from tests.conftest import ArcherCtx
from tests.sessions.helpers import API, add_target, open_session


async def face_api(client: httpx.AsyncClient, face_type: str) -> dict[str, Any]:
    r = await client.get(f"{API}/face/{face_type}")
    assert r.status_code == 200, r.text
    data: dict[str, Any] = r.json()["data"]
    return data


async def create(
    client: httpx.AsyncClient, who: ArcherCtx, body: dict[str, Any], status: int = 201
) -> dict[str, Any]:
    """A target on the archer's open session (opened on first use)."""
    r = await client.get(f"{API}/session/open", headers=who.headers)
    session = r.json()["data"] if r.status_code == 200 else await open_session(client, who)
    r = await client.post(f"{API}/session/{session['id']}/target", json=body, headers=who.headers)
    assert r.status_code == status, r.text
    data: dict[str, Any] = r.json()
    return data


def ring_boxes(
    face: dict[str, Any], centre_x: float, centre_y: float
) -> list[tuple[float, float, float, float]]:
    """(left, right, bottom, top) of each spot's outermost ring, in view mm."""
    r = face["rings"][-1]["outer_radius_mm"]
    return [
        (centre_x + s["x_mm"] - r, centre_x + s["x_mm"] + r, centre_y + s["y_mm"] - r,
         centre_y + s["y_mm"] + r)
        for s in face["spots"]
    ]  # fmt: skip


@pytest.mark.parametrize("face_type", sorted(FACES))
async def test_every_face_alone_gets_a_view_holding_its_rings_with_the_margin(
    client: httpx.AsyncClient, archer: ArcherCtx, face_type: str
) -> None:
    target = (await create(client, archer, {"faces": [{"face_type": face_type}]}))["data"]
    face = await face_api(client, face_type)
    margin = max(20.0, face["diameter_mm"] / 10)
    width, height = target["view_width_mm"], target["view_height_mm"]
    (placed,) = target["faces"]
    boxes = ring_boxes(face, placed["center_x_mm"], placed["center_y_mm"])
    left, right = min(b[0] for b in boxes), max(b[1] for b in boxes)
    bottom, top = min(b[2] for b in boxes), max(b[3] for b in boxes)
    # At least the margin on every side, and no more than a millimetre of rounding on top.
    for gap in (left, width - right, bottom, height - top):
        assert margin <= gap <= margin + 1, (face_type, gap, margin)
    assert width == math.ceil(width) and height == math.ceil(height)


async def test_known_faces_views(client: httpx.AsyncClient, archer: ArcherCtx) -> None:
    """122 cm: 1220 + 2 · 122 mm. Vertical triple: three 20 cm spots 22 cm apart (640 mm
    tall, 200 wide) + 2 · 40 mm."""
    for face_type, view, centre in [
        ("wa_122", (1464, 1464), (732, 732)),
        ("wa_40", (480, 480), (240, 240)),
        ("wa_40_triple_vertical", (280, 720), (140, 360)),
    ]:
        t = (await create(client, archer, {"faces": [{"face_type": face_type}]}))["data"]
        assert (t["view_width_mm"], t["view_height_mm"]) == view
        assert (t["faces"][0]["center_x_mm"], t["faces"][0]["center_y_mm"]) == centre


async def test_several_faces_laid_out_left_to_right_without_overlap(
    client: httpx.AsyncClient, archer: ArcherCtx
) -> None:
    types = ["wa_40_triple_vertical", "wa_40_triple_triangular", "wa_80", "wa_40"]
    t = (await create(client, archer, {"faces": [{"face_type": f} for f in types]}))["data"]
    margin = 80.0  # a tenth of the largest face, the 80 cm one
    boxes = []
    for placed, face_type in zip(t["faces"], types, strict=True):
        assert placed["face_type"] == face_type
        face = await face_api(client, face_type)
        spots = ring_boxes(face, placed["center_x_mm"], placed["center_y_mm"])
        boxes.append(
            (min(b[0] for b in spots), max(b[1] for b in spots),
             min(b[2] for b in spots), max(b[3] for b in spots))
        )  # fmt: skip
    for before, after in itertools.pairwise(boxes):
        assert after[0] - before[1] >= margin  # in order, a margin apart
    assert boxes[0][0] >= margin and t["view_width_mm"] - boxes[-1][1] >= margin
    assert min(b[2] for b in boxes) >= margin
    assert t["view_height_mm"] - max(b[3] for b in boxes) >= margin
    # Their centres on one line.
    assert len({f["center_y_mm"] for f in t["faces"]}) == 1


@pytest.mark.parametrize("face_type", ["wa_40_triple_vertical", "wa_40_triple_triangular"])
async def test_each_spot_of_a_laid_out_triple_face_scores_its_ten(
    client: httpx.AsyncClient, archer: ArcherCtx, face_type: str
) -> None:
    session = await open_session(client, archer, distance_m=18, is_indoor=True)
    r = await client.post(
        f"{API}/session/{session['id']}/target",
        json={"faces": [{"face_type": face_type}, {"face_type": face_type}]},
        headers=archer.headers,
    )
    assert r.status_code == 201, r.text
    target = r.json()["data"]
    face = await face_api(client, face_type)
    shots = [
        {
            "session_id": session["id"],
            "target_id": target["id"],
            "x_mm": placed["center_x_mm"] + spot["x_mm"],
            "y_mm": placed["center_y_mm"] + spot["y_mm"],
        }
        for placed in target["faces"]
        for spot in face["spots"]
    ]
    r = await client.post(f"{API}/shot", json=shots, headers=archer.headers)
    assert r.status_code == 201, r.text
    assert [(s["face_index"], s["spot_index"], s["label"]) for s in r.json()["data"]] == [
        (f, s, "X") for f in range(2) for s in range(3)
    ]


async def test_faces_with_centres_and_no_view_get_the_view_around_them(
    client: httpx.AsyncClient, archer: ArcherCtx
) -> None:
    body = {"faces": [{"face_type": "wa_80", "center_x_mm": 500, "center_y_mm": 450}]}
    t = (await create(client, archer, body))["data"]
    # The 80 cm face reaches x 100–900, y 50–850; the margin is 80 mm.
    assert (t["view_width_mm"], t["view_height_mm"]) == (980, 930)
    assert (t["faces"][0]["center_x_mm"], t["faces"][0]["center_y_mm"]) == (500, 450)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            {"faces": [{"face_type": "wa_80", "center_x_mm": 300, "center_y_mm": 450}]},
            "faces.0: its rings reach left of or below the view's origin",
        ),
        (
            {"view_width_mm": 1000, "faces": [{"face_type": "wa_80"}]},
            "view_width_mm and view_height_mm go together",
        ),
        (
            {"view_width_mm": 1000, "view_height_mm": 1000, "faces": [{"face_type": "wa_80"}]},
            "faces: with a view size, give each face's centre in it",
        ),
        (
            {
                "faces": [
                    {"face_type": "wa_40"},
                    {"face_type": "wa_40", "center_x_mm": 500, "center_y_mm": 500},
                ]
            },
            "faces: give every face's centre, or none",
        ),
    ],
)
async def test_contradictory_or_impossible_layouts_422(
    client: httpx.AsyncClient, archer: ArcherCtx, body: dict[str, Any], message: str
) -> None:
    r = await create(client, archer, body, status=422)
    assert r["errors"][0].startswith(message), r["errors"]


async def test_patch_faces_without_centres_lays_them_out_again(
    client: httpx.AsyncClient, archer: ArcherCtx
) -> None:
    session = await open_session(client, archer)
    target = await add_target(client, archer, session["id"])  # sensor view 1300 × 1300
    r = await client.patch(
        f"{API}/target/{target['id']}",
        json={"faces": [{"face_type": "wa_40"}, {"face_type": "wa_40"}]},
        headers=archer.headers,
    )
    assert r.status_code == 200, r.text
    t = r.json()["data"]
    assert (t["view_width_mm"], t["view_height_mm"]) == (40 + 400 + 40 + 400 + 40, 480)
    assert [(f["center_x_mm"], f["center_y_mm"]) for f in t["faces"]] == [(240, 240), (680, 240)]
    r = await client.patch(
        f"{API}/target/{target['id']}",
        json={"view_width_mm": 2000, "faces": [{"face_type": "wa_40"}]},
        headers=archer.headers,
    )
    assert r.status_code == 422
