"""The Arch Stats app as the benchmark serves it: settings from the env, no access log.

DATABASE_URL=... uvicorn --factory bench.common.serve:create_app
"""

from __future__ import annotations

from fastapi import FastAPI

from arch_stats.app import create_app as create_arch_stats_app


def create_app() -> FastAPI:
    return create_arch_stats_app(access_log=False)
