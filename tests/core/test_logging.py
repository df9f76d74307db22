"""JSON log lines with request id and latency; nothing secret in them."""

from __future__ import annotations

import logging

import httpx
import orjson
import pytest

from arch_stats.app import create_app
from arch_stats.core.logging import JsonFormatter, redact
from arch_stats.core.settings import Settings


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
