"""The pipeline as it runs: reader processes, assembler processes, one real PostgreSQL.

Time is compressed (`--speed`) and the landing window kept short so that each test takes a
few seconds. Every process a test starts is stopped by PID when it ends, pass or fail.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from uuid import UUID

import pytest

from arch_stats.core.database import Connection
from arch_stats.faces.scoring import PlacedFace, score_impact
from arch_stats.seed import DEMO_EMAIL
from arch_stats.sensors.simulation import ArcherModel, plan
from tests.assembler.helpers import (
    C,
    Processes,
    Range,
    eventually,
    insert,
    make_range,
    processes,
    shot_rows,
)
from tests.conftest import MakeArcher

SPEED = "40"
WINDOW_MS = 300
# Deadlines of waits for processes: generous, since a loaded machine takes seconds to start
# Python (8 s for `arch-stats --help` at a load of 9 on 2 cores). They bound a hang only.
SLOW_S = 180
LINE = re.compile(
    r"shot +(\d+) +end +(\d+) +arrow (\S+) +(?:landed \(([-\d.]+), ([-\d.]+)\) mm +(\S+)|miss)"
)


@pytest.fixture
async def rng(db: Connection, make_archer: MakeArcher) -> Range:
    archer = await make_archer()
    arrows = {"A01": 5.5, "A02": 5.5, "A03": 5.5, "T01": 3.0}
    return await make_range(db, archer.id, window_ms=WINDOW_MS, per_end=3, arrows=arrows)


@pytest.fixture
def procs(migrated: str, tmp_path: Path) -> Iterator[Processes]:
    with processes(migrated, tmp_path) as p:
        yield p


def mixed_seed(shots: int, miss_rate: float) -> int:
    """A seed whose first `shots` arrows include hits and misses."""
    for seed in range(1, 1000):
        missed = [plan(ArcherModel(seed=seed, miss_rate=miss_rate), k).missed for k in range(shots)]
        if 0 < sum(missed) < shots - 1:
            return seed
    raise AssertionError("no seed")


def simulate(
    procs: Processes, r: Range, shots: int, seed: int, *extra: str
) -> subprocess.Popen[bytes]:
    return procs.start(
        "simulate", "--session", str(r.session_id), "--shots", str(shots), "--speed", SPEED,
        "--seed", str(seed), "--spread", "40", *extra,
    )  # fmt: skip


def finish(procs: Processes, proc: subprocess.Popen[bytes], within: float) -> str:
    try:
        code = proc.wait(within)
    except subprocess.TimeoutExpired:
        raise AssertionError(f"simulate still running: {procs.output(proc, 'err')}") from None
    assert code == 0, procs.output(proc, "err")
    return procs.output(proc)


async def pending(db: Connection) -> int:
    n: int = await db.fetchval("SELECT count(*) FROM sensor_event WHERE processed_at IS NULL")
    return n


async def all_assembled(db: Connection, r: Range, shots: int) -> None:
    async def done() -> bool:
        n = await db.fetchval("SELECT count(*) FROM shot WHERE session_id = $1", r.session_id)
        return bool(n >= shots) and await pending(db) == 0

    await eventually(done, SLOW_S, f"{shots} shots assembled")


async def test_simulated_readers_make_exactly_n_shots_scored_from_landings(
    db: Connection, rng: Range, procs: Processes
) -> None:
    n, miss_rate = 8, 0.3
    seed = mixed_seed(n, miss_rate)
    procs.start("assemble")
    sim = simulate(procs, rng, n, seed, "--miss-rate", str(miss_rate))
    out = finish(procs, sim, SLOW_S)
    printed = [m.groups() for m in LINE.finditer(out)]
    assert len(printed) == n, out
    await all_assembled(db, rng, n)

    shots = await db.fetch(
        """SELECT s.seq, s.end_no, a.identifier, a.diameter_mm, s.x_mm, s.y_mm, s.score, s.is_x,
                  s.engaged_at, s.released_at, s.landed_at
           FROM shot s LEFT JOIN arrow a ON a.id = s.arrow_id
           WHERE s.session_id = $1 ORDER BY s.seq""",
        rng.session_id,
    )
    assert len(shots) == n
    faces = (PlacedFace("wa_122", C, C),)
    expected_misses = [
        plan(ArcherModel(seed=seed, miss_rate=miss_rate), k).missed for k in range(n)
    ]
    assert [s["x_mm"] is None for s in shots] == expected_misses
    for s, (seq, end, arrow, x, y, label) in zip(shots, printed, strict=True):
        assert (s["seq"], s["end_no"], s["identifier"]) == (int(seq), int(end), arrow)
        assert s["engaged_at"] < s["released_at"]
        if x is None:
            assert (s["y_mm"], s["score"], s["landed_at"]) == (None, 0, None)
            continue
        assert (s["x_mm"], s["y_mm"]) == (float(x), float(y))
        assert s["released_at"] < s["landed_at"]
        again = score_impact(faces, s["x_mm"], s["y_mm"], arrow_diameter_mm=s["diameter_mm"])
        assert (s["score"], s["is_x"]) == (again.score, again.is_x)
        assert label == ("X" if again.is_x else str(again.score) if again.score else "M")
    outcomes = await db.fetch("SELECT DISTINCT outcome FROM sensor_event")
    assert {o["outcome"] for o in outcomes} <= {"shot", "miss"}
    assert await db.fetchval("SELECT count(*) FROM sensor_event") == 4 * n - sum(expected_misses)


async def test_assembler_killed_mid_stream_loses_and_duplicates_nothing(
    db: Connection, rng: Range, procs: Processes
) -> None:
    n = 20  # 4 s of shooting: the kill comes well before the end, however slow the test
    first = procs.start("assemble")

    async def assembling() -> bool:
        return "this process assembles" in procs.output(first, "err")

    await eventually(assembling, SLOW_S, "the assembler takes the lock")
    sim = simulate(procs, rng, n, 7, "--miss-rate", "0.2")

    async def some_shots() -> bool:
        count: int = await db.fetchval("SELECT count(*) FROM shot")
        return count >= 3

    await eventually(some_shots, SLOW_S, "the first shots")
    procs.stop(first, signal.SIGKILL)
    made_before = await db.fetchval("SELECT count(*) FROM shot")
    assert made_before < n
    procs.start("assemble")
    out = finish(procs, sim, SLOW_S)
    assert len(LINE.findall(out)) == n
    await all_assembled(db, rng, n)
    releases = await db.fetch(
        "SELECT e.id, count(s.id) AS shots FROM sensor_event e "
        "LEFT JOIN shot s ON s.release_event_id = e.id "
        "WHERE e.kind = 'arrow_released' GROUP BY e.id"
    )
    assert len(releases) == n and all(r["shots"] == 1 for r in releases)
    seqs = await db.fetch("SELECT seq FROM shot WHERE session_id = $1 ORDER BY seq", rng.session_id)
    assert [r["seq"] for r in seqs] == list(range(1, n + 1))
    assert await db.fetchval("SELECT count(*) FROM sensor_event WHERE outcome LIKE 'stray%'") == 0


def _holder(procs: Processes, candidates: list[subprocess.Popen[bytes]]) -> list[int]:
    return [
        i for i, p in enumerate(candidates) if "this process assembles" in procs.output(p, "err")
    ]


async def test_two_assemblers_one_works_other_takes_over_when_it_dies(
    db: Connection, rng: Range, procs: Processes
) -> None:
    pair = [procs.start("assemble"), procs.start("assemble")]

    async def one_holds() -> bool:
        return len(_holder(procs, pair)) == 1 and all(
            "assembles" in procs.output(p, "err") for p in pair
        )

    await eventually(one_holds, SLOW_S, "one assembler holds the lock, the other stands by")
    [i] = _holder(procs, pair)
    holder, standby = pair[i], pair[1 - i]
    assert "standing by" in procs.output(standby, "err")
    await insert(db, rng, shot_rows(rng, 0))
    await all_assembled(db, rng, 1)
    assert "1 shot(s)" in procs.output(holder, "err")

    procs.stop(holder, signal.SIGKILL)
    killed_at = time.monotonic()

    async def taken_over() -> bool:
        return "this process assembles" in procs.output(standby, "err")

    await eventually(taken_over, 5, "the standby takes over")
    assert time.monotonic() - killed_at < 5
    await insert(db, rng, shot_rows(rng, 10, xy=None))
    await all_assembled(db, rng, 2)
    assert "1 shot(s) (1 miss(es))" in procs.output(standby, "err")


async def test_simulate_ctrl_c_stops_it_and_every_reader(
    db: Connection, rng: Range, procs: Processes
) -> None:
    sim = procs.start(
        "simulate", "--session", str(rng.session_id), "--speed", SPEED, "--seed", "3"
    )  # fmt: skip

    async def shooting() -> bool:
        n: int = await db.fetchval(
            "SELECT count(*) FROM sensor_event WHERE kind = 'arrow_released'"
        )
        return n >= 2

    await eventually(shooting, SLOW_S, "the simulation shoots")
    children = _children(sim.pid)
    assert len(children) == 3
    os.kill(sim.pid, signal.SIGINT)
    assert sim.wait(SLOW_S) == 0, procs.output(sim, "err")
    assert "simulation stopped (interrupted)" in procs.output(sim)
    for pid in children:
        assert not _alive(pid)
    assert await _reader_connections(db) == 0


async def test_simulate_killed_leaves_no_reader_behind(
    db: Connection, rng: Range, procs: Processes
) -> None:
    sim = procs.start("simulate", "--session", str(rng.session_id), "--speed", SPEED)

    async def three_readers() -> bool:
        return await _reader_connections(db) == 3

    await eventually(three_readers, SLOW_S, "three readers connected")
    children = _children(sim.pid)
    procs.stop(sim, signal.SIGKILL)

    async def readers_gone() -> bool:
        return await _reader_connections(db) == 0 and not any(_alive(p) for p in children)

    await eventually(readers_gone, SLOW_S, "the readers stop with their parent")


async def test_simulate_demo_opens_session_for_demo_archer(
    db: Connection, procs: Processes
) -> None:
    # The demo archer as `seed --demo` makes it, minus its history (seeding is tested elsewhere).
    archer_id = await db.fetchval(
        "INSERT INTO archer (email, password_hash, name) VALUES ($1, 'x', 'Demo') RETURNING id",
        DEMO_EMAIL,
    )
    for n in range(1, 4):
        await db.execute(
            "INSERT INTO arrow (archer_id, identifier) VALUES ($1, $2)", archer_id, f"A0{n}"
        )
    sim = procs.start("simulate", "--demo", "--shots", "2", "--speed", SPEED)
    out = finish(procs, sim, SLOW_S)
    assert len(LINE.findall(out)) == 2, out
    session = await db.fetchrow(
        "SELECT s.id, s.is_open, f.face_type FROM session s JOIN archer a ON a.id = s.archer_id "
        "JOIN target t ON t.session_id = s.id JOIN target_face f ON f.target_id = t.id "
        "WHERE a.email = $1 AND s.is_open",
        DEMO_EMAIL,
    )
    assert session is not None and session["face_type"] == "wa_122"
    kinds = await db.fetch(
        "SELECT kind, count(*) AS n FROM sensor_event WHERE session_id = $1 GROUP BY kind",
        session["id"],
    )
    counts = {k["kind"]: k["n"] for k in kinds}
    assert counts["arrow_released"] == 2 and counts["arrow_engaged"] == 2


async def test_reader_for_unknown_session_exits_2(procs: Processes) -> None:
    missing = UUID(int=1)
    proc = procs.start("sensor", "bow", "--session", str(missing))
    assert proc.wait(SLOW_S) == 2
    assert f"no session {missing}" in procs.output(proc, "err")


def _children(pid: int) -> list[int]:
    found = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True, check=False)
    return [int(p) for p in found.stdout.split()]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    status = Path(f"/proc/{pid}/status")
    return not (status.exists() and "zombie" in status.read_text())


async def _reader_connections(db: Connection) -> int:
    n: int = await db.fetchval(
        "SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE 'arch-stats-sensor-%'"
    )
    return n
