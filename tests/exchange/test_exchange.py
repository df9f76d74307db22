"""CSV export and import: streamed files, a lossless round trip, idempotence, all-or-nothing
refusals with line numbers, and only ever one's own rows."""

from __future__ import annotations

import asyncio
import csv
import io
import tracemalloc
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from pathlib import Path
from uuid import UUID

import httpx
import pytest

from arch_stats.cli import build_parser
from arch_stats.core.database import Connection
from arch_stats.core.errors import InvalidInput
from arch_stats.exchange.commands import export_csv, import_csv
from arch_stats.exchange.parser import MAX_ERRORS, ShotsCsvParser
from arch_stats.exchange.schemas import SESSION_COLUMNS, SHOT_COLUMNS, ExportQuery, ImportOut
from arch_stats.exchange.service import ImportReader
from arch_stats.shots import repository as repo
from arch_stats.shots.repository import ShotRow
from tests.conftest import ArcherCtx
from tests.shots.test_shots import C, make_range, shot
from tests.stats import data
from tests.stats.data import T0, Shot

EXPORT = "/api/v0/export/shots.csv"
SESSIONS = "/api/v0/export/sessions.csv"
IMPORT = "/api/v0/import/shots.csv"
API_SHOT = "/api/v0/shot"
CSV_HEADERS = {"Content-Type": "text/csv"}


class Story:
    closed: UUID
    open: UUID
    a: UUID


@pytest.fixture
async def story(db: Connection, archer: ArcherCtx) -> Story:
    """A closed WA 720 on a target with two faces (notes with a comma, a quote and a line
    break), arrows A (retired since) and B, a shot without an arrow, a miss that never
    landed, an M on the view and times to the microsecond; and an open indoor session on a
    triple spot with compound scoring and no lane."""
    st = Story()
    st.a = await data.arrow(db, archer.id, "A", diameter_mm=6.5)
    b = await data.arrow(db, archer.id, "B")
    st.closed = await data.session(
        db,
        archer.id,
        round_code="wa720_70",
        location="Lilleshall, «field 2»",
        notes='windy, "gusts"\nmoved to lane 4',
        per_end=6,
    )
    faces = (("wa_80", 325.0, 650.0), ("wa_80", 975.25, 650.0))
    t = await data.target(db, archer.id, st.closed, faces=faces)
    await data.shots(
        db,
        archer.id,
        st.closed,
        t,
        [
            Shot(0.125, -3.5, 10, True, st.a, draw_ms=2012.345, flight_ms=701.999),
            Shot(41.3, 17.7, 9, False, b, face=1, draw_ms=1999.001),
            Shot(None, None, 0, False, b, draw_ms=2100),
            Shot(-300.0, 300.0, 0, False, None),
            Shot(1 / 3, 2 / 3, 10, False, st.a, face=1),
        ],
        per_end=6,
        face_centres=((325.0, 650.0), (975.25, 650.0)),
    )
    await db.execute("UPDATE arrow SET is_active = false, retired_at = now() WHERE id = $1", st.a)
    st.open = await data.session(
        db, archer.id, start=T0 + timedelta(days=1), distance_m=18, is_indoor=True, is_open=True
    )
    t2 = await data.target(
        db,
        archer.id,
        st.open,
        faces=(("wa_40_triple_vertical", 650.0, 650.0),),
        distance_m=18,
        lane=None,
        compound=True,
    )
    spots = ((0.0, 220.0), (0.0, 0.0), (0.0, -220.0))
    await data.shots(
        db,
        archer.id,
        st.open,
        t2,
        [Shot(1, 2, 10, True, b, spot=2), Shot(-30, 5, 8, False, b, spot=0)],
        spots=spots,
    )
    return st


async def export(client: httpx.AsyncClient, who: ArcherCtx, query: str = "") -> str:
    r = await client.get(EXPORT + query, headers=who.headers)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "text/csv; charset=utf-8"
    return r.text


async def post_csv(client: httpx.AsyncClient, who: ArcherCtx, body: str | bytes) -> httpx.Response:
    return await client.post(IMPORT, content=body, headers={**who.headers, **CSV_HEADERS})


async def counts(db: Connection, archer_id: UUID) -> tuple[int, int, int, int]:
    row = await db.fetchrow(
        """SELECT (SELECT count(*) FROM session WHERE archer_id = $1),
                  (SELECT count(*) FROM target WHERE archer_id = $1),
                  (SELECT count(*) FROM arrow WHERE archer_id = $1),
                  (SELECT count(*) FROM shot WHERE archer_id = $1)""",
        archer_id,
    )
    assert row is not None
    return (row[0], row[1], row[2], row[3])


def rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text, newline="")))


async def test_export_shots_csv_has_every_column(
    client: httpx.AsyncClient, archer: ArcherCtx, story: Story
) -> None:
    text = await export(client, archer)
    assert text.splitlines()[0] == ",".join(SHOT_COLUMNS)
    got = rows(text)
    assert len(got) == 7
    first = got[0]
    assert first["session_key"] == str(story.closed)
    assert first["notes"] == 'windy, "gusts"\nmoved to lane 4'
    assert first["location"] == "Lilleshall, «field 2»"
    assert first["faces"] == "wa_80:325:650 wa_80:975.25:650"
    assert (first["seq"], first["end_no"], first["arrow"], first["arrow_diameter_mm"]) == (
        "1",
        "1",
        "A",
        "6.5",
    )
    assert (first["score"], first["label"], first["is_x"], first["face_type"]) == (
        "10",
        "X",
        "true",
        "wa_80",
    )
    assert (first["dx_mm"], first["dy_mm"], first["x_mm"]) == ("0.125", "-3.5", "325.125")
    assert first["engaged_at"] == "2026-05-01 09:00:30+00"
    assert first["released_at"] == "2026-05-01 09:00:32.012345+00"
    assert (first["draw_ms"], first["flight_ms"]) == ("2012.345", "701.999")
    miss = got[2]
    assert (miss["x_mm"], miss["face_index"], miss["label"], miss["landed_at"]) == ("", "", "M", "")
    assert got[3]["arrow"] == "" and got[3]["label"] == "M" and got[3]["x_mm"] == "25"
    assert got[4]["dx_mm"] == repr(1 / 3)  # floats exactly, in their shortest form
    opened = got[5]
    assert (opened["is_open"], opened["session_end"], opened["lane"]) == ("true", "", "")
    assert (opened["compound_scoring"], opened["spot_index"]) == ("true", "2")


async def test_round_trip_into_a_fresh_account_is_lossless_and_idempotent(
    client: httpx.AsyncClient, db: Connection, archer: ArcherCtx, other: ArcherCtx, story: Story
) -> None:
    original = await export(client, archer)
    r = await post_csv(client, other, original)
    assert r.status_code == 200, r.text
    ImportOut.model_validate(r.json()["data"])
    assert r.json()["data"] == {
        "rows": 7,
        "sessions_created": 2,
        "sessions_matched": 0,
        "targets_created": 2,
        "arrows_created": 2,
        "shots_created": 7,
        "shots_skipped": 0,
    }
    # Byte for byte the same file: same keys, fields, positions, scores and times.
    assert await export(client, other) == original
    # The imported shots count in the statistics like recorded ones.
    mine = await client.get(f"/api/v0/session/{story.closed}/stats", headers=archer.headers)
    imported = await db.fetchval(
        "SELECT session_id FROM session_origin WHERE source_key = $1 AND archer_id = $2",
        story.closed,
        other.id,
    )
    theirs = await client.get(f"/api/v0/session/{imported}/stats", headers=other.headers)
    for key in ("total", "group", "timing", "ends", "round"):
        assert theirs.json()["data"][key] == mine.json()["data"][key]
    # The shot numbers go on where the file left off.
    assert await db.fetchval("SELECT last_seq FROM session WHERE id = $1", imported) == 5

    before = await counts(db, other.id)
    again = await post_csv(client, other, original)
    assert again.json()["data"] == {
        "rows": 7,
        "sessions_created": 0,
        "sessions_matched": 2,
        "targets_created": 0,
        "arrows_created": 0,
        "shots_created": 0,
        "shots_skipped": 7,
    }
    assert await counts(db, other.id) == before
    # Into the account it came from: everything is already there.
    home = await post_csv(client, archer, original)
    assert home.json()["data"]["sessions_matched"] == 2
    assert home.json()["data"]["shots_created"] == 0
    assert await counts(db, archer.id) == (2, 2, 2, 7)


async def test_import_adds_only_the_new_shots_of_a_known_session(
    client: httpx.AsyncClient, db: Connection, archer: ArcherCtx, other: ArcherCtx, story: Story
) -> None:
    text = await export(client, archer)
    lines = text.split("\r\n") if "\r\n" in text else text.split("\n")
    header, body = lines[0], [line for line in lines[1:] if line]
    # The first import lacks the last shot of the open session.
    partial = "\n".join([header, *body[:-1]]) + "\n"
    assert (await post_csv(client, other, partial)).json()["data"]["shots_created"] == 6
    r = await post_csv(client, other, text)
    assert (r.json()["data"]["shots_created"], r.json()["data"]["shots_skipped"]) == (1, 6)


async def test_malformed_file_is_refused_with_line_numbers(
    client: httpx.AsyncClient, db: Connection, archer: ArcherCtx, other: ArcherCtx, story: Story
) -> None:
    good = rows(await export(client, archer))
    bad = [dict(r) for r in good]
    bad[0]["score"] = "ten"  # line 2
    bad[1]["y_mm"] = ""  # line 3 (the notes of line 2 span two lines: records count)
    bad[4]["location"] = "elsewhere"
    bad[5]["faces"] = "wa_999:1:1"
    bad[6]["is_x"] = "true"
    bad[6]["score"] = "8"
    out = io.StringIO(newline="")
    writer = csv.DictWriter(out, fieldnames=list(SHOT_COLUMNS), lineterminator="\n")
    writer.writeheader()
    writer.writerows(bad)
    text = out.getvalue()
    r = await post_csv(client, other, text)
    assert r.status_code == 422
    errors = r.json()["errors"]
    # Records start on lines 2, 4, 6, … : each has notes on two physical lines.
    starts = [2 + 2 * i for i in range(5)] + [12, 13]
    assert errors == [
        "nothing imported: 5 bad line(s)",
        f"line {starts[0]}: score: 'ten' is not a whole number",
        f"line {starts[1]}: x_mm, y_mm, face_index, spot_index, dx_mm, dy_mm: all or none",
        f"line {starts[4]}: session {story.closed} is described differently on line 2",
        f"line {starts[5]}: faces: unknown face type 'wa_999'",
        f"line {starts[6]}: is_x: an X scores at least 10",
    ]
    assert await counts(db, other.id) == (0, 0, 0, 0)


async def test_repeated_shot_number_is_refused(
    client: httpx.AsyncClient, db: Connection, archer: ArcherCtx, other: ArcherCtx, story: Story
) -> None:
    good = rows(await export(client, archer))
    out = io.StringIO(newline="")
    writer = csv.DictWriter(out, fieldnames=list(SHOT_COLUMNS), lineterminator="\n")
    writer.writeheader()
    writer.writerows([good[5], good[6], good[5]])
    r = await post_csv(client, other, out.getvalue())
    assert r.status_code == 422
    assert r.json()["errors"] == [
        "nothing imported: 1 bad line(s)",
        f"line 4: shot 1 of session {story.open} is already on line 2",
    ]
    assert await counts(db, other.id) == (0, 0, 0, 0)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("", "line 1: the file is empty: a header line is expected"),
        ("session_key,seq\n", "line 1: missing columns: session_start"),
        (",".join([*SHOT_COLUMNS, "colour"]) + "\n", "line 1: unknown columns: colour"),
        (b"\xff\xfe" + b"x", "line 1: the file is not UTF-8 text"),
        (",".join(SHOT_COLUMNS) + '\n"unterminated', "line 2: malformed CSV"),
        (
            ",".join(SHOT_COLUMNS) + "\n1,2,3\n",
            f"line 2: 3 fields, the header has {len(SHOT_COLUMNS)}",
        ),
    ],
)
async def test_unreadable_file_422(
    client: httpx.AsyncClient, other: ArcherCtx, body: str | bytes, message: str
) -> None:
    r = await post_csv(client, other, body)
    assert r.status_code == 422
    assert r.json()["errors"][1].startswith(message), r.json()


async def test_error_list_is_capped(client: httpx.AsyncClient, other: ArcherCtx) -> None:
    lines = [",".join(SHOT_COLUMNS)] + ["x" + "," * (len(SHOT_COLUMNS) - 1)] * 80
    r = await post_csv(client, other, "\n".join(lines))
    errors = r.json()["errors"]
    assert errors[0] == "nothing imported: 80 bad line(s)"
    assert len(errors) == MAX_ERRORS + 2 and errors[-1] == "… and 30 more bad lines"


async def test_second_open_session_is_refused(
    client: httpx.AsyncClient, db: Connection, archer: ArcherCtx, other: ArcherCtx, story: Story
) -> None:
    await data.session(db, other.id, is_open=True)
    r = await post_csv(client, other, await export(client, archer))
    assert r.status_code == 400
    assert "open session" in r.json()["errors"][0]
    assert await counts(db, other.id) == (1, 0, 0, 0)


async def test_import_over_the_body_limit_413(client: httpx.AsyncClient, other: ArcherCtx) -> None:
    # The import has its own limit, IMPORT_MAX_BYTES (3 MiB in the test settings).
    r = await post_csv(client, other, ",".join(SHOT_COLUMNS) + "\n" + "x" * 3_200_000)
    assert r.status_code == 413

    async def chunked() -> AsyncIterator[bytes]:
        yield (",".join(SHOT_COLUMNS) + "\n").encode()
        for _ in range(40):
            yield b"x,\n" * 33_333  # bad lines, each refused, and the reading goes on

    r = await client.post(IMPORT, content=chunked(), headers={**other.headers, **CSV_HEADERS})
    assert r.status_code == 413
    assert r.json()["errors"] == ["request body larger than 3145728 bytes"]


async def test_import_and_export_without_login_401(client: httpx.AsyncClient) -> None:
    assert (await client.post(IMPORT, content="x", headers=CSV_HEADERS)).status_code == 401
    assert (await client.get(EXPORT)).status_code == 401
    assert (await client.get(SESSIONS)).status_code == 401


async def test_export_contains_only_my_rows_and_filters(
    client: httpx.AsyncClient, db: Connection, archer: ArcherCtx, other: ArcherCtx, story: Story
) -> None:
    s = await data.session(db, other.id, round_code="wa720_70")
    t = await data.target(db, other.id, s)
    await data.shots(db, other.id, s, t, [Shot(0, 0, 10, True)])
    keys = {r["session_key"] for r in rows(await export(client, archer))}
    assert keys == {str(story.closed), str(story.open)}
    assert {r["session_key"] for r in rows(await export(client, other))} == {str(s)}
    only_round = rows(await export(client, archer, "?round_code=wa720_70"))
    assert {r["session_key"] for r in only_round} == {str(story.closed)}
    only_a = rows(await export(client, archer, f"?arrow_id={story.a}"))
    assert [r["seq"] for r in only_a] == ["1", "5"]
    indoor = rows(await export(client, archer, "?is_indoor=true&face_type=wa_40_triple_vertical"))
    assert {r["session_key"] for r in indoor} == {str(story.open)}
    # Someone else's arrow: 404 before anything is sent; an unknown face: 422.
    assert (
        await client.get(f"{EXPORT}?arrow_id={story.a}", headers=other.headers)
    ).status_code == 404
    assert (await client.get(f"{EXPORT}?face_type=nope", headers=other.headers)).status_code == 422
    assert (await client.get(f"{SESSIONS}?is_indoor=1", headers=other.headers)).status_code == 422


async def test_export_sessions_csv(
    client: httpx.AsyncClient, db: Connection, archer: ArcherCtx, story: Story
) -> None:
    empty = await data.session(db, archer.id, start=T0 + timedelta(days=2), is_open=False)
    r = await client.get(SESSIONS, headers=archer.headers)
    assert r.status_code == 200
    assert r.text.splitlines()[0] == ",".join(SESSION_COLUMNS)
    closed, opened, nothing = rows(r.text)
    assert (closed["session_key"], closed["round_code"], closed["face_types"]) == (
        str(story.closed),
        "wa720_70",
        "wa_80",
    )
    assert (closed["arrows"], closed["hits"], closed["misses"], closed["total"]) == (
        "5",
        "3",
        "2",
        "29",
    )
    assert (closed["average_per_arrow"], closed["x_count"], closed["ten_count"]) == (
        "5.8",
        "1",
        "2",
    )
    assert (opened["is_open"], opened["face_types"], opened["impacts"]) == (
        "true",
        "wa_40_triple_vertical",
        "2",
    )
    assert float(opened["centre_x_mm"]) == pytest.approx(-14.5)
    assert (nothing["session_key"], nothing["arrows"], nothing["centre_x_mm"]) == (
        str(empty),
        "0",
        "",
    )
    # One arrow's figures only.
    r = await client.get(f"{SESSIONS}?arrow_id={story.a}", headers=archer.headers)
    (only,) = rows(r.text)
    assert (only["arrows"], only["total"]) == ("2", "20")


async def test_command_line_export_then_import(
    db: Connection, archer: ArcherCtx, other: ArcherCtx, story: Story, migrated: str, tmp_path: Path
) -> None:
    said: list[str] = []
    shots = tmp_path / "shots.csv"
    code = await asyncio.to_thread(
        export_csv,
        migrated,
        email=archer.email.upper(),
        kind="shots",
        output=shots,
        query=ExportQuery(),
        arrow=None,
        say=said.append,
    )
    assert code == 0, said
    assert any("exported 7 shots rows" in s for s in said)
    code = await asyncio.to_thread(
        import_csv, migrated, email=other.email, path=shots, say=said.append
    )
    assert code == 0, said
    assert "imported" in said[-1] and "shots 7 new" in said[-1]
    assert await counts(db, other.id) == (2, 2, 2, 7)
    # An arrow by identifier, a bad file and an unknown archer.
    only_a = tmp_path / "a.csv"
    code = await asyncio.to_thread(
        export_csv,
        migrated,
        email=archer.email,
        kind="sessions",
        output=only_a,
        query=ExportQuery(),
        arrow="A",
        say=said.append,
    )
    assert code == 0 and len(rows(only_a.read_text())) == 1
    broken = tmp_path / "broken.csv"
    broken.write_text("session_key\n")
    said.clear()
    code = await asyncio.to_thread(
        import_csv, migrated, email=other.email, path=broken, say=said.append
    )
    assert code == 1
    assert "nothing imported: 1 bad line(s)" in said
    assert any(line.startswith("line 1: missing columns") for line in said)
    code = await asyncio.to_thread(
        import_csv, migrated, email="nobody@example.org", path=shots, say=said.append
    )
    assert code == 1 and "no archer" in said[-1]


def test_command_line_parses_export_and_import() -> None:
    args = build_parser().parse_args(
        ["export", "shots", "--email", "a@b.c", "-o", "x.csv", "--from", "2026-01-01", "--indoor"]
    )
    assert (args.kind, args.email, args.output, args.start_from, args.indoor) == (
        "shots",
        "a@b.c",
        Path("x.csv"),
        "2026-01-01",
        True,
    )
    args = build_parser().parse_args(["import", "x.csv", "--email", "a@b.c"])
    assert (args.file, args.email) == (Path("x.csv"), "a@b.c")


def test_parser_reads_records_split_anywhere() -> None:
    """A record's quoted line break falls across chunks of every size: same rows."""
    header = ",".join(SHOT_COLUMNS)
    key = "00000000-0000-0000-0000-000000000001"
    values = dict.fromkeys(SHOT_COLUMNS, "")
    values.update(
        session_key=key,
        session_start="2026-05-01 09:00:00+00",
        session_end="2026-05-01 10:00:00+00",
        location="a",
        is_indoor="false",
        session_distance_m="70",
        arrows_per_end="6",
        landing_window_ms="3000",
        is_open="false",
        notes='"two\nlines, ""quoted"""',
        target_key=key,
        target_distance_m="70",
        view_width_mm="1300",
        view_height_mm="1300",
        compound_scoring="false",
        faces="wa_122:650:650",
        end_no="1",
        score="0",
        is_x="false",
    )
    lines = [header] + [
        ",".join(values[c] if c != "seq" else str(i) for c in SHOT_COLUMNS) for i in (1, 2, 3)
    ]
    blob = ("\r\n".join(lines) + "\r\n").encode()
    for size in (1, 2, 7, 64, len(blob)):
        parser = ShotsCsvParser()
        records = []
        for i in range(0, len(blob), size):
            parser.feed(blob[i : i + size])
            records += parser.take_records()
        parser.finish()
        records += parser.take_records()
        assert parser.errors == [], (size, parser.errors)
        assert [(r[0], r[3]) for r in records] == [(2, 1), (4, 2), (6, 3)]
        assert parser.sessions[UUID(key)].fields.notes == 'two\nlines, "quoted"'


async def test_openapi_of_the_import_cites_the_limit_it_applies(client: httpx.AsyncClient) -> None:
    spec = (await client.get("/api/openapi.json")).json()
    text = spec["paths"][IMPORT]["post"]["description"]
    assert "IMPORT_MAX_BYTES" in text
    assert "MAX_BODY_BYTES" not in text.replace("IMPORT_MAX_BYTES", "")


@pytest.mark.parametrize(
    ("limit", "message"),
    [
        ({"import_max_sessions": 1}, "more than 1 distinct sessions in one file"),
        ({"import_max_targets": 1}, "more than 1 distinct targets in one file"),
        ({"import_max_arrows": 1}, "more than 1 distinct arrows in one file"),
    ],
)
async def test_file_over_a_distinct_key_cap_422(
    client: httpx.AsyncClient,
    db: Connection,
    archer: ArcherCtx,
    other: ArcherCtx,
    story: Story,
    override: Callable[..., None],
    limit: dict[str, int],
    message: str,
) -> None:
    text = await export(client, archer)
    override(**limit)
    r = await post_csv(client, other, text)
    assert r.status_code == 422
    errors = r.json()["errors"]
    assert message in errors[1] and "IMPORT_MAX_" in errors[1], errors
    assert await counts(db, other.id) == (0, 0, 0, 0)


# What a spreadsheet would run as a formula, and what only looks like it has been protected.
NASTY = [
    '=HYPERLINK("http://evil.example","x")',
    "+1",
    "-2 cold",
    "@SUM(A1:A2)",
    "\tTab first",
    "\rCR first",
    "\nLF first",
    "'=quoted already",
    "''=two quotes",
    "'tis windy",
    "'",
    "''",
    "=",
    "-",
    "plain, and = inside",
]
NASTY_ARROWS = ["=A1", "-3", "+7", "@b", "'=A", "''x", "'ok", "=123456789"]
FORMULA_START = tuple("=+-@\t\r\n")


def neutralised(value: str) -> str:
    """The cell an export must write for a text `value`."""
    protect = value.startswith(FORMULA_START) or (
        len(value) > 1 and value[0] == "'" and value[1] in "=+-@\t\r\n'"
    )
    return "'" + value if protect else value


async def test_text_cells_neutralised_against_formulas_and_imported_back_exactly(
    client: httpx.AsyncClient, db: Connection, archer: ArcherCtx, other: ArcherCtx
) -> None:
    arrows = [await data.arrow(db, archer.id, ident) for ident in NASTY_ARROWS]
    for i, value in enumerate(NASTY):
        s = await data.session(
            db, archer.id, start=T0 + timedelta(days=i), location=value, notes=NASTY[-1 - i]
        )
        t = await data.target(db, archer.id, s)
        shots = [Shot(-3.5, -0.25, 10, False, arrows[i % len(arrows)]), Shot(-1e-7, 2, 10)]
        await data.shots(db, archer.id, s, t, shots)
    original = await export(client, archer)
    got = rows(original)
    assert [r["location"] for r in got[::2]] == [neutralised(v) for v in NASTY]
    assert [r["notes"] for r in got[::2]] == [neutralised(v) for v in reversed(NASTY)]
    assert [r["arrow"] for r in got[::2]] == [
        neutralised(NASTY_ARROWS[i % len(NASTY_ARROWS)]) for i in range(len(NASTY))
    ]
    numeric = {"x_mm", "y_mm", "dx_mm", "dy_mm", "draw_ms", "flight_ms"}
    for row in got:
        for column, cell in row.items():
            if column not in numeric:
                assert not cell.startswith(FORMULA_START), (column, cell)
    # Numbers stay numbers, negative ones included.
    assert (got[0]["dx_mm"], got[0]["dy_mm"], got[1]["dx_mm"]) == ("-3.5", "-0.25", "-1e-07")
    sessions = rows((await client.get(SESSIONS, headers=archer.headers)).text)
    assert [r["location"] for r in sessions] == [neutralised(v) for v in NASTY]
    assert [r["notes"] for r in sessions] == [neutralised(v) for v in reversed(NASTY)]

    r = await post_csv(client, other, original)
    assert r.status_code == 200, r.text
    assert await export(client, other) == original  # byte for byte
    stored = await db.fetch(
        "SELECT location, notes FROM session WHERE archer_id = $1 ORDER BY start_time", other.id
    )
    assert [(s["location"], s["notes"]) for s in stored] == list(
        zip(NASTY, reversed(NASTY), strict=True)
    )
    idents = await db.fetch("SELECT identifier FROM arrow WHERE archer_id = $1", other.id)
    assert sorted(i["identifier"] for i in idents) == sorted(NASTY_ARROWS)
    dx = await db.fetch(
        "SELECT dx_mm FROM shot WHERE archer_id = $1 ORDER BY session_id, seq", other.id
    )
    assert sorted({d["dx_mm"] for d in dx}) == [-3.5, -1e-7]


async def test_sessions_csv_has_no_spread_under_two_impacts(
    client: httpx.AsyncClient, db: Connection, archer: ArcherCtx
) -> None:
    one = await data.session(db, archer.id)
    t = await data.target(db, archer.id, one)
    await data.shots(db, archer.id, one, t, [Shot(3, 4, 10), Shot(None, None, 0)])
    two = await data.session(db, archer.id, start=T0 + timedelta(days=1))
    t = await data.target(db, archer.id, two)
    await data.shots(db, archer.id, two, t, [Shot(3, 4, 10), Shot(3, 4, 10)])
    first, second = rows((await client.get(SESSIONS, headers=archer.headers)).text)
    assert (first["impacts"], first["centre_x_mm"], first["sigma_x_mm"]) == ("1", "3", "")
    assert first["sigma_y_mm"] == ""
    assert (second["sigma_x_mm"], second["sigma_y_mm"]) == ("0", "0")  # two: a real zero
    r = await client.get(f"/api/v0/session/{one}/stats", headers=archer.headers)
    assert r.json()["data"]["group"]["sigma_x_mm"] is None  # the same as the session's stats


async def test_import_reads_a_huge_unterminated_field_in_bounded_memory() -> None:
    """60 MB of one quoted field (with an emoji) are refused after about 1 MiB, without
    keeping the rest: memory stays near the record limit, not the file size."""
    reader = ImportReader(spool_dir=None)
    chunk = b"\xf0\x9f\x8e\xaf" * 16_384  # 64 KiB of emoji

    async def upload() -> None:
        await reader.feed(",".join(SHOT_COLUMNS).encode() + b'\n"')
        for _ in range(60 * 16):
            await reader.feed(chunk)

    tracemalloc.start()
    try:
        with pytest.raises(InvalidInput) as refused:
            await upload()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
        reader.close()
    assert "a record longer than 1048576 bytes" in refused.value.messages[1]
    assert reader.read < 2 * 1_048_576
    assert peak < 16 * 1_048_576, peak


async def test_import_of_many_rows_keeps_memory_flat(tmp_path: Path) -> None:
    """Checked rows go to the spool in batches: the parser's memory does not grow with the
    number of rows."""
    header = ",".join(SHOT_COLUMNS)
    key = "00000000-0000-0000-0000-000000000001"
    values = dict.fromkeys(SHOT_COLUMNS, "")
    values.update(
        session_key=key,
        session_start="2026-05-01 09:00:00+00",
        session_end="2026-05-01 10:00:00+00",
        location="a",
        is_indoor="false",
        session_distance_m="70",
        arrows_per_end="6",
        landing_window_ms="3000",
        is_open="false",
        target_key=key,
        target_distance_m="70",
        view_width_mm="1300",
        view_height_mm="1300",
        compound_scoring="false",
        faces="wa_122:650:650",
        end_no="1",
        x_mm="650.5",
        y_mm="649.25",
        face_index="0",
        spot_index="0",
        dx_mm="0.5",
        dy_mm="-0.75",
        score="10",
        is_x="true",
        engaged_at="2026-05-01 09:00:30+00",
        released_at="2026-05-01 09:00:32.012345+00",
        landed_at="2026-05-01 09:00:33+00",
    )
    line = ",".join(values[c] if c != "seq" else "{seq}" for c in SHOT_COLUMNS) + "\n"
    reader = ImportReader(spool_dir=tmp_path)
    await reader.feed((header + "\n").encode())
    n, block = 30_000, 2_000  # ≈ 9 MB; kept in memory, the checked rows alone would be 18 MB
    tracemalloc.start()
    try:
        for start in range(1, n + 1, block):
            text = "".join(line.format(seq=s) for s in range(start, start + block))
            await reader.feed(text.encode())
        await reader.finish()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert reader.stage.rows == n and not reader.parser.failed
    assert reader.read > 8 * 1_048_576
    assert peak < 8 * 1_048_576, peak
    reader.close()


async def test_import_into_the_open_session_while_it_is_written_never_deadlocks(
    client: httpx.AsyncClient, db: Connection, archer: ArcherCtx
) -> None:
    """A post (or a correction) holds the archer's open session, then writes a shot where the
    import writes one of its own: the import locks its sessions before it writes anything,
    so one waits for the other, where writing first and locking after would deadlock."""
    r = await make_range(db, archer)
    created = await client.post(API_SHOT, json=shot(r, C, C), headers=archer.headers)
    assert created.status_code == 201, created.text
    # The file's shot again, as the session's second arrow: place 2 of end 1.
    (row,) = rows(await export(client, archer))
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(row))
    writer.writeheader()
    writer.writerow({**row, "seq": "2", "end_place": "2"})
    async with db.transaction():
        # The post: its session locked first (shot_insert's first step) …
        await db.execute("SELECT FROM session WHERE id = $1 FOR NO KEY UPDATE", r.session_id)
        importing = asyncio.create_task(post_csv(client, archer, out.getvalue()))
        async with asyncio.timeout(10):  # … the import, meanwhile, comes to wait for it …
            while not await db.fetchval(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE wait_event_type = 'Lock' AND datname = current_database()"
            ):
                await asyncio.sleep(0.01)
        # … and the post writes its arrow: the end's first free place, 2.
        rows_written = await repo.insert_shots(
            db,
            session_id=r.session_id,
            archer_id=archer.id,
            shots=[
                ShotRow(r.target_id, None, C + 5, C, 0, 0, 5.0, 0.0, 10, False, None, None, None)
            ],
        )
        assert rows_written is not None
    answer = await importing
    assert answer.status_code == 200, answer.text
    assert answer.json()["data"]["shots_created"] == 0  # its place was taken meanwhile
    places = await db.fetch(
        "SELECT seq, end_no, end_place FROM shot WHERE session_id = $1 ORDER BY seq", r.session_id
    )
    assert [tuple(p) for p in places] == [(1, 1, 1), (2, 1, 2)]
