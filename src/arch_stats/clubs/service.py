"""Club rules: who may do what in a club, invites, consent, coach notes, the roster.

Everything the caller may not see or do is NotFound (404), as for any object that is not
theirs: a club they are not in, a member who does not share, an owner's action asked by a
member. The club keeps an owner by a database rule (409 when a change would break it).
"""

from __future__ import annotations

import hashlib
import secrets
from typing import Any
from uuid import UUID

import orjson

from arch_stats.access import policy
from arch_stats.clubs import repository as repo
from arch_stats.clubs.schemas import (
    COACH_INVITE_USES,
    MEMBER_INVITE_USES,
    ClubOut,
    InviteIn,
    InviteOut,
    MemberOut,
    NoteIn,
    NoteOut,
    RosterEntry,
)
from arch_stats.core.database import Connection, Executor
from arch_stats.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from arch_stats.stats import service as stats_service
from arch_stats.stats.schemas import HistoryQuery

LIVE_CHANNEL = "arch_stats_live"  # the live hub's channel (`live.hub.CHANNEL`)
INVITE_PATH = "/app/clubs/join/"  # the web page that joins with the code
INVITE_NOT_USABLE = "invite (unknown, expired, revoked or used up)"
REMOVED = (
    "an owner removed you from this club after this invite was made: ask an owner for a new one"
)


def code_hash(code: str) -> bytes:
    return hashlib.sha256(code.strip().encode()).digest()


async def _role(conn: Executor, viewer: UUID, club_id: UUID, *allowed: str) -> str:
    role = await repo.role_of(conn, viewer, club_id)
    if role is None or (allowed and role not in allowed):
        raise NotFound("club", club_id)
    return role


async def create(conn: Connection, viewer: UUID, name: str) -> ClubOut:
    return ClubOut.model_validate(await repo.create(conn, viewer, name))


async def mine(conn: Executor, viewer: UUID) -> list[ClubOut]:
    return [ClubOut.model_validate(r) for r in await repo.mine(conn, viewer)]


async def get(conn: Executor, viewer: UUID, club_id: UUID) -> ClubOut:
    club = await repo.get(conn, viewer, club_id)
    if club is None:
        raise NotFound("club", club_id)
    return ClubOut.model_validate(club)


async def rename(conn: Connection, viewer: UUID, club_id: UUID, name: str) -> ClubOut:
    await _role(conn, viewer, club_id, "owner")
    await repo.rename(conn, club_id, name)
    return await get(conn, viewer, club_id)


async def set_consent(
    conn: Connection, viewer: UUID, club_id: UUID, share: bool, public: bool | None
) -> ClubOut:
    if not await repo.set_consent(conn, viewer, club_id, share, public):
        raise NotFound("club", club_id)
    return await get(conn, viewer, club_id)


async def members(conn: Executor, viewer: UUID, club_id: UUID) -> list[MemberOut]:
    """Owners and coaches see the members; members see each other only on the board."""
    await _role(conn, viewer, club_id, "owner", "coach")
    return [MemberOut.model_validate(r) for r in await repo.members(conn, club_id)]


async def set_role(
    conn: Connection, viewer: UUID, club_id: UUID, archer_id: UUID, role: str
) -> list[MemberOut]:
    await _role(conn, viewer, club_id, "owner")
    if not await repo.set_role(conn, club_id, archer_id, role):
        raise NotFound("member", archer_id)
    return [MemberOut.model_validate(r) for r in await repo.members(conn, club_id)]


async def remove(conn: Connection, viewer: UUID, club_id: UUID, archer_id: UUID) -> None:
    """Leave (yourself, any role) or remove a member (owners only)."""
    if archer_id == viewer:
        await _role(conn, viewer, club_id)
    else:
        await _role(conn, viewer, club_id, "owner")
    if not await repo.remove(conn, club_id, archer_id, by_owner=archer_id != viewer):
        raise NotFound("member", archer_id)


async def invite(conn: Connection, viewer: UUID, club_id: UUID, body: InviteIn) -> InviteOut:
    await _role(conn, viewer, club_id, "owner")
    code = secrets.token_urlsafe(12)
    uses = body.max_uses or (COACH_INVITE_USES if body.role == "coach" else MEMBER_INVITE_USES)
    row = await repo.add_invite(
        conn,
        club_id,
        viewer,
        code_hash(code),
        body.role,
        hours=body.expires_in_hours,
        max_uses=uses,
    )
    return InviteOut.model_validate({**row, "code": code, "link": INVITE_PATH + code})


async def invites(conn: Executor, viewer: UUID, club_id: UUID) -> list[InviteOut]:
    await _role(conn, viewer, club_id, "owner")
    return [InviteOut.model_validate(r) for r in await repo.invites(conn, club_id)]


async def revoke_invite(
    conn: Connection, viewer: UUID, club_id: UUID, invite_id: UUID
) -> InviteOut:
    await _role(conn, viewer, club_id, "owner")
    row = await repo.revoke_invite(conn, club_id, invite_id)
    if row is None:
        raise NotFound("invite", invite_id)
    return InviteOut.model_validate(row)


async def invite_usable(conn: Executor, code: str) -> bool:
    return await repo.invite_usable(conn, code_hash(code))


async def join(conn: Connection, viewer: UUID, code: str) -> ClubOut:
    """Join with an invite code, taking one of its uses (in the caller's transaction: a
    refusal after it gives the use back)."""
    found = await repo.redeem_invite(conn, code_hash(code), viewer)
    if found is None:
        raise NotFound(INVITE_NOT_USABLE)
    club_id, role, removed_since = found
    if removed_since:
        raise Forbidden(REMOVED)
    if not await repo.join(conn, club_id, viewer, role):
        raise Conflict("you are already a member of this club")
    return await get(conn, viewer, club_id)


# -- coach notes ----------------------------------------------------------------------------


async def _check_anchor(conn: Executor, session_id: UUID, body: NoteIn) -> None:
    """A note names an end the session has shot, and an arrow only where one was recorded."""
    if body.end_no is None:
        return
    last_end, placed = await repo.ends_shot(conn, session_id, body.end_no, body.end_place or 0)
    if last_end is None or body.end_no > last_end:
        shot = "no end yet" if last_end is None else f"{last_end} ends"
        raise InvalidInput(f"end_no: end {body.end_no} is beyond the session ({shot} shot)")
    if body.end_place is not None and not placed:
        raise InvalidInput(
            f"end_place: end {body.end_no} has no arrow recorded at place {body.end_place}"
        )


async def add_note(conn: Connection, viewer: UUID, session_id: UUID, body: NoteIn) -> NoteOut:
    """Anyone who may read the session writes a note on it (its archer, or a coach)."""
    if await policy.session_access(conn, viewer, session_id) is None:
        raise NotFound("session", session_id)
    await _check_anchor(conn, session_id, body)
    note = NoteOut.model_validate(
        await repo.add_note(conn, session_id, viewer, body.end_no, body.end_place, body.body)
    )
    # To every watcher: each one's read state is their own (unread, unless they wrote it).
    payload = {
        "type": "note.created",
        "session_id": str(session_id),
        "data": {**note.model_dump(mode="json"), "read": False},
    }
    await repo.notify_live(conn, LIVE_CHANNEL, orjson.dumps(payload).decode())
    return note


async def notes(conn: Executor, viewer: UUID, session_id: UUID) -> list[NoteOut]:
    if await policy.session_access(conn, viewer, session_id) is None:
        raise NotFound("session", session_id)
    return [NoteOut.model_validate(r) for r in await repo.notes(conn, session_id, viewer)]


async def read_note(conn: Connection, viewer: UUID, note_id: UUID) -> NoteOut:
    """The viewer has opened the note: read by them from now on (by nobody else)."""
    session_id = await repo.note_session(conn, note_id)
    if session_id is None or await policy.session_access(conn, viewer, session_id) is None:
        raise NotFound("note", note_id)
    row = await repo.mark_read(conn, note_id, viewer)
    if row is None:  # deleted meanwhile
        raise NotFound("note", note_id)
    return NoteOut.model_validate(row)


async def delete_note(conn: Connection, viewer: UUID, note_id: UUID) -> NoteOut:
    row = await repo.delete_note(conn, note_id, viewer)
    if row is None:
        raise NotFound("note", note_id)
    note = NoteOut.model_validate(row)
    payload = {
        "type": "note.deleted",
        "session_id": str(note.session_id),
        "data": note.model_dump(mode="json"),
    }
    await repo.notify_live(conn, LIVE_CHANNEL, orjson.dumps(payload).decode())
    return note


# -- the roster -----------------------------------------------------------------------------


async def roster(conn: Executor, viewer: UUID, club_id: UUID) -> list[RosterEntry]:
    """Each member who shares with the coaches: last session, trend, handicap and
    classification, from the same analysis the archer's own pages use."""
    await _role(conn, viewer, club_id, "owner", "coach")
    entries = []
    for row in await repo.shared_members(conn, club_id, viewer):
        last = orjson.loads(row["last_session"]) if row["last_session"] else None
        trend = handicap = classification = None
        if last is not None:
            history: dict[str, Any] = orjson.loads(
                await stats_service.history_json(conn, row["archer_id"], HistoryQuery())
            )
            trend = history["trend"]["slope_per_day"]
            trend = None if trend is None else trend * 7
            rated = [r for r in history["rows"] if r["handicap"] is not None]
            if rated:  # the newest session's handicap
                handicap = max(rated, key=lambda r: str(r["start_time"]))["handicap"]
            stats = orjson.loads(
                await stats_service.session_stats(conn, row["archer_id"], row["last_session_id"])
            )
            last["total"] = stats.get("total")
            last["arrows"] = stats.get("arrows")
            rnd = stats.get("round")
            if rnd is not None:
                classification = rnd.get("classification") or rnd.get("predicted_classification")
        entries.append(
            RosterEntry(
                archer_id=row["archer_id"],
                name=row["name"],
                role=row["role"],
                bowstyle=row["bowstyle"],
                sessions=row["sessions"],
                last_session=last,
                trend_per_arrow_per_week=trend,
                handicap=handicap,
                classification=classification,
            )
        )
    return entries
