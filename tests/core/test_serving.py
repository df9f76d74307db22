"""The uvicorn options of `serve` and their command-line form (benchmarks' servers)."""

from __future__ import annotations

import uvicorn

from arch_stats.core.serving import UVICORN, uvicorn_flags


def test_flags_give_uvicorn_the_same_options() -> None:
    ctx = uvicorn.main.make_context("uvicorn", ["arch_stats.app:create_app", *uvicorn_flags()])
    assert {key: ctx.params[key] for key in UVICORN} == UVICORN


def test_the_websocket_protocol_is_available() -> None:
    async def app(scope: object, receive: object, send: object) -> None:
        raise AssertionError("not called")

    config = uvicorn.Config(app, **UVICORN)
    config.load()  # imports the protocol classes named by the options
    assert config.ws_protocol_class is not None
    assert config.ws_protocol_class.__module__.endswith("websockets_sansio_impl")
