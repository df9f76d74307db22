"""Rules of club competitions: who organises, enters and scores; the target list; the bale's
ends and their confirmation; the results by the round's rules.

Roles. The club's owners and coaches organise (create, enter, place, start, finish, release
any end, the public link); its members and the archers entered read the competition. An end
of an entry is scored by an organiser, by the archer, or by any archer entered on the same
bale (the bale's phone, signed in as one of them). An archer confirms ("signs") their end:
with their own login, or on the bale's phone as that archer — the scorer and the archer sign
the card together, as World Archery's rules and Ianseo's scorecards have it. A confirmed end
is released only by the archer's own login or an organiser; until then its arrows cannot
change, whoever asks (the database refuses: definitions/competition_end_locked.sql).

Guests are archer rows without a login (`is_guest`, disabled, no e-mail anyone has): their
arrows go through the one writer of shots like everyone's — scored by the same rules, the
round's limits, exactly-once ids, live notes — and results read every entry one way."""

from __future__ import annotations

import base64
import os
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any
from uuid import UUID

import asyncpg
import orjson

from arch_stats.auth.tokens import new_token, token_hash
from arch_stats.competitions import repository as repo
from arch_stats.competitions.schemas import (
    DETAILS,
    CategoryIn,
    CompetitionIn,
    CompetitionPatch,
    EntryIn,
    PlaceIn,
)
from arch_stats.core.database import Executor
from arch_stats.core.errors import BusinessRuleError, Conflict, Forbidden, InvalidInput, NotFound
from arch_stats.faces.rounds import RoundSpec
from arch_stats.ranking.categories import category
from arch_stats.ranking.standings import TIEBREAK_LABELS, Rule, Tally, rank, rule_for, tally
from arch_stats.rounds import plan as round_plan
from arch_stats.rounds import service as custom_rounds
from arch_stats.sessions import service as sessions
from arch_stats.sessions.schemas import SessionIn
from arch_stats.shots import service as shots
from arch_stats.shots.schemas import ShotIn, ShotPatch
from arch_stats.targets import service as targets

ORGANISERS = ("owner", "coach")
# Public results links: `asr_` is the password reset's; `asc_` and 43 URL-safe characters.
LINK_PREFIX = "asc_"
MAX_LINK_LENGTH = 64


def link_path(token: str) -> str:
    return f"/app/results/{token}"


def detail_label(detail: int | None) -> str | None:
    return None if detail is None else DETAILS[detail - 1]


# -- the competition --------------------------------------------------------------------------


def _role(row: asyncpg.Record) -> str | None:
    if row["club_role"] in ORGANISERS:
        return "organiser"
    if row["club_role"] is not None:
        return "member"
    return "entrant" if row["entered"] else None


async def _load(conn: Executor, viewer: UUID, competition_id: UUID) -> asyncpg.Record:
    """The competition, when the viewer may see it (member of its club, or entered); 404."""
    row = await repo.get(conn, viewer, competition_id)
    if row is None or _role(row) is None:
        raise NotFound("competition", competition_id)
    return row


async def _organised(conn: Executor, viewer: UUID, competition_id: UUID) -> asyncpg.Record:
    """The competition, when the viewer organises it; 404 when they cannot see it, 403 when
    they see it but do not organise it."""
    row = await _load(conn, viewer, competition_id)
    if _role(row) != "organiser":
        raise Forbidden("only the club's owners and coaches organise its competitions")
    return row


async def spec_of(conn: Executor, row: asyncpg.Record | dict[str, Any]) -> RoundSpec:
    if row["round_code"] is not None:
        return sessions.require_round(row["round_code"])
    return custom_rounds.spec(await _club_round(conn, row["club_id"], row["custom_round_id"]))


async def _club_round(conn: Executor, club_id: UUID, round_id: UUID) -> asyncpg.Record:
    owner = await conn.fetchval(
        "SELECT archer_id FROM club_member WHERE club_id = $1 AND role = 'owner' LIMIT 1", club_id
    )
    found = await conn.fetchval("SELECT club_id FROM custom_round WHERE id = $1", round_id)
    if owner is None or found != club_id:
        raise InvalidInput("custom_round_id: not one of the club's rounds")
    return await custom_rounds.for_session(conn, owner, round_id)


def out(row: asyncpg.Record, spec: RoundSpec | None = None) -> dict[str, Any]:
    return {
        "id": row["id"],
        "club_id": row["club_id"],
        "club_name": row["club_name"],
        "name": row["name"],
        "venue": row["venue"],
        "starts_on": row["starts_on"],
        "ends_on": row["ends_on"],
        "round_code": row["round_code"],
        "custom_round_id": row["custom_round_id"],
        "round_name": spec.name if spec else (row["custom_round_name"] or row["round_code"]),
        "arrows_per_end": row["arrows_per_end"],
        "archers_per_bale": row["archers_per_bale"],
        "status": row["status"],
        "my_role": _role(row),
        "entries": row["entries"],
    }


def _categories(given: Sequence[CategoryIn]) -> list[tuple[str, str, int]]:
    seen: dict[str, tuple[str, str, int]] = {}
    for c in given:
        cat = category(c.bowstyle, c.gender, c.age_group)
        seen.setdefault(cat.key, (cat.key, cat.label, cat.order))
    return sorted(seen.values(), key=lambda c: c[2])


async def create(conn: Executor, viewer: UUID, body: CompetitionIn) -> dict[str, Any]:
    role = await conn.fetchval(
        "SELECT role FROM club_member WHERE club_id = $1 AND archer_id = $2", body.club_id, viewer
    )
    if role not in ORGANISERS:
        raise NotFound("club", body.club_id)
    fields = body.model_dump()
    if body.round_code is not None:
        spec = sessions.require_round(body.round_code)
        fields["round_code"] = spec.code
        per_end = body.arrows_per_end or sessions.natural_end_size(spec)
    else:
        assert body.custom_round_id is not None
        row = await _club_round(conn, body.club_id, body.custom_round_id)
        spec = custom_rounds.spec(row)
        per_end = body.arrows_per_end or row["arrows_per_end"]
    if not round_plan.followable(spec):
        raise InvalidInput(f"round: {spec.name} has a face Arch Stats cannot score")
    round_plan.check_end_size(spec, per_end)
    fields["arrows_per_end"] = per_end
    fields["ends_on"] = body.ends_on or body.starts_on
    competition_id = await repo.insert(conn, fields, viewer)
    await repo.add_categories(conn, competition_id, _categories(body.categories))
    return await get(conn, viewer, competition_id)


async def visible(conn: Executor, viewer: UUID, club_id: UUID | None) -> list[dict[str, Any]]:
    return [out(r) for r in await repo.visible(conn, viewer, club_id)]


def entry_out(e: asyncpg.Record, labels: dict[str, str]) -> dict[str, Any]:
    return {
        "id": e["id"],
        "archer_id": None if e["is_guest"] else e["archer_id"],
        "name": e["name"],
        "guest": e["is_guest"],
        "bowstyle": e["bowstyle"],
        "category_key": e["category_key"],
        "category": labels.get(e["category_key"], e["category_key"]),
        "bale": e["bale"],
        "detail": detail_label(e["detail"]),
        "session_id": e["session_id"],
    }


async def get(conn: Executor, viewer: UUID, competition_id: UUID) -> dict[str, Any]:
    """The competition with its categories and entries (the target list: by bale, detail)."""
    row = await _load(conn, viewer, competition_id)
    cats = await repo.categories(conn, competition_id)
    labels = {c["key"]: c["label"] for c in cats}
    return {
        **out(row, await spec_of(conn, row)),
        "categories": [{"key": c["key"], "label": c["label"]} for c in cats],
        "entrants": [entry_out(e, labels) for e in await repo.entries(conn, competition_id)],
    }


async def update(
    conn: Executor, viewer: UUID, competition_id: UUID, body: CompetitionPatch
) -> dict[str, Any]:
    row = await _organised(conn, viewer, competition_id)
    changes = body.model_dump(exclude_unset=True)
    if any(v is None for v in changes.values()):
        raise InvalidInput("a field given cannot be null")
    starts = changes.get("starts_on", row["starts_on"])
    if changes.get("ends_on", row["ends_on"]) < starts:
        raise InvalidInput("ends_on is before starts_on")
    await repo.update(conn, competition_id, changes)
    await repo.notify(conn, competition_id)
    return await get(conn, viewer, competition_id)


async def delete(conn: Executor, viewer: UUID, competition_id: UUID) -> dict[str, Any]:
    """Delete a competition (its guests too; members' sessions stay theirs)."""
    await _organised(conn, viewer, competition_id)
    gone = await get(conn, viewer, competition_id)
    guests = [e["id"] for e in gone["entrants"] if e["guest"]]
    for entry_id in guests:
        await repo.delete_entry(conn, entry_id)
    await repo.delete(conn, competition_id)
    return gone


# -- entries and the target list --------------------------------------------------------------


def _default_category(keys: set[str], bowstyle: str, gender: str, age: str) -> str | None:
    """The category an archer falls into: their own, else the open class of what is not a
    category of this competition (gender first, then age)."""
    for g, a in ((gender, age), (None, age), (gender, None), (None, None)):
        key = category(bowstyle, g, a).key
        if key in keys:
            return key
    return None


def _guest_hash() -> str:
    """A well-formed argon2 hash of no password anyone knows: a guest's login fails as any
    wrong password does (same work, no special case)."""

    def b64(n: int) -> str:
        return base64.b64encode(os.urandom(n)).decode().rstrip("=")

    return f"$argon2id$v=19$m=65536,t=3,p=4${b64(16)}${b64(32)}"


async def add_entry(
    conn: Executor, viewer: UUID, competition_id: UUID, body: EntryIn
) -> dict[str, Any]:
    row = await _organised(conn, viewer, competition_id)
    if row["status"] == "finished":
        raise BusinessRuleError("the competition is finished")
    await repo.lock(conn, competition_id)
    if body.archer_id is not None:
        archer = await repo.member(conn, row["club_id"], body.archer_id)
        if archer is None:
            raise NotFound("club member", body.archer_id)
        profile = (archer["bowstyle"], archer["gender"], archer["age_group"])
    else:
        profile = (body.bowstyle or "recurve", body.gender or "", body.age_group or "adult")
    keys = {c["key"] for c in await repo.categories(conn, competition_id)}
    key = body.category_key or _default_category(keys, *profile)
    if key is None or key not in keys:
        why = "no such category" if body.category_key else "the archer fits no category"
        raise InvalidInput(
            f"category_key: {why} of this competition (one of: {', '.join(sorted(keys))})"
        )
    if body.guest_name is not None:
        archer_id = await repo.insert_guest(
            conn,
            name=body.guest_name,
            bowstyle=profile[0],
            gender=profile[1] or "male",
            age_group=profile[2],
            password_hash=_guest_hash(),
        )
    else:
        assert body.archer_id is not None
        archer_id = body.archer_id
    entry_id = await repo.insert_entry(conn, competition_id, archer_id, key)
    if row["status"] == "running":
        await _open_session(conn, viewer, row, entry_id, archer_id)
    await repo.notify(conn, competition_id)
    entry = await repo.entry(conn, competition_id, entry_id)
    assert entry is not None
    return entry_out(entry, {})


async def delete_entry(
    conn: Executor, viewer: UUID, competition_id: UUID, entry_id: UUID
) -> dict[str, Any]:
    await _organised(conn, viewer, competition_id)
    entry = await repo.entry(conn, competition_id, entry_id)
    if entry is None:
        raise NotFound("entry", entry_id)
    await repo.delete_entry(conn, entry_id)
    await repo.notify(conn, competition_id)
    return entry_out(entry, {})


async def assign_targets(conn: Executor, viewer: UUID, competition_id: UUID) -> dict[str, Any]:
    """The target list made afresh: by category (in the competition's order), then by name,
    `archers_per_bale` to a bale (A, B, C …), each category from a new bale."""
    row = await _organised(conn, viewer, competition_id)
    await repo.lock(conn, competition_id)
    order = {c["key"]: c["ord"] for c in await repo.categories(conn, competition_id)}
    entries = sorted(
        await repo.entries(conn, competition_id),
        key=lambda e: (order[e["category_key"]], e["name"].casefold(), str(e["id"])),
    )
    per_bale = row["archers_per_bale"]
    places: list[tuple[UUID, int | None, int | None]] = []
    bale, detail, last = 0, per_bale, None
    for e in entries:
        if detail == per_bale or e["category_key"] != last:
            bale, detail = bale + 1, 0
        detail += 1
        last = e["category_key"]
        places.append((e["id"], bale, detail))
    await repo.set_places(conn, competition_id, places)
    await repo.notify(conn, competition_id)
    return await get(conn, viewer, competition_id)


async def move(
    conn: Executor, viewer: UUID, competition_id: UUID, entry_id: UUID, body: PlaceIn
) -> dict[str, Any]:
    row = await _organised(conn, viewer, competition_id)
    await repo.lock(conn, competition_id)
    if body.detail > row["archers_per_bale"]:
        raise InvalidInput(
            f"detail: a bale of this competition has {row['archers_per_bale']} archers "
            f"({DETAILS[: row['archers_per_bale']]})"
        )
    entries = await repo.entries(conn, competition_id)
    if not any(e["id"] == entry_id for e in entries):
        raise NotFound("entry", entry_id)
    for e in entries:
        if e["id"] != entry_id and (e["bale"], e["detail"]) == (body.bale, body.detail):
            raise Conflict(
                f"{body.bale}{DETAILS[body.detail - 1]} is {e['name']}'s place: move them "
                "first, or swap the two"
            )
    await repo.set_place(conn, entry_id, body.bale, body.detail)
    await repo.notify(conn, competition_id)
    return await get(conn, viewer, competition_id)


async def swap(
    conn: Executor, viewer: UUID, competition_id: UUID, a: UUID, b: UUID
) -> dict[str, Any]:
    await _organised(conn, viewer, competition_id)
    await repo.lock(conn, competition_id)
    if a == b:
        raise InvalidInput("b: an entry is not swapped with itself")
    found = {e["id"]: e for e in await repo.entries(conn, competition_id)}
    for entry_id in (a, b):
        if entry_id not in found:
            raise NotFound("entry", entry_id)
    ea, eb = found[a], found[b]
    await repo.set_places(
        conn, competition_id, [(a, eb["bale"], eb["detail"]), (b, ea["bale"], ea["detail"])]
    )
    await repo.notify(conn, competition_id)
    return await get(conn, viewer, competition_id)


# -- running it -------------------------------------------------------------------------------


async def _open_session(
    conn: Executor, viewer: UUID, row: asyncpg.Record, entry_id: UUID, archer_id: UUID
) -> None:
    """The entry's session, following the competition's round. The archer's other open
    session (practice before the competition) is closed: the competition is what they shoot."""
    spec = await spec_of(conn, row)
    await conn.execute(
        """UPDATE session SET is_open = false,
                  end_time = greatest(now(), start_time + interval '1 second')
           WHERE archer_id = $1 AND is_open""",
        archer_id,
    )
    body = SessionIn(
        location=row["venue"],
        distance_m=spec.passes[0].distance_m,
        round_code=row["round_code"],
        custom_round_id=row["custom_round_id"],
        arrows_per_end=row["arrows_per_end"],
        notes=f"{row['name']} ({row['club_name']})"[:2000],
    )
    owner = await conn.fetchval(
        "SELECT archer_id FROM club_member WHERE club_id = $1 AND role = 'owner' LIMIT 1",
        row["club_id"],
    )
    doc = await sessions.create(conn, archer_id, body, round_viewer=owner or viewer)
    await repo.set_session(conn, entry_id, UUID(orjson.loads(doc)["id"]))


async def start(conn: Executor, viewer: UUID, competition_id: UUID) -> dict[str, Any]:
    """Open every entry's session: the competition is scored from now on."""
    row = await _organised(conn, viewer, competition_id)
    await repo.lock(conn, competition_id)
    if row["status"] != "planned":
        raise Conflict(f"the competition is {row['status']} already")
    for e in await repo.entries(conn, competition_id):
        if e["session_id"] is None:
            await _open_session(conn, viewer, row, e["id"], e["archer_id"])
    await repo.set_status(conn, competition_id, "running")
    await repo.notify(conn, competition_id)
    return await get(conn, viewer, competition_id)


async def finish(conn: Executor, viewer: UUID, competition_id: UUID) -> dict[str, Any]:
    """Close every entry's session: the results are final."""
    row = await _organised(conn, viewer, competition_id)
    await repo.lock(conn, competition_id)
    if row["status"] != "running":
        raise Conflict(f"the competition is {row['status']}: only a running one finishes")
    await repo.close_sessions(conn, competition_id)
    await repo.set_status(conn, competition_id, "finished")
    await repo.notify(conn, competition_id)
    return await get(conn, viewer, competition_id)


# -- the bale ---------------------------------------------------------------------------------


async def _may_score(conn: Executor, viewer: UUID, entry: asyncpg.Record | dict[str, Any]) -> bool:
    """An organiser, the archer, or an archer entered on the same bale (`entry`: its
    archer_id, club_id, competition_id and bale)."""
    if entry["archer_id"] == viewer:
        return True
    role = await conn.fetchval(
        "SELECT role FROM club_member WHERE club_id = $1 AND archer_id = $2",
        entry["club_id"],
        viewer,
    )
    if role in ORGANISERS:
        return True
    same_bale = await conn.fetchval(
        """SELECT true FROM competition_entry WHERE competition_id = $1 AND archer_id = $2
           AND bale = $3""",
        entry["competition_id"],
        viewer,
        entry["bale"],
    )
    return bool(same_bale) and entry["bale"] is not None


async def _scored_entry(conn: Executor, viewer: UUID, session_id: UUID) -> asyncpg.Record:
    entry = await repo.entry_of_session(conn, session_id)
    if entry is None or not await _may_score(conn, viewer, entry):
        raise NotFound("competition entry of session", session_id)
    if entry["status"] != "running":
        raise Conflict(f"the competition is {entry['status']}: it is scored while it runs")
    return entry


async def post_shots(
    conn: Executor, viewer: UUID, body: Sequence[ShotIn], *, max_shots: int
) -> shots.Created:
    """A scorer's post of one archer's arrows (one session): written as the archer's own, by
    the writer of shots (ids chosen by the client: a post sent again writes nothing)."""
    sessions_given = {s.session_id for s in body}
    if len(sessions_given) != 1:
        raise InvalidInput("body: one post scores one archer (the shots of one session)")
    entry = await _scored_entry(conn, viewer, sessions_given.pop())
    return await shots.create(conn, entry["archer_id"], body, max_shots=max_shots)


async def _shot_entry(conn: Executor, viewer: UUID, shot_id: UUID) -> asyncpg.Record:
    session_id = await conn.fetchval("SELECT session_id FROM shot WHERE id = $1", shot_id)
    if session_id is None:
        raise NotFound("shot", shot_id)
    return await _scored_entry(conn, viewer, session_id)


async def correct_shot(conn: Any, viewer: UUID, shot_id: UUID, patch: ShotPatch) -> str:
    entry = await _shot_entry(conn, viewer, shot_id)
    return await shots.update(conn, entry["archer_id"], shot_id, patch)


async def delete_shot(conn: Any, viewer: UUID, shot_id: UUID) -> str:
    entry = await _shot_entry(conn, viewer, shot_id)
    return await shots.delete(conn, entry["archer_id"], shot_id)


async def _entry_for(
    conn: Executor, viewer: UUID, competition_id: UUID, entry_id: UUID
) -> tuple[asyncpg.Record, asyncpg.Record]:
    row = await _load(conn, viewer, competition_id)
    entry = await repo.entry(conn, competition_id, entry_id)
    if entry is None:
        raise NotFound("entry", entry_id)
    return row, entry


async def confirm_end(
    conn: Executor, viewer: UUID, competition_id: UUID, entry_id: UUID, end_no: int
) -> dict[str, Any]:
    """The archer signs their end (their own login, or the bale's phone as them): complete
    ends only. Confirming again changes nothing."""
    row, entry = await _entry_for(conn, viewer, competition_id, entry_id)
    scoring = {**dict(entry), "competition_id": competition_id, "club_id": row["club_id"]}
    if not await _may_score(conn, viewer, scoring):
        raise Forbidden("only the archer, their bale's scorer or an organiser confirms an end")
    if row["status"] != "running":
        raise Conflict(f"the competition is {row['status']}")
    if entry["session_id"] is None:
        raise Conflict("the archer has no session yet")
    per_end = row["arrows_per_end"]
    shot = await repo.end_arrows(conn, entry["session_id"], end_no)
    if shot < per_end:
        raise Conflict(
            f"end {end_no} has {shot} of {per_end} arrows: only a complete end is confirmed"
        )
    await repo.confirm(conn, entry_id, end_no, viewer)
    await repo.notify(conn, competition_id)
    return {"entry_id": entry_id, "end_no": end_no, "confirmed": True}


async def release_end(
    conn: Executor, viewer: UUID, competition_id: UUID, entry_id: UUID, end_no: int
) -> dict[str, Any]:
    """Take a confirmation back so that the end can be corrected: the archer's own login, or
    an organiser (not the scorer's say-so alone)."""
    row, entry = await _entry_for(conn, viewer, competition_id, entry_id)
    if entry["archer_id"] != viewer and _role(row) != "organiser":
        raise Forbidden(
            f"end {end_no} is confirmed by {entry['name']}: only they (signed in) or an "
            "organiser may release it"
        )
    if not await repo.release(conn, entry_id, end_no):
        raise NotFound("confirmed end", end_no)
    await repo.notify(conn, competition_id)
    return {"entry_id": entry_id, "end_no": end_no, "confirmed": False}


async def bale(conn: Executor, viewer: UUID, competition_id: UUID, bale_no: int) -> dict[str, Any]:
    """What the bale's phone shows: each archer on the bale (A, B, C …) with their session,
    its progress in the round, its targets (to plot on), their arrows by end (with where they
    landed), and the ends they confirmed."""
    row = await _load(conn, viewer, competition_id)
    cats = {c["key"]: c["label"] for c in await repo.categories(conn, competition_id)}
    on_bale = [e for e in await repo.entries(conn, competition_id) if e["bale"] == bale_no]
    results = {r["id"]: r for r in await repo.scores(conn, competition_id)}
    session_ids = [e["session_id"] for e in on_bale if e["session_id"] is not None]
    arrows: dict[UUID, list[dict[str, Any]]] = {}
    for s in await repo.bale_shots(conn, session_ids):
        arrows.setdefault(s["session_id"], []).append(
            {
                "id": s["id"],
                "seq": s["seq"],
                "end_no": s["end_no"],
                "end_place": s["end_place"],
                "score": s["score"],
                "is_x": s["is_x"],
                "label": "X" if s["is_x"] else ("M" if s["score"] == 0 else str(s["score"])),
                "entered_by": s["entered_by"],
                "target_id": s["target_id"],
                "x_mm": s["x_mm"],
                "y_mm": s["y_mm"],
            }
        )
    archers = []
    for e in on_bale:
        session = None
        faces: list[Any] = []
        if e["session_id"] is not None:
            session = orjson.loads(await sessions.get(conn, e["archer_id"], e["session_id"]))
            faces = orjson.loads(
                await targets.list_for_session(conn, e["archer_id"], e["session_id"])
            )
        archers.append(
            {
                **entry_out(e, cats),
                "session": session,
                "targets": faces,
                "shots": arrows.get(e["session_id"], []),
                "confirmed_ends": list(results[e["id"]]["confirmed"]),
            }
        )
    return {
        "competition": out(row, await spec_of(conn, row)),
        "bale": bale_no,
        "arrows_per_end": row["arrows_per_end"],
        "archers": archers,
    }


# -- results ----------------------------------------------------------------------------------


def _rule_json(rule: Rule) -> dict[str, Any]:
    return {
        "code": rule.code,
        "tiebreaks": [{"key": k, "label": TIEBREAK_LABELS[k]} for k in rule.tiebreaks],
    }


@dataclass(frozen=True, slots=True)
class ResultsBase:
    """What the results are made of besides the arrows: the competition, its round's rule,
    its categories and the archers entered in each (by name). Changes only with a
    competition's own change (its note: `repo.notify`), not with an arrow."""

    row: asyncpg.Record
    spec: RoundSpec
    rule: Rule
    categories: list[asyncpg.Record]
    entries: dict[str, list[asyncpg.Record]]  # by category key, sorted by name


async def results_base(conn: Executor, competition_id: UUID) -> ResultsBase:
    row = await repo.get(conn, UUID(int=0), competition_id)
    if row is None:
        raise NotFound("competition", competition_id)
    spec = await spec_of(conn, row)
    cats = await repo.categories(conn, competition_id)
    entries: dict[str, list[asyncpg.Record]] = {c["key"]: [] for c in cats}
    for e in sorted(await repo.entries(conn, competition_id), key=lambda e: e["name"].casefold()):
        entries.setdefault(e["category_key"], []).append(e)
    return ResultsBase(row, spec, rule_for(p.scoring for p in spec.passes), cats, entries)


async def scores_of(conn: Executor, competition_id: UUID) -> dict[UUID, asyncpg.Record]:
    """Every entry's arrows (score, is X, end) and confirmed ends, by entry id."""
    return {r["id"]: r for r in await repo.scores(conn, competition_id)}


def category_results(
    base: ResultsBase, cat: asyncpg.Record, scores: dict[UUID, asyncpg.Record], *, public: bool
) -> dict[str, Any]:
    """One category's ranking by the round's rules (`ranking.standings`): total, then the
    round's tie-breaks (10+X then X; hits then golds for imperial rounds); archers still
    equal share a place. A public view carries names, categories and scores only (no ids)."""
    rule = base.rule
    mine = base.entries.get(cat["key"], [])
    tallies: dict[UUID, Tally] = {
        e["id"]: tally(zip(scores[e["id"]]["scores"], scores[e["id"]]["xs"], strict=True), rule)
        for e in mine
    }
    standings = rank([(e["id"], tallies[e["id"]]) for e in mine], rule)
    by_id = {e["id"]: e for e in mine}
    rows = []
    for placed in standings.placed:
        e, t, s = by_id[placed.key], tallies[placed.key], scores[placed.key]
        end_totals: dict[int, int] = {}
        for score, end_no in zip(s["scores"], s["ends"], strict=True):
            end_totals[end_no] = end_totals.get(end_no, 0) + score
        rows.append(
            {
                "place": placed.place,
                "tied": placed.tied,
                "name": e["name"],
                "guest": e["is_guest"],
                "target": None if e["bale"] is None else f"{e['bale']}{detail_label(e['detail'])}",
                **({} if public else {"entry_id": e["id"], "archer_id": e["archer_id"]}),
                **asdict(t),
                "ends": [end_totals[k] for k in sorted(end_totals)],
                "confirmed_ends": len(s["confirmed"]),
            }
        )
    return {"key": cat["key"], "label": cat["label"], "basis": standings.basis, "rows": rows}


def results_doc(base: ResultsBase, categories: list[dict[str, Any]]) -> dict[str, Any]:
    """The results: the competition, its rule, and its categories' rankings."""
    row, spec = base.row, base.spec
    return {
        "competition": {
            k: row[k] for k in ("name", "venue", "starts_on", "ends_on", "status", "arrows_per_end")
        }
        | {
            "club_name": row["club_name"],
            "round_name": spec.name,
            "max_score": spec.max_score,
            "n_arrows": spec.n_arrows,
            "ends": spec.n_arrows // row["arrows_per_end"],
        },
        "rule": _rule_json(base.rule),
        "categories": categories,
    }


async def results_of(conn: Executor, competition_id: UUID, *, public: bool) -> dict[str, Any]:
    """The qualification ranking per category (`category_results`)."""
    base = await results_base(conn, competition_id)
    scores = await scores_of(conn, competition_id)
    return results_doc(
        base, [category_results(base, c, scores, public=public) for c in base.categories]
    )


async def results(conn: Executor, viewer: UUID, competition_id: UUID) -> dict[str, Any]:
    await _load(conn, viewer, competition_id)
    return await results_of(conn, competition_id, public=False)


async def public_competition(conn: Executor, token: str) -> UUID:
    if not token.startswith(LINK_PREFIX) or len(token) > MAX_LINK_LENGTH:
        raise NotFound("results")
    competition_id = await repo.by_link(conn, token_hash(token))
    if competition_id is None:
        raise NotFound("results")
    return competition_id


async def public_results(conn: Executor, token: str) -> dict[str, Any]:
    return await results_of(conn, await public_competition(conn, token), public=True)


async def create_link(conn: Executor, viewer: UUID, competition_id: UUID) -> dict[str, Any]:
    """A new public results link (the previous one stops working)."""
    await _organised(conn, viewer, competition_id)
    token = new_token(LINK_PREFIX)
    await repo.set_link(conn, competition_id, token_hash(token))
    await repo.notify(conn, competition_id)
    return {"token": token, "path": link_path(token)}


async def revoke_link(conn: Executor, viewer: UUID, competition_id: UUID) -> dict[str, Any]:
    await _organised(conn, viewer, competition_id)
    if not await repo.set_link(conn, competition_id, None):
        raise NotFound("results link")
    await repo.notify(conn, competition_id)
    return {"revoked": True}
