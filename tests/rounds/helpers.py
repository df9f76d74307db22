"""Sessions shot to a round, through the API: opened, shot pass by pass at the targets the
server made, as a phone or a script would."""

from __future__ import annotations

from typing import Any

import httpx

from tests.conftest import ArcherCtx
from tests.stats.test_scoresheet import position

API = "/api/v0"


async def ok(r: httpx.Response, status: int = 200) -> Any:
    assert r.status_code == status, r.text
    return r.json()["data"]


async def open_round(client: httpx.AsyncClient, who: ArcherCtx, **body: Any) -> dict[str, Any]:
    """POST /session with a round: the session, with its plan and progress."""
    body = {"distance_m": 70, "location": "Club field", **body}
    session: dict[str, Any] = await ok(
        await client.post(f"{API}/session", json=body, headers=who.headers), 201
    )
    return session


async def session(client: httpx.AsyncClient, who: ArcherCtx, session_id: str) -> dict[str, Any]:
    data: dict[str, Any] = await ok(
        await client.get(f"{API}/session/{session_id}", headers=who.headers)
    )
    return data


async def targets(client: httpx.AsyncClient, who: ArcherCtx, session_id: str) -> list[Any]:
    """The session's targets in the round's order (those of no round last)."""
    data = await ok(await client.get(f"{API}/session/{session_id}/target", headers=who.headers))
    return sorted(data, key=lambda t: t["first_end"] or 10**9)


def shots(session_id: str, target: dict[str, Any], labels: list[str]) -> list[dict[str, Any]]:
    """A post of arrows landing where `labels` score on the target's first face."""
    out = []
    for label in labels:
        x, y = position(target, label)
        shot: dict[str, Any] = {"session_id": session_id, "target_id": target["id"]}
        if x is not None:
            shot |= {"x_mm": x, "y_mm": y}
        out.append(shot)
    return out


async def post(
    client: httpx.AsyncClient,
    who: ArcherCtx,
    session_id: str,
    target: dict[str, Any],
    labels: list[str],
) -> httpx.Response:
    body = shots(session_id, target, labels)
    return await client.post(f"{API}/shot", json=body, headers=who.headers)


async def shoot(
    client: httpx.AsyncClient,
    who: ArcherCtx,
    session_id: str,
    target: dict[str, Any],
    labels: list[str],
) -> list[dict[str, Any]]:
    data: list[dict[str, Any]] = await ok(await post(client, who, session_id, target, labels), 201)
    return data
