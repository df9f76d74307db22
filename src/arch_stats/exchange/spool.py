"""Temporary files between a client and the database, so that neither waits for the other.

* `ExportSpool`: a COPY writes the CSV into it at the database's pace and the download reads
  it at the client's, both at once (the download follows the writing), so the pooled
  connection is released as soon as PostgreSQL has produced the file, however slowly the
  client reads; memory holds one chunk, not the file.
* `StageSpool`: the checked shots of an import, pickled in batches while the upload arrives,
  then read back batch by batch into the staging table once the upload is complete.

Both are anonymous temporary files (`SPOOL_DIR`): nothing is left behind, even by a crash.
File work runs in threads (`off_loop`), never on the event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import pickle
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO, TypeVar

from arch_stats.core.errors import BusinessRuleError

CHUNK_BYTES = 256 * 1024

T = TypeVar("T")


async def off_loop(fn: Callable[..., T], *args: Any) -> T:
    """`fn(*args)` in a worker thread. Cancelled, it still waits for the thread to finish
    (a thread cannot be interrupted), so that nothing it uses is closed under it."""
    future = asyncio.get_running_loop().run_in_executor(None, fn, *args)
    try:
        return await asyncio.shield(future)
    except asyncio.CancelledError:
        with contextlib.suppress(Exception):
            await future
        raise


class ExportTooLarge(BusinessRuleError):
    """The export is larger than the server writes."""

    def __init__(self, limit: int) -> None:
        super().__init__(
            f"the export is larger than {limit} bytes (EXPORT_MAX_BYTES): export less at a "
            "time (from, to)"
        )


class ExportSpool:
    """Written once, front to back, by one writer; read by one reader that may follow it."""

    def __init__(self, directory: Path | None, *, max_bytes: int) -> None:
        self._file: BinaryIO = tempfile.TemporaryFile(dir=directory)  # noqa: SIM115
        self._fd = self._file.fileno()
        self.max_bytes = max_bytes
        self.size = 0  # bytes written, all readable
        self.done = False
        self.error: BaseException | None = None
        self._buffer = bytearray()
        self._changed = asyncio.Event()
        self._started = asyncio.Event()

    # writing (COPY's output)

    async def write(self, data: bytes) -> None:
        self._buffer += data
        if len(self._buffer) >= CHUNK_BYTES:
            await self.flush()

    async def flush(self) -> None:
        if not self._buffer:
            return
        if self.size + len(self._buffer) > self.max_bytes:
            raise ExportTooLarge(self.max_bytes)
        data = bytes(self._buffer)
        self._buffer.clear()
        await off_loop(_write_all, self._fd, data)
        self.size += len(data)
        self._changed.set()
        self._started.set()

    def finish(self, error: BaseException | None = None) -> None:
        """No more writing: the reader gets the rest, then the end (or `error`)."""
        self.done = True
        self.error = error
        self._changed.set()
        self._started.set()

    async def started(self) -> None:
        """Wait until the first chunk is written, or the writing is over."""
        await self._started.wait()

    # reading (the download)

    async def read(self, offset: int) -> bytes:
        """The next bytes from `offset`, waiting for the writer; b"" at the end. A writer's
        failure is raised once everything it wrote has been read."""
        while offset >= self.size:
            if self.done:
                if self.error is not None:
                    raise self.error
                return b""
            self._changed.clear()
            await self._changed.wait()
        return await off_loop(os.pread, self._fd, min(CHUNK_BYTES, self.size - offset), offset)

    def close(self) -> None:
        self._file.close()


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


class StageSpool:
    """Batches of staging rows, pickled to a temporary file (only ever read back by us)."""

    def __init__(self, directory: Path | None) -> None:
        self._file: BinaryIO = tempfile.TemporaryFile(dir=directory)  # noqa: SIM115
        self.rows = 0

    def add(self, batch: list[tuple[Any, ...]]) -> None:
        """Runs in a thread (with the parsing)."""
        if batch:
            pickle.dump(batch, self._file, protocol=pickle.HIGHEST_PROTOCOL)
            self.rows += len(batch)

    def rewind(self) -> None:
        self._file.flush()
        self._file.seek(0)

    def next_batch(self) -> list[tuple[Any, ...]] | None:
        """After `rewind`: the next batch, None at the end. Runs in a thread."""
        try:
            batch: list[tuple[Any, ...]] = pickle.load(self._file)  # noqa: S301 (our own file)
        except EOFError:
            return None
        return batch

    def close(self) -> None:
        self._file.close()
