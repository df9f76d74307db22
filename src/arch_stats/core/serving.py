"""How `arch-stats serve` runs uvicorn: one set of options, shared by benchmarks and tests."""

from __future__ import annotations

from typing import Any, Final

# Keyword arguments of `uvicorn.run` / `uvicorn.Config`.
UVICORN: Final[dict[str, Any]] = {
    "loop": "uvloop",
    "http": "httptools",
    # websockets' sans-I/O protocol: a frame is encoded and written in one call, with no
    # per-send lock and drain as in the legacy one: 20 % less server CPU per shot in the live
    # fan-out to 100 clients, p99 9.4–9.8 ms instead of 11.3–12.3 (bench/live).
    "ws": "websockets-sansio",
    # Frames are small JSON sent to many clients: compressing each copy separately cost more
    # CPU than everything else in the fan-out (bench/live).
    "ws_per_message_deflate": False,
    "access_log": False,
    "server_header": False,
}


# `serve` itself: the same, with WebSockets told 1001 (going away) when it stops.
SERVE: Final[dict[str, Any]] = {
    **UVICORN,
    "ws": "arch_stats.core.ws_protocol:GoingAwayWebSocketProtocol",
}


def uvicorn_flags() -> list[str]:
    """`UVICORN` as flags of the `uvicorn` command (for servers run as processes)."""
    flags = []
    for key, value in UVICORN.items():
        name = key.replace("_", "-")
        if key == "ws_per_message_deflate":  # a flag that takes a value
            flags.append(f"--{name}={str(value).lower()}")
        elif isinstance(value, bool):
            flags.append(f"--{name}" if value else f"--no-{name}")
        else:
            flags.append(f"--{name}={value}")
    return flags
