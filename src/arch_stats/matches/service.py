"""Rules of head-to-head brackets in a competition: drawing one from a category's
qualification ranking, scoring its matches at the bale, advancing winners.

Who: the competition's organisers draw and delete brackets and record a judge's decision;
a match's ends are scored by an organiser or by either archer of the match (the bale's phone,
signed in as one of them), as the qualification is; whoever may see the competition sees its
brackets.

A match's arrows are each archer's own: a session of theirs (no round, ends of 3, the
bracket's face and distance) opened at their first arrow of the match and closed when it is
decided, written by the one writer of shots, so their history, statistics and handicaps
count them. Ends 1–5 are the match's; a shoot-off arrow is an end of its own after them (6,
then 7 …). The state of a match is always computed from those arrows (`rules.decide`); the
stored winner only places the winner (and a semi-final's loser) in their next match."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

import asyncpg
import orjson

from arch_stats.competitions import repository as competitions_repo
from arch_stats.competitions import service as competitions
from arch_stats.core.database import Executor
from arch_stats.core.errors import BusinessRuleError, Conflict, Forbidden, NotFound
from arch_stats.matches import bracket as draw
from arch_stats.matches import repository as repo
from arch_stats.matches import rules
from arch_stats.matches.schemas import BracketIn, MatchEndIn
from arch_stats.sessions import service as sessions
from arch_stats.sessions.schemas import SessionIn
from arch_stats.shots import service as shots
from arch_stats.targets import service as targets
from arch_stats.targets.schemas import FaceIn, TargetIn

REGULATION_ENDS = 5  # sets or cumulative: at most 5 ends before a shoot-off
MATCH_ARROWS = REGULATION_ENDS * rules.END_ARROWS + 10  # a session's cap: ends and shoot-offs


async def _competition(conn: Executor, viewer: UUID, competition_id: UUID) -> dict[str, Any]:
    """The competition as its viewer sees it (404 when they may not)."""
    return await competitions.get(conn, viewer, competition_id)


async def _organised(conn: Executor, viewer: UUID, competition_id: UUID) -> dict[str, Any]:
    comp = await _competition(conn, viewer, competition_id)
    if comp["my_role"] != "organiser":
        raise Forbidden("only the club's owners and coaches organise its competitions' brackets")
    return comp


# -- drawing a bracket --------------------------------------------------------------------


async def create(
    conn: Executor, viewer: UUID, competition_id: UUID, body: BracketIn
) -> dict[str, Any]:
    """Draw a category's bracket from its qualification ranking (ties keep the ranking's
    order): the top `archers` qualify, seeded by place, byes for the top seeds."""
    await _organised(conn, viewer, competition_id)
    results = await competitions.results_of(conn, competition_id, public=False)
    category = next((c for c in results["categories"] if c["key"] == body.category_key), None)
    if category is None:
        raise NotFound("category", body.category_key)
    ranked = [r for r in category["rows"] if r["place"] is not None]
    archers = body.archers or min(len(ranked), draw.MAX_SIZE)
    if archers > len(ranked):
        raise BusinessRuleError(
            f"{len(ranked)} archers of {category['label']} have a score: {archers} cannot qualify"
        )
    try:
        size = draw.size_for(archers)
    except draw.BracketError as exc:
        raise BusinessRuleError(str(exc)) from None
    row = await competitions_repo.get(conn, viewer, competition_id)
    spec = await competitions.spec_of(conn, row)  # type: ignore[arg-type]
    last = spec.passes[-1]  # matches are shot at the round's last distance and face
    if last.face_type is None:
        raise BusinessRuleError(f"{spec.name}: no face of Arch Stats scores its last distance")
    bracket_id = await repo.insert_bracket(
        conn,
        competition_id,
        body.category_key,
        system=rules.system_for(body.category_key.split("/")[0]),
        size=size,
        archers=archers,
        face_type=last.face_type,
        distance_m=last.distance_m,
    )
    places = [(r, p) for r in range(draw.rounds(size)) for p in range(size >> (r + 1))]
    await repo.insert_matches(conn, bracket_id, places + ([(draw.BRONZE, 0)] if size >= 4 else []))
    seeds = {n: ranked[n - 1]["entry_id"] for n in range(1, archers + 1)}
    byes = []
    for position, (a, b) in enumerate(draw.first_round(archers)):
        await repo.set_archer(conn, bracket_id, 0, position, 0, seeds[a], a)
        if b is None:
            byes.append(position)
        else:
            await repo.set_archer(conn, bracket_id, 0, position, 1, seeds[b], b)
    for position in byes:
        match_id = await repo.match_at(conn, bracket_id, 0, position)
        assert match_id is not None
        await _advance(conn, match_id, 0)
    await competitions_repo.notify(conn, competition_id)
    return await get(conn, viewer, bracket_id)


async def delete(conn: Executor, viewer: UUID, bracket_id: UUID) -> dict[str, Any]:
    """Withdraw a bracket (its archers' match sessions stay theirs)."""
    found = await _bracket(conn, viewer, bracket_id)
    await _organised(conn, viewer, found["competition_id"])
    await repo.delete_bracket(conn, bracket_id)
    await competitions_repo.notify(conn, found["competition_id"])
    return {"id": bracket_id, "deleted": True}


async def _advance(conn: Executor, match_id: UUID, winner: int) -> None:
    """Store a match's winner; the winner (and a semi-final's loser) go to their next match.
    A bronze match left with one archer (the other semi-final was a bye) is theirs."""
    match = await repo.match(conn, match_id)
    assert match is not None
    await repo.set_winner(conn, match_id, winner)
    sides = {s["side"]: s for s in await repo.sides(conn, [match_id])}
    size, bracket_id = match["size"], match["bracket_id"]
    moves = [(draw.winner_goes(size, match["round_no"], match["position"]), sides.get(winner))]
    moves.append(
        (draw.loser_goes(size, match["round_no"], match["position"]), sides.get(1 - winner))
    )
    for slot, archer in moves:
        if slot is not None and archer is not None:
            await repo.set_archer(
                conn,
                bracket_id,
                slot.round_no,
                slot.index,
                slot.side,
                archer["entry_id"],
                archer["seed"],
            )
    if draw.loser_goes(size, match["round_no"], match["position"]) is not None:
        await _bronze_walkover(conn, bracket_id, size)


async def _bronze_walkover(conn: Executor, bracket_id: UUID, size: int) -> None:
    semis = draw.rounds(size) - 2
    all_matches = await repo.matches(conn, bracket_id)
    if any(m["round_no"] == semis and m["winner"] is None for m in all_matches):
        return
    bronze = next(m for m in all_matches if m["round_no"] == draw.BRONZE)
    present = [s["side"] for s in await repo.sides(conn, [bronze["id"]])]
    if len(present) == 1 and bronze["winner"] is None:
        await repo.set_winner(conn, bronze["id"], present[0])


# -- reading ------------------------------------------------------------------------------


async def _bracket(conn: Executor, viewer: UUID, bracket_id: UUID) -> asyncpg.Record:
    found = await repo.bracket(conn, bracket_id)
    if found is None:
        raise NotFound("bracket", bracket_id)
    try:
        await _competition(conn, viewer, found["competition_id"])
    except NotFound:
        raise NotFound("bracket", bracket_id) from None
    return found


def _arrows(rows: Sequence[asyncpg.Record]) -> dict[UUID, dict[int, list[asyncpg.Record]]]:
    out: dict[UUID, dict[int, list[asyncpg.Record]]] = {}
    for r in rows:
        out.setdefault(r["session_id"], {}).setdefault(r["end_no"], []).append(r)
    return out


def _state(
    system: rules.System,
    judge: int | None,
    by_end: tuple[dict[int, list[asyncpg.Record]], dict[int, list[asyncpg.Record]]],
) -> rules.MatchState:
    """The match from its arrows: its complete ends, then its complete shoot-offs."""
    a, b = by_end
    ends: list[tuple[list[int], list[int]]] = []
    for end_no in range(1, REGULATION_ENDS + 1):
        sa, sb = [s["score"] for s in a.get(end_no, [])], [s["score"] for s in b.get(end_no, [])]
        if len(sa) != rules.END_ARROWS or len(sb) != rules.END_ARROWS:
            break
        ends.append((sa, sb))
    state = rules.decide(system, ends)
    if state.status != "shoot_off":
        return state
    offs: list[tuple[rules.ShootOffArrow, rules.ShootOffArrow]] = []
    end_no = REGULATION_ENDS + 1
    while len(a.get(end_no, [])) == 1 and len(b.get(end_no, [])) == 1:
        pa, pb = a[end_no][0], b[end_no][0]
        offs.append(
            (
                rules.ShootOffArrow(pa["score"], rules.distance_mm(pa["dx_mm"], pa["dy_mm"])),
                rules.ShootOffArrow(pb["score"], rules.distance_mm(pb["dx_mm"], pb["dy_mm"])),
            )
        )
        end_no += 1
    due_judge = bool(offs) and rules.shoot_off(*offs[-1]).outcome == "judge"
    return rules.decide(system, ends, offs, judge if due_judge else None)


def next_end(state: rules.MatchState) -> tuple[int, int] | None:
    """(end number, arrows each) the match shoots next; None when nothing is due."""
    if state.status == "shooting":
        return len(state.ends) + 1, rules.END_ARROWS
    if state.status == "shoot_off":
        return REGULATION_ENDS + len(state.shoot_offs) + 1, 1
    return None


def _end_arrows(rows: list[asyncpg.Record]) -> list[dict[str, Any]]:
    return [
        {
            "score": r["score"],
            "label": "X" if r["is_x"] else ("M" if r["score"] == 0 else str(r["score"])),
            "distance_mm": None
            if r["dx_mm"] is None
            else round(rules.distance_mm(r["dx_mm"], r["dy_mm"]) or 0.0, 1),
        }
        for r in rows
    ]


def _match_out(
    match: asyncpg.Record,
    sides: dict[int, asyncpg.Record],
    arrows: dict[UUID, dict[int, list[asyncpg.Record]]],
) -> dict[str, Any]:
    by_end = tuple(arrows.get(sides[s]["session_id"], {}) if s in sides else {} for s in (0, 1))
    state = _state(match["system"], match["judge_winner"], (by_end[0], by_end[1]))
    bye = (match["round_no"] == 0 and len(sides) == 1) or (
        match["round_no"] == draw.BRONZE and match["winner"] is not None and len(sides) == 1
    )
    ready = len(sides) == 2
    coming = next_end(state) if ready else None
    return {
        "id": match["id"],
        "round_no": match["round_no"],
        "position": match["position"],
        "status": "bye" if bye else ("waiting" if not ready else state.status),
        "winner": match["winner"] if bye else state.winner,
        "reason": "a bye" if bye else (state.reason if ready else "waiting for its archers"),
        "score": list(state.score),
        "totals": list(state.totals),
        "sides": [
            None
            if s not in sides
            else {
                "side": s,
                "seed": sides[s]["seed"],
                "name": sides[s]["name"],
                "guest": sides[s]["is_guest"],
                "entry_id": sides[s]["entry_id"],
                "session_id": sides[s]["session_id"],
                "target_id": sides[s]["target_id"],
                # its match target's geometry, for plotting a shoot-off arrow on it
                "target": None
                if sides[s]["target"] is None
                else orjson.Fragment(sides[s]["target"]),
                "ends": {str(k): _end_arrows(v) for k, v in sorted(by_end[s].items())},
            }
            for s in (0, 1)
        ],
        "ends": [{"totals": list(e.totals), "points": list(e.points)} for e in state.ends],
        "shoot_offs": [
            {
                "arrows": [
                    {
                        "score": x.score,
                        "distance_mm": None if x.distance_mm is None else round(x.distance_mm, 1),
                    }
                    for x in o.arrows
                ],
                "outcome": o.outcome,
                "winner": o.winner,
                "reason": o.reason,
            }
            for o in state.shoot_offs
        ],
        "next": None if coming is None else {"end_no": coming[0], "arrows": coming[1]},
    }


async def get(conn: Executor, viewer: UUID, bracket_id: UUID) -> dict[str, Any]:
    return await bracket_of(conn, await _bracket(conn, viewer, bracket_id))


async def bracket_of(conn: Executor, found: asyncpg.Record) -> dict[str, Any]:
    """The bracket, round by round, each match as it stands."""
    matches = await repo.matches(conn, found["id"])
    side_rows = await repo.sides(conn, [m["id"] for m in matches])
    sessions_ = [s["session_id"] for s in side_rows if s["session_id"] is not None]
    arrows = _arrows(await repo.shots(conn, sessions_))
    by_match: dict[UUID, dict[int, asyncpg.Record]] = {}
    for s in side_rows:
        by_match.setdefault(s["match_id"], {})[s["side"]] = s
    size = found["size"]
    rounds_out: dict[int, list[dict[str, Any]]] = {}
    for m in matches:
        rounds_out.setdefault(m["round_no"], []).append(
            _match_out(m, by_match.get(m["id"], {}), arrows)
        )
    return {
        "id": found["id"],
        "competition_id": found["competition_id"],
        "category_key": found["category_key"],
        "category_label": found["category_label"],
        "system": found["system"],
        "size": size,
        "archers": found["archers"],
        "face_type": found["face_type"],
        "distance_m": found["distance_m"],
        "rounds": [
            {"round_no": r, "name": draw.round_name(size, r), "matches": ms}
            for r, ms in rounds_out.items()
        ],
    }


async def for_competition(
    conn: Executor, viewer: UUID, competition_id: UUID
) -> list[dict[str, Any]]:
    await _competition(conn, viewer, competition_id)
    return [await bracket_of(conn, b) for b in await repo.brackets(conn, competition_id)]


# What a public view of a bracket leaves out: every id, and the archers' targets.
_PUBLIC_LEFT_OUT = {"bracket": ("id", "competition_id"), "match": ("id",)}
_PUBLIC_SIDE = ("seed", "name", "guest", "ends")


async def results_part(conn: Executor, competition_id: UUID, public: bool) -> dict[str, Any]:
    """The competition's brackets for its live results (`competitions.live`): as members
    read them, or for the public link without an id of any kind."""
    brackets = [await bracket_of(conn, b) for b in await repo.brackets(conn, competition_id)]
    if public:
        brackets = [_public(b) for b in brackets]
    return {"brackets": brackets}


def _public(bracket: dict[str, Any]) -> dict[str, Any]:
    def match(m: dict[str, Any]) -> dict[str, Any]:
        sides = [None if s is None else {k: s[k] for k in _PUBLIC_SIDE} for s in m["sides"]]
        kept = {k: v for k, v in m.items() if k not in _PUBLIC_LEFT_OUT["match"]}
        return kept | {"sides": sides}

    kept = {k: v for k, v in bracket.items() if k not in _PUBLIC_LEFT_OUT["bracket"]}
    rounds = [r | {"matches": [match(m) for m in r["matches"]]} for r in bracket["rounds"]]
    return kept | {"rounds": rounds}


# -- scoring a match ----------------------------------------------------------------------


async def _scored_match(
    conn: Executor, viewer: UUID, match_id: UUID
) -> tuple[asyncpg.Record, dict[int, asyncpg.Record], dict[str, Any]]:
    match = await repo.match(conn, match_id, for_update=True)
    if match is None:
        raise NotFound("match", match_id)
    try:
        comp = await _competition(conn, viewer, match["competition_id"])
    except NotFound:
        raise NotFound("match", match_id) from None
    sides = {s["side"]: s for s in await repo.sides(conn, [match_id])}
    return match, sides, comp


async def _session_for(
    conn: Executor,
    match: asyncpg.Record,
    side: asyncpg.Record,
    other: asyncpg.Record,
    comp: dict[str, Any],
) -> tuple[UUID, UUID]:
    """The archer's session of this match, opened at their first arrow of it."""
    if side["session_id"] is not None and side["target_id"] is not None:
        return side["session_id"], side["target_id"]
    archer_id = side["archer_id"]
    await repo.close_open_session(conn, archer_id)  # the match is what they shoot now
    size = match["size"]
    body = SessionIn(
        location=comp["venue"],
        distance_m=match["distance_m"],
        arrows_per_end=rules.END_ARROWS,
        notes=f"{comp['name']}: {draw.round_name(size, match['round_no'])} v {other['name']}"[
            :2000
        ],
    )
    session_id = UUID(orjson.loads(await sessions.create(conn, archer_id, body))["id"])
    target = TargetIn(faces=[FaceIn(face_type=match["face_type"])])
    target_id = UUID(orjson.loads(await targets.create(conn, archer_id, session_id, target))["id"])
    await repo.set_session(conn, match["id"], side["side"], session_id)
    return session_id, target_id


async def record_end(
    conn: Executor, viewer: UUID, match_id: UUID, body: MatchEndIn
) -> dict[str, Any]:
    """Write one archer's arrows of the end the match is at (a shoot-off: one arrow); a
    post sent again (the same arrow ids) writes nothing. When it decides the match, the
    winner goes on and both archers' match sessions close."""
    match, sides, comp = await _scored_match(conn, viewer, match_id)
    if len(sides) != 2:
        raise Conflict("the match waits for its archers")
    side, other = sides[body.side], sides[1 - body.side]
    if comp["my_role"] != "organiser" and viewer not in (side["archer_id"], other["archer_id"]):
        raise Forbidden("a match is scored by its archers (their bale's phone) or an organiser")
    ids = [a.id for a in body.arrows if a.id is not None]
    retried = ids and len(ids) == len(body.arrows) and side["session_id"] is not None
    if retried and await _all_stored(conn, side["session_id"], ids):
        return await _answer(conn, viewer, match)
    arrows = _arrows(
        await repo.shots(conn, [s["session_id"] for s in sides.values() if s["session_id"]])
    )
    by_end = tuple(arrows.get(sides[s]["session_id"], {}) for s in (0, 1))
    state = _state(match["system"], match["judge_winner"], (by_end[0], by_end[1]))
    due = next_end(state)
    if due is None:
        over = "decided" if state.status == "decided" else "for a judge to decide"
        raise Conflict(f"the match is {over}: {state.reason}")
    end_no, per_end = due
    if body.end_no != end_no:
        raise Conflict(f"the match is at end {end_no}, not {body.end_no}")
    shot_already = len(by_end[body.side].get(end_no, []))
    if shot_already + len(body.arrows) > per_end:
        raise BusinessRuleError(
            f"end {end_no} takes {per_end} arrow{'s' if per_end > 1 else ''} each: "
            f"{shot_already} shot already"
        )
    session_id, target_id = await _session_for(conn, match, side, other, comp)
    posted = [a.shot(session_id, target_id, end_no) for a in body.arrows]
    await shots.create(conn, side["archer_id"], posted, max_shots=MATCH_ARROWS)
    return await _settle(conn, viewer, match)


async def _all_stored(conn: Executor, session_id: UUID, ids: list[UUID]) -> bool:
    found = await conn.fetchval(
        "SELECT count(*) FROM shot WHERE session_id = $1 AND id = ANY($2::uuid[])", session_id, ids
    )
    return bool(found == len(ids))


async def _settle(conn: Executor, viewer: UUID, match: asyncpg.Record) -> dict[str, Any]:
    """After arrows or a judge: a decided match advances its winner, closes its sessions."""
    fresh = await repo.match(conn, match["id"])
    assert fresh is not None
    sides = {s["side"]: s for s in await repo.sides(conn, [match["id"]])}
    session_ids = [s["session_id"] for s in sides.values() if s["session_id"] is not None]
    arrows = _arrows(await repo.shots(conn, session_ids))
    by_end = tuple(arrows.get(sides[s]["session_id"], {}) for s in (0, 1))
    state = _state(fresh["system"], fresh["judge_winner"], (by_end[0], by_end[1]))
    if state.status == "decided" and fresh["winner"] is None and state.winner is not None:
        await _advance(conn, match["id"], state.winner)
        await repo.close_sessions(conn, session_ids)
    await competitions_repo.notify(conn, match["competition_id"])
    return await _answer(conn, viewer, match)


async def _answer(conn: Executor, viewer: UUID, match: asyncpg.Record) -> dict[str, Any]:
    bracket = await get(conn, viewer, match["bracket_id"])
    return next(m for r in bracket["rounds"] for m in r["matches"] if m["id"] == match["id"])


async def judge(conn: Executor, viewer: UUID, match_id: UUID, winner: int) -> dict[str, Any]:
    """The judge's decision of a shoot-off the positions could not decide (an organiser
    records it)."""
    match, sides, comp = await _scored_match(conn, viewer, match_id)
    if comp["my_role"] != "organiser":
        raise Forbidden("an organiser records the judge's decision")
    arrows = _arrows(
        await repo.shots(conn, [s["session_id"] for s in sides.values() if s["session_id"]])
    )
    by_end = tuple(arrows.get(sides[s]["session_id"], {}) if s in sides else {} for s in (0, 1))
    state = _state(match["system"], None, (by_end[0], by_end[1]))
    if state.status != "judge":
        raise Conflict(f"no judge's decision is due: {state.reason or 'the match waits'}")
    await repo.set_judge(conn, match_id, winner)
    return await _settle(conn, viewer, match)
