"""A post sent again writes nothing: client-chosen shot ids, or an Idempotency-Key."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4, uuid5

import httpx
import pytest

from arch_stats.core.database import Connection
from tests.conftest import ArcherCtx
from tests.serve_process import serve
from tests.shots.test_shots import C, Range, make_range, post, shot

API = "/api/v0"


def with_ids(r: Range, n: int) -> list[dict[str, Any]]:
    return [shot(r, C + i, C, id=str(uuid4())) for i in range(n)]


async def count(db: Connection) -> tuple[int, int]:
    row = await db.fetchrow("SELECT count(*) AS n, max(last_seq) AS seq FROM shot, session")
    assert row is not None
    return row["n"], row["seq"] or 0


async def test_a_post_sent_again_answers_the_stored_shots_200(
    client: httpx.AsyncClient, rng: Range, db: Connection
) -> None:
    body = with_ids(rng, 3)
    first = await post(client, rng, body)
    assert first.status_code == 201, first.text
    assert [s["id"] for s in first.json()["data"]] == [s["id"] for s in body]
    before = await count(db)
    again = await post(client, rng, body)
    assert again.status_code == 200, again.text
    assert again.json() == {**first.json(), "code": 200}
    assert await count(db) == before  # nothing written, no number used
    # A single shot too, answered as a single shot.
    one = shot(rng, id=str(uuid4()))
    assert (await post(client, rng, one)).status_code == 201
    r = await post(client, rng, one)
    assert r.status_code == 200 and r.json()["data"]["id"] == one["id"]


async def test_a_retry_whose_answer_was_lost_gets_the_shots_as_they_are_now(
    client: httpx.AsyncClient, rng: Range, db: Connection
) -> None:
    """The first attempt was stored but its answer never arrived; meanwhile the shot was
    corrected and the session closed from another device: the retry still answers 200."""
    body = with_ids(rng, 2)
    assert (await post(client, rng, body)).status_code == 201
    url = f"{API}/shot/{body[0]['id']}"
    r = await client.patch(url, json={"x_mm": C + 200, "y_mm": C}, headers=rng.archer.headers)
    assert r.status_code == 200
    closed = await client.post(f"{API}/session/{rng.session_id}/close", headers=rng.archer.headers)
    assert closed.status_code == 200, closed.text
    again = await post(client, rng, body)
    assert again.status_code == 200, again.text
    assert again.json()["data"][0] == r.json()["data"]
    assert (await count(db))[0] == 2


async def test_a_mix_of_stored_and_new_ids_409_and_nothing_written(
    client: httpx.AsyncClient, rng: Range, db: Connection
) -> None:
    body = with_ids(rng, 2)
    assert (await post(client, rng, body)).status_code == 201
    before = await count(db)
    for mixed in ([body[0], shot(rng, id=str(uuid4()))], [body[0], shot(rng)], [*body, shot(rng)]):
        r = await post(client, rng, mixed)
        assert r.status_code == 409, r.text
        assert "stored already" in r.json()["errors"][0]
    assert await count(db) == before


async def test_an_id_of_another_archers_shot_409(
    client: httpx.AsyncClient, rng: Range, db: Connection, other: ArcherCtx
) -> None:
    body = with_ids(rng, 1)
    assert (await post(client, rng, body)).status_code == 201
    theirs = await make_range(db, other)
    r = await post(client, theirs, [shot(theirs, id=body[0]["id"])])
    assert r.status_code == 409
    assert r.json()["errors"] == ["a shot id of this post is already used by another shot"]
    assert await db.fetchval("SELECT count(*) FROM shot WHERE archer_id = $1", other.id) == 0


async def test_an_id_given_twice_in_one_post_422(client: httpx.AsyncClient, rng: Range) -> None:
    same = str(uuid4())
    r = await post(client, rng, [shot(rng, id=same), shot(rng, id=same)])
    assert r.status_code == 422
    assert r.json()["errors"] == [f"shot 1: id {same} is given twice in this post"]


async def test_the_same_post_sent_at_once_is_written_once(
    client: httpx.AsyncClient, rng: Range, db: Connection
) -> None:
    body = with_ids(rng, 6)
    answers = await asyncio.gather(*(post(client, rng, body) for _ in range(6)))
    assert sorted(a.status_code for a in answers) == [200] * 5 + [201]
    assert len({a.text.replace('"code":200', '"code":201') for a in answers}) == 1
    assert await count(db) == (6, 6)


async def test_idempotency_key_names_a_post(
    client: httpx.AsyncClient, rng: Range, db: Connection, other: ArcherCtx
) -> None:
    body = [shot(rng, C + i, C) for i in range(3)]

    async def keyed(key: str, r: Range = rng, data: Any = body) -> httpx.Response:
        return await client.post(
            f"{API}/shot", json=data, headers={**r.archer.headers, "Idempotency-Key": key}
        )

    first = await keyed("offline-42")
    assert first.status_code == 201, first.text
    again = await keyed("offline-42")
    assert again.status_code == 200
    assert again.json()["data"] == first.json()["data"]
    assert (await keyed("offline-43")).status_code == 201  # another post
    assert (await count(db))[0] == 6
    # Keys belong to the archer: another archer's post with the same key is theirs.
    theirs = await make_range(db, other)
    r = await keyed("offline-42", theirs, [shot(theirs)])
    assert r.status_code == 201, r.text
    # The same key with more shots than the first time: a mix.
    assert (await keyed("offline-42", data=[*body, shot(rng)])).status_code == 409


async def test_another_account_cannot_take_a_keyed_posts_ids_first(
    client: httpx.AsyncClient,
    rng: Range,
    db: Connection,
    other: ArcherCtx,
    migrated: str,
    tmp_path: Path,
) -> None:
    """The ids a key gives are the archer's secret: another account that stores shots under
    the ids it can compute from the archer's id (shown on board links) and a likely key does
    not make the archer's posts 409; the post is still answered the same in another process."""
    key = "offline-7"
    body = [shot(rng, C + i, C) for i in range(2)]
    # What the ids were: a uuid5 of the archer, the place in the post and the key.
    guessable = UUID("6f3c1c2e-5b1d-4c47-9a55-0d6a3e1f7b21")
    guessed = [str(uuid5(guessable, f"{rng.archer.id}/{i}/{key}")) for i in range(2)]
    theirs = await make_range(db, other)
    taken = await post(client, theirs, [shot(theirs, C, C, id=g) for g in guessed])
    assert taken.status_code == 201, taken.text
    headers = {**rng.archer.headers, "Idempotency-Key": key}

    first = await client.post(f"{API}/shot", json=body, headers=headers)
    assert first.status_code == 201, first.text
    ids = [s["id"] for s in first.json()["data"]]
    assert not set(ids) & set(guessed)
    # The other account's post with the same key gets ids of its own.
    same_key = await client.post(
        f"{API}/shot",
        json=[shot(theirs, C, C)],
        headers={**theirs.archer.headers, "Idempotency-Key": key},
    )
    assert same_key.status_code == 201 and same_key.json()["data"][0]["id"] not in ids
    # Sent again to another server process: the same ids, nothing written.
    async with (
        serve(migrated, tmp_path / "serve.log") as served,
        httpx.AsyncClient(base_url=served.url) as http,
    ):
        again = await http.post(f"{API}/shot", json=body, headers=headers)
    assert again.status_code == 200, again.text
    assert again.json()["data"] == first.json()["data"]
    assert await db.fetchval("SELECT count(*) FROM shot WHERE archer_id = $1", rng.archer.id) == 2


@pytest.mark.parametrize("key", [b"", b"x" * 201, b"tab\there", "é".encode()])
async def test_a_bad_idempotency_key_422(client: httpx.AsyncClient, rng: Range, key: bytes) -> None:
    headers = [(k.encode(), v.encode()) for k, v in rng.archer.headers.items()]
    r = await client.post(
        f"{API}/shot", json=shot(rng), headers=[*headers, (b"idempotency-key", key)]
    )
    assert r.status_code == 422, r.text
    assert "Idempotency-Key" in r.json()["errors"][0]
