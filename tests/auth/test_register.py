"""Registration on a club night: a real `serve` behind a (simulated) reverse proxy, every
archer at one address. A working club invite registers without counting against the limit
per address and joins the club in the same step; a code that does not work, and an e-mail
address already registered, count like any registration."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from arch_stats.core.database import Connection
from tests.conftest import ArcherCtx, MakeArcher
from tests.serve_process import Served, serve

API = "/api/v0"
LIMIT = 3


@pytest.fixture(scope="module")
async def served(migrated: str, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Served]:
    """`serve --proxy-headers` (the proxy: 127.0.0.1): each test's archers sit behind their
    own address (X-Forwarded-For), as a club's members behind the range's Wi-Fi."""
    env = {"REGISTER_MAX_ATTEMPTS": str(LIMIT), "REGISTER_WINDOW_SECONDS": "3600"}
    log = tmp_path_factory.mktemp("register") / "serve.log"
    async with serve(migrated, log, env=env, args=("--proxy-headers",)) as server:
        yield server


def at(served: Served, address: str, token: str | None = None) -> httpx.AsyncClient:
    headers = {"X-Forwarded-For": address}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    return httpx.AsyncClient(base_url=served.url, headers=headers, timeout=60)


async def register(http: httpx.AsyncClient, email: str, code: str | None = None) -> httpx.Response:
    body: dict[str, Any] = {"email": email, "password": "longbow-sherwood", "name": email[:20]}
    if code is not None:
        body["invite_code"] = code
    return await http.post(f"{API}/auth/register", json=body)


async def club_with_invite(
    served: Served, owner: ArcherCtx, **invite: Any
) -> tuple[str, dict[str, Any]]:
    async with at(served, "192.0.2.1", owner.token) as http:
        r = await http.post(f"{API}/club", json={"name": "Riverside Bowmen"})
        club_id: str = r.json()["data"]["id"]
        r = await http.post(f"{API}/club/{club_id}/invite", json={"role": "member", **invite})
        assert r.status_code == 201, r.text
        return club_id, r.json()["data"]


async def uses(served: Served, owner: ArcherCtx, club_id: str) -> int:
    async with at(served, "192.0.2.1", owner.token) as http:
        r = await http.get(f"{API}/club/{club_id}/invite")
        return sum(i["uses"] for i in r.json()["data"])


async def test_club_night_behind_one_address_everyone_registers_with_the_invite(
    served: Served, make_archer: MakeArcher, db: Connection
) -> None:
    owner = await make_archer("Olive Owner")
    club_id, invite = await club_with_invite(served, owner, max_uses=8)
    async with at(served, "203.0.113.10") as http:
        # Twice the limit per address, at once: the invite is the club's say-so.
        answers = await asyncio.gather(
            *(register(http, f"night{i}@example.org", invite["code"]) for i in range(2 * LIMIT))
        )
        assert [a.status_code for a in answers] == [201] * (2 * LIMIT), answers[0].text
        for a in answers:
            club = a.json()["data"]["club"]
            assert (club["id"], club["my_role"], club["share_with_coaches"]) == (
                club_id,
                "member",
                True,
            )
        # The address has its whole allowance left for walk-ins without an invite.
        for i in range(LIMIT):
            r = await register(http, f"walkin{i}@example.org")
            assert r.status_code == 201, r.text
            assert r.json()["data"]["club"] is None
        r = await register(http, "one-too-many@example.org")
        assert r.status_code == 429
        assert int(r.headers["retry-after"]) > 0
        # The invite still works for the rest of the club, limit or not.
        assert (await register(http, "late@example.org", invite["code"])).status_code == 201
        # A new account signs in and finds its club.
        r = await http.post(
            f"{API}/auth/login",
            json={"email": "night0@example.org", "password": "longbow-sherwood"},
        )
        token = r.json()["data"]["token"]
    async with at(served, "203.0.113.10", token) as http:
        assert [c["id"] for c in (await http.get(f"{API}/club")).json()["data"]] == [club_id]
    assert await uses(served, owner, club_id) == 2 * LIMIT + 1
    members = await db.fetchval("SELECT count(*) FROM club_member WHERE club_id = $1", club_id)
    assert members == 2 * LIMIT + 2


async def test_a_code_that_does_not_work_counts_and_creates_nothing(
    served: Served, make_archer: MakeArcher, db: Connection
) -> None:
    owner = await make_archer("Olive Owner")
    club_id, used_up = await club_with_invite(served, owner, max_uses=1)
    other_club, working = await club_with_invite(served, owner, max_uses=5)
    async with at(served, "203.0.113.20") as http:
        assert (await register(http, "first@example.org", used_up["code"])).status_code == 201
        for i, code in enumerate(("nonsense", used_up["code"], "x" * 64)):
            r = await register(http, f"guess{i}@example.org", code)
            assert r.status_code == 404, r.text
            assert "used up" in r.json()["errors"][0]
        # Those three were this address's allowance.
        assert (await register(http, "guess9@example.org", "nonsense")).status_code == 429
        assert (await register(http, "plain@example.org")).status_code == 429
        # A working invite is still let through.
        assert (await register(http, "second@example.org", working["code"])).status_code == 201
    created = await db.fetch("SELECT email FROM archer WHERE email LIKE '%@example.org'")
    assert sorted(r["email"] for r in created if not r["email"].startswith("archer-")) == [
        "first@example.org",
        "second@example.org",
    ]
    for club in (club_id, other_club):  # the owner, and the one account the invite let in
        assert await db.fetchval("SELECT count(*) FROM club_member WHERE club_id = $1", club) == 2


async def test_a_taken_email_address_is_409_and_counts_even_with_a_working_invite(
    served: Served, make_archer: MakeArcher, db: Connection
) -> None:
    """Without e-mail delivery, registration cannot hide that an address has an account (the
    registrant could sign in with the password just chosen): such answers are limited like
    any registration, invite or not, and the invite keeps its use."""
    owner = await make_archer("Olive Owner")
    existing = await make_archer("Ex Isting")
    club_id, invite = await club_with_invite(served, owner, max_uses=10)
    async with at(served, "203.0.113.30") as http:
        for _ in range(LIMIT):
            r = await register(http, existing.email, invite["code"])
            assert r.status_code == 409, r.text
            assert r.json()["errors"] == ["an account with this e-mail address already exists"]
        assert (await register(http, existing.email, invite["code"])).status_code == 429
        assert (await register(http, existing.email.upper(), invite["code"])).status_code == 429
    assert await uses(served, owner, club_id) == 0
    member = await db.fetchval("SELECT count(*) FROM club_member WHERE archer_id = $1", existing.id)
    assert member == 0
