"""Factories for the live benchmark's diagnostic variants of the server (never for production).

    uvicorn --factory bench.live.serve:without_stats_push

`without_stats_push`: Arch Stats exactly as `bench.api.serve:create_app` builds it, except that
no `stats.updated` frames are computed or sent after each shot (`StatsPusher` replaced by a
no-op), to measure what those frames cost the `shot.created` latency.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

import arch_stats.app
from arch_stats.app import create_app as create_arch_stats_app


class _NoStatsPusher:
    def __init__(self, hub: Any) -> None:
        self.hub = hub

    async def close(self) -> None:
        return None


def without_stats_push() -> FastAPI:
    setattr(arch_stats.app, "StatsPusher", _NoStatsPusher)  # noqa: B010 (a diagnostic patch)
    return create_arch_stats_app(access_log=False)
