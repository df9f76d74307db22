"""`seed --demo` adds the club's competition night in progress: a newcomer sees it at once."""

from __future__ import annotations

import httpx

from arch_stats.core.database import Connection
from arch_stats.seed import DEMO_COMPETITION, DEMO_ENDS, DEMO_ENTRANTS, seed_demo


async def test_seed_demo_adds_a_running_competition_with_confirmed_ends_and_live_results(
    migrated: str, db: Connection, client: httpx.AsyncClient
) -> None:
    owner = await seed_demo(migrated, log=lambda _: None)
    token = "asl_" + "comp" * 10
    await db.execute(
        "INSERT INTO auth_token (archer_id, token_hash, scope, expires_at) "
        "VALUES ($1, sha256($2::bytea), 'login', now() + interval '1 hour')",
        owner,
        token.encode(),
    )
    headers = {"Authorization": f"Bearer {token}"}
    # The demo archer's list of competitions has it, running, and she organises it.
    resp = await client.get("/api/v0/competition", headers=headers)
    assert resp.status_code == 200, resp.text
    [listed] = resp.json()["data"]
    assert (listed["name"], listed["status"], listed["my_role"], listed["entries"]) == (
        DEMO_COMPETITION,
        "running",
        "organiser",
        len(DEMO_ENTRANTS),
    )
    comp = (await client.get(f"/api/v0/competition/{listed['id']}", headers=headers)).json()
    bales = sorted({e["bale"] for e in comp["data"]["entrants"]})
    assert bales == [1, 2, 3]  # recurve, compound, barebow: each category from a new bale
    # Bale 1: every archer six ends in, the first five confirmed, the sixth waiting.
    bale = (await client.get(f"/api/v0/competition/{listed['id']}/bale/1", headers=headers)).json()
    archers = bale["data"]["archers"]
    assert len(archers) == 4
    for a in archers:
        assert a["session"]["progress"]["end_no"] == DEMO_ENDS + 1
        assert len(a["shots"]) == 3 * DEMO_ENDS
        assert sorted(a["confirmed_ends"]) == list(range(1, DEMO_ENDS))
        assert a["targets"] and a["targets"][0]["faces"][0]["face_type"] == "wa_60"
    # The results rank the three categories, every archer with the arrows shot so far.
    res = (await client.get(f"/api/v0/competition/{listed['id']}/results", headers=headers)).json()
    cats = res["data"]["categories"]
    assert [len(c["rows"]) for c in cats] == [4, 2, 2]
    assert all(r["arrows"] == 3 * DEMO_ENDS and r["guest"] for c in cats for r in c["rows"])
    # Seeding again (an existing demo) adds no second competition.
    await seed_demo(migrated, log=lambda _: None)
    assert await db.fetchval("SELECT count(*) FROM competition") == 1
