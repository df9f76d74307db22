"""`arch-stats simulate`: the three readers as child processes, driven by one simulated archer.

The children share the archer through their command lines (seed and parameters) and the
session through the database. This process only starts them (bow and target first, so that
they watch before the first arrow is picked), passes their progress lines through, and stops
them — by PID, SIGTERM then SIGKILL — on Ctrl-C, on SIGTERM, or after `--shots N`; then it
waits for the last landing window so that the last shot can be assembled. Each child also
stops by itself if this process disappears.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import sys
from collections.abc import Callable
from datetime import timedelta
from uuid import UUID

from arch_stats.core import migrations
from arch_stats.core.database import Connection
from arch_stats.sensors import repository as repo
from arch_stats.sensors.readers import ReaderError, Stopper, now
from arch_stats.sensors.simulation import ArcherModel

log = logging.getLogger("arch_stats.sensors")

READY_TIMEOUT_S = 30.0
STOP_GRACE_S = 5.0
DEMO_DISTANCE_M = 70.0
DEMO_VIEW_MM = 1300.0
DEMO_FACE = "wa_122"


async def demo_session(dsn: str, conn: Connection, out: Callable[[str], None]) -> UUID:
    """The demo archer's open session; the demo archer and a session are made if missing."""
    from arch_stats.seed import DEMO_EMAIL, seed_demo

    archer_id = await repo.archer_by_email(conn, DEMO_EMAIL)
    if archer_id is None:
        archer_id = await seed_demo(dsn, log=out)
    session_id = await repo.open_session_id(conn, archer_id)
    if session_id is None:
        session_id = await repo.open_demo_session(
            conn, archer_id, distance_m=DEMO_DISTANCE_M, view_mm=DEMO_VIEW_MM, face_type=DEMO_FACE
        )
        out(f"opened session {session_id} for the demo archer ({DEMO_FACE} at 70 m)")
    return session_id


class Simulation:
    def __init__(
        self,
        dsn: str,
        *,
        session_id: UUID | None,
        shots: int | None,
        speed: float,
        model: ArcherModel,
        out: Callable[[str], None] | None = None,
    ) -> None:
        self.dsn = dsn
        self.session_id = session_id
        self.shots = shots
        self.speed = speed
        self.model = model
        self.out = out or (lambda line: print(line, flush=True))
        self.stopper = Stopper()
        self.children: dict[str, asyncio.subprocess.Process] = {}
        self.pumps: list[asyncio.Task[None]] = []

    async def run(self) -> int:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, self.stopper.stop)
        conn = await migrations.connect(self.dsn)
        try:
            session_id = self.session_id or await demo_session(self.dsn, conn, self.out)
            session = await repo.reader_session(conn, session_id)
            if session is None or not session.is_open:
                raise ReaderError(f"session {session_id} is not an open session")
            if not await repo.active_arrows(conn, session.archer_id):
                raise ReaderError("the archer has no active arrows: register some first")
            if await repo.first_target(conn, session_id) is None:
                raise ReaderError(f"session {session_id} has no target with a face")
            since = now()
            code = await self._run_children(session_id, session.last_seq, since.isoformat())
            if code == 0 and not self.stopper.stopped:
                last = await repo.last_release(conn, session_id, since)
                if last is not None:
                    # The last shot is complete once its landing window has passed.
                    done_at = last + timedelta(milliseconds=session.landing_window_ms + 300)
                    await self.stopper.sleep_until(done_at)
            self.out(f"simulation stopped ({'interrupted' if self.stopper.stopped else 'done'})")
            return code
        except ReaderError as exc:
            log.error("simulate: %s", exc)
            return 2
        finally:
            await self._stop_children()
            await conn.close()

    def _args(self, role: str, session_id: UUID, base: int, since: str) -> list[str]:
        args = [
            sys.executable, "-m", "arch_stats.sensors", role,
            "--session", str(session_id),
            "--speed", repr(self.speed),
            "--since", since,
            "--base", str(base),
            "--parent-pid", str(os.getpid()),
            *self.model.cli_args(),
        ]  # fmt: skip
        if self.shots is not None:
            args += ["--shots", str(self.shots)]
        if role == "arrow":
            args.append("--go-on-stdin")
        return args

    async def _start(self, role: str, args: list[str]) -> asyncio.Event:
        env = {**os.environ, "DATABASE_URL": self.dsn}
        proc = await asyncio.create_subprocess_exec(
            *args, stdout=asyncio.subprocess.PIPE, stdin=asyncio.subprocess.PIPE, env=env
        )
        self.children[role] = proc
        ready = asyncio.Event()
        self.pumps.append(asyncio.create_task(self._pump(proc, ready)))
        return ready

    async def _pump(self, proc: asyncio.subprocess.Process, ready: asyncio.Event) -> None:
        assert proc.stdout is not None
        async for raw in proc.stdout:
            line = raw.decode(errors="replace").rstrip()
            if " reader ready" in line:
                ready.set()
                continue
            self.out(line)

    async def _run_children(self, session_id: UUID, base: int, since: str) -> int:
        # All three start at once, but the arrow reader picks its first arrow only when the
        # bow and target readers are watching (they must not miss the first identification).
        readies = {
            role: await self._start(role, self._args(role, session_id, base, since))
            for role in ("bow", "target", "arrow")
        }
        for role, ready in readies.items():
            if not await self._wait_ready(role, ready):
                return 0 if self.stopper.stopped else 2
        arrow_in = self.children["arrow"].stdin
        assert arrow_in is not None
        arrow_in.write(b"go\n")
        await arrow_in.drain()
        self.out(
            f"simulating session {session_id}: "
            + (f"{self.shots} shots" if self.shots else "until Ctrl-C")
            + f", speed ×{self.speed:g}, seed {self.model.seed}"
        )
        waits = {role: asyncio.create_task(p.wait()) for role, p in self.children.items()}
        stop = asyncio.create_task(self.stopper.event.wait())
        try:
            pending = set(waits.values())
            while pending and not self.stopper.stopped:
                done, pending = await asyncio.wait(
                    pending | {stop}, return_when=asyncio.FIRST_COMPLETED
                )
                pending.discard(stop)
                for role, task in waits.items():
                    if task in done and task.result() != 0:
                        log.error("simulate: the %s reader exited with %d", role, task.result())
                        return 2
        finally:
            stop.cancel()
        return 0

    async def _wait_ready(self, role: str, ready: asyncio.Event) -> bool:
        proc = self.children[role]
        exited = asyncio.create_task(proc.wait())
        became = asyncio.create_task(ready.wait())
        stop = asyncio.create_task(self.stopper.event.wait())
        try:
            await asyncio.wait(
                {exited, became, stop}, timeout=READY_TIMEOUT_S, return_when="FIRST_COMPLETED"
            )
        finally:
            for task in (exited, became, stop):
                task.cancel()
        if not ready.is_set() and not self.stopper.stopped:
            log.error("simulate: the %s reader did not start", role)
        return ready.is_set()

    async def _stop_children(self) -> None:
        """SIGTERM each child still running (by PID), SIGKILL it if it does not stop."""
        for proc in self.children.values():
            if proc.stdin is not None:
                proc.stdin.close()
            if proc.returncode is None:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(proc.pid, signal.SIGTERM)
        for role, proc in self.children.items():
            try:
                await asyncio.wait_for(proc.wait(), STOP_GRACE_S)
            except TimeoutError:
                log.warning("simulate: the %s reader did not stop; killing it", role)
                with contextlib.suppress(ProcessLookupError):
                    os.kill(proc.pid, signal.SIGKILL)
                await proc.wait()
        for pump in self.pumps:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(pump, 1.0)
