"""The download of an export: the spool sent as the COPY writes it, at the client's pace.

The database never waits for the client (the COPY writes to the spool), and the client is
not waited for without end: one that reads nothing for `EXPORT_SEND_TIMEOUT_SECONDS` is
dropped, and one that goes away stops the COPY. Either way the account's export lease, the
spool and (if still running) the COPY are let go at once, and an INFO line says why.
ASGI gives an application no way to close a connection other than leaving its response
unfinished, so that is how a stalled client is dropped (uvicorn then closes the socket).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from starlette.responses import Response
from starlette.types import Message, Receive, Scope, Send

from arch_stats.exchange.limits import Lease
from arch_stats.exchange.spool import ExportSpool

log = logging.getLogger("arch_stats.exchange")


class _Stalled(Exception):
    pass


class SpooledDownload(Response):
    """A streamed (chunked) CSV download of `spool`, which `copy` is still writing."""

    def __init__(
        self,
        spool: ExportSpool,
        copy: asyncio.Task[None],
        lease: Lease,
        *,
        filename: str,
        send_timeout: float,
    ) -> None:
        self.spool = spool
        self.copy = copy
        self.lease = lease
        self.send_timeout = send_timeout
        self.status_code = 200
        self.media_type = "text/csv; charset=utf-8"
        self.background = None
        self.init_headers({"Content-Disposition": f'attachment; filename="{filename}"'})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        stream = asyncio.ensure_future(self._stream(send))
        gone = asyncio.ensure_future(_disconnected(receive))
        try:
            await asyncio.wait({stream, gone}, return_when=asyncio.FIRST_COMPLETED)
            if not stream.done():
                log.info("export stopped: the client went away", extra={"resource": "export"})
        finally:
            for task in (stream, gone, self.copy):
                task.cancel()
            for task in (stream, gone, self.copy):
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
            self.spool.close()
            await self.lease.release()

    async def _stream(self, send: Send) -> None:
        await self._send(
            send, {"type": "http.response.start", "status": 200, "headers": self.raw_headers}
        )
        offset = 0
        try:
            while chunk := await self.spool.read(offset):
                await self._send(
                    send, {"type": "http.response.body", "body": chunk, "more_body": True}
                )
                offset += len(chunk)
        except _Stalled:
            log.info(
                "export dropped: the client read nothing for %g s (EXPORT_SEND_TIMEOUT_SECONDS)",
                self.send_timeout,
                extra={"resource": "export"},
            )
            return  # unfinished: the server closes the connection
        except Exception as exc:  # the COPY failed after the download began
            log.warning(
                "export stopped after %d bytes: %s", offset, exc, extra={"resource": "export"}
            )
            return  # unfinished: the client sees a broken download, not a short file
        # Done before the client can see the end, so that its next export is not refused.
        await self.lease.release()
        await send({"type": "http.response.body", "body": b"", "more_body": False})

    async def _send(self, send: Send, message: Message) -> None:
        try:
            await asyncio.wait_for(send(message), self.send_timeout)
        except TimeoutError:
            raise _Stalled from None


async def _disconnected(receive: Receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass
