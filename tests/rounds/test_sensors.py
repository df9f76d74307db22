"""Sensor-fed sessions follow their round too (issue 20): the assembler records each shot at
the round's target of the end it takes, where it landed relative to the face the target
sensor sees, and sets aside what comes after the round's last arrow."""

from __future__ import annotations

from uuid import UUID

import httpx

from arch_stats.assembler.service import Config, assemble_once
from arch_stats.core.database import Connection
from tests.assembler.helpers import Range, at, insert, shot_rows
from tests.conftest import ArcherCtx
from tests.rounds.helpers import API, ok, open_round, session, targets


async def test_sensor_shots_go_to_each_passs_target_and_stop_at_the_rounds_last(
    client: httpx.AsyncClient, archer: ArcherCtx, db: Connection
) -> None:
    rnd = await ok(
        await client.post(
            f"{API}/round/custom",
            json={
                "name": "Two faces",
                "arrows_per_end": 3,
                "passes": [
                    {"n_arrows": 6, "distance": 30, "face_type": "wa_122"},
                    {"n_arrows": 6, "distance": 20, "face_type": "wa_80"},
                ],
            },
            headers=archer.headers,
        ),
        201,
    )
    s = await open_round(client, archer, custom_round_id=rnd["id"], distance_m=30)
    far, near = await targets(client, archer, s["id"])
    # The target sensor's own view, its face at (650, 650): where the reader reports landings.
    sensor = await ok(
        await client.post(
            f"{API}/session/{s['id']}/target",
            json={
                "view_width_mm": 1300,
                "view_height_mm": 1300,
                "faces": [{"face_type": "wa_122", "center_x_mm": 650, "center_y_mm": 650}],
            },
            headers=archer.headers,
        ),
        201,
    )
    arrow = await db.fetchval(
        "INSERT INTO arrow (archer_id, identifier) VALUES ($1, 'A01') RETURNING id", archer.id
    )
    r = Range(archer.id, UUID(s["id"]), UUID(sensor["id"]), {"A01": arrow})
    events = []
    for k in range(13):  # one arrow more than the round has
        events += shot_rows(r, 10 * k, xy=(650 + 2, 650 - 1), target_id=UUID(sensor["id"]))
    await insert(db, r, events)
    result = await assemble_once(db, Config())
    assert (result.shots, result.strays) == (12, 4)
    rows = await db.fetch(
        "SELECT end_no, target_id, x_mm, y_mm, label, entered_by FROM shot s "
        "JOIN LATERAL (SELECT s.doc->>'label' AS label) l ON true "
        "WHERE session_id = $1 ORDER BY seq",
        UUID(s["id"]),
    )
    centre = {t["id"]: t["faces"][0] for t in (far, near)}
    for row in rows:
        face = centre[str(row["target_id"])]
        assert (row["x_mm"], row["y_mm"]) == (face["center_x_mm"] + 2, face["center_y_mm"] - 1)
        assert (row["label"], row["entered_by"]) == ("X", "sensor")
    assert [str(row["target_id"]) for row in rows] == [far["id"]] * 6 + [near["id"]] * 6
    assert [row["end_no"] for row in rows] == [1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4]
    outcomes = await db.fetch(
        "SELECT DISTINCT outcome FROM sensor_event WHERE session_id = $1 AND sensor_ts >= $2",
        UUID(s["id"]),
        at(120),
    )
    assert [o["outcome"] for o in outcomes] == ["refused: round complete: 12 of 12 arrows shot"]
    assert (await session(client, archer, s["id"]))["progress"]["complete"] is True
