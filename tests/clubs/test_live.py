"""Coaches watching members' sessions live: notes pushed, access cut with 4403 at once,
in this process and across two real server processes."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Awaitable, Callable

import httpx
import pytest

from tests.clubs.helpers import Club, make_club, session_with_shots
from tests.conftest import MakeArcher
from tests.live.conftest import next_frame, ws_connect
from tests.live.test_multiprocess import start_server
from tests.live.test_revocation import closed_with

API = "/api/v0"


def ws_path(session_id: str) -> str:
    return f"{API}/ws?session_id={session_id}"


async def test_coach_watches_a_shared_session_and_the_archer_sees_notes_live(
    client: httpx.AsyncClient, make_archer: MakeArcher, server_url: str
) -> None:
    club = await make_club(client, make_archer)
    shared = await session_with_shots(client, club.sharing, 1)
    private = await session_with_shots(client, club.private, 1)
    async with (
        await ws_connect(server_url, ws_path(shared), club.sharing.token) as mine,
        await ws_connect(server_url, ws_path(shared), club.coach.token) as coach,
        await ws_connect(server_url, ws_path(private), club.coach.token) as refused,
    ):
        assert await closed_with(refused) == (4404, "session not found")
        r = await client.post(
            f"{API}/session/{shared}/note",
            json={"body": "Relax the bow hand", "end_no": 1},
            headers=club.coach.headers,
        )
        assert r.status_code == 201
        for ws in (mine, coach):
            got = await next_frame(ws)
            assert got["type"] == "note.created"
            assert (got["data"]["body"], got["data"]["end_no"]) == ("Relax the bow hand", 1)
        # Consent withdrawn: the coach's socket closes 4403, the archer's own stays open.
        r = await client.put(
            f"{API}/club/{club.id}/consent",
            json={"share_with_coaches": False},
            headers=club.sharing.headers,
        )
        assert r.status_code == 200
        assert await closed_with(coach) == (4403, "access withdrawn")
        r = await client.post(
            f"{API}/session/{shared}/note", json={"body": "mine"}, headers=club.sharing.headers
        )
        assert r.status_code == 201
        assert (await next_frame(mine))["data"]["body"] == "mine"


# -- across two server processes ------------------------------------------------------------


@pytest.fixture(scope="module")
async def two_servers(migrated: str) -> AsyncIterator[list[str]]:
    import signal
    import subprocess

    procs: list[subprocess.Popen[bytes]] = []
    urls = []
    try:
        for _ in range(2):
            proc, url = await start_server(migrated)
            procs.append(proc)
            urls.append(url)
        yield urls
    finally:
        for proc in procs:
            proc.send_signal(signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()


Change = Callable[[httpx.AsyncClient, Club], Awaitable[httpx.Response]]


async def _withdraw_consent(http: httpx.AsyncClient, club: Club) -> httpx.Response:
    return await http.put(
        f"{API}/club/{club.id}/consent",
        json={"share_with_coaches": False},
        headers=club.sharing.headers,
    )


async def _member_leaves(http: httpx.AsyncClient, club: Club) -> httpx.Response:
    return await http.delete(
        f"{API}/club/{club.id}/member/{club.sharing.id}", headers=club.sharing.headers
    )


async def _member_removed(http: httpx.AsyncClient, club: Club) -> httpx.Response:
    return await http.delete(
        f"{API}/club/{club.id}/member/{club.sharing.id}", headers=club.owner.headers
    )


async def _coach_removed(http: httpx.AsyncClient, club: Club) -> httpx.Response:
    return await http.delete(
        f"{API}/club/{club.id}/member/{club.coach.id}", headers=club.owner.headers
    )


async def _coach_made_member(http: httpx.AsyncClient, club: Club) -> httpx.Response:
    return await http.patch(
        f"{API}/club/{club.id}/member/{club.coach.id}",
        json={"role": "member"},
        headers=club.owner.headers,
    )


@pytest.mark.parametrize(
    "change",
    [_withdraw_consent, _member_leaves, _member_removed, _coach_removed, _coach_made_member],
)
async def test_access_cut_closes_the_coach_socket_on_another_process(
    two_servers: list[str], client: httpx.AsyncClient, make_archer: MakeArcher, change: Change
) -> None:
    a, b = two_servers
    club = await make_club(client, make_archer)
    shared = await session_with_shots(client, club.sharing, 1)
    async with (
        await ws_connect(a, ws_path(shared), club.coach.token) as coach,
        await ws_connect(a, ws_path(shared), club.sharing.token) as mine,
        httpx.AsyncClient(base_url=f"http://{b}", timeout=60) as http,
    ):
        # Both sockets are live: a note reaches both.
        r = await http.post(
            f"{API}/session/{shared}/note", json={"body": "hello"}, headers=club.coach.headers
        )
        assert r.status_code == 201
        for ws in (coach, mine):
            assert (await next_frame(ws))["type"] == "note.created"
        started = time.monotonic()
        r = await change(http, club)
        assert r.status_code in (200, 204), r.text
        assert await closed_with(coach, timeout=30) == (4403, "access withdrawn")
        took = time.monotonic() - started
        print(f"{change.__name__}: coach socket closed {took * 1000:.0f} ms after the change")
        # The next request is refused too, on either process.
        for url in (a, b):
            async with httpx.AsyncClient(base_url=f"http://{url}") as other:
                r = await other.get(f"{API}/session/{shared}", headers=club.coach.headers)
                assert r.status_code == 404
                assert r.json()["data"] is None
        # The archer's own socket is untouched.
        r = await http.post(
            f"{API}/session/{shared}/note",
            json={"body": "still here"},
            headers=club.sharing.headers,
        )
        assert r.status_code == 201
        assert (await next_frame(mine))["data"]["body"] == "still here"
