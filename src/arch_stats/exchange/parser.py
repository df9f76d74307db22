"""Reading shots.csv: bytes in, checked rows out, every bad line named with its reason.

The parser is fed the file in chunks of any size (an HTTP body as it arrives, a file read
piece by piece) and keeps only what it must: the incomplete last record of a chunk (at most
`MAX_RECORD_BYTES`: a longer one, such as an unterminated quoted field, stops the file at
once), the sessions, targets and arrows seen (at most `ImportLimits` of each, else the file
is refused), and up to `MAX_ERRORS` messages. Shots leave as tuples for the staging table as
soon as they are read, so memory does not grow with the number of shots.

Text cells that an export neutralised against formula injection (`'` put before a leading
`=`, `+`, `-`, `@`, tab, CR, LF, or before a `'` that such a cell would start with) are read
back to their exact values: see `text_cell`.

Checks, per line: every column of `SHOT_COLUMNS` present (the derived ones may be absent,
unknown columns are refused), each value of the right type and in the range the database
allows, the rules of a shot (coordinates all or none, a miss scores 0, an X scores at least
10, times in order, the face and spot exist on the target, the score not above the face's
best), and the same session and target fields on every line of one session or target.
Scores are taken as exported, not recomputed: the file is a record of what was scored.
Checks across lines that need all of them (a shot number repeated in a session) run on the
staging table.
"""

from __future__ import annotations

import codecs
import csv
import io
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar
from uuid import UUID

import orjson
from pydantic import ValidationError

from arch_stats.core.types import time_problem
from arch_stats.exchange.schemas import DERIVED_COLUMNS, OPTIONAL_COLUMNS, SHOT_COLUMNS
from arch_stats.faces.scoring import FACES, PlacedFace, max_score, score_impact
from arch_stats.faces.values import value_of
from arch_stats.sessions.schemas import RoundPlanOut

MAX_ERRORS = 50
MAX_INT = 2**31 - 1
# The longest record (one shot's line, quoted line breaks included) accepted: a real one is a
# few hundred bytes, notes included; an unterminated quoted field would otherwise swallow the
# rest of the file into memory.
MAX_RECORD_BYTES = 1_048_576
# Characters that make a spreadsheet read a cell as a formula (OWASP's list, and LF).
FORMULA_START = "=+-@\t\r\n"
_ROUND_CODE = re.compile(r"[A-Za-z0-9_]{1,100}")
_TRUE = frozenset({"true", "t"})
_FALSE = frozenset({"false", "f"})
REQUIRED_COLUMNS = tuple(
    c for c in SHOT_COLUMNS if c not in DERIVED_COLUMNS and c not in OPTIONAL_COLUMNS
)

T = TypeVar("T")


class LineError(Exception):
    """A value of a line is wrong; the message names the column."""


@dataclass(frozen=True, slots=True)
class ImportLimits:
    """Most distinct sessions, targets and arrows in one file (IMPORT_MAX_* settings)."""

    sessions: int = 10_000
    targets: int = 20_000
    arrows: int = 2_000


def text_cell(value: str) -> str:
    """The value of a text cell as exported: a leading `'` that protects a formula character
    (or another `'`) is taken off. Other cells, old files' included, are read as they are."""
    if len(value) > 1 and value[0] == "'" and (value[1] in FORMULA_START or value[1] == "'"):
        return value[1:]
    return value


@dataclass(frozen=True, slots=True)
class SessionFields:
    start_time: datetime
    end_time: datetime | None
    location: str
    is_indoor: bool
    distance_m: float
    round_code: str | None
    arrows_per_end: int
    landing_window_ms: int
    is_open: bool
    notes: str
    round_plan: str | None = None  # the round followed (JSON, checked), or None


@dataclass(frozen=True, slots=True)
class TargetFields:
    session_key: UUID
    lane: int | None
    distance_m: float
    view_width_mm: float
    view_height_mm: float
    compound_scoring: bool
    faces: tuple[tuple[str, float, float], ...]
    ends: tuple[int, int] | None = None  # the ends of the session's round shot at it


@dataclass(slots=True)
class Seen:
    line: int
    fields: Any


# --- values ----------------------------------------------------------------------------------


def _text(column: str, value: str, *, max_length: int) -> str:
    if "\x00" in value:
        raise LineError(f"{column}: contains a NUL character")
    if len(value) > max_length:
        raise LineError(f"{column}: longer than {max_length} characters")
    return value


def _uuid(column: str, value: str) -> UUID:
    try:
        return UUID(value)
    except ValueError:
        raise LineError(f"{column}: {value!r} is not a UUID") from None


def _bool(column: str, value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise LineError(f"{column}: {value!r} is not true or false")


def _int(column: str, value: str, low: int, high: int) -> int:
    try:
        number = int(value)
    except ValueError:
        raise LineError(f"{column}: {value!r} is not a whole number") from None
    if not low <= number <= high:
        raise LineError(f"{column}: {number} is not between {low} and {high}")
    return number


def _float(column: str, value: str, *, positive: bool = False, limit: float = 1e9) -> float:
    try:
        number = float(value)
    except ValueError:
        raise LineError(f"{column}: {value!r} is not a number") from None
    if not math.isfinite(number) or abs(number) > limit:
        raise LineError(f"{column}: {value!r} is out of range")
    if positive and number <= 0:
        raise LineError(f"{column}: must be greater than 0")
    return number


def _time(column: str, value: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise LineError(f"{column}: {value!r} is not a date-time (ISO 8601)") from None
    if moment.tzinfo is None:
        raise LineError(f"{column}: {value!r} has no time zone offset")
    problem = time_problem(moment)
    if problem is not None:
        raise LineError(f"{column}: {value!r} {problem}")
    return moment


def _optional(value: str, parse: Callable[[str], T]) -> T | None:
    return None if value == "" else parse(value)


def _faces(value: str) -> tuple[tuple[str, float, float], ...]:
    faces = []
    for part in value.split():
        pieces = part.split(":")
        if len(pieces) != 3:
            raise LineError(f"faces: {part!r} is not face_type:centre_x_mm:centre_y_mm")
        face_type, x, y = pieces
        if face_type not in FACES:
            raise LineError(f"faces: unknown face type {face_type!r}")
        faces.append((face_type, _float("faces", x), _float("faces", y)))
    if not faces:
        raise LineError("faces: a target needs at least one face")
    return tuple(faces)


# --- records ---------------------------------------------------------------------------------


def session_fields(v: dict[str, str]) -> SessionFields:
    start = _time("session_start", v["session_start"])
    end = _optional(v["session_end"], lambda s: _time("session_end", s))
    is_open = _bool("is_open", v["is_open"])
    if is_open and end is not None:
        raise LineError("session_end: an open session has no end")
    if not is_open and (end is None or end <= start):
        raise LineError("session_end: a closed session ends after it starts")
    round_code = v["round_code"] or None
    if round_code is not None and not _ROUND_CODE.fullmatch(round_code):
        raise LineError(f"round_code: {round_code!r} is not a round code")
    return SessionFields(
        start_time=start,
        end_time=end,
        location=_text("location", text_cell(v["location"]), max_length=200),
        is_indoor=_bool("is_indoor", v["is_indoor"]),
        distance_m=_float("session_distance_m", v["session_distance_m"], positive=True),
        round_code=round_code,
        arrows_per_end=_int("arrows_per_end", v["arrows_per_end"], 1, 24),
        landing_window_ms=_int("landing_window_ms", v["landing_window_ms"], 100, 60000),
        is_open=is_open,
        notes=_text("notes", text_cell(v["notes"]), max_length=2000),
        round_plan=_round_plan(
            v.get("round_plan", ""), _int("arrows_per_end", v["arrows_per_end"], 1, 24)
        ),
    )


def _round_plan(value: str, per_end: int) -> str | None:
    """The round a session follows, as the API gives it (`round`): its passes must take
    whole ends of the session's end size, one after another."""
    if value == "":
        return None
    try:
        plan = RoundPlanOut.model_validate_json(value)
    except ValidationError as exc:
        raise LineError(f"round_plan: not a round plan ({exc.errors()[0]['msg']})") from None
    end = 0
    for p in plan.passes:
        if (
            p.face_type not in FACES
            or (p.first_end, p.last_end)
            != (
                end + 1,
                end + p.n_arrows // per_end,
            )
            or p.n_arrows % per_end
        ):
            raise LineError(
                f"round_plan: pass of ends {p.first_end}–{p.last_end} does not "
                f"follow from its arrows ({p.n_arrows}) in ends of {per_end}"
            )
        end = p.last_end
    if (plan.arrows_per_end, plan.ends) != (per_end, end) or plan.n_arrows != end * per_end:
        raise LineError("round_plan: its ends and arrows do not add up")
    return orjson.dumps(plan.model_dump(mode="json")).decode()


def target_fields(v: dict[str, str], session_key: UUID) -> TargetFields:
    return TargetFields(
        session_key=session_key,
        lane=_optional(v["lane"], lambda s: _int("lane", s, 0, 10000)),
        distance_m=_float("target_distance_m", v["target_distance_m"], positive=True),
        view_width_mm=_float("view_width_mm", v["view_width_mm"], positive=True),
        view_height_mm=_float("view_height_mm", v["view_height_mm"], positive=True),
        compound_scoring=_bool("compound_scoring", v["compound_scoring"]),
        faces=_faces(v["faces"]),
        ends=_ends(v.get("first_end", ""), v.get("last_end", "")),
    )


def _ends(first: str, last: str) -> tuple[int, int] | None:
    if first == last == "":
        return None
    ends = _int("first_end", first, 1, MAX_INT), _int("last_end", last, 1, MAX_INT)
    if ends[0] > ends[1]:
        raise LineError("first_end, last_end: the first end comes before the last")
    return ends


def shot_record(
    v: dict[str, str],
    line: int,
    session_key: UUID,
    target_key: UUID,
    target: TargetFields,
    *,
    per_end: int = 24,
) -> tuple[Any, ...]:
    """The staging row of one shot (columns of `repository.STAGE_COLUMNS`)."""
    seq = _int("seq", v["seq"], 1, MAX_INT)
    end_no = _int("end_no", v["end_no"], 1, MAX_INT)
    # Files written before end_place existed: the import gives places in seq order.
    end_place = _optional(v.get("end_place", ""), lambda p: _int("end_place", p, 1, per_end))
    arrow = text_cell(v["arrow"]) or None
    if arrow is not None and len(arrow) > 10:
        raise LineError("arrow: an identifier has at most 10 characters")
    position = [v[c] for c in ("x_mm", "y_mm", "face_index", "spot_index", "dx_mm", "dy_mm")]
    score = _int("score", v["score"], 0, 11)
    is_x = _bool("is_x", v["is_x"])
    times = [
        None if v[c] == "" else _time(c, v[c]) for c in ("engaged_at", "released_at", "landed_at")
    ]
    given = [t for t in times if t is not None]
    if given != sorted(given):
        raise LineError("engaged_at ≤ released_at ≤ landed_at")
    if is_x and score < 10:
        raise LineError("is_x: an X scores at least 10")
    head = (line, session_key, target_key, seq, end_no, end_place, arrow)
    entered_by = _entered_by(v, times[1] is not None)
    if entered_by == "value":
        return (*head, *_by_value(v, target, position, (score, is_x)), *times, entered_by)
    if all(p == "" for p in position):
        if score != 0 or is_x:
            raise LineError("score: a shot without a position is a miss and scores 0")
        if times[2] is not None:
            raise LineError("landed_at: a shot without a position never landed")
        return (*head, *[None] * 6, 0, False, None, None, *times, entered_by)
    if any(p == "" for p in position):
        raise LineError("x_mm, y_mm, face_index, spot_index, dx_mm, dy_mm: all or none")
    x = _float("x_mm", position[0], limit=100_000)
    y = _float("y_mm", position[1], limit=100_000)
    if not (0 <= x <= target.view_width_mm and 0 <= y <= target.view_height_mm):
        raise LineError(f"x_mm, y_mm: ({x:g}, {y:g}) is outside the target view")
    face_index = _int("face_index", position[2], 0, len(target.faces) - 1)
    face_type = target.faces[face_index][0]
    spot_index = _int("spot_index", position[3], 0, len(FACES[face_type].spots) - 1)
    dx = _float("dx_mm", position[4], limit=100_000)
    dy = _float("dy_mm", position[5], limit=100_000)
    best = max_score(face_type)
    if score > best:
        raise LineError(f"score: {score} is more than a {face_type} face gives ({best})")
    spot_score, spot_is_x = _spot_hit(v, target, face_index, spot_index, (x, y), (score, is_x))
    return (*head, x, y, face_index, spot_index, dx, dy, score, is_x, spot_score, spot_is_x,
            *times, entered_by)  # fmt: skip


_ENTERED_BY = frozenset({"plot", "value", "sensor"})


def _entered_by(v: dict[str, str], released: bool) -> str:
    """How the score was entered; files written before the column say nothing: a shot with a
    release time came from the sensors, any other was plotted."""
    value = v.get("entered_by", "")
    if value == "":
        return "sensor" if released else "plot"
    if value not in _ENTERED_BY:
        raise LineError(f"entered_by: {value!r} is not plot, value or sensor")
    return value


def _by_value(
    v: dict[str, str], target: TargetFields, position: list[str], counted: tuple[int, bool]
) -> tuple[Any, ...]:
    """The position columns of a score by value: no position, the face it was scored on and
    its spot when given; the score one of the face's values (a same-spot miss: its
    `hit_label` is what it hit)."""
    if any(position[i] != "" for i in (0, 1, 4, 5)):
        raise LineError("x_mm, y_mm, dx_mm, dy_mm: a score by value has no position")
    if position[2] == "":
        raise LineError("face_index: a score by value names the face it was scored on")
    face_index = _int("face_index", position[2], 0, len(target.faces) - 1)
    face_type = target.faces[face_index][0]
    spots = len(FACES[face_type].spots)
    spot_index = _optional(position[3], lambda p: _int("spot_index", p, 0, spots - 1))
    compound = target.compound_scoring and FACES[face_type].compound_applies
    score, is_x = counted
    label = v.get("hit_label", "") or ("X" if is_x else "M" if score == 0 else str(score))
    hit = value_of(face_type, label, compound=compound)
    if hit is None:
        raise LineError(f"score: {label} is not a value of a {face_type} face")
    if v.get("hit_label", "") and (score, is_x) != (0, False):
        raise LineError("hit_label: only a same-spot miss (scored M) names what it hit")
    on_spot = spot_index is not None and spots > 1 and hit.score > 0
    if not on_spot and (score, is_x) != (hit.score, hit.is_x):
        raise LineError("hit_label: the one-arrow-per-spot rule needs its spot_index")
    return (None, None, face_index, spot_index, None, None, score, is_x,
            hit.score if on_spot else None, hit.is_x if on_spot else None)  # fmt: skip


def _spot_hit(
    v: dict[str, str],
    target: TargetFields,
    face_index: int,
    spot_index: int,
    xy: tuple[float, float],
    counted: tuple[int, bool],
) -> tuple[int | None, bool | None]:
    """The value hit on a spot of a multi-spot face (shots/spots.py), else (None, None).

    The file holds counted scores: a same-spot miss reads M. Its value is found again from
    its position, as it was scored: the face, the arrow's diameter, compound scoring."""
    if len(FACES[target.faces[face_index][0]].spots) < 2:
        return None, None
    score, is_x = counted
    if score > 0:
        return score, is_x
    diameter = _optional(
        v["arrow_diameter_mm"] if v["arrow"] else "",
        lambda d: _float("arrow_diameter_mm", d, positive=True, limit=20),
    )
    faces = tuple(PlacedFace(*face) for face in target.faces)
    hit = score_impact(faces, *xy, arrow_diameter_mm=diameter, compound=target.compound_scoring)
    if hit.score > 0 and (hit.face_index, hit.spot_index) == (face_index, spot_index):
        return hit.score, hit.is_x
    return None, None


# --- the parser ------------------------------------------------------------------------------


class ShotsCsvParser:
    """Feed bytes with `feed`, then `finish`; take the staging rows from `take_records`."""

    def __init__(self, limits: ImportLimits | None = None) -> None:
        self.limits = limits or ImportLimits()
        self._decoder = codecs.getincrementaldecoder("utf-8-sig")()
        self._pending = ""  # text after the last complete record
        self._odd = False  # `_pending` holds an odd number of quotes
        self._scan_from = 0  # no record ends in `_pending` before this
        self._line = 0  # physical lines consumed
        self._header: list[str] | None = None
        self._fatal = False
        self.rows = 0
        self.errors: list[str] = []
        self.error_count = 0
        self.sessions: dict[UUID, Seen] = {}
        self.targets: dict[UUID, Seen] = {}
        self.arrows: dict[str, float | None] = {}
        self._records: list[tuple[Any, ...]] = []

    # errors

    def error(self, line: int, message: str) -> None:
        self.error_count += 1
        if len(self.errors) < MAX_ERRORS:
            self.errors.append(f"line {line}: {message}")

    @property
    def failed(self) -> bool:
        return self.error_count > 0

    @property
    def stopped(self) -> bool:
        """The file cannot be read further (not UTF-8, a bad header, a record too long, a
        limit passed): nothing more is worth reading."""
        return self._fatal

    # input

    def feed(self, chunk: bytes) -> None:
        try:
            text = self._decoder.decode(chunk)
        except UnicodeDecodeError:
            self._fail(self._line + 1, "the file is not UTF-8 text")
            return
        self._consume(text, final=False)

    def finish(self) -> None:
        try:
            text = self._decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            self._fail(self._line + 1, "the file is not UTF-8 text")
            return
        self._consume(text, final=True)
        if self._header is None and not self._fatal:
            self._fail(1, "the file is empty: a header line is expected")

    def take_records(self) -> list[tuple[Any, ...]]:
        records, self._records = self._records, []
        return records

    def _fail(self, line: int, message: str) -> None:
        if not self._fatal:
            self.error(line, message)
        self._fatal = True

    def _consume(self, text: str, *, final: bool) -> None:
        if self._fatal:
            return
        pending = self._pending + text
        # In CSV a quote inside a quoted field is doubled, so the parity of the quotes before
        # a line break tells whether it ends a record. `pending` starts where a record starts
        # (outside quotes); the last record end is found from the back, looking only at text
        # not already searched, so each character is looked at about once however the file
        # is cut into chunks.
        odd = self._odd ^ (text.count('"') % 2 == 1)
        cut = len(pending) - 1 if final else self._last_record_end(pending, odd)
        if cut < 0:
            self._pending, self._odd, self._scan_from = pending, odd, len(pending)
            self._check_record_size()
            return
        block, self._pending = pending[: cut + 1], pending[cut + 1 :]
        self._odd = self._pending.count('"') % 2 == 1
        self._scan_from = 0
        self._records_from(block)
        self._check_record_size()

    def _last_record_end(self, pending: str, odd: bool) -> int:
        """The index of the last line break outside quotes at or after `_scan_from`, or -1."""
        quoted, right = odd, len(pending)
        while (n := pending.rfind("\n", self._scan_from, right)) >= 0:
            if pending.count('"', n + 1, right) % 2 == 1:
                quoted = not quoted
            if not quoted:
                return n
            right = n
        return -1

    def _check_record_size(self) -> None:
        pending = self._pending
        # A character is 1 to 4 bytes: only a long text is measured exactly.
        if len(pending) * 4 <= MAX_RECORD_BYTES or self._fatal:
            return
        if len(pending.encode("utf-8", "surrogatepass")) > MAX_RECORD_BYTES:
            self._fail(
                self._line + 1,
                f"a record longer than {MAX_RECORD_BYTES} bytes (an unterminated quoted "
                "field?): nothing more was read",
            )

    def _records_from(self, block: str) -> None:
        reader = csv.reader(io.StringIO(block, newline=""), strict=True)
        base = self._line
        while True:
            start = base + reader.line_num + 1
            try:
                fields = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:
                self._fail(start, f"malformed CSV ({exc})")
                return
            if self._fatal:
                return
            if not fields or fields == [""]:
                continue
            if self._header is None:
                if not self._read_header(fields):
                    return
                continue
            self._row(start, fields)
        self._line = base + reader.line_num

    def _read_header(self, fields: list[str]) -> bool:
        names = [f.strip() for f in fields]
        unknown = [n for n in names if n not in SHOT_COLUMNS]
        missing = [c for c in REQUIRED_COLUMNS if c not in names]
        duplicated = sorted({n for n in names if names.count(n) > 1})
        if unknown or missing or duplicated:
            parts = []
            if missing:
                parts.append("missing columns: " + ", ".join(missing))
            if unknown:
                parts.append("unknown columns: " + ", ".join(unknown))
            if duplicated:
                parts.append("repeated columns: " + ", ".join(duplicated))
            self._fail(self._line + 1, "; ".join(parts))
            return False
        self._header = names
        return True

    def _row(self, line: int, fields: list[str]) -> None:
        assert self._header is not None
        self.rows += 1
        if len(fields) != len(self._header):
            self.error(line, f"{len(fields)} fields, the header has {len(self._header)}")
            return
        v = dict(zip(self._header, fields, strict=True))
        try:
            session_key = _uuid("session_key", v["session_key"])
            target_key = _uuid("target_key", v["target_key"])
            if not self._room(self.sessions, session_key, line, "sessions"):
                return
            session = session_fields(v)
            self._same(self.sessions, session_key, line, "session", session)
            target = target_fields(v, session_key)
            if not self._room(self.targets, target_key, line, "targets"):
                return
            self._same(self.targets, target_key, line, "target", target)
            record = shot_record(
                v, line, session_key, target_key, target, per_end=session.arrows_per_end
            )
        except LineError as exc:
            self.error(line, str(exc))
            return
        arrow = record[6]  # repository.STAGE_COLUMNS: line, keys, seq, end_no, end_place, arrow
        if arrow is not None and not self._room(self.arrows, arrow, line, "arrows"):
            return
        if arrow is not None and self.arrows.get(arrow) is None:
            diameter = v["arrow_diameter_mm"]
            try:
                self.arrows[arrow] = (
                    _float("arrow_diameter_mm", diameter, positive=True, limit=20)
                    if diameter
                    else None
                )
            except LineError as exc:
                self.error(line, str(exc))
                return
        if not self.failed:
            self._records.append(record)

    def _room(self, seen: dict[Any, Any], key: Any, line: int, what: str) -> bool:
        """False (and the file stopped) when `key` would be one more than the limit allows."""
        limit: int = getattr(self.limits, what)
        if key in seen or len(seen) < limit:
            return True
        self._fail(
            line,
            f"more than {limit} distinct {what} in one file (IMPORT_MAX_{what.upper()}): "
            "split it into smaller files",
        )
        return False

    @staticmethod
    def _same(seen: dict[UUID, Seen], key: UUID, line: int, what: str, fields: Any) -> None:
        first = seen.get(key)
        if first is None:
            seen[key] = Seen(line, fields)
        elif first.fields != fields:
            raise LineError(f"{what} {key} is described differently on line {first.line}")
