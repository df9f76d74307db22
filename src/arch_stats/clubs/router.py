"""HTTP routes of the clubs domain (thin: parse, authorise, call the service)."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter
from starlette.responses import Response

from arch_stats.auth.deps import CurrentArcher
from arch_stats.clubs import service
from arch_stats.clubs.schemas import (
    COACH_INVITE_USES,
    MAX_INVITE_USES,
    MEMBER_INVITE_USES,
    ClubIn,
    ClubOut,
    ConsentIn,
    InviteIn,
    InviteOut,
    JoinIn,
    MemberOut,
    NoteIn,
    NoteOut,
    RoleIn,
    RosterEntry,
)
from arch_stats.core.database import Db, Tx
from arch_stats.core.responses import Envelope, error_responses, ok

router = APIRouter(tags=["clubs"])


def _out(data: object, status: int = 200) -> Response:
    if isinstance(data, list):
        return ok([d.model_dump(mode="json") for d in data], status)
    return ok(data.model_dump(mode="json"), status)  # type: ignore[attr-defined]


@router.post(
    "/club",
    status_code=201,
    response_model=Envelope[ClubOut],
    responses=error_responses(401, 422),
    summary="Create a club: you are its owner",
)
async def create_club(body: ClubIn, archer: CurrentArcher, conn: Tx) -> Response:
    return _out(await service.create(conn, archer.archer_id, body.name), 201)


@router.get(
    "/club",
    response_model=Envelope[list[ClubOut]],
    responses=error_responses(401),
    summary="My clubs, with my role and whether I share with their coaches",
)
async def my_clubs(archer: CurrentArcher, conn: Db) -> Response:
    return _out(await service.mine(conn, archer.archer_id))


@router.post(
    "/club/join",
    status_code=201,
    response_model=Envelope[ClubOut],
    responses=error_responses(401, 403, 404, 409, 422),
    summary="Join a club with an invite code (shares with its coaches; change it at once)",
    description="Takes one of the invite's uses. 404: the code is unknown, expired, revoked "
    "or used up; 403: an owner removed you from the club after the invite was made.",
)
async def join_club(body: JoinIn, archer: CurrentArcher, conn: Tx) -> Response:
    return _out(await service.join(conn, archer.archer_id, body.code), 201)


@router.get(
    "/club/{club_id:uuid}",
    response_model=Envelope[ClubOut],
    responses=error_responses(401, 404, 422),
    summary="A club I am in",
)
async def get_club(club_id: UUID, archer: CurrentArcher, conn: Db) -> Response:
    return _out(await service.get(conn, archer.archer_id, club_id))


@router.patch(
    "/club/{club_id:uuid}",
    response_model=Envelope[ClubOut],
    responses=error_responses(401, 404, 422),
    summary="Rename a club (owners)",
)
async def rename_club(club_id: UUID, body: ClubIn, archer: CurrentArcher, conn: Tx) -> Response:
    return _out(await service.rename(conn, archer.archer_id, club_id, body.name))


@router.put(
    "/club/{club_id:uuid}/consent",
    response_model=Envelope[ClubOut],
    responses=error_responses(401, 404, 422),
    summary="Share (or stop sharing) my sessions, statistics and live sessions with the "
    "club's owners and coaches, and say whether the board's public link shows me; stopping "
    "cuts access at once",
)
async def set_consent(club_id: UUID, body: ConsentIn, archer: CurrentArcher, conn: Tx) -> Response:
    return _out(
        await service.set_consent(
            conn, archer.archer_id, club_id, body.share_with_coaches, body.show_on_public_board
        )
    )


@router.get(
    "/club/{club_id:uuid}/member",
    response_model=Envelope[list[MemberOut]],
    responses=error_responses(401, 404, 422),
    summary="The club's members with their roles and consent (owners and coaches)",
)
async def list_members(club_id: UUID, archer: CurrentArcher, conn: Db) -> Response:
    return _out(await service.members(conn, archer.archer_id, club_id))


@router.patch(
    "/club/{club_id:uuid}/member/{archer_id}",
    response_model=Envelope[list[MemberOut]],
    responses=error_responses(401, 404, 409, 422),
    summary="Change a member's role (owners; 409 when the club would have no owner)",
)
async def change_role(
    club_id: UUID, archer_id: UUID, body: RoleIn, archer: CurrentArcher, conn: Tx
) -> Response:
    return _out(await service.set_role(conn, archer.archer_id, club_id, archer_id, body.role))


@router.delete(
    "/club/{club_id:uuid}/member/{archer_id}",
    status_code=204,
    responses=error_responses(401, 404, 409, 422),
    summary="Leave the club (your own id) or remove a member (owners); 409 for the last owner",
)
async def remove_member(
    club_id: UUID, archer_id: UUID, archer: CurrentArcher, conn: Tx
) -> Response:
    await service.remove(conn, archer.archer_id, club_id, archer_id)
    return Response(status_code=204)


@router.post(
    "/club/{club_id:uuid}/invite",
    status_code=201,
    response_model=Envelope[InviteOut],
    responses=error_responses(401, 404, 422),
    summary="Invite by code or link (owners); the code is shown only now",
    description=f"`max_uses`: how many accounts may join with it (1 to {MAX_INVITE_USES}; by "
    f"default {COACH_INVITE_USES} for a coach invite, {MEMBER_INVITE_USES} for a member link).",
)
async def create_invite(club_id: UUID, body: InviteIn, archer: CurrentArcher, conn: Tx) -> Response:
    return _out(await service.invite(conn, archer.archer_id, club_id, body), 201)


@router.get(
    "/club/{club_id:uuid}/invite",
    response_model=Envelope[list[InviteOut]],
    responses=error_responses(401, 404, 422),
    summary="The club's invites (owners), without their codes",
)
async def list_invites(club_id: UUID, archer: CurrentArcher, conn: Db) -> Response:
    return _out(await service.invites(conn, archer.archer_id, club_id))


@router.delete(
    "/club/{club_id:uuid}/invite/{invite_id}",
    response_model=Envelope[InviteOut],
    responses=error_responses(401, 404, 422),
    summary="Revoke an invite (owners)",
)
async def revoke_invite(
    club_id: UUID, invite_id: UUID, archer: CurrentArcher, conn: Tx
) -> Response:
    return _out(await service.revoke_invite(conn, archer.archer_id, club_id, invite_id))


@router.get(
    "/club/{club_id:uuid}/roster",
    response_model=Envelope[list[RosterEntry]],
    responses=error_responses(401, 404, 422),
    summary="Coach roster (owners and coaches): each member who shares, with their last "
    "session, trend, handicap and classification",
)
async def roster(club_id: UUID, archer: CurrentArcher, conn: Db) -> Response:
    return _out(await service.roster(conn, archer.archer_id, club_id))


@router.post(
    "/session/{session_id}/note",
    status_code=201,
    response_model=Envelope[NoteOut],
    responses=error_responses(401, 404, 422),
    summary="A note on a session, one of its ends or one arrow of an end (its archer, or a "
    "coach it is shared with); sent live to the session's watchers as `note.created`",
    description="`end_no` must be an end the session has shot and `end_place` a place of that "
    "end where an arrow was recorded (else 422).",
)
async def add_note(session_id: UUID, body: NoteIn, archer: CurrentArcher, conn: Tx) -> Response:
    return _out(await service.add_note(conn, archer.archer_id, session_id, body), 201)


@router.get(
    "/session/{session_id}/note",
    response_model=Envelope[list[NoteOut]],
    responses=error_responses(401, 404, 422),
    summary="The notes on a session, each with whether I have read it",
)
async def list_notes(session_id: UUID, archer: CurrentArcher, conn: Db) -> Response:
    return _out(await service.notes(conn, archer.archer_id, session_id))


@router.post(
    "/note/{note_id}/read",
    response_model=Envelope[NoteOut],
    responses=error_responses(401, 404, 422),
    summary="I have read this note (it loses its badge for me, for nobody else)",
)
async def read_note(note_id: UUID, archer: CurrentArcher, conn: Tx) -> Response:
    return _out(await service.read_note(conn, archer.archer_id, note_id))


@router.delete(
    "/note/{note_id}",
    response_model=Envelope[NoteOut],
    responses=error_responses(401, 404, 422),
    summary="Delete a note I wrote",
)
async def delete_note(note_id: UUID, archer: CurrentArcher, conn: Tx) -> Response:
    return _out(await service.delete_note(conn, archer.archer_id, note_id))
