"""The board ranked by the rules (`arch_stats.ranking`): recurve and compound apart, ties by
10+X then X (imperial: hits then golds), and the counts every frame carries for it, kept right
through corrections. Real server, PostgreSQL and WebSocket clients."""

from __future__ import annotations

from typing import Any

import httpx

from arch_stats.board.schemas import BoardOut, PublicBoardOut
from arch_stats.core.database import Connection
from tests.board.helpers import make_club
from tests.board.test_board import board_path, frame_of
from tests.conftest import ArcherCtx, MakeArcher
from tests.live.conftest import next_frame, ws_connect
from tests.shots.test_shots import C, Range, make_range, shot

SKIP = ("heartbeat",)
# Offsets from the centre of a 122 cm face (arrow 5.5 mm): X, 10, 9, 8 — and on the 5-zone
# (imperial) face: 9, 7, 5, 3, 1 and a miss.
X, TEN, NINE, EIGHT = 0.0, 50.0, 100.0, 150.0
GOLD, RED, BLUE, BLACK, WHITE, MISS = 0.0, 150.0, 300.0, 400.0, 550.0, 640.0


async def shoot(client: httpx.AsyncClient, r: Range, *offsets: float) -> list[dict[str, Any]]:
    body = [shot(r, C + dx, C) for dx in offsets]
    resp = await client.post("/api/v0/shot", json=body, headers=r.archer.headers)
    assert resp.status_code == 201, resp.text
    data: list[dict[str, Any]] = resp.json()["data"]
    return data


def counts(
    arrows: int, total: int, hits: int, ten_x: int, x: int, golds: int = 0
) -> dict[str, int]:
    """A tally as frames carry it."""
    return {"arrows": arrows, "total": total, "hits": hits, "ten_x": ten_x, "x": x, "golds": golds}


def placed(group: dict[str, Any], names: dict[str, str]) -> list[tuple[str, str]]:
    """(name, place as a board shows it: "1", "=2") of a ranking group, best first."""
    return [
        (names[p["key"]], f"={p['place']}" if p["tied"] else str(p["place"]))
        for p in group["places"]
    ]


async def test_recurve_and_compound_apart_ties_by_ten_x_then_x(
    client: httpx.AsyncClient, db: Connection, make_archer: MakeArcher
) -> None:
    owner = await make_archer("Olive Owner")
    rec = {n: await make_archer(n) for n in ("Ann", "Ben", "Cat", "Dan")}
    comp = {n: await make_archer(n, bowstyle="compound") for n in ("Eve", "Fay")}
    club_id = await make_club(db, owner, *((a, "member") for a in (*rec.values(), *comp.values())))
    await db.execute("UPDATE club_member SET show_on_public_board = true")
    ranges = {n: await make_range(db, a) for n, a in (rec | comp).items()}
    # All 28 in three arrows: Ann has the most Xs, Ben the most 10+X, Cat and Dan both.
    await shoot(client, ranges["Ann"], X, NINE, NINE)  # 10+X 1, X 1
    await shoot(client, ranges["Ben"], TEN, TEN, EIGHT)  # 10+X 2, X 0
    await shoot(client, ranges["Cat"], X, TEN, EIGHT)  # 10+X 2, X 1
    await shoot(client, ranges["Dan"], TEN, X, EIGHT)  # 10+X 2, X 1
    # The compounds would lead the recurves on total; they are ranked apart.
    await shoot(client, ranges["Eve"], TEN, TEN, TEN)
    await shoot(client, ranges["Fay"], X, X, X)

    resp = await client.get(f"/api/v0/club/{club_id}/board", headers=owner.headers)
    assert resp.status_code == 200, resp.text
    board = resp.json()["data"]
    BoardOut.model_validate(board)  # as documented
    names = {e["key"]: e["name"] for e in board["archers"]}
    recurve, compound = board["ranking"]
    assert (recurve["category"]["label"], compound["category"]["label"]) == (
        "Recurve Men",
        "Compound Men",
    )
    assert recurve["group"] == compound["group"] == "70 m outdoor · wa"
    assert [t["label"] for t in recurve["rule"]["tiebreaks"]] == ["10+X", "X"]
    assert recurve["basis"] == "total"
    assert placed(recurve, names) == [("Cat", "=1"), ("Dan", "=1"), ("Ben", "3"), ("Ann", "4")]
    assert placed(compound, names) == [("Fay", "1"), ("Eve", "2")]
    by_name = {e["name"]: e for e in board["archers"]}
    assert by_name["Cat"]["tally"] == counts(3, 28, 3, 2, 1)

    # The public link ranks the same archers the same way, by its own keys.
    link = await client.post(f"/api/v0/club/{club_id}/board/link", headers=owner.headers)
    public = (await client.get(f"/api/v0/board/{link.json()['data']['token']}")).json()["data"]
    PublicBoardOut.model_validate(public)
    public_names = {e["key"]: e["name"] for e in public["archers"]}
    assert [placed(g, public_names) for g in public["ranking"]] == [
        placed(recurve, names),
        placed(compound, names),
    ]

    # Two more arrows for Ben: the most points (44), but in five arrows; while arrows differ
    # the group is ranked by average per arrow, and his 8.8 is last.
    await shoot(client, ranges["Ben"], EIGHT, EIGHT)
    board = (await client.get(f"/api/v0/club/{club_id}/board", headers=owner.headers)).json()
    recurve = board["data"]["ranking"][0]
    assert recurve["basis"] == "average"
    assert placed(recurve, names) == [("Cat", "=1"), ("Dan", "=1"), ("Ann", "3"), ("Ben", "4")]


async def imperial_range(db: Connection, archer: ArcherCtx, round_code: str | None) -> Range:
    r = await make_range(db, archer)
    await db.execute(
        "UPDATE session SET round_code = $2, distance_m = 91.44 WHERE id = $1",
        r.session_id,
        round_code,
    )
    await db.execute(
        "UPDATE target_face SET face_type = 'agb_122_5zone' WHERE target_id = $1", r.target_id
    )
    return r


async def test_imperial_ties_by_hits_then_golds(
    client: httpx.AsyncClient, db: Connection, make_archer: MakeArcher
) -> None:
    owner = await make_archer("Olive Owner")
    people = {n: await make_archer(n) for n in ("Ann", "Ben", "Cat", "Dan")}
    club_id = await make_club(db, owner, *((a, "member") for a in people.values()))
    # A York by its round; the others on 5-zone faces without one: ranked apart (their rounds
    # differ), each by the imperial rule.
    ranges = {"Ann": await imperial_range(db, people["Ann"], "york")}
    for name in ("Ben", "Cat", "Dan"):
        ranges[name] = await imperial_range(db, people[name], None)
    await shoot(client, ranges["Ann"], GOLD, RED)
    # 24 each in six arrows: Ben with four hits, Cat and Dan with six, Dan with a gold.
    await shoot(client, ranges["Ben"], RED, RED, BLUE, BLUE, MISS, MISS)
    await shoot(client, ranges["Cat"], RED, BLUE, BLUE, BLACK, BLACK, WHITE)
    await shoot(client, ranges["Dan"], GOLD, RED, BLACK, BLACK, WHITE, WHITE)
    resp = await client.get(f"/api/v0/club/{club_id}/board", headers=owner.headers)
    board = resp.json()["data"]
    names = {e["key"]: e["name"] for e in board["archers"]}
    free, york = board["ranking"]
    assert (york["group"], york["rule"]["code"]) == ("york", "imperial")
    assert (free["group"], free["rule"]["code"]) == ("91.44 m outdoor · imperial", "imperial")
    assert [t["label"] for t in free["rule"]["tiebreaks"]] == ["hits", "golds"]
    by_name = {e["name"]: e["tally"] for e in board["archers"]}
    assert by_name["Ann"] == counts(2, 16, 2, 0, 0, golds=1)
    assert [by_name[n]["total"] for n in ("Ben", "Cat", "Dan")] == [24, 24, 24]
    assert placed(free, names) == [("Dan", "1"), ("Cat", "2"), ("Ben", "3")]


async def test_frames_carry_the_counts_through_corrections(
    client: httpx.AsyncClient, db: Connection, make_archer: MakeArcher, server_url: str
) -> None:
    owner = await make_archer("Olive Owner")
    ann = await make_archer("Ann")
    club_id = await make_club(db, owner, (ann, "member"))
    r = await make_range(db, ann)
    (first,) = await shoot(client, r, X)
    async with await ws_connect(server_url, board_path(club_id), owner.token) as ws:
        snap = await next_frame(ws, skip=SKIP)
        assert snap["data"]["archers"][0]["tally"]["x"] == 1
        await shoot(client, r, NINE)
        created = await frame_of(ws, "board.shot.created")
        assert created["data"]["tally"] == counts(2, 19, 2, 1, 1)
        # The X moved to an 8: counted once, as an 8.
        resp = await client.patch(
            f"/api/v0/shot/{first['id']}",
            json={"x_mm": C + EIGHT, "y_mm": C},
            headers=ann.headers,
        )
        assert resp.status_code == 200, resp.text
        updated = await frame_of(ws, "board.shot.updated")
        assert updated["data"]["tally"] == counts(2, 17, 2, 0, 0)
        resp = await client.delete(f"/api/v0/shot/{first['id']}", headers=ann.headers)
        assert resp.status_code == 200, resp.text
        deleted = await frame_of(ws, "board.shot.deleted")
        assert deleted["data"]["tally"] == counts(1, 9, 1, 0, 0)
        # A board opened now agrees with the frames.
        async with await ws_connect(server_url, board_path(club_id), ann.token) as other:
            fresh = await next_frame(other, skip=SKIP)
        assert fresh["data"]["archers"][0]["tally"] == deleted["data"]["tally"]
