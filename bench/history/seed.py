"""Years of data for one archer, written with COPY (no API calls).

2,000 closed sessions and 150,000 shots, about four years of practice from 2022 on:

* 1,000 WA 720 (70 m) rounds of 72 arrows on a 122 cm face, outdoors;
* 600 WA 18 m rounds of 60 arrows on a vertical triple spot (compound scoring off), indoors;
* 400 practice sessions at 30, 50 or 70 m on a 122 or 80 cm face, 42,000 arrows in all.

Twelve arrows `A01`…`A12` are shot in turn; `A07` flies 35 mm right and 20 mm high, the
thing per-arrow analysis should find. The group sits a little low and left, tightens slowly
over the years and opens up towards the end of each session (fatigue). About 1 % of the
arrows miss the target view (no landing). Every shot is scored by the service's own scoring.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

from arch_stats.core.database import Connection
from arch_stats.faces.scoring import PlacedFace, score_impact
from bench.common.seed import CENTRE_MM, SHOT_COLUMNS, VIEW_MM, Login, add_archer

SESSIONS = 2_000
SHOTS = 150_000
ROUND_720 = 1_000
ROUND_18 = 600
PRACTICE = SESSIONS - ROUND_720 - ROUND_18
PRACTICE_SHOTS = SHOTS - ROUND_720 * 72 - ROUND_18 * 60
ARROWS = 12
ODD_ARROW = 6  # index of A07
ODD_OFFSET_MM = (35.0, 20.0)
FIRST_DAY = datetime(2022, 1, 3, 9, 0, tzinfo=UTC)

SESSION_COLUMNS = (
    "id",
    "archer_id",
    "location",
    "is_indoor",
    "distance_m",
    "start_time",
    "end_time",
    "is_open",
    "round_code",
    "arrows_per_end",
    "last_seq",
)
TARGET_COLUMNS = (
    "id",
    "session_id",
    "archer_id",
    "lane",
    "distance_m",
    "view_width_mm",
    "view_height_mm",
)
FACE_COLUMNS = ("target_id", "face_index", "face_type", "center_x_mm", "center_y_mm")


@dataclass(frozen=True, slots=True)
class Seeded(Login):
    session_72: UUID  # a closed WA 720 of 72 arrows
    arrow_odd: UUID  # A07, the arrow that flies differently
    arrow_ids: tuple[UUID, ...]


@dataclass(frozen=True, slots=True)
class Plan:
    distance_m: float
    indoor: bool
    round_code: str | None
    face_type: str
    per_end: int
    arrows: int


def plans(rng: random.Random) -> list[Plan]:
    """The 2,000 sessions in date order: the three kinds shuffled together."""
    kinds = ["720"] * ROUND_720 + ["18"] * ROUND_18 + ["practice"] * PRACTICE
    rng.shuffle(kinds)
    # Practice session sizes between 60 and 150 arrows that add up to PRACTICE_SHOTS exactly.
    sizes = [PRACTICE_SHOTS // PRACTICE] * PRACTICE
    for i in range(PRACTICE_SHOTS - sum(sizes)):
        sizes[i] += 1
    for _ in range(PRACTICE * 4):
        a, b = rng.randrange(PRACTICE), rng.randrange(PRACTICE)
        step = rng.randint(1, 20)
        if sizes[a] - step >= 60 and sizes[b] + step <= 150:
            sizes[a] -= step
            sizes[b] += step
    out: list[Plan] = []
    practice = iter(sizes)
    for kind in kinds:
        if kind == "720":
            out.append(Plan(70.0, False, "wa720_70", "wa_122", 6, 72))
        elif kind == "18":
            out.append(Plan(18.0, True, "wa18", "wa_40_triple_vertical", 3, 60))
        else:
            distance = rng.choice((30.0, 50.0, 70.0))
            face = "wa_80" if distance == 30.0 else "wa_122"
            out.append(Plan(distance, False, None, face, 6, next(practice)))
    return out


def shot_rows(
    *,
    plan: Plan,
    index: int,
    session_id: UUID,
    archer_id: UUID,
    target_id: UUID,
    arrow_ids: tuple[UUID, ...],
    start: datetime,
    rng: random.Random,
) -> list[tuple[Any, ...]]:
    faces = (PlacedFace(plan.face_type, CENTRE_MM, CENTRE_MM),)
    progress = index / SESSIONS  # the group tightens over the years
    sigma = plan.distance_m * (1.3 - 0.35 * progress) * (0.45 if plan.indoor else 1.0)
    spots = ((0.0, 220.0), (0.0, 0.0), (0.0, -220.0)) if plan.indoor else ((0.0, 0.0),)
    flight_s = plan.distance_m / 58.0
    rows: list[tuple[Any, ...]] = []
    at = start
    for seq in range(1, plan.arrows + 1):
        end_no = (seq - 1) // plan.per_end + 1
        arrow = (seq - 1 + index) % ARROWS
        engaged = at + timedelta(seconds=rng.uniform(3.0, 8.0))
        released = engaged + timedelta(milliseconds=rng.gauss(2200, 250))
        at = released + timedelta(seconds=5 if seq % plan.per_end else 120)
        end_place = (seq - 1) % plan.per_end + 1
        ids = (session_id, archer_id, target_id, arrow_ids[arrow], seq, end_no, end_place)
        if rng.random() < 0.01:
            rows.append(
                (*ids, None, None, None, None, None, None, 0, False, engaged, released, None)
            )
            continue
        tired = 1.0 + 0.25 * seq / plan.arrows
        sx, sy = spots[(seq - 1) % len(spots)]
        x = CENTRE_MM + sx - 6.0 + rng.gauss(0.0, sigma * tired)
        y = CENTRE_MM + sy - 9.0 + rng.gauss(0.0, sigma * tired)
        if arrow == ODD_ARROW:
            x += ODD_OFFSET_MM[0]
            y += ODD_OFFSET_MM[1]
        x = min(max(x, 0.0), VIEW_MM)
        y = min(max(y, 0.0), VIEW_MM)
        s = score_impact(faces, x, y)
        landed = released + timedelta(seconds=flight_s * rng.uniform(0.97, 1.03))
        rows.append(
            (
                *ids,
                x,
                y,
                s.face_index,
                s.spot_index,
                s.dx_mm,
                s.dy_mm,
                s.score,
                s.is_x,
                engaged,
                released,
                landed,
            )
        )
    return rows


async def seed(conn: Connection, *, log: Callable[[str], None] = lambda _: None) -> Seeded:
    """Write the benchmark archer and their history into a migrated database."""
    rng = random.Random(20261122)
    async with conn.transaction():
        login = await add_archer(conn, "History Bench Archer", "bench-history")
        archer_id = login.archer_id
        arrow_ids = tuple(uuid4() for _ in range(ARROWS))
        await conn.copy_records_to_table(
            "arrow",
            records=[(a, archer_id, f"A{i + 1:02d}") for i, a in enumerate(arrow_ids)],
            columns=("id", "archer_id", "identifier"),
        )
        sessions: list[tuple[Any, ...]] = []
        targets: list[tuple[Any, ...]] = []
        faces: list[tuple[Any, ...]] = []
        shots: list[tuple[Any, ...]] = []
        session_72: UUID | None = None
        span_days = 4 * 365
        for index, plan in enumerate(plans(rng)):
            session_id, target_id = uuid4(), uuid4()
            day = math.floor(index * span_days / SESSIONS)
            start = FIRST_DAY + timedelta(days=day, minutes=rng.randint(0, 600))
            sessions.append(
                (
                    session_id,
                    archer_id,
                    "Hall" if plan.indoor else rng.choice(("Club field", "Park")),
                    plan.indoor,
                    plan.distance_m,
                    start,
                    start + timedelta(hours=3),
                    False,
                    plan.round_code,
                    plan.per_end,
                    plan.arrows,
                )
            )
            targets.append((target_id, session_id, archer_id, 1, plan.distance_m, VIEW_MM, VIEW_MM))
            faces.append((target_id, 0, plan.face_type, CENTRE_MM, CENTRE_MM))
            shots += shot_rows(
                plan=plan,
                index=index,
                session_id=session_id,
                archer_id=archer_id,
                target_id=target_id,
                arrow_ids=arrow_ids,
                start=start,
                rng=rng,
            )
            if plan.round_code == "wa720_70":
                session_72 = session_id
        await conn.copy_records_to_table("session", records=sessions, columns=SESSION_COLUMNS)
        await conn.copy_records_to_table("target", records=targets, columns=TARGET_COLUMNS)
        await conn.copy_records_to_table("target_face", records=faces, columns=FACE_COLUMNS)
        await conn.copy_records_to_table("shot", records=shots, columns=SHOT_COLUMNS)
        log(f"  {len(sessions):,} sessions, {len(shots):,} shots, {ARROWS} arrows")
    await conn.execute("VACUUM ANALYZE")
    assert session_72 is not None
    return Seeded(
        token=login.token,
        archer_id=archer_id,
        session_72=session_72,
        arrow_odd=arrow_ids[ODD_ARROW],
        arrow_ids=arrow_ids,
    )


# --- one very large session (issue 11) -------------------------------------------------------

# Written by one INSERT … SELECT generate_series (every trigger runs, as for any writer): a
# 122 cm face in the middle of a 1300 mm view, impacts spread over ±200 × ±150 mm, every 97th
# arrow a miss, scored as the service scores them (ring width 61 mm, arrow radius 2.75 mm).
BIG_SESSION_SQL = """
WITH s AS (
    INSERT INTO session (archer_id, location, distance_m, start_time, end_time, is_open,
                         arrows_per_end, last_seq)
    VALUES ($1, 'Marathon', 70, $2::timestamptz, $2::timestamptz + interval '1 year', false, 6, $3)
    RETURNING id
), t AS (
    INSERT INTO target (session_id, archer_id, distance_m, view_width_mm, view_height_mm)
    SELECT s.id, $1, 70, 1300, 1300 FROM s
    RETURNING id, session_id
), f AS (
    INSERT INTO target_face (target_id, face_index, face_type, center_x_mm, center_y_mm)
    SELECT t.id, 0, 'wa_122', 650, 650 FROM t
)
INSERT INTO shot (session_id, archer_id, target_id, seq, end_no, end_place, x_mm, y_mm,
                  face_index, spot_index, dx_mm, dy_mm, score, is_x, engaged_at, released_at,
                  landed_at)
SELECT t.session_id, $1, t.id, i, (i - 1) / 6 + 1, (i - 1) % 6 + 1,
       CASE WHEN miss THEN NULL ELSE 650 + dx END, CASE WHEN miss THEN NULL ELSE 650 + dy END,
       CASE WHEN miss THEN NULL ELSE 0 END, CASE WHEN miss THEN NULL ELSE 0 END,
       CASE WHEN miss THEN NULL ELSE dx END, CASE WHEN miss THEN NULL ELSE dy END,
       CASE WHEN miss OR d - 2.75 > 610 THEN 0
            ELSE least(10, 10 - floor(greatest(d - 2.75, 0) / 61))::int END,
       NOT miss AND d - 2.75 <= 30.5,
       at, at + interval '2 s', CASE WHEN miss THEN NULL ELSE at + interval '2.4 s' END
FROM t, generate_series(1, $3) AS i,
     LATERAL (SELECT $2::timestamptz + i * interval '20 s' AS at) w,
     LATERAL (SELECT i % 97 = 0 AS miss, (i::bigint * 7919 % 401 - 200)::float8 AS dx,
                     (i::bigint * 104729 % 301 - 150)::float8 AS dy) p,
     LATERAL (SELECT sqrt(p.dx * p.dx + p.dy * p.dy) AS d) q
"""


@dataclass(frozen=True, slots=True)
class BigSession(Login):
    session_id: UUID


async def seed_big_session(conn: Connection, shots: int) -> BigSession:
    """A second archer with one closed session of `shots` shots (not in the first one's
    history)."""
    async with conn.transaction():
        login = await add_archer(conn, "Marathon Bench Archer", "bench-big")
        archer_id = login.archer_id
        await conn.execute(BIG_SESSION_SQL, archer_id, FIRST_DAY, shots)
        session_id: UUID = await conn.fetchval(
            "SELECT id FROM session WHERE archer_id = $1", archer_id
        )
    await conn.execute("VACUUM ANALYZE shot")
    return BigSession(token=login.token, archer_id=archer_id, session_id=session_id)
