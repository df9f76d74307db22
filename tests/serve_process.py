"""`arch-stats serve` as a real process on 127.0.0.1, with raw-socket helpers for tests of
connections (slow, silent, many)."""

from __future__ import annotations

import asyncio
import os
import resource
import signal
import socket
import subprocess
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class Served:
    proc: subprocess.Popen[bytes]
    port: int
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")


def _nofile(limit: int) -> Callable[[], None]:
    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_NOFILE, (limit, limit))

    return apply


@asynccontextmanager
async def serve(
    dsn: str,
    log: Path,
    *,
    env: dict[str, str] | None = None,
    nofile: int | None = None,
    args: tuple[str, ...] = (),
) -> AsyncIterator[Served]:
    """`arch-stats serve` on a free port against `dsn`; its stderr goes to `log`."""
    port = free_port()
    full_env = {
        **os.environ,
        "DATABASE_URL": dsn,
        "ASSEMBLER_ENABLED": "false",
        "LOG_LEVEL": "WARNING",
        "ACCESS_LOG": "false",
        **(env or {}),
    }
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "arch_stats", "serve", "--port", str(port), *args],
            env=full_env,
            stdout=out,
            stderr=subprocess.STDOUT,
            preexec_fn=_nofile(nofile) if nofile else None,
        )
    served = Served(proc, port, log)
    try:
        async with httpx.AsyncClient(base_url=served.url) as http:
            for _ in range(600):
                try:
                    if (await http.get("/api/ready")).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if proc.poll() is not None:
                    raise RuntimeError(f"serve exited early:\n{served.log_text()}")
                await asyncio.sleep(0.05)
            else:
                raise RuntimeError(f"serve did not become ready:\n{served.log_text()}")
        yield served
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            # Waited for in a thread: the event loop goes on, and closes what the test closed
            # (a socket closed by `writer.close()` is closed on the loop's next turn; before
            # it, the server would wait for that client's request to finish).
            await asyncio.to_thread(proc.wait, 15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


async def open_raw(
    port: int, *, local: str | None = None, rcvbuf: int | None = None
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """A connection to the server, from the loopback address `local` (another client than
    127.0.0.1), with a receive buffer of `rcvbuf` bytes (a client that reads slowly)."""
    sock = socket.socket()
    if rcvbuf is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    if local is not None:
        sock.bind((local, 0))
    sock.setblocking(False)
    await asyncio.get_running_loop().sock_connect(sock, ("127.0.0.1", port))
    return await asyncio.open_connection(sock=sock, limit=rcvbuf or 2**16)


async def open_ws_raw(
    port: int, path: str, *, headers: str = "", local: str | None = None, rcvbuf: int | None = None
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """A WebSocket handshake on a raw connection (101 or AssertionError)."""
    reader, writer = await open_raw(port, local=local, rcvbuf=rcvbuf)
    writer.write(
        f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
        "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
        f"Sec-WebSocket-Version: 13\r\n{headers}\r\n".encode()
    )
    head = await reader.readuntil(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 101"), head
    return reader, writer


async def ws_frames_until_closed(
    reader: asyncio.StreamReader, timeout: float
) -> tuple[list[tuple[int, bytes]], bool]:
    """The frames a server sends on a raw WebSocket (opcode, payload), until it closes or
    cuts the connection (True), or `timeout` passes with it still open (False)."""
    frames: list[tuple[int, bytes]] = []
    try:
        async with asyncio.timeout(timeout):
            while True:
                head = await reader.readexactly(2)
                length = head[1] & 0x7F
                if length == 126:
                    length = int.from_bytes(await reader.readexactly(2), "big")
                elif length == 127:
                    length = int.from_bytes(await reader.readexactly(8), "big")
                frames.append((head[0] & 0x0F, await reader.readexactly(length)))
                if frames[-1][0] == 0x8:  # close
                    return frames, True
    except (asyncio.IncompleteReadError, ConnectionError):
        return frames, True
    except TimeoutError:
        return frames, False


async def read_until_closed(reader: asyncio.StreamReader, timeout: float) -> bytes:
    """Everything the server sends until it closes the connection (TimeoutError if it does
    not within `timeout`)."""
    chunks = []
    async with asyncio.timeout(timeout):
        while True:
            try:
                chunk = await reader.read(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            chunks.append(chunk)
    return b"".join(chunks)


def status_of(answer: bytes) -> int:
    return int(answer.split(b" ", 2)[1]) if answer.startswith(b"HTTP/1.1 ") else 0
