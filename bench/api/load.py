"""Load generators: `wrk` when installed, else a small asyncio one in its own process.

Both keep `connections` HTTP/1.1 keep-alive connections busy against 127.0.0.1 only, for a
bounded time (a warm-up whose numbers are dropped, then the measurement), and report
requests/s, p50/p99 latency and errors (non-2xx answers and socket failures).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

HOST = "127.0.0.1"
ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True, slots=True)
class Request:
    method: str
    path: str
    headers: dict[str, str] = field(default_factory=dict)
    body: str | None = None

    def raw(self, port: int) -> bytes:
        """The request as sent on the wire (HTTP/1.1, keep-alive)."""
        lines = [f"{self.method} {self.path} HTTP/1.1", f"Host: {HOST}:{port}"]
        lines += [f"{k}: {v}" for k, v in self.headers.items()]
        body = (self.body or "").encode()
        if self.body is not None:
            lines.append(f"Content-Length: {len(body)}")
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


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


# --- the Python fallback, in its own process (bench/api/pyload.py) -------------------------


def run_each(requests: list[Request], load: Load) -> Result:
    """Like `run` with the Python generator, connection i sending requests[i % len]."""
    return _python(requests[0], load, requests)


def _python(request: Request, load: Load, requests: list[Request] | None = None) -> Result:
    spec = {"requests": [asdict(r) for r in (requests or [request])], "load": asdict(load)}
    proc = subprocess.run(
        [sys.executable, "-m", "bench.api.pyload"],
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
