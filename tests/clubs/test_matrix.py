"""The permission matrix: every route of the OpenAPI document × every kind of caller × their
own object and club members' objects. Exactly the expected status, and never a body of a
forbidden object: a refusal is the error envelope with no data, and no answer names an
object the caller may not read.

A route added to the API without an entry in ROUTES fails `test_every_route_has_an_entry`.

Callers: the club's owner, a coach, a member who shares with the coaches (S), a member who
does not (P), an outsider, an instance administrator (an outsider to everyone's data), a
disabled account (refused everywhere: 401) and a device token (S's sensor reader). Owners and
coaches read the data of members who share (the owner and the coach share too, by default),
read-only; nobody else reads anyone else's.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

import httpx
import pytest

from arch_stats.app import create_app
from arch_stats.auth.tokens import PREFIX_SENSOR, token_hash
from arch_stats.clubs.service import code_hash
from arch_stats.core.database import Connection
from arch_stats.core.settings import Settings
from tests.conftest import ArcherCtx, MakeArcher
from tests.shots.test_shots import C

API = "/api/v0"
PRINCIPALS = ("owner", "coach", "sharing", "private", "outsider", "admin", "disabled", "device")
MEMBERS = ("owner", "coach", "sharing", "private")
STAFF = ("owner", "coach")
# A competition's organisers (the club's owners and coaches); its other members are refused.
ORGANISE = {"owner": 200, "coach": 200, "sharing": 403, "private": 403}
# Whose data each caller may read (besides their own).
READS = {"owner": {"coach", "sharing"}, "coach": {"owner", "sharing"}}
# Who runs a club's timers: its owners and coaches; its other members are refused (403).
RUN = {"owner": 200, "coach": 200, "sharing": 403, "private": 403}


def _openapi_routes() -> set[tuple[str, str]]:
    app = create_app(Settings(database_url="postgresql://unused/unused"))
    return {
        (method.upper(), path) for path, ops in app.openapi()["paths"].items() for method in ops
    }


@dataclass
class Mine:
    """One archer's things."""

    who: ArcherCtx
    session: UUID
    target: UUID
    shot: UUID
    arrow: UUID
    note: UUID
    login_token: UUID
    device_token: UUID
    device_secret: str
    custom_round: UUID
    bow: UUID
    arrow_set: UUID
    other_set: UUID
    sight_mark: UUID
    bare_arrow: UUID


@dataclass
class World:
    club: UUID
    invite: UUID
    code: str
    people: dict[str, Mine] = field(default_factory=dict)
    board_token: str = ""
    timer: UUID | None = None  # the club's range timer, with a public link
    timer_token: str = ""
    # A planned competition of the club: the private member and a guest entered, a public
    # results link.
    competition: UUID | None = None
    entry: UUID | None = None  # the private member's
    guest_entry: UUID | None = None
    results_link: str = ""
    # Built for the routes that need them (`Route.tournament`): a second competition of the
    # club, running, in two categories (recurve: the private member v a guest; barebow: two
    # guests), everyone's qualification shot, the recurve bracket drawn (one match, the final);
    # a league of it with a public season link.
    tournament: UUID | None = None
    barebow: str = ""  # the category without a bracket yet
    bracket: UUID | None = None
    match: UUID | None = None
    league: UUID | None = None
    season_link: str = ""

    def ids_of(self, name: str) -> set[str]:
        m = self.people[name]
        return {
            str(x)
            for x in (
                m.session, m.target, m.shot, m.arrow, m.note, m.login_token, m.device_token,
                m.custom_round, m.bow, m.arrow_set, m.other_set, m.sight_mark, m.bare_arrow,
            )
        }  # fmt: skip


async def _mine(client: httpx.AsyncClient, db: Connection, who: ArcherCtx) -> Mine:
    session = await db.fetchval(
        "INSERT INTO session (archer_id, distance_m) VALUES ($1, 70) RETURNING id", who.id
    )
    target = await db.fetchval(
        "INSERT INTO target (session_id, archer_id, distance_m, view_width_mm, view_height_mm) "
        "VALUES ($1, $2, 70, 1300, 1300) RETURNING id",
        session,
        who.id,
    )
    await db.execute("INSERT INTO target_face VALUES ($1, 0, 'wa_122', $2, $2)", target, C)
    arrow = await db.fetchval(
        "INSERT INTO arrow (archer_id, identifier) VALUES ($1, 'A01') RETURNING id", who.id
    )
    r = await client.post(
        f"{API}/shot",
        json=[
            {"session_id": str(session), "target_id": str(target), "x_mm": C, "y_mm": C},
            {"session_id": str(session), "target_id": str(target), "x_mm": C + 50, "y_mm": C},
        ],
        headers=who.headers,
    )
    assert r.status_code == 201, r.text
    shot = UUID(r.json()["data"][0]["id"])
    note = await db.fetchval(
        "INSERT INTO coach_note (session_id, author_id, body) VALUES ($1, $2, 'n') RETURNING id",
        session,
        who.id,
    )
    login_token = await db.fetchval(
        "SELECT id FROM auth_token WHERE token_hash = $1", token_hash(who.token)
    )
    secret = PREFIX_SENSOR + secrets.token_urlsafe(32)
    device_token = await db.fetchval(
        "INSERT INTO auth_token (archer_id, token_hash, scope, name) "
        "VALUES ($1, $2, 'sensor', 'reader') RETURNING id",
        who.id,
        token_hash(secret),
    )
    custom_round = await db.fetchval(
        "INSERT INTO custom_round (archer_id, name, location, arrows_per_end) "
        "VALUES ($1, 'Mine', 'outdoor', 6) RETURNING id",
        who.id,
    )
    await db.execute(
        "INSERT INTO custom_round_pass VALUES ($1, 1, 36, 50, 'metre', 'wa_80')", custom_round
    )
    bow = await db.fetchval(
        "INSERT INTO bow (archer_id, name) VALUES ($1, 'Bow') RETURNING id", who.id
    )
    await db.execute(
        "INSERT INTO bow_version (bow_id, version, bowstyle, handedness) "
        "VALUES ($1, 1, 'recurve', 'right')",
        bow,
    )
    sight_mark = await db.fetchval(
        "INSERT INTO sight_mark (bow_id, distance_m, mark) VALUES ($1, 70, 30) RETURNING id", bow
    )
    arrow_set, other_set = [
        await db.fetchval(
            "INSERT INTO arrow_set (archer_id, name) VALUES ($1, $2) RETURNING id", who.id, name
        )
        for name in ("Set", "Other set")
    ]
    await db.execute("UPDATE arrow SET arrow_set_id = $1 WHERE id = $2", arrow_set, arrow)
    bare_arrow = await db.fetchval(
        "INSERT INTO arrow (archer_id, identifier) VALUES ($1, 'Z01') RETURNING id", who.id
    )
    await db.execute("INSERT INTO session_tuning VALUES ($1, 'Fletched', 'Bare')", session)
    await db.execute(
        "INSERT INTO session_tuning_arrow VALUES ($1, $2, 'a'), ($1, $3, 'b')",
        session,
        arrow,
        bare_arrow,
    )
    return Mine(
        who, session, target, shot, arrow, note, login_token, device_token, secret, custom_round,
        bow, arrow_set, other_set, sight_mark, bare_arrow,
    )  # fmt: skip


async def build_world(
    client: httpx.AsyncClient, db: Connection, make: MakeArcher, *, tournament: bool = False
) -> World:
    people = {name: await make(name.title()) for name in PRINCIPALS if name != "device"}
    async with db.transaction():
        club = await db.fetchval("INSERT INTO club (name) VALUES ('Matrix') RETURNING id")
        for name in MEMBERS:
            await db.execute(
                "INSERT INTO club_member (club_id, archer_id, role, share_with_coaches) "
                "VALUES ($1, $2, $3, $4)",
                club,
                people[name].id,
                {"owner": "owner", "coach": "coach"}.get(name, "member"),
                name != "private",
            )
    code = secrets.token_urlsafe(12)
    invite = await db.fetchval(
        "INSERT INTO club_invite (club_id, code_hash, created_by, expires_at) "
        "VALUES ($1, $2, $3, now() + interval '1 day') RETURNING id",
        club,
        code_hash(code),
        people["owner"].id,
    )
    world = World(club, invite, code)
    for name, who in people.items():
        world.people[name] = await _mine(client, db, who)
    r = await client.post(f"{API}/club/{club}/board/link", headers=people["owner"].headers)
    assert r.status_code == 201, r.text
    world.board_token = r.json()["data"]["token"]
    r = await client.post(
        f"{API}/club/{club}/timer", json={"name": "Matrix"}, headers=people["owner"].headers
    )
    assert r.status_code == 201, r.text
    world.timer = UUID(r.json()["data"]["id"])
    r = await client.post(f"{API}/timer/{world.timer}/link", headers=people["owner"].headers)
    assert r.status_code == 201, r.text
    world.timer_token = r.json()["data"]["token"]
    await _competition(client, db, world)
    if tournament:
        await _tournament(client, db, world)
    await db.execute("UPDATE archer SET is_admin = true WHERE id = $1", people["admin"].id)
    # Disabled once its things exist: its tokens are revoked with it, in every process at
    # once (a NOTIFY empties the token caches); the matrix is of the state after that.
    await db.execute("UPDATE archer SET disabled_at = now() WHERE id = $1", people["disabled"].id)
    for _ in range(200):
        r = await client.get(f"{API}/auth/me", headers=people["disabled"].headers)
        if r.status_code == 401:
            break
        await asyncio.sleep(0.05)
    assert r.status_code == 401, "a disabled account's token still works"
    return world


async def _competition(client: httpx.AsyncClient, db: Connection, w: World) -> None:
    owner = w.people["owner"].who
    r = await client.post(
        f"{API}/competition",
        json={
            "club_id": str(w.club),
            "name": "Club night",
            "starts_on": "2026-12-08",
            "round_code": "bray_i",
            "categories": [{"bowstyle": "recurve"}],
        },
        headers=owner.headers,
    )
    assert r.status_code == 201, r.text
    w.competition = UUID(r.json()["data"]["id"])
    for body in ({"archer_id": str(w.people["private"].who.id)}, {"guest_name": "Gus"}):
        r = await client.post(
            f"{API}/competition/{w.competition}/entry", json=body, headers=owner.headers
        )
        assert r.status_code == 201, r.text
        if w.entry is None:
            w.entry = UUID(r.json()["data"]["id"])
        else:
            w.guest_entry = UUID(r.json()["data"]["id"])
    r = await client.post(f"{API}/competition/{w.competition}/results/link", headers=owner.headers)
    assert r.status_code == 201, r.text
    w.results_link = r.json()["data"]["token"]


async def _tournament(client: httpx.AsyncClient, db: Connection, w: World) -> None:
    owner = w.people["owner"].who
    r = await client.post(
        f"{API}/competition",
        json={
            "club_id": str(w.club),
            "name": "Club final",
            "starts_on": "2026-12-09",
            "round_code": "bray_i",
            "arrows_per_end": 3,
            "categories": [{"bowstyle": "recurve"}, {"bowstyle": "barebow"}],
        },
        headers=owner.headers,
    )
    assert r.status_code == 201, r.text
    comp = r.json()["data"]
    w.tournament = UUID(comp["id"])
    recurve, w.barebow = (c["key"] for c in comp["categories"])
    entries = (
        {"archer_id": str(w.people["private"].who.id), "category_key": recurve},
        {"guest_name": "Rob", "bowstyle": "recurve", "category_key": recurve},
        {"guest_name": "Bea", "bowstyle": "barebow", "category_key": w.barebow},
        {"guest_name": "Ben", "bowstyle": "barebow", "category_key": w.barebow},
    )
    for body in entries:
        r = await client.post(
            f"{API}/competition/{w.tournament}/entry", json=body, headers=owner.headers
        )
        assert r.status_code == 201, r.text
    r = await client.post(f"{API}/competition/{w.tournament}/start", headers=owner.headers)
    assert r.status_code == 200, r.text
    for n, e in enumerate(r.json()["data"]["entrants"]):
        target = await db.fetchval(
            "SELECT id FROM target WHERE session_id = $1", UUID(e["session_id"])
        )
        shots = [
            {"session_id": e["session_id"], "target_id": str(target), "value": str(10 - n - k)}
            for k in range(3)
        ]
        r = await client.post(f"{API}/competition/shot", json=shots, headers=owner.headers)
        assert r.status_code == 201, r.text
    r = await client.post(
        f"{API}/competition/{w.tournament}/bracket",
        json={"category_key": recurve},
        headers=owner.headers,
    )
    assert r.status_code == 201, r.text
    bracket = r.json()["data"]
    w.bracket = UUID(bracket["id"])
    w.match = UUID(bracket["rounds"][0]["matches"][0]["id"])
    r = await client.post(
        f"{API}/league",
        json={
            "club_id": str(w.club),
            "name": "Winter league",
            "basis": "raw",
            "best_of": 1,
            "competition_ids": [str(w.tournament)],
        },
        headers=owner.headers,
    )
    assert r.status_code == 201, r.text
    w.league = UUID(r.json()["data"]["league"]["id"])
    r = await client.post(f"{API}/league/{w.league}/link", headers=owner.headers)
    assert r.status_code == 201, r.text
    w.season_link = r.json()["data"]["token"]


# -- the expected statuses -------------------------------------------------------------------

Body = Callable[[World, Mine], Any]


@dataclass(frozen=True)
class Route:
    """`kind`:
    - public: the same `own` status for everyone, logged in or not;
    - mine: the caller's own things (no object in the path): `own` for archers, 401 for the
      device token;
    - object: the path names an object (`obj`); `own` on the caller's own, and on another's:
      `coach` when the caller may read it (`read` routes), else 404; device token 401;
    - club: the path names the club; the status by role (`roles`), outsiders 404, device 401;
    - device: the sensor route: `own` for the device on its archer's session, 404 on
      another's, 401 for login tokens;
    - admin: an administrator's route: `own` for the administrator (on the private member),
      404 ("no such route") for every other account, 401 for the device token.
    A disabled account gets 401 from every route that needs a login.
    """

    kind: str
    own: int
    obj: str | None = None
    read: bool = False
    coach: int = 200
    body: Body | None = None
    roles: dict[str, int] = field(default_factory=dict)
    query: str = ""
    content: bytes | None = None
    # The club's live board: it shows every member who is shooting (their sessions, targets
    # and shots, by design, to the club's members and to whoever holds its public link).
    board: bool = False
    # Needs the world's tournament (`World.tournament`); a competition in its path is that one.
    tournament: bool = False


def _shot_body(w: World, m: Mine) -> Any:
    return {"session_id": str(m.session), "target_id": str(m.target), "x_mm": C, "y_mm": C}


ROUTES: dict[tuple[str, str], Route] = {
    ("GET", "/api/health"): Route("public", 200),
    ("GET", "/api/ready"): Route("public", 200),
    # sessions
    ("POST", f"{API}/session"): Route("mine", 409, body=lambda w, m: {"distance_m": 18}),
    ("GET", f"{API}/session"): Route("mine", 200),
    ("GET", f"{API}/session/open"): Route("mine", 200),
    ("GET", f"{API}/session/{{session_id}}"): Route("object", 200, "session", read=True),
    ("GET", f"{API}/session/{{session_id}}/access"): Route("object", 200, "session", read=True),
    ("PATCH", f"{API}/session/{{session_id}}"): Route(
        "object", 200, "session", body=lambda w, m: {"location": "Range"}
    ),
    ("DELETE", f"{API}/session/{{session_id}}"): Route("object", 200, "session"),
    ("POST", f"{API}/session/{{session_id}}/close"): Route("object", 200, "session"),
    ("POST", f"{API}/session/{{session_id}}/reopen"): Route("object", 400, "session"),
    # shots
    ("POST", f"{API}/shot"): Route("object", 201, "session", body=_shot_body),
    ("GET", f"{API}/session/{{session_id}}/shot"): Route("object", 200, "session", read=True),
    ("GET", f"{API}/shot/{{shot_id}}"): Route("object", 200, "shot", read=True),
    ("PATCH", f"{API}/shot/{{shot_id}}"): Route(
        "object", 200, "shot", body=lambda w, m: {"x_mm": C, "y_mm": C + 10}
    ),
    ("DELETE", f"{API}/shot/{{shot_id}}"): Route("object", 200, "shot"),
    # statistics
    ("GET", f"{API}/session/{{session_id}}/stats"): Route("object", 200, "session", read=True),
    ("GET", f"{API}/session/{{session_id}}/scorecard"): Route("object", 200, "session", read=True),
    ("GET", f"{API}/session/{{session_id}}/scoresheet.pdf"): Route(
        "object", 200, "session", read=True
    ),
    ("GET", f"{API}/stats/history"): Route(
        "object", 200, "archer", read=True, query="archer_id={archer_id}"
    ),
    ("GET", f"{API}/arrow/{{arrow_id}}/stats"): Route("object", 200, "arrow", read=True),
    # targets
    ("POST", f"{API}/session/{{session_id}}/target"): Route(
        "object", 201, "session", body=lambda w, m: {"faces": [{"face_type": "wa_40"}]}
    ),
    ("GET", f"{API}/session/{{session_id}}/target"): Route("object", 200, "session", read=True),
    ("GET", f"{API}/target/{{target_id}}"): Route("object", 200, "target", read=True),
    ("PATCH", f"{API}/target/{{target_id}}"): Route(
        "object", 200, "target", body=lambda w, m: {"lane": 3}
    ),
    ("DELETE", f"{API}/target/{{target_id}}"): Route("object", 409, "target"),
    # arrows
    ("GET", f"{API}/arrow"): Route("mine", 200),
    ("POST", f"{API}/arrow"): Route("mine", 201, body=lambda w, m: {"identifier": "B01"}),
    ("POST", f"{API}/arrow/set"): Route("mine", 201, body=lambda w, m: {"prefix": "S", "count": 2}),
    ("GET", f"{API}/arrow/{{arrow_id}}"): Route("object", 200, "arrow", read=True),
    ("PATCH", f"{API}/arrow/{{arrow_id}}"): Route(
        "object", 200, "arrow", body=lambda w, m: {"spine": 600}
    ),
    ("DELETE", f"{API}/arrow/{{arrow_id}}"): Route("object", 200, "arrow"),
    # equipment: bows, sight marks, arrow sets, a session's equipment and analyses
    ("GET", f"{API}/bow"): Route("mine", 200),
    ("POST", f"{API}/bow"): Route("mine", 201, body=lambda w, m: {"name": "Spare"}),
    ("GET", f"{API}/bow/{{bow_id}}"): Route("object", 200, "bow", read=True),
    ("PATCH", f"{API}/bow/{{bow_id}}"): Route(
        "object", 200, "bow", body=lambda w, m: {"brace_height_mm": 220}
    ),
    ("GET", f"{API}/bow/{{bow_id}}/sight-mark"): Route("object", 200, "bow", read=True),
    ("POST", f"{API}/bow/{{bow_id}}/sight-mark"): Route(
        "object", 201, "bow", body=lambda w, m: {"distance_m": 50, "mark": 20}
    ),
    ("DELETE", f"{API}/sight-mark/{{mark_id}}"): Route("object", 200, "sight_mark"),
    ("GET", f"{API}/arrow-set"): Route("mine", 200),
    ("POST", f"{API}/arrow-set"): Route("mine", 201, body=lambda w, m: {"name": "Spare"}),
    ("GET", f"{API}/arrow-set/{{arrow_set_id}}"): Route("object", 200, "arrow_set", read=True),
    ("PATCH", f"{API}/arrow-set/{{arrow_set_id}}"): Route(
        "object", 200, "arrow_set", body=lambda w, m: {"spine": 500}
    ),
    ("GET", f"{API}/arrow-set/{{arrow_set_id}}/culling"): Route(
        "object", 200, "arrow_set", read=True
    ),
    ("GET", f"{API}/arrow-set/{{arrow_set_id}}/compare/{{other_id}}"): Route(
        "object", 200, "arrow_set", read=True
    ),
    ("GET", f"{API}/session/{{session_id}}/equipment"): Route("object", 200, "session", read=True),
    ("PUT", f"{API}/session/{{session_id}}/equipment"): Route(
        "object", 200, "session", body=lambda w, m: {"arrow_set_id": str(m.arrow_set)}
    ),
    ("GET", f"{API}/session/{{session_id}}/tuning"): Route("object", 200, "session", read=True),
    ("PUT", f"{API}/session/{{session_id}}/tuning"): Route(
        "object",
        200,
        "session",
        body=lambda w, m: {"arrows_a": [str(m.bare_arrow)], "arrows_b": [str(m.arrow)]},
    ),
    ("GET", f"{API}/session/{{session_id}}/sight-correction"): Route(
        "object", 200, "session", read=True
    ),
    # sensors
    ("POST", f"{API}/sensor/event"): Route(
        "device",
        201,
        body=lambda w, m: {
            "device": "r1",
            "kind": "arrow_released",
            "sensor_ts": "2026-01-01T10:00:00Z",
            "session_id": str(m.session),
        },
    ),
    # auth
    ("POST", f"{API}/auth/register"): Route("public", 422, body=lambda w, m: {}),
    ("POST", f"{API}/auth/login"): Route("public", 422, body=lambda w, m: {}),
    ("POST", f"{API}/auth/password-reset"): Route("public", 422, body=lambda w, m: {}),
    ("POST", f"{API}/auth/logout"): Route("mine", 200),
    ("POST", f"{API}/auth/logout/everywhere"): Route(
        "mine", 200, body=lambda w, m: {"keep_current": True}
    ),
    ("GET", f"{API}/auth/login-token"): Route("mine", 200),
    ("DELETE", f"{API}/auth/login-token/{{token_id}}"): Route("object", 200, "login_token"),
    ("GET", f"{API}/auth/me"): Route("mine", 200),
    ("PATCH", f"{API}/auth/me"): Route("mine", 200, body=lambda w, m: {"bowstyle": "barebow"}),
    ("GET", f"{API}/auth/token"): Route("mine", 200),
    ("POST", f"{API}/auth/token"): Route("mine", 201, body=lambda w, m: {"name": "lane 2"}),
    ("DELETE", f"{API}/auth/token/{{token_id}}"): Route("object", 200, "device_token"),
    # faces and rounds: public reference data
    ("GET", f"{API}/face"): Route("public", 200),
    ("GET", f"{API}/face/{{face_type}}"): Route("public", 200),
    ("GET", f"{API}/round"): Route("public", 200),
    ("GET", f"{API}/round/{{code}}"): Route("public", 200),
    # custom rounds: an archer's own (a club's are its members', tests/rounds)
    ("GET", f"{API}/round/custom"): Route("mine", 200),
    ("POST", f"{API}/round/custom"): Route(
        "mine",
        201,
        body=lambda w, m: {
            "name": "Club 252",
            "passes": [{"n_arrows": 36, "distance": 30, "face_type": "wa_122"}],
        },
    ),
    ("GET", f"{API}/round/custom/{{round_id}}"): Route("object", 200, "round"),
    ("PATCH", f"{API}/round/custom/{{round_id}}"): Route(
        "object", 200, "round", body=lambda w, m: {"name": "Renamed"}
    ),
    ("DELETE", f"{API}/round/custom/{{round_id}}"): Route("object", 200, "round"),
    # exchange
    ("GET", f"{API}/export/shots.csv"): Route(
        "object", 200, "archer", read=True, query="archer_id={archer_id}"
    ),
    ("GET", f"{API}/export/sessions.csv"): Route(
        "object", 200, "archer", read=True, query="archer_id={archer_id}"
    ),
    ("POST", f"{API}/import/shots.csv"): Route("mine", 422, content=b"nonsense\n"),
    # clubs
    ("POST", f"{API}/club"): Route("mine", 201, body=lambda w, m: {"name": "Another"}),
    ("GET", f"{API}/club"): Route("mine", 200),
    ("POST", f"{API}/club/join"): Route(
        "club",
        0,
        body=lambda w, m: {"code": w.code},
        roles={
            "owner": 409,
            "coach": 409,
            "sharing": 409,
            "private": 409,
            "outsider": 201,
            "admin": 201,
        },
    ),
    ("GET", f"{API}/club/{{club_id}}"): Route("club", 0, roles=dict.fromkeys(MEMBERS, 200)),
    ("PATCH", f"{API}/club/{{club_id}}"): Route(
        "club", 0, body=lambda w, m: {"name": "Renamed"}, roles={"owner": 200}
    ),
    ("PUT", f"{API}/club/{{club_id}}/consent"): Route(
        "club",
        0,
        body=lambda w, m: {"share_with_coaches": False},
        roles=dict.fromkeys(MEMBERS, 200),
    ),
    ("GET", f"{API}/club/{{club_id}}/member"): Route("club", 0, roles=dict.fromkeys(STAFF, 200)),
    # On the private member: owners change roles and remove; the member may leave.
    ("PATCH", f"{API}/club/{{club_id}}/member/{{archer_id}}"): Route(
        "club", 0, body=lambda w, m: {"role": "coach"}, roles={"owner": 200}
    ),
    ("DELETE", f"{API}/club/{{club_id}}/member/{{archer_id}}"): Route(
        "club", 0, roles={"owner": 204, "private": 204}
    ),
    ("POST", f"{API}/club/{{club_id}}/invite"): Route(
        "club", 0, body=lambda w, m: {}, roles={"owner": 201}
    ),
    ("GET", f"{API}/club/{{club_id}}/invite"): Route("club", 0, roles={"owner": 200}),
    ("DELETE", f"{API}/club/{{club_id}}/invite/{{invite_id}}"): Route(
        "club", 0, roles={"owner": 200}
    ),
    ("GET", f"{API}/club/{{club_id}}/roster"): Route("club", 0, roles=dict.fromkeys(STAFF, 200)),
    # the live board, its public link (owners make, see and revoke it)
    ("GET", f"{API}/club/{{club_id}}/board"): Route(
        "club", 0, roles=dict.fromkeys(MEMBERS, 200), board=True
    ),
    ("GET", f"{API}/board/{{token}}"): Route("public", 200, board=True),
    ("GET", f"{API}/club/{{club_id}}/board/link"): Route("club", 0, roles={"owner": 200}),
    ("POST", f"{API}/club/{{club_id}}/board/link"): Route("club", 0, roles={"owner": 201}),
    ("DELETE", f"{API}/club/{{club_id}}/board/link"): Route("club", 0, roles={"owner": 200}),
    # the instance administrator's routes
    # range timers: members see them, owners and coaches run them (other members: 403)
    ("POST", f"{API}/club/{{club_id}}/timer"): Route(
        "club", 0, roles=RUN | {"owner": 201, "coach": 201}, body=lambda w, m: {"name": "T2"}
    ),
    ("GET", f"{API}/club/{{club_id}}/timer"): Route("club", 0, roles=dict.fromkeys(MEMBERS, 200)),
    ("GET", f"{API}/timer/{{timer_id}}"): Route("club", 0, roles=dict.fromkeys(MEMBERS, 200)),
    ("PATCH", f"{API}/timer/{{timer_id}}"): Route(
        "club", 0, roles=RUN, body=lambda w, m: {"name": "Renamed"}
    ),
    ("DELETE", f"{API}/timer/{{timer_id}}"): Route("club", 0, roles=RUN),
    ("POST", f"{API}/timer/{{timer_id}}/command"): Route(
        "club", 0, roles=RUN, body=lambda w, m: {"action": "start"}
    ),
    ("POST", f"{API}/timer/{{timer_id}}/link"): Route(
        "club", 0, roles=RUN | {"owner": 201, "coach": 201}
    ),
    ("DELETE", f"{API}/timer/{{timer_id}}/link"): Route("club", 0, roles=RUN),
    ("GET", f"{API}/timer/public/{{timer_token}}"): Route("public", 200),
    # administrators
    ("GET", f"{API}/admin/archer"): Route("admin", 200),
    ("POST", f"{API}/admin/archer/{{archer_id}}/disable"): Route("admin", 200),
    ("POST", f"{API}/admin/archer/{{archer_id}}/enable"): Route("admin", 200),
    ("POST", f"{API}/admin/archer/{{archer_id}}/reset-link"): Route("admin", 201),
    # coach notes: anyone who may read the session writes one (the exception to read-only)
    ("POST", f"{API}/session/{{session_id}}/note"): Route(
        "object", 201, "session", read=True, coach=201, body=lambda w, m: {"body": "Good end"}
    ),
    ("GET", f"{API}/session/{{session_id}}/note"): Route("object", 200, "session", read=True),
    # each reader marks a note read for themselves: whoever may read its session
    ("POST", f"{API}/note/{{note_id}}/read"): Route("object", 200, "note", read=True),
    # only the author deletes a note (not even the session's archer, nor the club's owner)
    ("DELETE", f"{API}/note/{{note_id}}"): Route("object", 200, "note"),
    # competitions: the club's owners and coaches organise (members see it: 403), members and
    # entrants read it; the world's is planned (not scored yet: 409 for those who may score)
    ("POST", f"{API}/competition"): Route(
        "club",
        0,
        body=lambda w, m: {
            "club_id": str(w.club),
            "name": "Another",
            "starts_on": "2026-12-09",
            "round_code": "wa18",
            "categories": [{"bowstyle": "barebow"}],
        },
        roles=dict.fromkeys(STAFF, 201),
    ),
    ("GET", f"{API}/competition"): Route("mine", 200),
    ("GET", f"{API}/competition/{{competition_id}}"): Route(
        "club", 0, roles=dict.fromkeys(MEMBERS, 200)
    ),
    ("PATCH", f"{API}/competition/{{competition_id}}"): Route(
        "club", 0, body=lambda w, m: {"venue": "Hall"}, roles=ORGANISE
    ),
    ("DELETE", f"{API}/competition/{{competition_id}}"): Route("club", 0, roles=ORGANISE),
    ("POST", f"{API}/competition/{{competition_id}}/entry"): Route(
        "club",
        0,
        body=lambda w, m: {"guest_name": "Newcomer"},
        roles={**ORGANISE, "owner": 201, "coach": 201},
    ),
    ("DELETE", f"{API}/competition/{{competition_id}}/entry/{{entry_id}}"): Route(
        "club", 0, roles=ORGANISE
    ),
    ("POST", f"{API}/competition/{{competition_id}}/targets"): Route("club", 0, roles=ORGANISE),
    ("PUT", f"{API}/competition/{{competition_id}}/entry/{{entry_id}}/place"): Route(
        "club", 0, body=lambda w, m: {"bale": 2, "detail": 1}, roles=ORGANISE
    ),
    ("POST", f"{API}/competition/{{competition_id}}/swap"): Route(
        "club",
        0,
        body=lambda w, m: {"a": str(w.entry), "b": str(w.guest_entry)},
        roles=ORGANISE,
    ),
    ("POST", f"{API}/competition/{{competition_id}}/start"): Route("club", 0, roles=ORGANISE),
    ("POST", f"{API}/competition/{{competition_id}}/finish"): Route(
        "club", 0, roles={**ORGANISE, "owner": 409, "coach": 409}
    ),
    ("GET", f"{API}/competition/{{competition_id}}/bale/{{bale}}"): Route(
        "club", 0, roles=dict.fromkeys(MEMBERS, 200)
    ),
    # arrows of a session that is no competition's: nobody scores them here
    ("POST", f"{API}/competition/shot"): Route("club", 0, body=_shot_body),
    ("PATCH", f"{API}/competition/shot/{{shot_id}}"): Route(
        "club", 0, body=lambda w, m: {"value": "9"}
    ),
    ("DELETE", f"{API}/competition/shot/{{shot_id}}"): Route("club", 0),
    # the private member's end: they and the organisers may confirm it (not while planned),
    # nobody else; nothing is confirmed to release
    (
        "POST",
        f"{API}/competition/{{competition_id}}/entry/{{entry_id}}/end/{{end_no}}/confirm",
    ): Route("club", 0, roles={"owner": 409, "coach": 409, "sharing": 403, "private": 409}),
    (
        "DELETE",
        f"{API}/competition/{{competition_id}}/entry/{{entry_id}}/end/{{end_no}}/confirm",
    ): Route("club", 0, roles={"sharing": 403}),
    ("GET", f"{API}/competition/{{competition_id}}/results"): Route(
        "club", 0, roles=dict.fromkeys(MEMBERS, 200)
    ),
    ("GET", f"{API}/competition/{{competition_id}}/results.csv"): Route(
        "club", 0, roles=dict.fromkeys(MEMBERS, 200)
    ),
    ("GET", f"{API}/competition/{{competition_id}}/results.pdf"): Route(
        "club", 0, roles=dict.fromkeys(MEMBERS, 200)
    ),
    ("POST", f"{API}/competition/{{competition_id}}/results/link"): Route(
        "club", 0, roles={**ORGANISE, "owner": 201, "coach": 201}
    ),
    ("DELETE", f"{API}/competition/{{competition_id}}/results/link"): Route(
        "club", 0, roles=ORGANISE
    ),
    ("GET", f"{API}/results/{{link}}"): Route("public", 200),
    # head-to-head: organisers draw (the barebow category; 403 for members) and withdraw
    # brackets and record a judge's call (none is due: 409); members and entrants read them;
    # a match is scored by an organiser or either of its archers (the private member is one)
    ("POST", f"{API}/competition/{{competition_id}}/bracket"): Route(
        "club",
        0,
        body=lambda w, m: {"category_key": w.barebow},
        roles={**ORGANISE, "owner": 201, "coach": 201},
        tournament=True,
    ),
    ("GET", f"{API}/competition/{{competition_id}}/bracket"): Route(
        "club", 0, roles=dict.fromkeys(MEMBERS, 200), tournament=True
    ),
    ("GET", f"{API}/bracket/{{bracket_id}}"): Route(
        "club", 0, roles=dict.fromkeys(MEMBERS, 200), tournament=True
    ),
    ("DELETE", f"{API}/bracket/{{bracket_id}}"): Route("club", 0, roles=ORGANISE, tournament=True),
    ("POST", f"{API}/match/{{match_id}}/end"): Route(
        "club",
        0,
        body=lambda w, m: {"side": 0, "end_no": 1, "arrows": [{"value": "9"}] * 3},
        roles={**ORGANISE, "private": 200},
        tournament=True,
    ),
    ("POST", f"{API}/match/{{match_id}}/judge"): Route(
        "club",
        0,
        body=lambda w, m: {"winner": 0},
        roles={"owner": 409, "coach": 409, "sharing": 403, "private": 403},
        tournament=True,
    ),
    # leagues: owners and coaches make and share them (members 403), members read them
    ("POST", f"{API}/league"): Route(
        "club",
        0,
        body=lambda w, m: {
            "club_id": str(w.club),
            "name": "Summer league",
            "basis": "handicap",
            "best_of": 1,
            "competition_ids": [str(w.competition)],
        },
        roles={**ORGANISE, "owner": 201, "coach": 201},
    ),
    ("GET", f"{API}/league/{{league_id}}"): Route(
        "club", 0, roles=dict.fromkeys(MEMBERS, 200), tournament=True
    ),
    ("POST", f"{API}/league/{{league_id}}/link"): Route(
        "club", 0, roles={**ORGANISE, "owner": 201, "coach": 201}, tournament=True
    ),
    ("GET", f"{API}/season/{{token}}"): Route("public", 200, tournament=True),
}


def test_every_route_has_an_entry() -> None:
    routes = _openapi_routes()
    assert sorted(routes - set(ROUTES)) == [], "add these routes to the permission matrix"
    assert sorted(set(ROUTES) - routes) == [], "these matrix entries name no route"


# -- running a case --------------------------------------------------------------------------


def _fill(path: str, w: World, caller: Mine, target: Mine, route: Route) -> str:
    season = path.startswith(f"{API}/season/")
    values = {
        "session_id": target.session,
        "shot_id": target.shot,
        "target_id": target.target,
        "arrow_id": target.arrow,
        "note_id": target.note,
        "token_id": target.device_token if route.obj == "device_token" else target.login_token,
        "club_id": w.club,
        "invite_id": w.invite,
        "archer_id": target.who.id,
        "face_type": "wa_122",
        "timer_id": w.timer,
        "timer_token": w.timer_token,
        "bow_id": target.bow,
        "mark_id": target.sight_mark,
        "arrow_set_id": target.arrow_set,
        "other_id": target.other_set,
        "token": w.season_link if season else w.board_token,
        "code": "wa18",
        "round_id": target.custom_round,
        "competition_id": w.tournament if route.tournament else w.competition,
        "entry_id": w.entry,
        "bale": 1,
        "end_no": 1,
        "link": w.results_link,
        "bracket_id": w.bracket,
        "match_id": w.match,
        "league_id": w.league,
    }
    for key, value in values.items():
        path = path.replace("{" + key + "}", str(value))
    assert "{" not in path, path
    return path


async def _call(
    client: httpx.AsyncClient,
    method: str,
    path: str,
    route: Route,
    w: World,
    target: Mine,
    headers: dict[str, str],
) -> httpx.Response:
    query = route.query.replace("{archer_id}", str(target.who.id))
    url = f"{path}?{query}" if query else path
    if route.content is not None:
        return await client.request(
            method, url, content=route.content, headers={**headers, "Content-Type": "text/csv"}
        )
    body = route.body(w, target) if route.body else None
    return await client.request(method, url, json=body, headers=headers)


def _check(r: httpx.Response, want: int, forbidden: set[str], case: str) -> None:
    assert r.status_code == want, f"{case}: {r.status_code} {r.text[:300]}"
    if want >= 400:
        body = r.json()
        assert body["code"] == want and body["data"] is None and body["errors"], case
    # An error may repeat the id the caller sent ("session … not found"): that tells nothing.
    sent = str(r.request.url) + r.request.content.decode("latin-1")
    leaked = [i for i in forbidden if i in r.text and i not in sent]
    assert not leaked, f"{case}: the answer names objects the caller may not read: {leaked}"


def _forbidden(w: World, caller: str) -> set[str]:
    readable = {caller} | READS.get(caller, set())
    return set().union(*(w.ids_of(n) for n in w.people if n not in readable))


def _cases(kind: str, caller: str) -> list[str | None]:
    """The archers whose objects `caller` is tried on."""
    if kind == "object":
        return ["owner", "coach", "sharing", "private", "outsider", "admin"]
    if kind == "device":
        return ["sharing", "private"]
    return [None]


@pytest.mark.parametrize("key", sorted(ROUTES), ids=lambda k: f"{k[0]} {k[1]}")
async def test_permission_matrix(
    key: tuple[str, str],
    client: httpx.AsyncClient,
    db: Connection,
    make_archer: MakeArcher,
) -> None:
    method, template = key
    route = ROUTES[key]
    tournament = route.tournament
    shared_world = (
        await build_world(client, db, make_archer, tournament=tournament)
        if method == "GET"
        else None
    )
    for caller in PRINCIPALS:
        # A fresh world for each caller of a route that may change something, where the
        # caller's own object comes last: every case meets the objects as built (a refused
        # change changed nothing, or its status says so).
        w = shared_world or await build_world(client, db, make_archer, tournament=tournament)
        for whose in sorted(_cases(route.kind, caller), key=lambda name: name == caller):
            device = caller == "device"
            me = w.people["sharing" if device else caller]
            target = w.people[whose] if whose else me
            if (route.kind == "club" and "member/" in template) or route.kind == "admin":
                target = w.people["private"]
            headers = {"Authorization": f"Bearer {me.device_secret if device else me.who.token}"}
            path = _fill(template, w, me, target, route)
            r = await _call(client, method, path, route, w, target, headers)
            case = f"{method} {template} as {caller} on {whose or '-'}'s"
            forbidden = _forbidden(w, "sharing" if device else caller)
            if route.kind == "public":
                want = route.own
            elif route.kind == "device":
                want = (route.own if whose == "sharing" else 404) if device else 401
            elif device or caller == "disabled":
                want = 401
            elif route.kind == "admin":
                want = route.own if caller == "admin" else 404
            elif route.kind == "mine":
                want = route.own
            elif route.kind == "club":
                want = route.roles.get(caller, 404)
            elif whose == caller:
                want = route.own
            elif route.read and whose in READS.get(caller, set()):
                want = route.coach
            else:
                want = 404
            if want < 400 and whose and whose != caller:
                forbidden -= w.ids_of(whose)
            if want < 400 and route.board:
                for name in MEMBERS:
                    m = w.people[name]
                    forbidden -= {str(m.session), str(m.target), str(m.shot)}
            _check(r, want, forbidden, case)
