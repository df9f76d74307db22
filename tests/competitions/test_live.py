"""Live results over the WebSocket (a real `serve` process, PostgreSQL, WebSocket clients):
the public link's viewers see every change, a bale phone's end sent twice counts once."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed

from arch_stats.core.database import Connection
from tests.board.test_board import closed_with
from tests.competitions.helpers import API, bale, club_night, end_of
from tests.conftest import MakeArcher
from tests.live.conftest import next_frame, ws_connect
from tests.serve_process import Served, serve


@pytest.fixture(scope="module")
async def served(migrated: str, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Served]:
    async with serve(migrated, tmp_path_factory.mktemp("results") / "serve.log") as s:
        yield s


def row_of(frame: dict[str, Any], name: str) -> dict[str, Any]:
    assert frame["type"] == "results"
    for cat in frame["data"]["categories"]:
        for row in cat["rows"]:
            if row["name"] == name:
                return dict(row)
    raise AssertionError(name)


async def test_public_results_follow_the_bale_live_and_an_end_sent_twice_counts_once(
    served: Served, db: Connection, make_archer: MakeArcher
) -> None:
    async with httpx.AsyncClient(base_url=served.url) as http:
        night = await club_night(http, make_archer, db)
        r = await http.post(
            f"{API}/competition/{night.id}/results/link", headers=night.owner.headers
        )
        token = r.json()["data"]["token"]
        url = f"127.0.0.1:{served.port}"
        public = await ws_connect(url, f"/api/v0/ws?results={token}")
        members = await ws_connect(
            url, f"/api/v0/ws?competition_id={night.id}", night.members["Ivo"].token
        )
        try:
            first = await next_frame(public)
            assert row_of(first, "Lou")["arrows"] == 0 and "entry_id" not in row_of(first, "Lou")
            assert "entry_id" in row_of(await next_frame(members), "Lou")
            # Bale 3's phone (Ivo's) scores the guest Lou's end; the answer is lost and the
            # outbox sends it again.
            archers = {
                a["name"]: a for a in (await bale(http, night, 3, night.members["Ivo"]))["archers"]
            }
            post = end_of(archers["Lou"], ["X", "10", "9"])
            ivo = night.members["Ivo"].headers
            r = await http.post(f"{API}/competition/shot", json=post, headers=ivo)
            assert r.status_code == 201, r.text
            frame = await next_frame(public)
            while row_of(frame, "Lou")["arrows"] < 3:
                frame = await next_frame(public)
            assert (row_of(frame, "Lou")["total"], row_of(frame, "Lou")["place"]) == (29, 1)
            r = await http.post(f"{API}/competition/shot", json=post, headers=ivo)
            assert r.status_code == 200, r.text
            # A confirmation is a change too: the next frame has it, and still 3 arrows.
            r = await http.post(
                f"{API}/competition/{night.id}/entry/{archers['Lou']['id']}/end/1/confirm",
                headers=ivo,
            )
            assert r.status_code == 200, r.text
            frame = await next_frame(public)
            while row_of(frame, "Lou")["confirmed_ends"] < 1:
                frame = await next_frame(public)
            assert (row_of(frame, "Lou")["arrows"], row_of(frame, "Lou")["total"]) == (3, 29)
        finally:
            await public.close()
            await members.close()
        bad = await ws_connect(url, "/api/v0/ws?results=asc_nothing")
        with pytest.raises(ConnectionClosed, match="4404"):
            await next_frame(bad, timeout=10)


async def test_public_results_viewers_count_in_the_public_caps_and_close_on_a_new_link(
    migrated: str, tmp_path: Path, db: Connection, make_archer: MakeArcher
) -> None:
    """The public results link takes a bounded number of viewers, per link and per address,
    counted with the club boards' and the timers' (4429); members are not counted; a viewer
    that leaves gives its place back; a new link closes the old one's viewers (4403). A
    viewer who joins sends the others nothing: their next frame is the next change."""
    env = {"BOARD_VIEWERS_PER_LINK": "3", "BOARD_VIEWERS_PER_ADDRESS": "2"}
    async with (
        serve(migrated, tmp_path / "serve.log", env=env) as served,
        httpx.AsyncClient(base_url=served.url) as http,
    ):
        night = await club_night(http, make_archer, db)
        owner = night.owner.headers
        r = await http.post(f"{API}/competition/{night.id}/results/link", headers=owner)
        token = r.json()["data"]["token"]
        url = f"127.0.0.1:{served.port}"

        async def viewer(address: str) -> ClientConnection:
            return await ws_connect(url, f"/api/v0/ws?results={token}", local_addr=(address, 0))

        first = await viewer("127.0.0.2")
        assert row_of(await next_frame(first), "Lou")["arrows"] == 0
        second = await viewer("127.0.0.2")
        assert row_of(await next_frame(second), "Lou")["arrows"] == 0
        async with await viewer("127.0.0.2") as third:
            assert await closed_with(third) == (4429, "too many public viewers from this address")
        other = await viewer("127.0.0.3")
        await next_frame(other)
        async with await viewer("127.0.0.4") as fourth:
            assert await closed_with(fourth) == (4429, "too many viewers of this results link")
        # Members are not counted: a member's results open from the same address.
        async with await ws_connect(
            url,
            f"/api/v0/ws?competition_id={night.id}",
            night.members["Ivo"].token,
            local_addr=("127.0.0.2", 0),
        ) as member:
            assert "entry_id" in row_of(await next_frame(member), "Lou")
        # Those who joined sent the first viewer nothing: its next frame is the next end.
        archers = {
            a["name"]: a for a in (await bale(http, night, 3, night.members["Ivo"]))["archers"]
        }
        post = end_of(archers["Lou"], ["10", "9", "9"])
        r = await http.post(f"{API}/competition/shot", json=post, headers=owner)
        assert r.status_code == 201, r.text
        assert row_of(await next_frame(first), "Lou")["arrows"] == 3
        # A viewer that leaves gives its place back.
        await second.close()
        later, frame = await let_in(lambda: viewer("127.0.0.4"))
        assert row_of(frame, "Lou")["total"] == 28
        # A new link: the old one's viewers are closed.
        r = await http.post(f"{API}/competition/{night.id}/results/link", headers=owner)
        assert r.status_code == 201, r.text
        for ws in (first, other, later):
            assert await closed_with(ws) == (4403, "results link revoked")


async def let_in(
    open_one: Callable[[], Awaitable[ClientConnection]], tries: int = 100
) -> tuple[ClientConnection, dict[str, Any]]:
    """A viewer let in once the server has seen another one leave (it may take a moment),
    and its first frame."""
    for _ in range(tries):
        ws = await open_one()
        try:
            return ws, await next_frame(ws)
        except ConnectionClosed:  # 4429: not yet
            await asyncio.sleep(0.05)
    raise AssertionError("never let in")
