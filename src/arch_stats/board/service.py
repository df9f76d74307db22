"""Rules of the club board: who may see it, what a public link shows, how it is ranked, and
the links.

A public link shows, of each member it shows (`repository.Shown`), their name, bowstyle and
category, round and scores: no id (an entry's `key` is an opaque key of its session made for
that link alone, which changes with a new link), no time, nothing else (`board_view`).

Rankings (`arch_stats.ranking`): every entry carries its `category` (bowstyle, age class,
gender), its `group` (the round, or without one the distance, indoors or out, and the rule:
archers are ranked against those shooting the same), its `rule` (the tie-breaks of its
round's scoring) and its `tally` (arrows, total, hits, 10+X, X, golds); each shot frame
carries its entry's new tally. Boards rank from these as frames come (the web page);
`ranking` ranks a board the same way for the REST answers."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import asdict
from typing import Any
from uuid import UUID

import orjson

from arch_stats.auth.tokens import new_token, token_hash
from arch_stats.board import repository
from arch_stats.core.database import Executor
from arch_stats.core.errors import NotFound
from arch_stats.faces.catalog import FACES
from arch_stats.faces.rounds import ROUNDS
from arch_stats.ranking.categories import category
from arch_stats.ranking.standings import (
    IMPERIAL,
    TIEBREAK_LABELS,
    TOTAL_ONLY,
    WA,
    Rule,
    Tally,
    rank,
    rule_for,
    tally,
)

# Public board links: `asb_` and 43 URL-safe characters (256 bits), shown once, stored hashed.
LINK_PREFIX = "asb_"
MAX_LINK_LENGTH = 64


# What a public link shows of an entry, and of a shot.
PUBLIC_ENTRY_KEYS = (
    "name",
    "bowstyle",
    "category",
    "group",
    "rule",
    "tally",
    "round_code",
    "distance_m",
    "is_indoor",
    "arrows_per_end",
)
PUBLIC_SHOT_KEYS = (
    "seq",
    "end_no",
    "end_place",
    "score",
    "is_x",
    "is_miss",
    "label",
    "dx_mm",
    "dy_mm",
)
RULES = {rule.code: rule for rule in (WA, IMPERIAL, TOTAL_ONLY)}


def link_path(token: str) -> str:
    return f"/app/board/{token}"


def public_key(secret: bytes, session_id: str) -> str:
    """A session's key on one public link's board: nothing to learn from, nothing shared
    with another link (an HMAC of the session id by the link's secret)."""
    digest = hmac.new(secret, session_id.encode(), hashlib.sha256).digest()[:12]
    return base64.urlsafe_b64encode(digest).decode()


def public_shot(shot: Mapping[str, Any]) -> dict[str, Any]:
    return {key: shot.get(key) for key in PUBLIC_SHOT_KEYS}


def public_entry(entry: Mapping[str, Any], secret: bytes) -> dict[str, Any]:
    """A members' board entry (`ranked`) as a public link shows it."""
    return {
        "key": public_key(secret, entry["session_id"]),
        **{key: entry[key] for key in PUBLIC_ENTRY_KEYS},
        "faces": [{"face_type": face["face_type"]} for face in entry["faces"]],
        "shots": [public_shot(shot) for shot in entry["shots"]],
    }


def rule_of(round_code: str | None, face_types: Iterable[str]) -> Rule:
    """The ranking rule of a session: its round's scoring, or without a (known) round its
    faces'."""
    spec = ROUNDS.get(round_code) if round_code else None
    if spec is not None:
        return rule_for(p.scoring for p in spec.passes)
    return rule_for(FACES[face].au_scoring for face in face_types if face in FACES)


def tally_json(counts: Tally) -> dict[str, int]:
    return asdict(counts)


def ranked(entry: dict[str, Any]) -> Rule:
    """Give a board entry as SQL built it (`repository.ENTRY_JSON`) its category, group, rule
    and tally, in place (its gender and age group go: the category says what ranking needs
    of them); its rule."""
    rule = rule_of(entry["round_code"], (face["face_type"] for face in entry["faces"]))
    entry["category"] = asdict(
        category(entry["bowstyle"], entry.pop("gender"), entry.pop("age_group"))
    )
    distance = f"{entry['distance_m']:g} m {'indoor' if entry['is_indoor'] else 'outdoor'}"
    entry["group"] = entry["round_code"] or f"{distance} · {rule.code}"
    entry["rule"] = {
        "code": rule.code,
        "tiebreaks": [{"key": key, "label": TIEBREAK_LABELS[key]} for key in rule.tiebreaks],
    }
    entry["tally"] = tally_json(tally(((s["score"], s["is_x"]) for s in entry["shots"]), rule))
    return rule


def board_view(board_text: str, secret: bytes | None) -> dict[str, Any]:
    """A members' board (`repository.snapshot`) ranked, as its members see it (`secret`
    None) or as a public link with that secret does."""
    board: dict[str, Any] = orjson.loads(board_text)
    for entry in board["archers"]:
        ranked(entry)
    if secret is None:
        return board
    return {
        "club": {"name": board["club"]["name"]},
        "read_only": True,
        "role": None,
        "archers": [public_entry(entry, secret) for entry in board["archers"]],
    }


def ranking(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The board's standings (`arch_stats.ranking`), one per group and category: groups with
    the most archers first, then by group, then categories in results-list order. Archers who
    share a place keep the board's order (by name)."""
    lists: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for entry in entries:
        lists.setdefault((entry["group"], entry["category"]["key"]), []).append(entry)
    sizes = Counter(entry["group"] for entry in entries)

    def order(item: tuple[tuple[str, str], list[dict[str, Any]]]) -> tuple[int, str, int]:
        (group, _), shown = item
        return (-sizes[group], group, shown[0]["category"]["order"])

    out = []
    for (group, _), shown in sorted(lists.items(), key=order):
        standings = rank(
            [(e["key"], Tally(**e["tally"])) for e in shown], RULES[shown[0]["rule"]["code"]]
        )
        out.append(
            {
                "group": group,
                "category": shown[0]["category"],
                "rule": shown[0]["rule"],
                "basis": standings.basis,
                "places": [asdict(p) for p in standings.placed],
            }
        )
    return out


def with_ranking(board: dict[str, Any]) -> str:
    return orjson.dumps({**board, "ranking": ranking(board["archers"])}).decode()


async def club_board(conn: Executor, club_id: UUID, archer_id: UUID) -> str:
    """The board of a club the archer belongs to (any role), with its `ranking`; 404 for
    anyone else."""
    text = await repository.snapshot(conn, club_id, archer_id=archer_id, link_id=None)
    if text is None:
        raise NotFound("club")
    return with_ranking(board_view(text, None))


async def public_board(conn: Executor, token: str) -> str:
    link = await _link(conn, token)
    text = await repository.snapshot(conn, link.club_id, archer_id=None, link_id=link.id)
    if text is None:
        raise NotFound("board")
    return with_ranking(board_view(text, link.secret))


async def _link(conn: Executor, token: str) -> repository.Link:
    if not token.startswith(LINK_PREFIX) or len(token) > MAX_LINK_LENGTH:
        raise NotFound("board")
    link = await repository.active_link(conn, token_hash(token))
    if link is None:
        raise NotFound("board")
    return link


async def _owner(conn: Executor, club_id: UUID, archer_id: UUID) -> None:
    """Only the club's owners manage its links; the club does not exist for anyone else."""
    if await repository.member_role(conn, club_id, archer_id) != "owner":
        raise NotFound("club")


async def link_state(conn: Executor, club_id: UUID, archer_id: UUID) -> dict[str, Any]:
    """The club's working public link (when it was made; the token is never shown again);
    404 when there is none."""
    await _owner(conn, club_id, archer_id)
    state = await repository.link_state(conn, club_id)
    if state is None:
        raise NotFound("board link")
    return {"created_at": state["created_at"]}


async def create_link(conn: Executor, club_id: UUID, archer_id: UUID) -> dict[str, Any]:
    """A new public link (the previous one, if any, stops working in the same transaction)."""
    await _owner(conn, club_id, archer_id)
    await repository.lock_links(conn, club_id)
    await repository.revoke_links(conn, club_id)
    token = new_token(LINK_PREFIX)
    row = await repository.create_link(conn, club_id, token_hash(token), archer_id)
    return {"token": token, "path": link_path(token), "created_at": row["created_at"]}


async def revoke_link(conn: Executor, club_id: UUID, archer_id: UUID) -> dict[str, Any]:
    await _owner(conn, club_id, archer_id)
    if not await repository.revoke_links(conn, club_id):
        raise NotFound("board link")
    return {"revoked": True}
