"""A match's ends on the live results (a real `serve` process, PostgreSQL, WebSocket clients):
a bracket drawn and every end recorded reach the public link's viewers as `results` frames
carrying the brackets, without an id of any kind; the members' frames carry the match ids."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from arch_stats.core.database import Connection
from tests.conftest import MakeArcher
from tests.live.conftest import next_frame, ws_connect
from tests.matches.helpers import API, competition, end, values
from tests.serve_process import Served, serve

UUID_TEXT = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


@pytest.fixture(scope="module")
async def served(migrated: str, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Served]:
    async with serve(migrated, tmp_path_factory.mktemp("matches") / "serve.log") as s:
        yield s


def final(frame: dict[str, Any]) -> dict[str, Any] | None:
    assert frame["type"] == "results"
    brackets = frame["data"]["brackets"]
    return None if not brackets else dict(brackets[0]["rounds"][-1]["matches"][0])


async def frame_until(ws: Any, ok: Any) -> dict[str, Any]:
    while True:
        frame: dict[str, Any] = await next_frame(ws)
        if ok(frame):
            return frame


async def test_match_ends_reach_the_public_results_live_without_ids(
    served: Served, db: Connection, make_archer: MakeArcher
) -> None:
    async with httpx.AsyncClient(base_url=served.url) as http:
        owner = await make_archer("Olive Owner")
        cid, key, _ = await competition(
            http, db, owner, round_code="wa720_70", bowstyle="recurve", totals=[29, 27]
        )
        r = await http.post(f"{API}/competition/{cid}/results/link", headers=owner.headers)
        token = r.json()["data"]["token"]
        url = f"127.0.0.1:{served.port}"
        public = await ws_connect(url, f"/api/v0/ws?results={token}")
        members = await ws_connect(url, f"/api/v0/ws?competition_id={cid}", owner.token)
        try:
            assert final(await next_frame(public)) is None
            await next_frame(members)
            r = await http.post(
                f"{API}/competition/{cid}/bracket",
                json={"category_key": key},
                headers=owner.headers,
            )
            assert r.status_code == 201, r.text
            match_id = r.json()["data"]["rounds"][0]["matches"][0]["id"]
            drawn = await frame_until(public, lambda f: final(f) is not None)
            assert [s["seed"] for s in final(drawn)["sides"]] == [1, 2]  # type: ignore[index]
            # The gold medal match: seed 1 wins the first set 2–0.
            for side, scores in ((0, ("10", "10", "9")), (1, ("9", "9", "8"))):
                r = await end(http, owner, match_id, side, 1, values(*scores))
                assert r.status_code == 200, r.text
            frame = await frame_until(public, lambda f: final(f)["score"] == [2, 0])  # type: ignore[index]
            match = final(frame)
            assert match is not None
            assert match["ends"] == [{"totals": [29, 26], "points": [2, 0]}]
            assert [a["label"] for a in match["sides"][0]["ends"]["1"]] == ["10", "10", "9"]
            assert match["next"] == {"end_no": 2, "arrows": 3}
            assert not UUID_TEXT.search(str(frame["data"]["brackets"])), "an id in public"
            mine = await frame_until(members, lambda f: final(f)["score"] == [2, 0])  # type: ignore[index]
            assert final(mine)["id"] == match_id  # type: ignore[index]
        finally:
            await public.close()
            await members.close()
