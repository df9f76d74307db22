"""The rows every scenario's data starts from: an archer with a login token, an open session,
a target with one face. What each scenario then writes (years of history, a burst of events)
stays with it."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from uuid import UUID

from arch_stats.auth.tokens import PREFIX_LOGIN, token_hash
from arch_stats.core.database import Connection

VIEW_MM = 1300.0  # a target's view, square
CENTRE_MM = VIEW_MM / 2  # where its one face is
# A shot row written by COPY: its ids, place in the session, impact, score and times.
SHOT_COLUMNS = (
    "session_id",
    "archer_id",
    "target_id",
    "arrow_id",
    "seq",
    "end_no",
    "end_place",
    "x_mm",
    "y_mm",
    "face_index",
    "spot_index",
    "dx_mm",
    "dy_mm",
    "score",
    "is_x",
    "engaged_at",
    "released_at",
    "landed_at",
)


@dataclass(frozen=True, slots=True)
class Login:
    archer_id: UUID
    token: str  # a login token, a day long

    @property
    def auth_header(self) -> str:
        return f"Bearer {self.token}"


async def add_archer(conn: Connection, name: str, tag: str = "bench") -> Login:
    """An archer (no usable password) with a login token; the email is `tag-<random>@…`."""
    token = PREFIX_LOGIN + secrets.token_urlsafe(32)
    archer_id: UUID = await conn.fetchval(
        """INSERT INTO archer (email, password_hash, name)
           VALUES ($1, 'not-a-usable-hash', $2) RETURNING id""",
        f"{tag}-{secrets.token_hex(4)}@example.test",
        name,
    )
    await conn.execute(
        """INSERT INTO auth_token (archer_id, token_hash, scope, expires_at)
           VALUES ($1, $2, 'login', now() + interval '1 day')""",
        archer_id,
        token_hash(token),
    )
    return Login(archer_id, token)


async def add_arrows(conn: Connection, archer_id: UUID, count: int) -> list[UUID]:
    """Arrows A01, A02, … of the archer."""
    rows = await conn.fetch(
        """INSERT INTO arrow (archer_id, identifier)
           SELECT $1, 'A' || lpad(n::text, 2, '0') FROM generate_series(1, $2) AS n
           RETURNING id""",
        archer_id,
        count,
    )
    return [r["id"] for r in rows]


async def add_target(
    conn: Connection,
    session_id: UUID,
    archer_id: UUID,
    *,
    distance_m: float = 70.0,
    lane: int | None = None,
    face_type: str = "wa_122",
) -> UUID:
    """A target VIEW_MM square with one face in its middle."""
    target_id: UUID = await conn.fetchval(
        """INSERT INTO target (session_id, archer_id, lane, distance_m, view_width_mm,
                               view_height_mm)
           VALUES ($1, $2, $3, $4, $5, $5) RETURNING id""",
        session_id,
        archer_id,
        lane,
        distance_m,
        VIEW_MM,
    )
    await conn.execute(
        """INSERT INTO target_face (target_id, face_index, face_type, center_x_mm, center_y_mm)
           VALUES ($1, 0, $2, $3, $3)""",
        target_id,
        face_type,
        CENTRE_MM,
    )
    return target_id


async def open_session(conn: Connection, archer_id: UUID) -> tuple[UUID, UUID]:
    """Close the archer's open session, if any, and open a new one (70 m, ends of 6) with a
    target; returns both ids."""
    async with conn.transaction():
        await conn.execute(
            "UPDATE session SET is_open = false, end_time = now() WHERE archer_id = $1 AND is_open",
            archer_id,
        )
        session_id: UUID = await conn.fetchval(
            "INSERT INTO session (archer_id, distance_m, arrows_per_end) VALUES ($1, 70, 6) "
            "RETURNING id",
            archer_id,
        )
        return session_id, await add_target(conn, session_id, archer_id)


async def add_club(
    conn: Connection, members: list[UUID], *, public: bool = False, name: str | None = None
) -> UUID:
    """A club with the first archer as owner and the others as members (`public`: shown on its
    public boards)."""
    async with conn.transaction():
        club_id: UUID = await conn.fetchval(
            "INSERT INTO club (name) VALUES ($1) RETURNING id",
            name or f"Bench {secrets.token_hex(3)}",
        )
        await conn.executemany(
            """INSERT INTO club_member (club_id, archer_id, role, show_on_public_board)
               VALUES ($1, $2, $3, $4)""",
            [(club_id, a, "owner" if i == 0 else "member", public) for i, a in enumerate(members)],
        )
    return club_id


@dataclass(frozen=True, slots=True)
class Shooter(Login):
    """An archer with a login token and arrows (a sensor's `arrow_identified` names one)."""

    arrows: list[UUID]


async def add_shooter(conn: Connection, name: str, tag: str = "bench", arrows: int = 6) -> Shooter:
    async with conn.transaction():
        login = await add_archer(conn, name, tag)
        ids = await add_arrows(conn, login.archer_id, arrows)
    return Shooter(login.archer_id, login.token, ids)
