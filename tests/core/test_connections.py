"""Slow, silent and too many connections do not stop the server (a real `serve` process, raw
sockets on 127.0.0.1)."""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import orjson
import pytest

from arch_stats.core.database import Connection
from tests.conftest import MakeArcher
from tests.live.conftest import ws_connect
from tests.serve_process import Served, open_raw, read_until_closed, serve, status_of
from tests.shots.test_shots import make_range

SLOW_LOGIN = (
    b"POST /api/v0/auth/login HTTP/1.1\r\nHost: 127.0.0.1\r\n"
    b"Content-Type: application/json\r\nContent-Length: 60000\r\n\r\n{"
)


@pytest.fixture(scope="module")
async def edge(migrated: str, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Served]:
    log = tmp_path_factory.mktemp("edge") / "serve.log"
    env = {
        "HEADERS_TIMEOUT_SECONDS": "2",
        "BODY_TIMEOUT_SECONDS": "2",
        "API_MAX_CONCURRENT_REQUESTS": "2",
    }
    async with serve(migrated, log, env=env) as served:
        yield served


async def test_silent_connection_closed_well_before_25_s_by_default(
    migrated: str, tmp_path: Path
) -> None:
    async with serve(migrated, tmp_path / "serve.log") as served:
        reader, writer = await open_raw(served.port)
        try:
            answer = await read_until_closed(reader, timeout=20)
        finally:
            writer.close()
        assert answer == b""  # closed without a word: it never asked anything


async def test_headers_never_finished_408_then_closed(edge: Served) -> None:
    reader, writer = await open_raw(edge.port)
    writer.write(b"GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\n")
    await writer.drain()
    answer = await read_until_closed(reader, timeout=15)
    writer.close()
    assert status_of(answer) == 408
    assert b"connection: close" in answer.lower()


async def test_headers_trickled_byte_by_byte_cut_at_the_deadline(edge: Served) -> None:
    reader, writer = await open_raw(edge.port)
    request = b"GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"a" * 200

    async def trickle() -> None:
        for byte in request:
            writer.write(bytes([byte]))
            await writer.drain()
            await asyncio.sleep(0.1)  # 20 s for all of it; the deadline is 2 s

    task = asyncio.create_task(trickle())
    try:
        answer = await read_until_closed(reader, timeout=15)
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, ConnectionError):
            await task
        writer.close()
    assert status_of(answer) == 408


async def test_headers_over_64_kib_431(edge: Served) -> None:
    reader, writer = await open_raw(edge.port)
    writer.write(b"GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\n")
    for n in range(100):
        writer.write(b"X-Filler-%d: %s\r\n" % (n, b"b" * 1000))
    with contextlib.suppress(ConnectionError):
        await writer.drain()
    answer = await read_until_closed(reader, timeout=15)
    writer.close()
    assert status_of(answer) == 431


async def test_431_reaches_a_client_that_goes_on_sending_its_headers(edge: Served) -> None:
    """The server answers while the rest of the request is still arriving: it must not close
    with that data unread (the kernel would reset the connection and the answer be lost)."""
    reader, writer = await open_raw(edge.port)
    writer.write(b"GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\n")
    writer.write(b"X-Filler-0: %s\r\n" % (b"a" * 70_000))
    with contextlib.suppress(ConnectionError):
        await writer.drain()
    await asyncio.sleep(0.3)  # answered by now; more of the same request follows it
    for n in range(1, 20):
        writer.write(b"X-Filler-%d: %s\r\n" % (n, b"b" * 10_000))
        with contextlib.suppress(ConnectionError):
            await writer.drain()
        await asyncio.sleep(0.01)
    answer = await read_until_closed(reader, timeout=15)
    writer.close()
    assert status_of(answer) == 431


def statuses(answer: bytes) -> list[int]:
    return [int(code) for code in re.findall(rb"HTTP/1\.1 (\d{3}) ", answer)]


def post_with_body(size: int) -> bytes:
    body = b'{"notes": "' + b"x" * size + b'"}'
    return (
        b"POST /api/v0/session HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(body)
    ) + body


async def test_pipelined_bodies_over_64_kib_in_one_read_are_not_headers(edge: Served) -> None:
    """Three posts of 30 KB and the start of a fourth request in one write: the read holds
    more than 64 KiB, ending inside the fourth request's headers; every request is answered
    in order (no 431), and nothing is logged as an error."""
    reader, writer = await open_raw(edge.port)
    writer.write(post_with_body(30_000) * 3 + b"GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\n")
    await writer.drain()
    await asyncio.sleep(0.5)
    writer.write(b"Connection: close\r\n\r\n")
    await writer.drain()
    answer = await read_until_closed(reader, timeout=15)
    writer.close()
    assert statuses(answer) == [401, 401, 401, 200]
    assert '"level":"ERROR"' not in edge.log_text()


async def test_pipelined_request_with_headers_too_large_431_after_the_ones_before(
    edge: Served,
) -> None:
    """A request whose headers pass 64 KiB, pipelined after a post: the post is answered,
    then the 431, then the connection is closed; no error in the log."""
    reader, writer = await open_raw(edge.port)
    writer.write(
        post_with_body(1_000)
        + b"GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        + b"".join(b"X-Filler-%d: %s\r\n" % (n, b"b" * 1000) for n in range(70))
        + b"\r\n"
    )
    with contextlib.suppress(ConnectionError):
        await writer.drain()
    answer = await read_until_closed(reader, timeout=15)
    writer.close()
    assert statuses(answer) == [401, 431]
    assert '"level":"ERROR"' not in edge.log_text()


async def test_two_host_headers_400_whichever_comes_first(edge: Served) -> None:
    """RFC 9112 §3.2: more than one Host is a 400, so that nothing reads one name where
    something else read another (the allowed-hosts check, the links the server hands out)."""
    for hosts in ((b"127.0.0.1", b"evil.example"), (b"evil.example", b"127.0.0.1")):
        reader, writer = await open_raw(edge.port)
        writer.write(
            b"GET /api/health HTTP/1.1\r\n"
            + b"".join(b"Host: %s\r\n" % host for host in hosts)
            + b"Connection: close\r\n\r\n"
        )
        answer = await read_until_closed(reader, timeout=15)
        writer.close()
        assert status_of(answer) == 400, answer
        assert b"more than one Host header" in answer


async def test_slow_bodies_hold_no_slot_and_are_cut_with_408(edge: Served) -> None:
    """Six logins trickling a 60,000-byte body (under the limit) one byte every 0.5 s, with 2
    slots: health and the web UI still answer, and each slow body gets a 408 at its deadline."""
    conns = [await open_raw(edge.port) for _ in range(6)]

    async def trickle(writer: asyncio.StreamWriter) -> None:
        writer.write(SLOW_LOGIN)
        while True:
            await writer.drain()
            await asyncio.sleep(0.5)
            writer.write(b" ")

    tasks = [asyncio.create_task(trickle(w)) for _, w in conns]
    try:
        await asyncio.sleep(0.5)
        async with httpx.AsyncClient(base_url=edge.url, timeout=5) as http:
            health = await http.get("/api/health")
            page = await http.get("/app/")
        assert health.status_code == 200
        assert page.status_code == 200
        answers = await asyncio.gather(*(read_until_closed(r, timeout=20) for r, _ in conns))
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for _, writer in conns:
            writer.close()
    assert [status_of(a) for a in answers] == [408] * 6
    body = orjson.loads(answers[0].split(b"\r\n\r\n", 1)[1])
    assert body == {"code": 408, "data": None, "errors": ["request body not received in time"]}


async def test_connection_cap_evicts_idle_then_refuses_when_all_are_busy(
    migrated: str, tmp_path: Path
) -> None:
    env = {
        "MAX_CONNECTIONS": "10",
        "MAX_CONNECTIONS_PER_ADDRESS": "10",  # the whole cap from one address here
        "BODY_TIMEOUT_SECONDS": "60",
        "HEADERS_TIMEOUT_SECONDS": "60",
    }
    async with serve(migrated, tmp_path / "serve.log", env=env) as served:
        idle = [await open_raw(served.port) for _ in range(10)]
        await asyncio.sleep(0.3)
        async with httpx.AsyncClient(base_url=served.url, timeout=5) as http:
            assert (await http.get("/api/health")).status_code == 200
        # The connection idle the longest made room for it.
        assert await read_until_closed(idle[0][0], timeout=5) == b""
        for _, writer in idle:
            writer.close()
        await asyncio.sleep(0.3)

        busy = []
        for _ in range(10):
            reader, writer = await open_raw(served.port)
            writer.write(SLOW_LOGIN)
            await writer.drain()
            busy.append((reader, writer))
        await asyncio.sleep(0.3)
        reader, writer = await open_raw(served.port)
        writer.write(b"GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        await writer.drain()
        answer = await read_until_closed(reader, timeout=5)
        writer.close()
        for _, w in busy:
            w.close()
    assert status_of(answer) == 503
    head, body = answer.split(b"\r\n\r\n", 1)
    assert b"retry-after: 2" in head.lower()
    assert orjson.loads(body)["code"] == 503


async def test_open_file_limit_256_with_300_idle_sockets_new_requests_served(
    migrated: str, tmp_path: Path
) -> None:
    env = {"HEADERS_TIMEOUT_SECONDS": "60"}
    async with serve(migrated, tmp_path / "serve.log", env=env, nofile=256) as served:
        idle = []
        try:
            for _ in range(300):
                idle.append(await open_raw(served.port))
            await asyncio.sleep(1)
            async with httpx.AsyncClient(base_url=served.url, timeout=10) as http:
                ready = await http.get("/api/ready")  # a database connection
                page = await http.get("/app/")  # a file opened
        finally:
            for _, writer in idle:
                writer.close()
        assert ready.status_code == 200, ready.text
        assert page.status_code == 200
        assert served.proc.poll() is None
    assert "Too many open files" not in served.log_text()


async def _get_health(port: int, local: str) -> bytes:
    reader, writer = await open_raw(port, local=local)
    writer.write(b"GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
    await writer.drain()
    try:
        return await read_until_closed(reader, timeout=5)
    finally:
        writer.close()


async def _slow_bodies(
    port: int, local: str, count: int
) -> list[tuple[asyncio.StreamReader, asyncio.StreamWriter]]:
    """`count` connections from `local`, each busy with a body that has not arrived yet."""
    busy = []
    for _ in range(count):
        reader, writer = await open_raw(port, local=local)
        writer.write(SLOW_LOGIN)
        await writer.drain()
        busy.append((reader, writer))
    await asyncio.sleep(0.3)
    return busy


async def test_one_address_cannot_take_every_connection(migrated: str, tmp_path: Path) -> None:
    """5 connections per address of 20: a sixth from an address whose 5 are busy gets 503,
    another address is served, and an address's idle connections make room for its own."""
    env = {
        "MAX_CONNECTIONS": "20",
        "MAX_CONNECTIONS_PER_ADDRESS": "5",
        "BODY_TIMEOUT_SECONDS": "60",
        "HEADERS_TIMEOUT_SECONDS": "60",
    }
    async with serve(migrated, tmp_path / "serve.log", env=env) as served:
        busy = await _slow_bodies(served.port, "127.0.0.2", 5)
        refused = await _get_health(served.port, "127.0.0.2")
        other = await _get_health(served.port, "127.0.0.3")

        idle = [await open_raw(served.port, local="127.0.0.4") for _ in range(5)]
        await asyncio.sleep(0.3)
        made_room = await _get_health(served.port, "127.0.0.4")
        oldest_idle = await read_until_closed(idle[0][0], timeout=5)
        for _, writer in busy + idle:
            writer.close()
    assert status_of(refused) == 503
    head, body = refused.split(b"\r\n\r\n", 1)
    assert b"retry-after: 2" in head.lower()
    assert orjson.loads(body)["errors"] == [
        "too many open connections from your address, try again later"
    ]
    assert status_of(other) == 200
    assert status_of(made_room) == 200 and oldest_idle == b""
    assert "MAX_CONNECTIONS_PER_ADDRESS" in served.log_text()


async def test_websockets_count_under_their_address(
    migrated: str, tmp_path: Path, db: Connection, make_archer: MakeArcher
) -> None:
    archer = await make_archer()
    r = await make_range(db, archer)
    env = {"MAX_CONNECTIONS": "20", "MAX_CONNECTIONS_PER_ADDRESS": "3"}
    async with serve(migrated, tmp_path / "serve.log", env=env) as served:
        url, path = f"127.0.0.1:{served.port}", f"/api/v0/ws?session_id={r.session_id}"
        sockets = [
            await ws_connect(url, path, archer.token, local_addr=("127.0.0.5", 0)) for _ in range(3)
        ]
        refused = await _get_health(served.port, "127.0.0.5")
        await sockets.pop().close()
        await asyncio.sleep(0.3)
        served_again = await _get_health(served.port, "127.0.0.5")
        for ws in sockets:
            await ws.close()
    assert status_of(refused) == 503  # never closed to make room: they are busy
    assert status_of(served_again) == 200


async def test_a_trusted_proxy_is_not_capped_as_one_address(migrated: str, tmp_path: Path) -> None:
    """Behind `--proxy-headers`, the proxy's connections carry many clients: only the
    connection cap applies to them (the proxy bounds its clients per address)."""
    env = {
        "MAX_CONNECTIONS": "20",
        "MAX_CONNECTIONS_PER_ADDRESS": "2",
        "BODY_TIMEOUT_SECONDS": "60",
        "HEADERS_TIMEOUT_SECONDS": "60",
    }
    args = ("--proxy-headers", "--forwarded-allow-ips", "127.0.0.6")
    async with serve(migrated, tmp_path / "serve.log", env=env, args=args) as served:
        busy = await _slow_bodies(served.port, "127.0.0.6", 4)
        proxied = await _get_health(served.port, "127.0.0.6")
        busy += await _slow_bodies(served.port, "127.0.0.7", 2)
        direct = await _get_health(served.port, "127.0.0.7")
        for _, writer in busy:
            writer.close()
    assert status_of(proxied) == 200
    assert status_of(direct) == 503
