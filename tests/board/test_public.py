"""What a club board shows, and to whom (a real `serve` process and PostgreSQL, real WebSocket
clients): the members who share with the club's coaches; on a public link, those of them who
allow it, with names, bowstyles and categories, rounds and scores only — no ids, no times; a
change of either choice takes the archer off the open boards at once, in every form."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import httpx
import orjson
import pytest
from websockets.asyncio.client import ClientConnection

from arch_stats.core.database import Connection
from tests.board.helpers import make_club
from tests.board.test_board import frame_of
from tests.conftest import ArcherCtx, MakeArcher
from tests.live.conftest import next_frame, ws_connect
from tests.serve_process import Served, serve
from tests.shots.test_shots import C, Range, make_range, shot

SKIP = ("heartbeat",)
UUID_TEXT = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
PUBLIC_ENTRY = {
    "key",
    "name",
    "bowstyle",
    "category",
    "group",
    "rule",
    "tally",
    "round_code",
    "distance_m",
    "is_indoor",
    "arrows_per_end",
    "faces",
    "shots",
}
PUBLIC_SHOT = {"seq", "end_no", "end_place", "score", "is_x", "is_miss", "label", "dx_mm", "dy_mm"}


@pytest.fixture(scope="module")
async def served(migrated: str, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Served]:
    async with serve(migrated, tmp_path_factory.mktemp("board") / "serve.log") as s:
        yield s


@dataclass
class Club:
    id: UUID
    owner: ArcherCtx
    coach: ArcherCtx
    ann: ArcherCtx
    ben: ArcherCtx
    http: httpx.AsyncClient
    url: str  # host:port of the server

    async def link(self) -> str:
        resp = await self.http.post(
            f"/api/v0/club/{self.id}/board/link", headers=self.owner.headers
        )
        assert resp.status_code == 201, resp.text
        token: str = resp.json()["data"]["token"]
        return token

    async def consent(self, who: ArcherCtx, *, share: bool, public: bool | None = None) -> Any:
        body: dict[str, Any] = {"share_with_coaches": share}
        if public is not None:
            body["show_on_public_board"] = public
        resp = await self.http.put(
            f"/api/v0/club/{self.id}/consent", json=body, headers=who.headers
        )
        assert resp.status_code == 200, resp.text
        return resp.json()["data"]

    async def post_shot(self, r: Range) -> None:
        resp = await self.http.post(
            "/api/v0/shot", json=shot(r, C + 100, C), headers=r.archer.headers
        )
        assert resp.status_code == 201, resp.text

    async def public(self, token: str) -> ClientConnection:
        return await ws_connect(self.url, f"/api/v0/ws?board={token}")

    async def members(self, who: ArcherCtx) -> ClientConnection:
        return await ws_connect(self.url, f"/api/v0/ws?club_id={self.id}", who.token)


@pytest.fixture
async def club(served: Served, db: Connection, make_archer: MakeArcher) -> AsyncIterator[Club]:
    owner = await make_archer("Olive Owner")
    coach = await make_archer("Cora Coach")
    ann = await make_archer("Ann Member", bowstyle="barebow")
    ben = await make_archer("Ben Member")
    club_id = await make_club(db, owner, (coach, "coach"), (ann, "member"), (ben, "member"))
    async with httpx.AsyncClient(base_url=served.url) as http:
        yield Club(club_id, owner, coach, ann, ben, http, f"127.0.0.1:{served.port}")


def keys(value: Any) -> list[str]:
    """Every key of every object in `value`."""
    if isinstance(value, dict):
        return [*value, *(k for v in value.values() for k in keys(v))]
    if isinstance(value, list):
        return [k for v in value for k in keys(v)]
    return []


async def snapshot(ws: ClientConnection) -> dict[str, Any]:
    f = await next_frame(ws, skip=SKIP)
    assert f["type"] == "board.snapshot"
    data: dict[str, Any] = f["data"]
    return data


async def test_members_are_not_on_a_public_link_until_they_allow_it(
    club: Club, db: Connection
) -> None:
    token = await club.link()
    await make_range(db, club.ann)
    await make_range(db, club.ben)
    joined = (await club.http.get("/api/v0/club", headers=club.ann.headers)).json()["data"]
    assert [c["show_on_public_board"] for c in joined] == [False]  # off by default
    resp = await club.http.get(f"/api/v0/board/{token}")
    assert resp.status_code == 200 and resp.json()["data"]["archers"] == []

    answer = await club.consent(club.ann, share=True, public=True)
    assert (answer["share_with_coaches"], answer["show_on_public_board"]) == (True, True)
    resp = await club.http.get(f"/api/v0/board/{token}")
    assert [a["name"] for a in resp.json()["data"]["archers"]] == ["Ann Member"]
    async with await club.public(token) as ws:
        assert [a["name"] for a in (await snapshot(ws))["archers"]] == ["Ann Member"]
    # The club's own board shows both (they share with the coaches, as on joining).
    async with await club.members(club.coach) as ws:
        names = [a["name"] for a in (await snapshot(ws))["archers"]]
    assert names == ["Ann Member", "Ben Member"]


async def test_a_public_link_shows_no_ids_and_no_times(club: Club, db: Connection) -> None:
    token = await club.link()
    await club.consent(club.ann, share=True, public=True)
    ann_range = await make_range(db, club.ann)
    await club.post_shot(ann_range)
    texts = [(await club.http.get(f"/api/v0/board/{token}")).text]
    async with await club.public(token) as ws:
        texts.append(str(await ws.recv()))
        await club.post_shot(ann_range)
        # The second shot's frame (the first one's may still arrive after the snapshot: it is
        # announced after its commit, and a board keeps arrows by seq).
        while not ('"board.shot.created"' in texts[-1] and '"seq":2' in texts[-1]):
            texts.append(str(await ws.recv()))
    for text in texts:
        assert not UUID_TEXT.search(text), text
        data = orjson.loads(text)["data"]
        assert not [k for k in keys(data) if k.endswith(("_id", "_at"))], text
    rest = orjson.loads(texts[0])["data"]
    assert rest["club"] == {"name": "Riverside Archers"}
    (entry,) = orjson.loads(texts[1])["data"]["archers"]
    assert set(entry) == PUBLIC_ENTRY
    assert (entry["name"], entry["bowstyle"]) == ("Ann Member", "barebow")
    # What ranking needs: her category (not her profile's fields), rule and counts.
    assert entry["category"]["label"] == "Barebow Men"
    assert "gender" not in entry and "age_group" not in entry
    assert entry["rule"]["code"] == "wa"
    assert entry["tally"] == {"arrows": 1, "total": 9, "hits": 1, "ten_x": 0, "x": 0, "golds": 0}
    assert entry["faces"] == [{"face_type": "wa_122"}]
    assert set(entry["shots"][0]) == PUBLIC_SHOT
    assert (entry["shots"][0]["seq"], entry["shots"][0]["label"]) == (1, "9")
    created = orjson.loads(texts[-1])
    assert created["request_id"] is None
    assert set(created["data"]) == {"key", "shot", "tally"}
    assert created["data"]["tally"]["total"] == 18
    assert created["data"]["key"] == entry["key"] == rest["archers"][0]["key"]
    assert created["data"]["shot"]["seq"] == 2
    # Another link, another key for the same session: nothing to match between links.
    other = await club.link()
    again = (await club.http.get(f"/api/v0/board/{other}")).json()["data"]["archers"]
    assert again[0]["key"] != entry["key"]


async def test_withdrawn_consent_takes_a_member_off_every_board_at_once(
    club: Club, db: Connection
) -> None:
    token = await club.link()
    await club.consent(club.ann, share=True, public=True)
    ann_range = await make_range(db, club.ann)
    async with (
        await club.public(token) as public,
        await club.members(club.coach) as coach,
        await club.members(club.ben) as ben,
    ):
        (entry,) = (await snapshot(public))["archers"]
        for ws in (coach, ben):
            assert [a["name"] for a in (await snapshot(ws))["archers"]] == ["Ann Member"]

        await club.consent(club.ann, share=False)
        gone = await frame_of(public, "board.session.closed")
        assert gone["data"] == {"key": entry["key"]}
        for ws in (coach, ben):
            removed = await frame_of(ws, "board.archer.removed")
            assert removed["data"] == {"archer_id": str(club.ann.id)}
        # Her arrows reach nobody: not the coach, not the club, not the public.
        await club.post_shot(ann_range)
        for ws in (public, coach, ben):
            with pytest.raises(TimeoutError):
                await next_frame(ws, skip=SKIP, timeout=1.0)
    for who in (club.coach, club.ben, club.ann):  # not even on her own screen
        resp = await club.http.get(f"/api/v0/club/{club.id}/board", headers=who.headers)
        assert resp.json()["data"]["archers"] == []
    assert (await club.http.get(f"/api/v0/board/{token}")).json()["data"]["archers"] == []


async def test_public_display_off_then_on_again(club: Club, db: Connection) -> None:
    token = await club.link()
    await club.consent(club.ann, share=True, public=True)
    ann_range = await make_range(db, club.ann)
    async with await club.public(token) as public, await club.members(club.ben) as ben:
        (entry,) = (await snapshot(public))["archers"]
        await snapshot(ben)

        await club.consent(club.ann, share=True, public=False)
        assert (await frame_of(public, "board.session.closed"))["data"] == {"key": entry["key"]}
        # Still on the club's board: taken off and shown again at once.
        back = await frame_of(ben, "board.session")
        assert (back["data"]["name"], back["data"]["key"]) == (
            "Ann Member",
            str(ann_range.session_id),
        )
        await club.post_shot(ann_range)
        assert (await frame_of(ben, "board.shot.created"))["data"]["shot"]["seq"] == 1
        with pytest.raises(TimeoutError):
            await next_frame(public, skip=SKIP, timeout=1.0)

        await club.consent(club.ann, share=True, public=True)
        shown = await frame_of(public, "board.session")
        assert set(shown["data"]) == PUBLIC_ENTRY
        assert shown["data"]["key"] == entry["key"]
        assert [s["seq"] for s in shown["data"]["shots"]] == [1]
