"""Demo data, so that a newcomer sees something: one archer, arrows and a season of sessions;
and a demo club (the demo archer owns it) with a coach and three members who shot last week
and are shooting now, so that the club board and the coach's views have something to show;
and the club's competition night in progress (a Portsmouth on three bales, some ends confirmed),
so that the bale, the target list and the live results have something to show too; and a range
timer, ready for its first end."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from uuid import UUID

from pwdlib import PasswordHash

from arch_stats.competitions import service as competitions
from arch_stats.competitions.schemas import CategoryIn, CompetitionIn, EntryIn
from arch_stats.core import migrations
from arch_stats.core.database import Connection
from arch_stats.faces.scoring import FACES, PlacedFace, score_impact
from arch_stats.shots import repository as shots_repo
from arch_stats.shots.repository import ShotRow, TargetInfo
from arch_stats.shots.schemas import ShotIn
from arch_stats.shots.spots import spot_value
from arch_stats.timer import repository as timer_repository
from arch_stats.timer import service as timer_service
from arch_stats.timer.schemas import TimerIn

DEMO_EMAIL = "demo@example.com"
DEMO_PASSWORD = "demo-archer"  # noqa: S105 (documented demo login, not a secret)
DEMO_CLUB = "Demo Archery Club"
DEMO_TIMER = "Club night (70 m)"
# The club's other accounts (same password as the demo archer): (email, name, bowstyle, role,
# group sigma mm at 70 m). Two recurves among the members: the board ranks them in a category.
CLUB_PEOPLE = [
    ("demo-coach@example.com", "Chris Coach", "recurve", "coach", 70.0),
    ("demo-mia@example.com", "Mia Fletcher", "compound", "member", 45.0),
    ("demo-sam@example.com", "Sam Bowyer", "recurve", "member", 85.0),
    ("demo-lee@example.com", "Lee Nock", "recurve", "member", 120.0),
]

# (days ago, location, indoor, distance, round, face, view mm, arrows, group sigma mm)
_SESSIONS = [
    (56, "Club field", False, 70.0, "wa720_70", "wa_122", 1300.0, 72, 95.0),
    (49, "Club field", False, 70.0, "wa720_70", "wa_122", 1300.0, 72, 90.0),
    (42, "Sports hall", True, 18.0, "wa18", "wa_40_triple_vertical", 800.0, 60, 22.0),
    (35, "Club field", False, 70.0, "wa720_70", "wa_122", 1300.0, 72, 84.0),
    (28, "Sports hall", True, 18.0, "wa18", "wa_40_triple_vertical", 800.0, 60, 20.0),
    (21, "Club field", False, 50.0, None, "wa_80", 900.0, 36, 55.0),
    (14, "Club field", False, 70.0, "wa720_70", "wa_122", 1300.0, 72, 80.0),
    (7, "Club field", False, 70.0, "wa720_70", "wa_122", 1300.0, 72, 76.0),
]


async def seed_demo(dsn: str, *, log: Callable[[str], None] = print, reset: bool = False) -> UUID:
    conn = await migrations.connect(dsn)
    try:
        existing = await conn.fetchval("SELECT id FROM archer WHERE email = $1", DEMO_EMAIL)
        if existing is not None and not reset:
            club = await _club_of(conn, existing)
            if club is None:  # seeded before clubs existed
                async with conn.transaction():
                    club = await _seed_club(conn, existing, log)
            if not await conn.fetchval("SELECT EXISTS (SELECT 1 FROM competition)"):
                async with conn.transaction():  # seeded before competitions existed
                    await _seed_competition(conn, existing, club, log)
            log(f"demo archer already present: log in as {DEMO_EMAIL} / {DEMO_PASSWORD}")
            return UUID(str(existing))
        async with conn.transaction():
            if existing is not None:
                await conn.execute(
                    "DELETE FROM club WHERE id IN (SELECT club_id FROM club_member "
                    "WHERE archer_id = $1 AND role = 'owner') AND name = $2",
                    existing,
                    DEMO_CLUB,
                )
                await conn.execute("DELETE FROM archer WHERE id = $1", existing)
            await conn.execute(
                "DELETE FROM archer WHERE email = ANY($1::text[])", [p[0] for p in CLUB_PEOPLE]
            )
            archer_id = await _seed(conn, log)
            club_id = await _seed_club(conn, archer_id, log)
            await _seed_competition(conn, archer_id, club_id, log)
        log(f"demo data added: log in as {DEMO_EMAIL} / {DEMO_PASSWORD}")
        return archer_id
    finally:
        await conn.close()


async def _seed(conn: Connection, log: Callable[[str], None]) -> UUID:
    rng = random.Random(20261122)
    archer_id: UUID = await conn.fetchval(
        "INSERT INTO archer (email, password_hash, name, bowstyle, gender, age_group, "
        "draw_weight_lbs) VALUES ($1, $2, 'Demo Archer', 'recurve', 'female', 'adult', 34) "
        "RETURNING id",
        DEMO_EMAIL,
        PasswordHash.recommended().hash(DEMO_PASSWORD),
    )
    arrow_ids = []
    for n in range(1, 7):
        arrow_ids.append(
            await conn.fetchval(
                "INSERT INTO arrow (archer_id, identifier, length_mm, weight_grains, diameter_mm, "
                "spine, is_programmed) VALUES ($1, $2, 720, 340, 5.5, 600, true) RETURNING id",
                archer_id,
                f"A{n:02d}",
            )
        )
    # A06 has a damaged fletching: it groups low and to the right.
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    for spec in _SESSIONS:
        await _shoot(conn, rng, archer_id, arrow_ids, spec, now, log, bad_arrow=arrow_ids[-1])
    return archer_id


Session = tuple[int, str, bool, float, str | None, str, float, int, float]


async def _arrows(conn: Connection, archer_id: UUID) -> list[UUID]:
    return [
        await conn.fetchval(
            "INSERT INTO arrow (archer_id, identifier, length_mm, weight_grains, diameter_mm, "
            "spine, is_programmed) VALUES ($1, $2, 720, 340, 5.5, 600, true) RETURNING id",
            archer_id,
            f"A{n:02d}",
        )
        for n in range(1, 7)
    ]


async def _shoot(
    conn: Connection,
    rng: random.Random,
    archer_id: UUID,
    arrow_ids: list[UUID],
    spec: Session,
    now: datetime,
    log: Callable[[str], None],
    *,
    bad_arrow: UUID | None = None,
    still_open: bool = False,
) -> None:
    """One session of `spec`: its target, face and shots; closed unless `still_open` (then
    started `spec[0]` days ago, i.e. today for 0, an hour ago, and open)."""
    days, location, indoor, distance, round_code, face, view, n_arrows, sigma = spec
    start = now - (timedelta(hours=1) if still_open else timedelta(days=days, hours=-10))
    per_end = 3 if indoor else 6
    session_id: UUID = await conn.fetchval(
        "INSERT INTO session (archer_id, location, is_indoor, distance_m, start_time, "
        "round_code, arrows_per_end) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        archer_id,
        location,
        indoor,
        distance,
        start,
        round_code,
        per_end,
    )
    target_id: UUID = await conn.fetchval(
        "INSERT INTO target (session_id, archer_id, lane, distance_m, view_width_mm, "
        "view_height_mm) VALUES ($1, $2, 4, $3, $4, $4) RETURNING id",
        session_id,
        archer_id,
        distance,
        view,
    )
    await conn.execute(
        "INSERT INTO target_face (target_id, face_index, face_type, center_x_mm, center_y_mm) "
        "VALUES ($1, 0, $2, $3, $3)",
        target_id,
        face,
        view / 2,
    )
    placed = (PlacedFace(face, view / 2, view / 2),)
    target = TargetInfo(target_id, session_id, True, view, view, False, placed)
    spots = FACES[face].spots  # aim at each spot in turn, one arrow on each
    rows = []
    for i in range(n_arrows):
        arrow = arrow_ids[i % len(arrow_ids)]
        fatigue = 1 + 0.25 * i / n_arrows
        bias_x, bias_y = (0.6 * sigma, -0.5 * sigma) if arrow == bad_arrow else (0.0, 0.0)
        released = start + timedelta(seconds=40 * i + rng.uniform(0, 8))
        landed = released + timedelta(seconds=distance / 60.0)
        if rng.random() < 0.01:
            x = y = None
        else:
            sx, sy = spots[i % per_end % len(spots)]
            x = min(max(view / 2 + sx + rng.gauss(bias_x, sigma * fatigue), 0.0), view)
            y = min(
                max(view / 2 + sy + rng.gauss(bias_y + 0.1 * sigma, sigma * fatigue), 0.0), view
            )
        if x is None or y is None:
            rows.append(
                ShotRow(
                    target_id,
                    arrow,
                    None,
                    None,
                    None,
                    None,
                    None,
                    None,
                    0,
                    False,
                    released - timedelta(seconds=2),
                    released,
                    None,
                    entered_by="sensor",  # the demo's arrows come from (simulated) sensors
                )
            )
            continue
        s = score_impact(target.faces, x, y, arrow_diameter_mm=5.5)
        spot_score, spot_is_x = spot_value(target, s.face_index, s.score, s.is_x)
        rows.append(
            ShotRow(
                target_id,
                arrow,
                x,
                y,
                s.face_index,
                s.spot_index,
                s.dx_mm,
                s.dy_mm,
                s.score,
                s.is_x,
                released - timedelta(seconds=rng.uniform(1.6, 2.4)),
                released,
                landed,
                spot_score=spot_score,
                spot_is_x=spot_is_x,
                entered_by="sensor",
            )
        )
    await shots_repo.insert_shots(conn, session_id=session_id, archer_id=archer_id, shots=rows)
    end = start + timedelta(seconds=40 * n_arrows + 60)
    if still_open:
        return
    await conn.execute(
        "UPDATE session SET is_open = false, end_time = $2 WHERE id = $1", session_id, end
    )
    log(f"  demo session {start.date()} {location} {distance:g} m: {n_arrows} arrows")


async def _club_of(conn: Connection, owner_id: UUID) -> UUID | None:
    return await conn.fetchval(  # type: ignore[no-any-return]
        "SELECT c.id FROM club c JOIN club_member m ON m.club_id = c.id "
        "WHERE m.archer_id = $1 AND m.role = 'owner' AND c.name = $2",
        owner_id,
        DEMO_CLUB,
    )


async def _seed_club(conn: Connection, owner_id: UUID, log: Callable[[str], None]) -> UUID:
    """The demo club: the demo archer owns it; a coach and three members, each of whom shot a
    70 m round last week, and the members are shooting one now (open sessions, a few ends in),
    so that the board shows three archers and the coach's roster has sessions to open."""
    rng = random.Random(20261127)
    password = PasswordHash.recommended().hash(DEMO_PASSWORD)  # once for all of them
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    club_id: UUID = await conn.fetchval(
        "INSERT INTO club (name) VALUES ($1) RETURNING id", DEMO_CLUB
    )
    await conn.execute(
        "INSERT INTO club_member (club_id, archer_id, role) VALUES ($1, $2, 'owner')",
        club_id,
        owner_id,
    )
    for n, (email, name, bowstyle, role, sigma) in enumerate(CLUB_PEOPLE):
        person: UUID = await conn.fetchval(
            "INSERT INTO archer (email, password_hash, name, bowstyle) VALUES ($1, $2, $3, $4) "
            "ON CONFLICT DO NOTHING RETURNING id",
            email,
            password,
            name,
            bowstyle,
        )
        if person is None:
            person = await conn.fetchval("SELECT id FROM archer WHERE email = $1", email)
        # The demo's people agreed to appear on the club board's public link too.
        await conn.execute(
            "INSERT INTO club_member (club_id, archer_id, role, show_on_public_board) "
            "VALUES ($1, $2, $3, true) ON CONFLICT DO NOTHING",
            club_id,
            person,
            role,
        )
        if await conn.fetchval(
            "SELECT EXISTS (SELECT 1 FROM session WHERE archer_id = $1)", person
        ):
            continue
        arrows = await _arrows(conn, person)
        last_week: Session = (
            6 - n, "Club field", False, 70.0, "wa720_70", "wa_122", 1300.0, 72, sigma
        )  # fmt: skip
        await _shoot(conn, rng, person, arrows, last_week, now, log)
        if role == "member":
            today: Session = (
                0, "Club field", False, 70.0, "wa720_70", "wa_122", 1300.0, 12 + 6 * n, sigma
            )  # fmt: skip
            await _shoot(conn, rng, person, arrows, today, now, log, still_open=True)
    # A range timer for a 70 m round (6 arrows: 240 s, details AB/CD), ready for end 1.
    await timer_repository.create(
        conn, club_id, owner_id, timer_service.new_settings(TimerIn(name=DEMO_TIMER, arrows=6))
    )
    log(
        f"  demo club {DEMO_CLUB!r}: owner {DEMO_EMAIL}, coach and members "
        f"{', '.join(p[0] for p in CLUB_PEOPLE)} (password {DEMO_PASSWORD})"
    )
    return club_id


DEMO_COMPETITION = "Club night (demo)"
# Guests entered by name (name, bowstyle, gender, skill: mean ring): the demo archer organises
# and may score any bale; the members' own sessions (on the board) stay as they are.
DEMO_ENTRANTS = [
    ("Maya Lind", "recurve", "female", 8.3),
    ("Priya Shah", "recurve", "female", 8.6),
    ("Tom Reed", "recurve", "male", 7.9),
    ("Owen Hart", "recurve", "male", 7.2),
    ("Ana Costa", "compound", "female", 9.3),
    ("Joe Miller", "compound", "male", 9.0),
    ("Ruth Evans", "barebow", "female", 6.8),
    ("Ken Ito", "barebow", "male", 7.0),
]
DEMO_ENDS = 6  # shot so far, of the Portsmouth's 20 (3 arrows each)


def _value(rng: random.Random, skill: float, *, compound: bool) -> str:
    ring = round(rng.gauss(skill, 1.2))
    if ring >= 10:  # a compound's 10 is the inner ring only (the X) indoors
        return "X" if compound or rng.random() < 0.4 else "10"
    return str(ring) if ring >= 1 else "M"


async def _seed_competition(
    conn: Connection, owner_id: UUID, club_id: UUID, log: Callable[[str], None]
) -> UUID:
    """Tonight's club night, running: eight archers on three bales (the demo archer organises
    it), six ends scored by value, all but the last end of each archer confirmed."""
    rng = random.Random(20261208)
    made = await competitions.create(
        conn,
        owner_id,
        CompetitionIn(
            club_id=club_id,
            name=DEMO_COMPETITION,
            venue="Sports hall",
            starts_on=datetime.now(UTC).date(),
            round_code="portsmouth",
            categories=[CategoryIn(bowstyle=b) for b in ("recurve", "compound", "barebow")],
        ),
    )
    cid = made["id"]
    for name, bowstyle, gender, _skill in DEMO_ENTRANTS:
        guest = EntryIn(guest_name=name, bowstyle=bowstyle, gender=gender)
        await competitions.add_entry(conn, owner_id, cid, guest)
    await competitions.assign_targets(conn, owner_id, cid)
    running = await competitions.start(conn, owner_id, cid)
    skills = {name: skill for name, _b, _g, skill in DEMO_ENTRANTS}
    for entry in running["entrants"]:
        plan = await conn.fetchval(
            "SELECT round_plan->'passes'->0->>'target_id' FROM session WHERE id = $1",
            entry["session_id"],
        )
        for end in range(1, DEMO_ENDS + 1):
            shots = [
                ShotIn(
                    session_id=entry["session_id"],
                    target_id=UUID(plan),
                    value=_value(
                        rng, skills[entry["name"]], compound=entry["bowstyle"] == "compound"
                    ),
                )
                for _ in range(3)
            ]
            await competitions.post_shots(conn, owner_id, shots, max_shots=10_000)
            if end < DEMO_ENDS:
                await competitions.confirm_end(conn, owner_id, cid, entry["id"], end)
    log(f"  demo competition {DEMO_COMPETITION!r}: 8 archers on 3 bales, {DEMO_ENDS} ends in")
    return UUID(str(cid))
