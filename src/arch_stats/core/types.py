"""Input types every domain's request schemas share: one reading of numbers, one of time.

Numbers are JSON numbers: `true`, `"500"` or `" 500 "` are refused, not read as 1 or 500 (and
never NaN or ±Infinity). Query parameters are text and are parsed, not these.

Every moment an archer or a reader may send is an RFC 3339 date-time with its offset, from
1900-01-01T00:00:00Z up to (not including) 2200-01-01T00:00:00Z. Beyond the range PostgreSQL
stores the ends of Python's datetime as -infinity / infinity, exports that cannot be imported
follow, and the assembler's arithmetic on event times overflows. A day (the filters of lists,
statistics and exports) is YYYY-MM-DD in the same range.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Annotated

from pydantic import (
    AfterValidator,
    AllowInfNan,
    AwareDatetime,
    BeforeValidator,
    Strict,
    StrictBool,
)

MIN_TIME = datetime(1900, 1, 1, tzinfo=UTC)
END_TIME = datetime(2200, 1, 1, tzinfo=UTC)  # the first moment out of range
MIN_DAY = MIN_TIME.date()
MAX_DAY = date(2199, 12, 31)
TIME_RANGE = "from 1900-01-01T00:00:00Z up to 2200-01-01T00:00:00Z"

_RFC3339 = re.compile(r"\d{4}-\d\d-\d\d[Tt]\d\d:\d\d:\d\d(\.\d+)?([Zz]|[+-]\d\d:\d\d)")
_NO_OFFSET = re.compile(r"\d{4}-\d\d-\d\d[Tt ]\d\d:\d\d(:\d\d(\.\d+)?)?")
_NEEDS_OFFSET = "needs a timezone offset, e.g. 2026-05-01T09:30:00Z"
_DAY = re.compile(r"\d{4}-\d\d-\d\d")


def time_problem(value: datetime) -> str | None:
    """Why `value` is not an acceptable moment, or None when it is."""
    if value.tzinfo is None or value.utcoffset() is None:
        return _NEEDS_OFFSET
    # The year first: comparing moments near the ends of datetime could overflow.
    if not 1899 <= value.year <= 2200 or not MIN_TIME <= value < END_TIME:
        return f"must be {TIME_RANGE}"
    return None


def in_time_range(value: datetime) -> bool:
    return time_problem(value) is None


def _rfc3339(value: object) -> object:
    if isinstance(value, datetime) or (isinstance(value, str) and _RFC3339.fullmatch(value)):
        return value
    if isinstance(value, str) and _NO_OFFSET.fullmatch(value):
        raise ValueError(_NEEDS_OFFSET)
    raise ValueError("must be an RFC 3339 date-time with its offset, e.g. 2026-05-01T09:30:00Z")


def _check_time(value: datetime) -> datetime:
    problem = time_problem(value)
    if problem is not None:
        raise ValueError(problem)
    return value


def _iso_day(value: object) -> object:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str) and _DAY.fullmatch(value):
        return value
    raise ValueError("must be a date, YYYY-MM-DD")


def _check_day(value: date) -> date:
    if not MIN_DAY <= value <= MAX_DAY:
        raise ValueError("must be from 1900-01-01 to 2199-12-31")
    return value


# A moment sent by a client: RFC 3339 with an offset, within the range.
Timestamp = Annotated[AwareDatetime, BeforeValidator(_rfc3339), AfterValidator(_check_time)]
# A UTC day, as a query parameter gives it (YYYY-MM-DD), within the range.
Day = Annotated[date, BeforeValidator(_iso_day), AfterValidator(_check_day)]

# JSON numbers, as JSON numbers only (an integer is a number; a boolean or a string is not).
JsonFloat = Annotated[float, Strict(), AllowInfNan(False)]
JsonInt = Annotated[int, Strict()]
JsonBool = StrictBool
