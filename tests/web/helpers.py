"""Data made through the API for the browser tests, and where things are on the screen."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import httpx
from playwright.async_api import Page

from tests.conftest import ArcherCtx

C = 650.0  # centre of a wa_122 face in a 1300 × 1300 mm view


@dataclass(frozen=True)
class Range:
    archer: ArcherCtx
    session_id: str
    target_id: str
    arrows: dict[str, str]  # identifier → id


async def make_range(
    client: httpx.AsyncClient,
    archer: ArcherCtx,
    *,
    face: str = "wa_122",
    view: float | None = 1300.0,
    faces: int = 1,
    distance: float = 70.0,
    per_end: int = 6,
    window_ms: int = 3000,
    arrows: tuple[str, ...] = ("A01", "A02", "A03"),
    **session: Any,
) -> Range:
    """An open session with one target (one face centred in the view) and arrows; `view=None`:
    scored by hand, the server lays out the face (or `faces` of them, in a row) and sizes the
    view."""
    ids = {}
    for identifier in arrows:
        resp = await client.post(
            "/api/v0/arrow", json={"identifier": identifier}, headers=archer.headers
        )
        assert resp.status_code == 201, resp.text
        ids[identifier] = resp.json()["data"]["id"]
    body = {
        "distance_m": distance,
        "arrows_per_end": per_end,
        "landing_window_ms": window_ms,
        "location": "Test field",
        **session,
    }
    if "round_code" in session:
        body["preferred_faces"] = [face]  # the round's face, in the layout asked for
    resp = await client.post("/api/v0/session", json=body, headers=archer.headers)
    assert resp.status_code == 201, resp.text
    session_id = resp.json()["data"]["id"]
    plan = resp.json()["data"]["round"]
    target: dict[str, Any] = {"faces": [{"face_type": face}] * faces}
    if view is not None:
        target = {
            "view_width_mm": view,
            "view_height_mm": view,
            "faces": [{"face_type": face, "center_x_mm": view / 2, "center_y_mm": view / 2}],
        }
    if plan is not None:
        # A round brings its own targets: the first pass's, given the view asked for.
        target_id = plan["passes"][0]["target_id"]
        assert faces == 1, "a round's target has the round's one face"
        if view is not None:
            resp = await client.patch(
                f"/api/v0/target/{target_id}", json=target, headers=archer.headers
            )
            assert resp.status_code == 200, resp.text
        return Range(archer, session_id, target_id, ids)
    resp = await client.post(
        f"/api/v0/session/{session_id}/target", json=target, headers=archer.headers
    )
    assert resp.status_code == 201, resp.text
    return Range(archer, session_id, resp.json()["data"]["id"], ids)


async def post_shots(
    client: httpx.AsyncClient,
    r: Range,
    points: Sequence[tuple[float, float] | None],
    arrow: str | None = "A01",
) -> list[dict[str, Any]]:
    """Shots by hand through the API (None: a miss without a landing)."""
    body: list[dict[str, Any]] = []
    for point in points:
        shot: dict[str, Any] = {"session_id": r.session_id, "target_id": r.target_id}
        if arrow is not None:
            shot["arrow_id"] = r.arrows[arrow]
        if point is not None:
            shot["x_mm"], shot["y_mm"] = point
        body.append(shot)
    resp = await client.post("/api/v0/shot", json=body, headers=r.archer.headers)
    assert resp.status_code == 201, resp.text
    data: list[dict[str, Any]] = resp.json()["data"]
    return data


async def close_session(client: httpx.AsyncClient, r: Range) -> None:
    resp = await client.post(f"/api/v0/session/{r.session_id}/close", headers=r.archer.headers)
    assert resp.status_code == 200, resp.text


async def screen_point(page: Page, x_mm: float, y_mm: float) -> tuple[float, float]:
    """Where the view point (x_mm, y_mm), y up from the bottom-left, is on the screen — from the
    face's box alone: the SVG keeps the view's proportions, so the mapping is linear."""
    face = page.locator("svg.target").first
    box = await face.bounding_box()
    assert box is not None
    width = float(await face.get_attribute("data-view-width") or 0)
    height = float(await face.get_attribute("data-view-height") or 0)
    return (
        box["x"] + x_mm / width * box["width"],
        box["y"] + (height - y_mm) / height * box["height"],
    )


async def markers(page: Page, selector: str = "svg.target .shot") -> list[dict[str, Any]]:
    """The shot markers drawn: seq, label and the centre of each (its circle) on the screen."""
    found: list[dict[str, Any]] = await page.eval_on_selector_all(
        selector,
        """els => els.map(el => {
            const c = el.querySelector("circle.mark") || el;
            const r = c.getBoundingClientRect();
            return {seq: Number(el.dataset.seq), label: el.dataset.label, text: el.dataset.text,
                    x: r.left + r.width / 2, y: r.top + r.height / 2};
        })""",
    )
    return sorted(found, key=lambda m: m["seq"])


VALUE_ORDER = ["X", "11", "10", "9", "8", "7", "6", "5", "4", "3", "2", "1", "M"]


def high_to_low(labels: list[str]) -> list[str]:
    """Labels as a score sheet lists them within an end: X first, misses last."""
    return sorted(labels, key=VALUE_ORDER.index)


async def scorecard_rows(page: Page) -> list[list[str]]:
    """The scorecard's rows as shown: end, the arrows' labels (in the card's order), end
    total, running total."""
    rows: list[list[str]] = await page.eval_on_selector_all(
        "#scorecard tbody tr",
        """rows => rows.map(tr => [
            tr.querySelector("th").textContent.trim(),
            ...[...tr.querySelectorAll("td.arrow-col[data-label]")].map(td => td.dataset.label),
            tr.querySelector(".end-total").firstChild.textContent.trim(),
            tr.querySelector(".running-total").textContent.trim(),
        ])""",
    )
    return rows
