"""The uvicorn options of `serve` and their command-line form (benchmarks' servers)."""

from __future__ import annotations

import json
import resource
import subprocess
import sys
from typing import Any

import pytest
import uvicorn
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol

from arch_stats.app import GC_YOUNG_THRESHOLD, create_app
from arch_stats.cli import build_parser
from arch_stats.core.serving import (
    UVICORN,
    EdgeHttpProtocol,
    EdgeLimits,
    connection_cap,
    uvicorn_flags,
)
from arch_stats.core.settings import Settings
from arch_stats.core.ws_protocol import EdgeWebSocketProtocol


def test_flags_give_uvicorn_the_same_options() -> None:
    ctx = uvicorn.main.make_context("uvicorn", ["arch_stats.app:create_app", *uvicorn_flags()])
    assert {key: ctx.params[key] for key in UVICORN} == UVICORN


def test_the_websocket_protocol_is_available() -> None:
    async def app(scope: object, receive: object, send: object) -> None:
        raise AssertionError("not called")

    config = uvicorn.Config(app, **UVICORN)
    config.load()  # imports the protocol classes named by the options
    assert config.ws_protocol_class is EdgeWebSocketProtocol
    assert issubclass(EdgeWebSocketProtocol, WebSocketsSansIOProtocol)


def test_serve_uses_the_edge_protocol() -> None:
    async def app(scope: object, receive: object, send: object) -> None:
        raise AssertionError("not called")

    config = uvicorn.Config(app, **UVICORN)
    config.load()
    assert config.http_protocol_class is EdgeHttpProtocol


def test_connection_cap_leaves_the_pool_and_files_their_descriptors() -> None:
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    assert connection_cap(0, 10) == max(16, soft - 10 - 64)
    assert connection_cap(300, 10) == 300
    limits = EdgeLimits.from_settings(Settings(max_connections=0, pg_pool_max=10))
    assert limits.max_connections == connection_cap(0, 10)
    assert limits.headers_timeout == 10 and limits.keep_alive_timeout == 5


_GC_PROBE = """
import asyncio, gc, json, sys
from arch_stats.app import create_app
from arch_stats.core.settings import Settings

def state():
    return [gc.get_freeze_count(), gc.get_threshold()[0]]

async def main():
    gc.set_threshold(700, 10, 10)
    settings = Settings(_env_file=None, database_url=sys.argv[1], assembler_enabled=False)
    out = {"before": state()}
    first = create_app(settings, access_log=False)
    async with first.router.lifespan_context(first):
        out["running"] = state()
        second = create_app(settings, access_log=False)
        async with second.router.lifespan_context(second):
            pass
        out["second stopped"] = state()
    out["stopped"] = state()
    print(json.dumps(out))

asyncio.run(main())
"""


def test_a_running_app_freezes_its_start_up_objects_and_collects_young_ones_less_often(
    migrated: str,
) -> None:
    """In a process of its own: the garbage collector does not scan what start-up made, and
    runs its youngest generation every GC_YOUNG_THRESHOLD allocations while an app runs;
    a second app stopping meanwhile changes nothing; the last one stopping undoes both."""
    done = subprocess.run(
        [sys.executable, "-c", _GC_PROBE, migrated],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["before"] == [0, 700]
    frozen, young = out["running"]
    assert frozen > 10_000 and young == GC_YOUNG_THRESHOLD
    still, young = out["second stopped"]  # (frozen objects freed meanwhile leave the count)
    assert still > frozen * 0.9 and young == GC_YOUNG_THRESHOLD
    assert out["stopped"] == [0, 700]


def test_shot_writes_in_flight_are_shared_by_the_server_processes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("WEB_CONCURRENCY", raising=False)
    monkeypatch.delenv("SHOT_WRITES_IN_FLIGHT", raising=False)

    def per_process(**env: Any) -> int:
        return Settings(
            _env_file=None, database_url="postgresql://unused/x", **env
        ).writes_in_flight

    assert per_process() == 2
    assert per_process(web_concurrency=2) == 1
    assert per_process(web_concurrency=5) == 1  # never none
    assert per_process(web_concurrency=2, shot_writes_in_flight=3) == 3  # said: as said


def test_serve_takes_1_to_64_processes() -> None:
    parser = build_parser()
    assert parser.parse_args(["serve", "--workers", "64"]).workers == 64
    for wrong in ("0", "65", "two"):
        with pytest.raises(SystemExit):
            parser.parse_args(["serve", "--workers", wrong])


async def test_an_app_of_two_processes_has_one_shot_write_in_flight(settings: Settings) -> None:
    from arch_stats.shots.service import WRITER

    before = WRITER.max_in_flight
    app = create_app(settings.model_copy(update={"web_concurrency": 2}), access_log=False)
    try:
        async with app.router.lifespan_context(app):
            assert WRITER.max_in_flight == 1
    finally:
        WRITER.max_in_flight = before
