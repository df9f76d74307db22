"""JSON log lines with request id and latency; nothing secret in them."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from pathlib import Path
from uuid import uuid4

import httpx
import orjson
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from arch_stats.app import create_app
from arch_stats.auth.tokens import PREFIX_LOGIN
from arch_stats.core.logging import JsonFormatter, redact, redact_token_prefixes
from arch_stats.core.settings import Settings
from tests.conftest import ArcherCtx
from tests.serve_process import serve


def test_redact_takes_out_tokens_by_prefix_however_spelt() -> None:
    redact_token_prefixes(PREFIX_LOGIN)
    token = "asl_AbC-d_e0123456789"
    for text in (
        f"GET /api/v0/ws?tok%65n={token}",
        f"GET /x?token=%61sl_{token[4:]}",
        f"path /api/v0/{token}/arrow",
        f"header X-Request-ID: {token}",
        f"GET /x?t=asl%5F{token[4:]}",
    ):
        assert "AbC-d_e0123456789" not in redact(text), text


def test_redact_removes_emails_tokens_and_passwords() -> None:
    text = redact(
        "login failed for robin@sherwood.org with password=hunter22 "
        "Authorization: Bearer asl_abcdef123 token=ass_xyz"
    )
    assert "robin@sherwood.org" not in text
    assert "hunter22" not in text
    assert "asl_abcdef123" not in text
    assert "ass_xyz" not in text
    assert "[email]" in text


def test_formatter_writes_one_json_object_with_the_required_fields() -> None:
    record = logging.LogRecord(
        "arch_stats.x", logging.INFO, __file__, 1, "hello %s", ("a@b.org",), None
    )
    record.request_id = "rid-1"
    record.latency_ms = 1.5
    record.resource = {"type": "session", "id": "s1"}
    line = JsonFormatter().format(record)
    assert "\n" not in line
    entry = orjson.loads(line)
    assert entry["level"] == "INFO"
    assert entry["module"] == "arch_stats.x"
    assert entry["msg"] == "hello [email]"
    assert entry["request_id"] == "rid-1"
    assert entry["latency_ms"] == 1.5
    assert entry["resource"] == {"type": "session", "id": "s1"}
    assert entry["ts"].endswith("+00:00")


async def test_access_log_line_per_request_with_id_and_latency(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = create_app(Settings(database_url="postgresql://unused/x"), access_log=True)
    transport = httpx.ASGITransport(app=app)
    with caplog.at_level(logging.INFO, logger="arch_stats.access"):
        async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as client:
            r = await client.get("/api/health", headers={"X-Request-ID": "trace-me"})
    assert r.status_code == 200
    lines = [rec for rec in caplog.records if rec.name == "arch_stats.access"]
    assert len(lines) == 1
    rec = lines[0]
    assert rec.getMessage() == "GET /api/health 200"
    assert rec.request_id == "trace-me"  # type: ignore[attr-defined]
    assert rec.latency_ms >= 0  # type: ignore[attr-defined]


async def test_tokens_never_reach_the_real_log_however_spelt(
    migrated: str, tmp_path: Path, archer: ArcherCtx
) -> None:
    """A real `serve` with its access log: tokens in paths, in query strings spelt with
    escapes, in headers that are logged, in WebSocket handshakes (uvicorn logs those with
    their query string)."""
    secret = archer.token.removeprefix(PREFIX_LOGIN)
    escaped = "%61sl_" + secret  # the prefix itself escaped
    env = {"ACCESS_LOG": "true", "LOG_LEVEL": "INFO"}
    async with serve(migrated, tmp_path / "serve.log", env=env) as served:
        ws = f"ws://127.0.0.1:{served.port}/api/v0/ws?session_id={uuid4()}"
        for query in (f"&tok%65n={archer.token}", f"&token={escaped}", f"&x={archer.token}"):
            async with connect(ws + query) as conn:
                with contextlib.suppress(ConnectionClosed):
                    await conn.recv()
        async with httpx.AsyncClient(base_url=served.url) as http:
            await http.get(f"/api/v0/{archer.token}/arrow")
            await http.get("/api/health", headers={"X-Request-ID": archer.token})
            await http.get(f"/api/v0/arrow?tok%65n={archer.token}")
        await asyncio.sleep(0.5)
    text = served.log_text()
    assert "WebSocket" in text and "/api/v0/asl_[redacted]/arrow" in text  # the lines are there
    assert secret not in text
    assert secret[:12] not in text


async def test_a_request_without_an_id_gets_a_fresh_one_of_32_hex_digits() -> None:
    app = create_app(Settings(database_url="postgresql://unused/x"), access_log=False)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as client:
        ids = [(await client.get("/api/health")).headers["x-request-id"] for _ in range(50)]
    assert all(len(i) == 32 and all(c in "0123456789abcdef" for c in i) for i in ids)
    assert len(set(ids)) == len(ids)


async def test_invite_codes_never_reach_the_access_log(
    migrated: str, tmp_path: Path, archer: ArcherCtx
) -> None:
    """A real `serve` with its access log: the join link's path carries the club's invite
    code, which lets anyone holding it into the club."""
    env = {"ACCESS_LOG": "true", "LOG_LEVEL": "INFO"}
    async with serve(migrated, tmp_path / "serve.log", env=env) as served:
        async with httpx.AsyncClient(base_url=served.url, headers=archer.headers) as http:
            r = await http.post("/api/v0/club", json={"name": "Riverside"})
            club_id = r.json()["data"]["id"]
            r = await http.post(f"/api/v0/club/{club_id}/invite", json={"role": "member"})
            invite = r.json()["data"]
            assert (await http.get(invite["link"])).status_code == 200
            assert (await http.get(invite["link"] + "/")).status_code == 200
        await asyncio.sleep(0.5)
    text = served.log_text()
    assert "GET /app/clubs/join/[redacted] 200" in text  # the lines are there
    assert invite["code"] not in text
    assert invite["code"][:8] not in text
