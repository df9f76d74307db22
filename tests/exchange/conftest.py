"""A real HTTP server around the suite's app (slow and stalled clients need real sockets), raw
HTTP/1.1 over asyncio streams, and settings changed for one test."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from typing import Any

import orjson
import pytest
import uvicorn
from fastapi import FastAPI

from arch_stats.core.serving import UVICORN


@pytest.fixture(scope="session")
async def http_server(app: FastAPI) -> AsyncIterator[tuple[str, int]]:
    # lifespan off: the suite's app is already started (pool, live hub).
    config = uvicorn.Config(
        app, host="127.0.0.1", port=0, lifespan="off", log_config=None, **UVICORN
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    yield ("127.0.0.1", port)
    server.should_exit = True
    await task


@pytest.fixture
def override(app: FastAPI) -> Iterator[Callable[..., None]]:
    """`override(name=value, …)`: the app's settings with these values, for this test."""
    original = app.state.settings

    def change(**values: Any) -> None:
        app.state.settings = original.model_copy(update=values)

    yield change
    app.state.settings = original


@dataclass
class Raw:
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter

    async def send(self, data: bytes) -> None:
        self.writer.write(data)
        await self.writer.drain()

    async def response(self, timeout: float = 10) -> tuple[int, dict[str, str], bytes]:
        """Status, headers and body (Content-Length or chunked) of the next response."""
        async with asyncio.timeout(timeout):
            head = await self.reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            status = int(lines[0].split()[1])
            headers = {}
            for line in lines[1:]:
                if line:
                    name, _, value = line.partition(":")
                    headers[name.strip().lower()] = value.strip()
            if "content-length" in headers:
                body = await self.reader.readexactly(int(headers["content-length"]))
            else:
                body = b""
                while size := int((await self.reader.readuntil(b"\r\n")).strip(), 16):
                    body += await self.reader.readexactly(size + 2)
                    body = body[:-2]
                await self.reader.readuntil(b"\r\n")
        return status, headers, body

    def close(self) -> None:
        self.writer.transport.abort()


async def raw_connect(address: tuple[str, int], *, rcvbuf: int | None = None) -> Raw:
    """A plain TCP connection; `rcvbuf`: a small receive buffer, to stall for real."""
    sock = socket.socket()
    if rcvbuf is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    sock.setblocking(False)
    await asyncio.get_running_loop().sock_connect(sock, address)
    reader, writer = await asyncio.open_connection(sock=sock)
    return Raw(reader, writer)


def request_head(
    method: str, path: str, headers: dict[str, str], *, length: int | None = None
) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    if length is not None:
        lines.append(f"Content-Length: {length}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def errors_of(body: bytes) -> list[str]:
    errors: list[str] = orjson.loads(body)["errors"]
    return errors
