"""A round ends for every writer (issue 20): concurrent posts, a joint write of several
posts, an import and the sensors' shots cannot pass the round's arrows; the database's writer
enforces it, not the route."""

from __future__ import annotations

import asyncio
import csv
import io
from typing import Any
from uuid import UUID

import httpx
import pytest

from arch_stats.core.database import Connection, Pool
from arch_stats.core.errors import Conflict
from arch_stats.shots import repository as repo
from arch_stats.shots.repository import ShotRow
from tests.conftest import ArcherCtx
from tests.rounds.helpers import API, ok, open_round, shoot, shots, targets


async def custom_round(
    client: httpx.AsyncClient, who: ArcherCtx, arrows: int, per_end: int = 3
) -> dict[str, Any]:
    r = await client.post(
        f"{API}/round/custom",
        json={
            "name": f"{arrows} arrows",
            "location": "indoor",
            "arrows_per_end": per_end,
            "passes": [{"n_arrows": arrows, "distance": 18, "face_type": "wa_40"}],
        },
        headers=who.headers,
    )
    data: dict[str, Any] = await ok(r, 201)
    return data


async def test_concurrent_posts_cannot_pass_the_rounds_arrows(
    client: httpx.AsyncClient, archer: ArcherCtx, db: Connection
) -> None:
    """24 posts of an end of 3 at once into a round of 30 arrows: those that arrive together
    are tried jointly (too many for the round: each is then written alone), exactly 10 are
    taken, the others refused with 409, and the session holds 30 shots."""
    rnd = await custom_round(client, archer, 30)
    s = await open_round(client, archer, custom_round_id=rnd["id"], distance_m=18)
    (target,) = await targets(client, archer, s["id"])
    await client.get(f"{API}/session", headers=archer.headers)  # token cached
    responses = await asyncio.gather(
        *(
            client.post(
                f"{API}/shot", json=shots(s["id"], target, ["9", "8", "7"]), headers=archer.headers
            )
            for _ in range(24)
        )
    )
    codes = sorted(r.status_code for r in responses)
    assert codes == [201] * 10 + [409] * 14, [r.text for r in responses if r.status_code != 201]
    refusals = {r.json()["errors"][0] for r in responses if r.status_code == 409}
    assert refusals == {"round complete: 30 of 30 arrows shot"}
    row = await db.fetchrow(
        "SELECT shot_count, (SELECT count(*) FROM shot WHERE session_id = $1) AS n "
        "FROM session WHERE id = $1",
        UUID(s["id"]),
    )
    assert row is not None and (row["shot_count"], row["n"]) == (30, 30)


async def test_a_joint_write_of_several_posts_cannot_pass_the_rounds_arrows(
    client: httpx.AsyncClient, archer: ArcherCtx, other: ArcherCtx, db: Connection, app: Any
) -> None:
    """Posts of two sessions in ONE statement (the writer's joint write): the one whose posts
    together pass its round fails the statement, nothing of it or the other is written."""
    pool: Pool = app.state.pool
    rnd = await custom_round(client, archer, 6)
    mine = await open_round(client, archer, custom_round_id=rnd["id"], distance_m=18)
    (target,) = await targets(client, archer, mine["id"])
    theirs = await open_round(client, other, distance_m=18)
    their_target = await ok(
        await client.post(
            f"{API}/session/{theirs['id']}/target",
            json={"faces": [{"face_type": "wa_40"}]},
            headers=other.headers,
        ),
        201,
    )
    fc = target["faces"][0]

    def rows(t: dict[str, Any], n: int) -> list[ShotRow]:
        c = t["faces"][0]
        return [
            ShotRow(UUID(t["id"]), None, c["center_x_mm"], c["center_y_mm"], 0, 0, 0.0, 0.0,
                    10, True, None, None, None)
            for _ in range(n)
        ]  # fmt: skip

    assert fc
    posts = [
        repo.Post(UUID(mine["id"]), archer.id, rows(target, 4), "a"),
        repo.Post(UUID(theirs["id"]), other.id, rows(their_target, 3), "b"),
        repo.Post(UUID(mine["id"]), archer.id, rows(target, 3), "c"),
    ]
    with pytest.raises(Conflict, match="the round has 6 arrows left"):
        await repo.insert_posts(pool, posts)
    counts = await db.fetch("SELECT session_id, count(*) FROM shot GROUP BY session_id")
    assert counts == []
    # Within the round, the same joint write goes through.
    posts[2] = repo.Post(UUID(mine["id"]), archer.id, rows(target, 2), "c")
    parts = await repo.insert_posts(pool, posts)
    assert all(part is not None for part in parts)
    assert (await ok(await client.get(f"{API}/session/{mine['id']}", headers=archer.headers)))[
        "progress"
    ]["complete"]


async def test_an_import_cannot_pass_a_followed_rounds_arrows(
    client: httpx.AsyncClient, archer: ArcherCtx
) -> None:
    """A round session exported, its file given one arrow more: refused, nothing imported."""
    rnd = await custom_round(client, archer, 6)
    s = await open_round(client, archer, custom_round_id=rnd["id"], distance_m=18)
    (target,) = await targets(client, archer, s["id"])
    await shoot(client, archer, s["id"], target, ["9"] * 6)
    await ok(await client.post(f"{API}/session/{s['id']}/close", headers=archer.headers))
    r = await client.get(f"{API}/export/shots.csv", headers=archer.headers)
    lines = list(csv.DictReader(io.StringIO(r.text)))
    extra = dict(lines[-1], seq="7", end_no="3", end_place="1")
    r = await client.post(
        f"{API}/import/shots.csv",
        content=_text([*lines, extra]),
        headers={**archer.headers, "content-type": "text/csv"},
    )
    assert r.status_code == 422, r.text
    assert "round complete" in r.json()["errors"][0]
    # As exported, it imports (into the same account: nothing new).
    r = await client.post(
        f"{API}/import/shots.csv",
        content=_text(lines),
        headers={**archer.headers, "content-type": "text/csv"},
    )
    assert r.status_code == 200, r.text


def _text(lines: list[dict[str, str]]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(lines[0]))
    writer.writeheader()
    writer.writerows(lines)
    return out.getvalue().encode()
