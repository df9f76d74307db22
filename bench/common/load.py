"""The load loops.

* Throughput: `run` / `run_each` keep `connections` HTTP/1.1 keep-alive connections busy
  against 127.0.0.1 only, for a bounded time (a warm-up whose numbers are dropped, then the
  measurement), with `wrk` when installed, else a small asyncio generator in its own process
  (`bench.common.pyload`), and report requests/s, p50/p99 latency and errors (non-2xx answers
  and socket failures).
* Latency: `one_at_a_time` sends a request after another on one raw keep-alive socket, as a
  client would, and keeps each one's time; `exchange` is one such request; `pace` spaces
  requests (or inserts) at a rate.
* `loop_runner`: the event loop the benchmark's own clients run on (uvloop, as the server).
"""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from bench.common.numbers import Latency
from bench.common.server import HOST, ROOT


@dataclass(frozen=True, slots=True)
class Request:
    method: str
    path: str
    headers: dict[str, str] = field(default_factory=dict)
    body: str | None = None

    def raw(self, port: int) -> bytes:
        """The request as sent on the wire (HTTP/1.1, keep-alive)."""
        body = self.body.encode() if self.body is not None else None
        return raw_request(self.method, self.path, port, self.headers, body)


def raw_request(
    method: str, path: str, port: int, headers: dict[str, str], body: bytes | None = None
) -> bytes:
    """An HTTP/1.1 request as sent on the wire (keep-alive; Content-Length with a body)."""
    lines = [f"{method} {path} HTTP/1.1", f"Host: {HOST}:{port}"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    if body is not None:
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + (body or b"")


@dataclass(frozen=True, slots=True)
class Result:
    requests: int  # completed in the measured window
    seconds: float
    p50_ms: float
    p99_ms: float
    mean_ms: float
    errors: int
    # Set for slow responses measured by wrk: connections / mean latency (Little's law).
    steady_rps: float | None = None

    @property
    def rps(self) -> float:
        if self.steady_rps is not None:
            return self.steady_rps
        return self.requests / self.seconds if self.seconds > 0 else 0.0


@dataclass(frozen=True, slots=True)
class Load:
    port: int
    connections: int
    duration: float
    warmup: float
    threads: int = 1
    timeout: float = 30.0


# A wrk run whose mean latency exceeds 1/50 of its length (a 2 % error) is "slow".
SLOW_FRACTION = 50


def have_wrk() -> bool:
    return shutil.which("wrk") is not None


def run(request: Request, load: Load, *, tool: str) -> Result:
    """Warm up, then measure. `tool` is "wrk" or "python"."""
    if tool == "wrk":
        if load.warmup > 0:
            _wrk(request, load, load.warmup)
        return _wrk(request, load, load.duration)
    return _python(request, load)


# --- wrk -----------------------------------------------------------------------------------

_LUA = """\
wrk.method = [==[{method}]==]
wrk.path = [==[{path}]==]
{headers}
{body}
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "\\nBENCH-RESULT {{\\"requests\\":%d,\\"duration_us\\":%d,\\"p50_us\\":%d,\\"p99_us\\":%d,"
    .. "\\"mean_us\\":%d,\\"status_errors\\":%d,\\"socket_errors\\":%d}}\\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    latency.mean, e.status, e.connect + e.read + e.write + e.timeout))
end
"""


def lua_script(request: Request) -> str:
    for text in (request.method, request.path, request.body or "", *request.headers.values()):
        if "]==]" in text:
            raise ValueError("request text cannot contain ']==]'")
    headers = "\n".join(f'wrk.headers["{k}"] = [==[{v}]==]' for k, v in request.headers.items())
    body = f"wrk.body = [==[{request.body}]==]" if request.body is not None else ""
    return _LUA.format(method=request.method, path=request.path, headers=headers, body=body)


def _wrk(request: Request, load: Load, seconds: float) -> Result:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(lua_script(request))
    try:
        proc = subprocess.run(
            [
                "wrk",
                f"--threads={load.threads}",
                f"--connections={load.connections}",
                f"--duration={max(1, round(seconds))}s",
                f"--timeout={round(load.timeout)}s",
                f"--script={script.name}",
                f"http://{HOST}:{load.port}{request.path}",
            ],
            capture_output=True,
            text=True,
            timeout=seconds + load.timeout + 30,
            check=False,
        )
    finally:
        Path(script.name).unlink(missing_ok=True)
    line = next((x for x in proc.stdout.splitlines() if x.startswith("BENCH-RESULT ")), None)
    if proc.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed ({proc.returncode}): {proc.stderr.strip() or proc.stdout}")
    data = json.loads(line.removeprefix("BENCH-RESULT "))
    elapsed, mean = data["duration_us"] / 1e6, data["mean_us"] / 1e6
    # wrk starts all its connections at once and drops the requests still in flight when it
    # stops: up to one mean latency of work per connection. Negligible for fast responses;
    # for slow ones the steady rate of a closed loop, connections / mean latency, is exact.
    slow = mean * SLOW_FRACTION > elapsed
    return Result(
        requests=data["requests"],
        seconds=elapsed,
        p50_ms=data["p50_us"] / 1000,
        p99_ms=data["p99_us"] / 1000,
        mean_ms=mean * 1000,
        errors=data["status_errors"] + data["socket_errors"],
        steady_rps=load.connections / mean if slow and mean > 0 else None,
    )


# --- the Python fallback, in its own process (bench/common/pyload.py) -------------------------


def run_each(requests: list[Request], load: Load) -> Result:
    """Like `run` with the Python generator, connection i sending requests[i % len]."""
    return _python(requests[0], load, requests)


def _python(request: Request, load: Load, requests: list[Request] | None = None) -> Result:
    spec = {"requests": [asdict(r) for r in (requests or [request])], "load": asdict(load)}
    proc = subprocess.run(
        [sys.executable, "-m", "bench.common.pyload"],
        input=json.dumps(spec),
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=load.warmup + load.duration + load.timeout + 30,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"Python load generator failed: {proc.stderr.strip()[-2000:]}")
    return Result(**json.loads(proc.stdout))


# --- one request at a time -------------------------------------------------------------------


async def read_response(reader: asyncio.StreamReader) -> tuple[int, bool]:
    """Reads one response; returns its status and whether the server closes the connection."""
    head = await reader.readuntil(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    status = int(status_line.split(" ", 2)[1])
    length: int | None = None
    chunked = close = False
    for line in lines:
        name, _, value = line.partition(":")
        name, value = name.strip().lower(), value.strip().lower()
        if name == "content-length":
            length = int(value)
        elif name == "transfer-encoding":
            chunked = "chunked" in value
        elif name == "connection":
            close = value == "close"
    if chunked:
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            if size == 0:
                while await reader.readuntil(b"\r\n") != b"\r\n":
                    pass
                break
            await reader.readexactly(size + 2)
    elif length is not None:
        await reader.readexactly(length)
    else:
        await reader.read()
        close = True
    return status, close


async def exchange(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, raw: bytes) -> int:
    """Sends one request and reads its whole answer; its status."""
    writer.write(raw)
    await writer.drain()
    status, _ = await read_response(reader)
    return status


FAILURES = (
    OSError,
    asyncio.IncompleteReadError,
    asyncio.LimitOverrunError,
    TimeoutError,
    ValueError,
)


async def one_at_a_time(
    port: int,
    raw: bytes,
    out: Latency,
    *,
    until: float | None = None,
    stop: asyncio.Event | None = None,
    count: int | None = None,
    warmup: int = 0,
    pause: float = 0.0,
    answer_within: float = 10.0,
) -> None:
    """`raw` again and again on one keep-alive connection (a new one when it is closed), each
    after the last is answered and `pause` s: its time in ms into `out.values`, and an answer
    other than 2xx, a failure or no answer within `answer_within` s into `out.missing`. Until
    the loop's clock passes `until`, `stop` is set, or `count` answers after `warmup` dropped
    ones."""
    loop = asyncio.get_running_loop()
    conn: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None
    done = -warmup

    def going() -> bool:
        if (until is not None and loop.time() >= until) or (stop is not None and stop.is_set()):
            return False
        return count is None or done < count

    while going():
        started = time.perf_counter()
        try:
            if conn is None:
                conn = await asyncio.open_connection(HOST, port)
            async with asyncio.timeout(answer_within):
                status = await exchange(*conn, raw)
        except FAILURES:
            out.missing += 1
            if conn is not None:
                conn[1].close()
            conn = None
            await asyncio.sleep(0.05)
            continue
        done += 1
        if done > 0:
            out.values.append((time.perf_counter() - started) * 1000)
            out.missing += not 200 <= status < 300
        if pause:
            await asyncio.sleep(pause)
    if conn is not None:
        conn[1].close()


async def pace(start: float, slot: float) -> None:
    """Sleep until `start + slot` on the loop's clock."""
    delay = start + slot - asyncio.get_running_loop().time()
    if delay > 0:
        await asyncio.sleep(delay)


def loop_runner() -> asyncio.Runner:
    """An event loop for the benchmark's own clients: uvloop, as the servers run."""
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvloop comes with uvicorn[standard]
        return asyncio.Runner()
    return asyncio.Runner(loop_factory=uvloop.new_event_loop)
