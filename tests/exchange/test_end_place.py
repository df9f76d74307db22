"""shots.csv carries each arrow's place in its end (`end_place`, after `end_no`); files written
before it existed still import, places given in seq order within each end; same-spot misses
come back as such."""

from __future__ import annotations

import csv
import io
from typing import Any

import httpx

from arch_stats.core.database import Connection
from arch_stats.exchange.schemas import SHOT_COLUMNS
from tests.conftest import ArcherCtx
from tests.shots.test_same_spot import EIGHT, NINE, TEN, TOP, hit, triple_range

API = "/api/v0"
KEPT = ("seq", "end_no", "end_place", "score", "label", "same_spot_miss", "hit_label", "x_mm")


async def export(client: httpx.AsyncClient, who: ArcherCtx) -> str:
    r = await client.get(f"{API}/export/shots.csv", headers=who.headers)
    assert r.status_code == 200, r.text
    return r.text


async def post_csv(client: httpx.AsyncClient, who: ArcherCtx, body: str) -> httpx.Response:
    return await client.post(
        f"{API}/import/shots.csv", content=body, headers={**who.headers, "Content-Type": "text/csv"}
    )


def without(text: str, column: str) -> str:
    """The same file without one column, as an older version wrote it."""
    rows = list(csv.reader(io.StringIO(text, newline="")))
    drop = rows[0].index(column)
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([r[:drop] + r[drop + 1 :] for r in rows])
    return out.getvalue()


async def imported_shots(
    client: httpx.AsyncClient, db: Connection, who: ArcherCtx
) -> list[dict[str, Any]]:
    session_id = await db.fetchval("SELECT id FROM session WHERE archer_id = $1", who.id)
    r = await client.get(f"{API}/session/{session_id}/shot", headers=who.headers)
    return [{k: s[k] for k in KEPT} for s in r.json()["data"]]


async def test_places_and_same_spot_misses_survive_a_round_trip_byte_for_byte(
    client: httpx.AsyncClient, db: Connection, archer: ArcherCtx, other: ArcherCtx
) -> None:
    t = await triple_range(db, archer)
    h = archer.headers
    end1 = await client.post(f"{API}/shot", json=[hit(t, NINE), hit(t, TEN, TOP)], headers=h)
    wrong = (await client.post(f"{API}/shot", json=hit(t, 90.0), headers=h)).json()["data"]
    await client.delete(f"{API}/shot/{wrong['id']}", headers=h)
    await client.post(f"{API}/shot", json=[hit(t, EIGHT), hit(t, NINE, end_no=3)], headers=h)
    assert end1.status_code == 201
    r = await client.get(f"{API}/session/{t['session_id']}/shot", headers=h)
    original = [{k: s[k] for k in KEPT} for s in r.json()["data"]]
    assert [(s["end_no"], s["end_place"], s["label"], s["hit_label"]) for s in original] == [
        (1, 1, "M", "9"),
        (1, 2, "10", None),
        (1, 3, "8", None),
        (3, 1, "9", None),
    ]
    await client.post(f"{API}/session/{t['session_id']}/close", headers=h)
    text = await export(client, archer)
    assert text.splitlines()[0] == ",".join(SHOT_COLUMNS)
    assert SHOT_COLUMNS.index("end_place") == SHOT_COLUMNS.index("end_no") + 1
    r = await post_csv(client, other, text)
    assert r.status_code == 200, r.text
    assert await export(client, other) == text
    assert await imported_shots(client, db, other) == original


async def test_a_file_without_end_place_imports_places_in_seq_order(
    client: httpx.AsyncClient, db: Connection, archer: ArcherCtx, other: ArcherCtx
) -> None:
    t = await triple_range(db, archer)
    body = [hit(t, NINE, TOP), hit(t, TEN), hit(t, EIGHT, TOP - 440.0), hit(t, NINE, TOP)]
    r = await client.post(f"{API}/shot", json=body, headers=archer.headers)
    assert r.status_code == 201, r.text
    await client.post(f"{API}/session/{t['session_id']}/close", headers=archer.headers)
    text = await export(client, archer)
    old = without(text, "end_place")
    # The rows out of order: places still follow seq within each end.
    header, *lines = old.splitlines()
    r = await post_csv(client, other, "\n".join([header, *reversed(lines)]) + "\n")
    assert r.status_code == 200, r.text
    assert await export(client, other) == text


async def test_a_place_beyond_the_arrows_per_end_is_refused(
    client: httpx.AsyncClient, db: Connection, archer: ArcherCtx, other: ArcherCtx
) -> None:
    t = await triple_range(db, archer)
    await client.post(f"{API}/shot", json=[hit(t, NINE), hit(t, TEN)], headers=archer.headers)
    await client.post(f"{API}/session/{t['session_id']}/close", headers=archer.headers)
    rows = list(csv.DictReader(io.StringIO(await export(client, archer), newline="")))
    rows[1]["end_place"] = "4"
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(SHOT_COLUMNS), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    r = await post_csv(client, other, out.getvalue())
    assert r.status_code == 422
    assert r.json()["errors"][1] == "line 3: end_place: 4 is not between 1 and 3"
    # An old file whose end holds more arrows than the session's arrows per end.
    for row in rows:
        row["arrows_per_end"] = "1"
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(SHOT_COLUMNS), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    r = await post_csv(client, other, without(out.getvalue(), "end_place"))
    assert r.status_code == 422, r.text
    assert r.json()["errors"][0].startswith("nothing imported: end 1 already has 1 of 1 arrows")
    assert await db.fetchval("SELECT count(*) FROM session WHERE archer_id = $1", other.id) == 0
