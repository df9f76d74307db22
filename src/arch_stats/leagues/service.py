"""Rules of leagues: a club's owners and coaches make a season of the club's competitions;
its members read the table; a public link shows it to anyone (read-only, as the board's).

The table (`table.table`): per competition each archer's points, raw or handicap-adjusted
(Archery GB's allowance from their handicap at the time: `table.handicap_at` of the
complete standard rounds in their history before the competition's day, or, with none, the
handicap of the competition's own score, marked provisional), best N counting."""

from __future__ import annotations

import math
from typing import Any
from uuid import UUID

import asyncpg

from arch_stats.auth.tokens import new_token, token_hash
from arch_stats.competitions import service as competitions
from arch_stats.core.database import Executor
from arch_stats.core.errors import Forbidden, NotFound
from arch_stats.leagues import repository as repo
from arch_stats.leagues import table
from arch_stats.leagues.schemas import LeagueIn
from arch_stats.stats import handicap

ORGANISERS = competitions.ORGANISERS
LINK_PREFIX = "asn_"  # a season's public link (asb_ board, asc_ results)
MAX_LINK_LENGTH = 64


async def _role(conn: Executor, viewer: UUID, club_id: UUID) -> str | None:
    role: str | None = await conn.fetchval(
        "SELECT role FROM club_member WHERE club_id = $1 AND archer_id = $2", club_id, viewer
    )
    return role


async def create(conn: Executor, viewer: UUID, body: LeagueIn) -> dict[str, Any]:
    role = await _role(conn, viewer, body.club_id)
    if role is None:
        raise NotFound("club", body.club_id)
    if role not in ORGANISERS:
        raise Forbidden("only the club's owners and coaches make its leagues")
    league_id = await repo.insert(
        conn, body.club_id, body.name, body.basis, body.best_of, body.competition_ids
    )
    return await get(conn, viewer, league_id)


async def _league(conn: Executor, viewer: UUID, league_id: UUID) -> asyncpg.Record:
    found = await repo.get(conn, league_id)
    if found is None or await _role(conn, viewer, found["club_id"]) is None:
        raise NotFound("league", league_id)
    return found


async def get(conn: Executor, viewer: UUID, league_id: UUID) -> dict[str, Any]:
    return await table_of(conn, await _league(conn, viewer, league_id), public=False)


async def _handicaps(conn: Executor, comp: asyncpg.Record, archers: list[UUID]) -> dict[UUID, int]:
    """Each archer's handicap at the time of a competition (none: not in the answer)."""
    earlier: dict[UUID, list[float]] = {}
    for r in await repo.complete_rounds(conn, archers, comp["starts_on"]):
        h = handicap.table_handicap("AGB", r["round_code"], r["total_score"])
        if h is not None:
            earlier.setdefault(r["archer_id"], []).append(h)
    out: dict[UUID, int] = {}
    for archer, hs in earlier.items():
        h = table.handicap_at(hs)
        if h is not None:
            out[archer] = h
    return out


async def table_of(conn: Executor, league: asyncpg.Record, *, public: bool) -> dict[str, Any]:
    comps = await repo.competitions(conn, league["id"])
    scores = await repo.scores(conn, [c["id"] for c in comps])
    results: list[table.Result[UUID, UUID]] = []
    detail: dict[tuple[UUID, UUID], dict[str, Any]] = {}
    names: dict[UUID, str] = {}
    guests: dict[UUID, bool] = {}
    comp_out = []
    for c in comps:
        spec = await competitions.spec_of(conn, c)
        comp_out.append(
            {"id": c["id"], "name": c["name"], "starts_on": c["starts_on"], "round_name": spec.name}
        )
        mine = [s for s in scores if s["competition_id"] == c["id"]]
        hcs = (
            await _handicaps(conn, c, [s["archer_id"] for s in mine])
            if league["basis"] == "handicap"
            else {}
        )
        for s in mine:
            archer, score = s["archer_id"], s["total_score"]
            names[archer], guests[archer] = s["name"], s["is_guest"]
            h, allowance, provisional = hcs.get(archer), None, False
            if league["basis"] == "handicap":
                if h is None:
                    own = handicap.spec_handicap("AGB", spec, score)
                    h, provisional = (None if own is None else math.ceil(own)), True
                allowance = None if h is None else handicap.agb_allowance(spec, h)
                if allowance is None:
                    continue  # no handicap at all (a score of 0): no points
            results.append(table.Result(archer, c["id"], score, allowance))
            detail[(archer, c["id"])] = {
                "score": score,
                "handicap": h,
                "provisional": provisional,
                "allowance": allowance,
            }
    rows = table.table([c["id"] for c in comps], results, league["basis"], league["best_of"], names)
    return {
        "league": {
            "id": None if public else league["id"],
            "club_name": league["club_name"],
            "name": league["name"],
            "basis": league["basis"],
            "best_of": league["best_of"],
        },
        "competitions": comp_out,
        "rows": [
            {
                "place": r.place,
                "tied": r.tied,
                "name": names[r.archer],
                "guest": guests[r.archer],
                **({} if public else {"archer_id": r.archer}),
                "total": r.total,
                "results": [
                    {
                        "competition_id": c["id"],
                        **detail[(r.archer, c["id"])],
                        "points": r.points[c["id"]],
                        "counted": c["id"] in r.counted,
                    }
                    for c in comps
                    if c["id"] in r.points
                ],
            }
            for r in rows
        ],
    }


async def create_link(conn: Executor, viewer: UUID, league_id: UUID) -> dict[str, Any]:
    """A new public link to the season's table (the previous one stops working)."""
    found = await _league(conn, viewer, league_id)
    if await _role(conn, viewer, found["club_id"]) not in ORGANISERS:
        raise Forbidden("only the club's owners and coaches share its leagues")
    token = new_token(LINK_PREFIX)
    await repo.set_link(conn, league_id, token_hash(token))
    return {"token": token, "path": f"/app/season/{token}"}


async def public(conn: Executor, token: str) -> dict[str, Any]:
    if not token.startswith(LINK_PREFIX) or len(token) > MAX_LINK_LENGTH:
        raise NotFound("season")
    league_id = await repo.by_link(conn, token_hash(token))
    found = None if league_id is None else await repo.get(conn, league_id)
    if found is None:
        raise NotFound("season")
    return await table_of(conn, found, public=True)
