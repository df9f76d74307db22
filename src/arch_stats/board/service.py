"""Rules of the club board: who may see it, what a public link shows, and the links.

A public link shows, of each member it shows (`repository.Shown`), their name, bowstyle, round
and scores: no id (an entry's `key` is an opaque key of its session made for that link alone,
which changes with a new link), no time, nothing else (`public_view`)."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping
from typing import Any
from uuid import UUID

import orjson

from arch_stats.auth.tokens import new_token, token_hash
from arch_stats.board import repository
from arch_stats.core.database import Executor
from arch_stats.core.errors import NotFound

# Public board links: `asb_` and 43 URL-safe characters (256 bits), shown once, stored hashed.
LINK_PREFIX = "asb_"
MAX_LINK_LENGTH = 64


# What a public link shows of an entry, and of a shot.
PUBLIC_ENTRY_KEYS = ("name", "bowstyle", "round_code", "distance_m", "is_indoor", "arrows_per_end")
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
    """A members' board entry (`repository.ENTRY_JSON`) as a public link shows it."""
    return {
        "key": public_key(secret, entry["session_id"]),
        **{key: entry[key] for key in PUBLIC_ENTRY_KEYS},
        "faces": [{"face_type": face["face_type"]} for face in entry["faces"]],
        "shots": [public_shot(shot) for shot in entry["shots"]],
    }


def public_view(board_text: str, secret: bytes) -> str:
    """A members' board (`repository.snapshot` of a link) as the link shows it."""
    board = orjson.loads(board_text)
    return orjson.dumps(
        {
            "club": {"name": board["club"]["name"]},
            "read_only": True,
            "role": None,
            "archers": [public_entry(entry, secret) for entry in board["archers"]],
        }
    ).decode()


async def club_board(conn: Executor, club_id: UUID, archer_id: UUID) -> str:
    """The board of a club the archer belongs to (any role); 404 for anyone else."""
    text = await repository.snapshot(conn, club_id, archer_id=archer_id, link_id=None)
    if text is None:
        raise NotFound("club")
    return text


async def public_board(conn: Executor, token: str) -> str:
    link = await _link(conn, token)
    text = await repository.snapshot(conn, link.club_id, archer_id=None, link_id=link.id)
    if text is None:
        raise NotFound("board")
    return public_view(text, link.secret)


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
