"""Web UI benchmark: how soon the live page is usable on a slow phone network.

    .venv/bin/python -m bench.web.run [--runs 5] [--rtt-ms 150] [--down-kbps 1600]

Starts its own embedded PostgreSQL (or uses --database-url, a disposable one), serves Arch
Stats with uvicorn on 127.0.0.1 as `serve` does, makes an archer with 12 arrows and an open
session of 30 arrows through the API, then opens the session's live page in Debian's
Chromium at 390 × 844 with touch, its network throttled through the DevTools protocol
(150 ms round trip, 1.6 Mbit/s down, 750 kbit/s up: Lighthouse's "slow 4G").

* cold: a new browser profile each run (no HTTP cache, no service worker);
* warm: the same profile again, after the first visit (left open 1.5 s) installed the service
  worker and kept the page's data on the device.

"Usable" is the page's own mark `arch-stats:ready` (performance.mark), set when the face,
its markers, the end being shot and the scorecard are drawn and a touch records an arrow:
milliseconds from the start of the navigation. Prints every run, the medians, bytes and
requests of a cold load, and PASS/FAIL against the targets (cold ≤ 1.5 s, warm ≤ 0.5 s,
medians). Not a test: the machine is shared and noisy. See bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import sys
import tempfile
import time
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from playwright.async_api import Browser, BrowserContext, async_playwright
from playwright.async_api import Error as PlaywrightError

from arch_stats.auth.tokens import COOKIE_NAME
from bench.common.db import connect, database, migrate, remove_archers
from bench.common.report import common_options, machine, say, verdict
from bench.common.server import HOST, uvicorn

API = "/api/v0"
CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
PHONE: dict[str, Any] = {
    "viewport": {"width": 390, "height": 844},
    "has_touch": True,
    "is_mobile": True,
    "device_scale_factor": 1,
}
TARGET_COLD_MS = 1500.0
TARGET_WARM_MS = 500.0
READY = "arch-stats:ready"


# --- data, through the API --------------------------------------------------------------------


def call(base: str, method: str, path: str, body: Any = None, token: str | None = None) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = httpx.request(method, base + API + path, json=body, headers=headers, timeout=30)
    response.raise_for_status()
    return response.json()["data"]


@dataclass(frozen=True)
class Seeded:
    token: str
    session_id: str


def seed(base: str) -> Seeded:
    """An archer with 12 arrows and an open 70 m session of 5 ends of 6 on a 122 cm face."""
    account = {"email": "bench-web@example.org", "password": "bench web password", "name": "Bench"}
    call(base, "POST", "/auth/register", account)
    token = call(base, "POST", "/auth/login", {k: account[k] for k in ("email", "password")})[
        "token"
    ]
    arrows = call(base, "POST", "/arrow/set", {"prefix": "A", "first": 1, "count": 12}, token)
    session = call(
        base,
        "POST",
        "/session",
        {"distance_m": 70, "round_code": "wa720_70", "location": "Club field"},
        token,
    )
    target = call(
        base,
        "POST",
        f"/session/{session['id']}/target",
        {"faces": [{"face_type": "wa_122"}]},
        token,
    )
    cx = target["faces"][0]["center_x_mm"]
    cy = target["faces"][0]["center_y_mm"]
    shots = [
        {
            "session_id": session["id"],
            "target_id": target["id"],
            "arrow_id": arrows[i % 6]["id"],
            "x_mm": cx + ((i * 37) % 120) - 60,
            "y_mm": cy + ((i * 53) % 140) - 70,
        }
        for i in range(30)
    ]
    call(base, "POST", "/shot", shots, token)
    return Seeded(token, session["id"])


# --- the browser --------------------------------------------------------------------------------


@dataclass
class Load:
    ready_ms: float
    requests: int = 0
    bytes: int = 0
    from_worker: int = 0
    waterfall: list[tuple[float, float, int, str]] = field(default_factory=list)
    marks: list[tuple[str, int]] = field(default_factory=list)


@dataclass
class Figures:
    cold: list[Load] = field(default_factory=list)
    warm: list[Load] = field(default_factory=list)


async def throttled_load(
    context: BrowserContext, url: str, rtt_ms: float, down_kbps: float, up_kbps: float
) -> Load:
    page = await context.new_page()
    cdp = await context.new_cdp_session(page)
    await cdp.send("Network.enable")
    await cdp.send(
        "Network.emulateNetworkConditions",
        {
            "offline": False,
            "latency": rtt_ms,
            "downloadThroughput": down_kbps * 1000 / 8,
            "uploadThroughput": up_kbps * 1000 / 8,
        },
    )
    load = Load(ready_ms=0.0)
    sent: dict[str, tuple[float, str]] = {}

    def started(event: dict[str, Any]) -> None:
        sent[event["requestId"]] = (event["timestamp"], event["request"]["url"])

    def finished(event: dict[str, Any]) -> None:
        load.requests += 1
        size = int(event.get("encodedDataLength", 0))
        load.bytes += size
        if event["requestId"] in sent:
            t0, url = sent[event["requestId"]]
            load.waterfall.append((t0, event["timestamp"], size, url.split(":", 2)[-1]))

    def received(event: dict[str, Any]) -> None:
        if event.get("response", {}).get("fromServiceWorker"):
            load.from_worker += 1

    console: list[str] = []
    page.on("console", lambda m: console.append(f"{m.type}: {m.text}"))
    page.on("pageerror", lambda e: console.append(f"error: {e}"))
    cdp.on("Network.requestWillBeSent", started)
    cdp.on("Network.loadingFinished", finished)
    cdp.on("Network.responseReceived", received)
    await page.goto(url, wait_until="commit")
    try:
        await page.wait_for_function(
            f"() => performance.getEntriesByName({READY!r}).length > 0", timeout=60_000, polling=50
        )
    except PlaywrightError:
        say("the page never became usable; its console:\n  " + "\n  ".join(console))
        raise
    load.ready_ms = float(
        await page.evaluate(f"performance.getEntriesByName({READY!r})[0].startTime")
    )
    load.marks = await page.evaluate(
        "() => performance.getEntriesByType('mark').map(m => [m.name, Math.round(m.startTime)])"
    )
    # As an archer would, stay a moment: what the page keeps on the device gets written.
    await page.wait_for_timeout(1500)
    await page.close()
    return load


async def fresh_context(browser: Browser, base: str, token: str) -> BrowserContext:
    context = await browser.new_context(base_url=base, **PHONE)
    await context.add_cookies(
        [{"name": COOKIE_NAME, "value": token, "url": base, "httpOnly": True}]
    )
    return context


async def worker_ready(context: BrowserContext, base: str) -> None:
    """Open the app once (unthrottled) and wait until its service worker controls a page."""
    page = await context.new_page()
    await page.goto(base + "/app/")
    # Installed and active; a page loaded while it was activating may still be uncontrolled.
    await page.evaluate("async () => { await navigator.serviceWorker.ready; }")
    if not await page.evaluate("() => navigator.serviceWorker.controller !== null"):
        await page.reload()
    try:
        await page.wait_for_function(
            "() => navigator.serviceWorker.controller !== null", timeout=60_000, polling=100
        )
    except PlaywrightError:
        state = await page.evaluate(
            """async () => {
                const r = await navigator.serviceWorker.getRegistration();
                if (!r) return "no registration";
                const w = (x) => x ? x.state : "-";
                return `installing ${w(r.installing)}, waiting ${w(r.waiting)}, `
                    + `active ${w(r.active)}`;
            }"""
        )
        say(f"the service worker never took over: {state}")
        raise
    await page.close()


async def measure(base: str, seeded: Seeded, args: argparse.Namespace) -> Figures:
    url = f"{base}/app/sessions/{seeded.session_id}/live"
    figures = Figures()
    throttle = (args.rtt_ms, args.down_kbps, args.up_kbps)
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(
            executable_path=CHROMIUM, args=["--headless", "--no-sandbox", "--disable-gpu"]
        )
        try:
            for run in range(args.runs):
                context = await fresh_context(browser, base, seeded.token)
                try:
                    cold = await throttled_load(context, url, *throttle)
                    figures.cold.append(cold)
                    await worker_ready(context, base)
                    warm = await throttled_load(context, url, *throttle)
                    figures.warm.append(warm)
                finally:
                    await context.close()
                say(
                    f"run {run + 1}: cold {cold.ready_ms:.0f} ms ({cold.requests} requests, "
                    f"{cold.bytes / 1024:.0f} KiB), warm {warm.ready_ms:.0f} ms "
                    f"({warm.from_worker} answers from the service worker)"
                )
        finally:
            await browser.close()
    return figures


# --- report ---------------------------------------------------------------------------------------


def report(figures: Figures, args: argparse.Namespace) -> bool:
    cold = [x.ready_ms for x in figures.cold]
    warm = [x.ready_ms for x in figures.warm]
    c_med, w_med = statistics.median(cold), statistics.median(warm)
    first = figures.cold[0]
    print(
        f"live page at 390×844, {args.rtt_ms:g} ms RTT, {args.down_kbps:g}/{args.up_kbps:g} "
        f"kbit/s down/up, {len(cold)} runs; {machine()}"
    )
    print(f"{'':8}{'median ms':>11}{'min ms':>9}{'max ms':>9}   runs")
    for name, values, med in (("cold", cold, c_med), ("warm", warm, w_med)):
        runs = " ".join(f"{v:.0f}" for v in values)
        print(f"{name:8}{med:>11.0f}{min(values):>9.0f}{max(values):>9.0f}   {runs}")
    print(f"cold load: {first.requests} requests, {first.bytes / 1024:.1f} KiB on the wire")
    if args.waterfall:
        for name, load in (("cold", figures.cold[0]), ("warm", figures.warm[0])):
            print(f"{name} run 1, marks (ms from navigation start): {load.marks}")
            print(f"{name} run 1, requests (ms from the first, start → end, bytes):")
            origin = min((w[0] for w in load.waterfall), default=0.0)
            for t0, t1, size, url in sorted(load.waterfall):
                print(
                    f"  {1000 * (t0 - origin):7.0f} → {1000 * (t1 - origin):7.0f} {size:>8}  {url}"
                )
    print()
    print("targets:")
    ok = True
    for name, med, target in (("cold", c_med, TARGET_COLD_MS), ("warm", w_med, TARGET_WARM_MS)):
        passed = med <= target
        ok = ok and passed
        print(
            verdict(
                passed, f"live page usable {name}: {med:.0f} ms median (target ≤ {target:.0f} ms)"
            )
        )
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--rtt-ms", type=float, default=150.0)
    parser.add_argument("--down-kbps", type=float, default=1600.0)
    parser.add_argument("--up-kbps", type=float, default=750.0)
    common_options(parser, json_file=False, strict=False)
    parser.add_argument("--waterfall", action="store_true", help="print the requests of run 1")
    args = parser.parse_args()

    with ExitStack() as stack:
        dsn = stack.enter_context(database(args.database_url))
        asyncio.run(migrate(dsn))
        logs = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="asweb")))
        env = {**os.environ, "DATABASE_URL": dsn, "ASSEMBLER_ENABLED": "false"}
        port, _ = stack.enter_context(uvicorn("arch-stats", env, logs))
        base = f"http://{HOST}:{port}"
        started = time.perf_counter()
        seeded = seed(base)
        say(f"seeded through the API in {time.perf_counter() - started:.1f} s")
        figures = asyncio.run(measure(base, seeded, args))
        if args.database_url:
            asyncio.run(_unseed(dsn))
    return 0 if report(figures, args) else 1


async def _unseed(dsn: str) -> None:
    async with connect(dsn) as conn:
        archer = await conn.fetchval("SELECT id FROM archer WHERE email = 'bench-web@example.org'")
        await remove_archers(conn, [archer])


if __name__ == "__main__":
    sys.exit(main())
