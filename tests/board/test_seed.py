"""`seed --demo`: the demo club, its coach and three members, with something on the board."""

from __future__ import annotations

import httpx

from arch_stats.core.database import Connection
from arch_stats.seed import CLUB_PEOPLE, DEMO_CLUB, DEMO_EMAIL, seed_demo


async def test_seed_demo_adds_a_club_whose_board_shows_three_archers(
    migrated: str, db: Connection, client: httpx.AsyncClient
) -> None:
    owner = await seed_demo(migrated, log=lambda _: None)
    club = await db.fetchrow("SELECT id, name FROM club")
    assert club is not None and club["name"] == DEMO_CLUB
    roles = await db.fetch(
        "SELECT a.email, m.role FROM club_member m JOIN archer a ON a.id = m.archer_id "
        "WHERE m.club_id = $1 ORDER BY a.email",
        club["id"],
    )
    assert {(r["email"], r["role"]) for r in roles} == {(DEMO_EMAIL, "owner")} | {
        (p[0], p[3]) for p in CLUB_PEOPLE
    }
    # Everyone in the club but the owner shot a round last week (closed, within 7 days)...
    rows = await db.fetch(
        """SELECT a.email, count(*) FILTER (WHERE NOT s.is_open
                                              AND s.start_time > now() - interval '8 days')
                  AS last_week,
                  count(*) FILTER (WHERE s.is_open) AS open, sum(s.shot_count) AS shots
           FROM archer a JOIN session s ON s.archer_id = a.id
           WHERE a.email = ANY($1::text[]) GROUP BY a.email""",
        [p[0] for p in CLUB_PEOPLE],
    )
    by_email = {r["email"]: r for r in rows}
    for email, _name, _bow, role, _sigma in CLUB_PEOPLE:
        assert by_email[email]["last_week"] == 1, email
        # ... and the three members are shooting now: the board has them.
        assert by_email[email]["open"] == (1 if role == "member" else 0), email
    token = "asl_" + "seed" * 10
    await db.execute(
        "INSERT INTO auth_token (archer_id, token_hash, scope, expires_at) "
        "VALUES ($1, sha256($2::bytea), 'login', now() + interval '1 hour')",
        owner,
        token.encode(),
    )
    resp = await client.get(
        f"/api/v0/club/{club['id']}/board", headers={"Authorization": f"Bearer {token}"}
    )
    assert resp.status_code == 200, resp.text
    board = resp.json()["data"]
    assert board["role"] == "owner"
    assert sorted(a["name"] for a in board["archers"]) == ["Lee Nock", "Mia Fletcher", "Sam Bowyer"]
    assert all(a["shots"] for a in board["archers"])
    # Ranked by category: Sam and Lee, both recurves, against each other.
    assert [(g["category"]["label"], len(g["places"])) for g in board["ranking"]] == [
        ("Recurve Men", 2),
        ("Compound Men", 1),
    ]
    # They agreed to the public board too: a link shows them.
    resp = await client.post(
        f"/api/v0/club/{club['id']}/board/link", headers={"Authorization": f"Bearer {token}"}
    )
    public = (await client.get(f"/api/v0/board/{resp.json()['data']['token']}")).json()["data"]
    assert sorted(a["name"] for a in public["archers"]) == [
        "Lee Nock",
        "Mia Fletcher",
        "Sam Bowyer",
    ]

    # Seeding again adds nothing; --reset starts the demo over (one club still).
    await seed_demo(migrated, log=lambda _: None)
    assert await db.fetchval("SELECT count(*) FROM club") == 1
    await seed_demo(migrated, log=lambda _: None, reset=True)
    assert await db.fetchval("SELECT count(*) FROM club") == 1
    assert await db.fetchval("SELECT count(*) FROM club_member") == 1 + len(CLUB_PEOPLE)
