"""What a benchmark prints: progress on stderr, a header, tables, PASS/FAIL lines, JSON."""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any


def say(msg: str, *, tag: str = "bench") -> None:
    """Progress, on stderr (stdout is the result)."""
    print(f"[{tag}] {msg}", file=sys.stderr, flush=True)


def sayer(tag: str) -> Callable[[str], None]:
    """`say` with another tag, e.g. `[abuse]`."""

    def tagged(msg: str) -> None:
        say(msg, tag=tag)

    return tagged


def machine() -> str:
    """e.g. `CPython 3.11.7, 2 CPUs, load average 8.3 (1 min)`: what the figures ran on."""
    return (
        f"{platform.python_implementation()} {platform.python_version()}, {os.cpu_count()} CPUs, "
        f"load average {os.getloadavg()[0]:.1f} (1 min)"
    )


@dataclass(frozen=True, slots=True)
class Column:
    title: str
    width: int
    align: str = ">"  # "<" for text
    fmt: str = ""  # how a number is written, e.g. ",.1f"


class Table:
    """A fixed-width table: `header()` (titles, and a rule `rule` wide unless 0), then
    `row(...)` per line. A cell is a number (written with its column's format) or text (as it
    is)."""

    def __init__(self, columns: Sequence[Column], rule: int = 0, *, tail: str = "") -> None:
        self.columns = columns
        self.rule = rule
        self.tail = tail  # a last, unaligned title (e.g. "note")

    def _line(self, cells: Sequence[object], tail: str) -> str:
        out = []
        for column, cell in zip(self.columns, cells, strict=True):
            text = cell if isinstance(cell, str) else format(cell, column.fmt)
            out.append(f"{text:{column.align}{column.width}}")
        return " ".join(out) + tail

    def header(self) -> list[str]:
        titles = self._line([c.title for c in self.columns], self.tail)
        return [titles, "-" * self.rule] if self.rule else [titles]

    def row(self, *cells: object, tail: str = "") -> str:
        return self._line(cells, tail)


def verdict(ok: bool, text: str, *, mark: str | None = None) -> str:
    """A target's line: `  PASS  text` (or FAIL, or `mark`, e.g. N/A)."""
    return f"  {mark or ('PASS' if ok else 'FAIL'):<4}  {text}"


def write_json(path: Path | None, payload: Any) -> None:
    """`--json FILE`: the results as JSON too."""
    if path is not None:
        path.write_text(json.dumps(payload, indent=2))


def common_options(
    parser: argparse.ArgumentParser, *, json_file: bool = True, strict: bool = True
) -> None:
    """`--database-url`, and (unless told otherwise) `--json FILE` and `--strict`."""
    parser.add_argument(
        "--database-url",
        help="a disposable PostgreSQL instead of an embedded one in a temporary directory; "
        "what the benchmark adds is removed afterwards",
    )
    if json_file:
        parser.add_argument("--json", type=Path, help="also write the results as JSON to this file")
    if strict:
        parser.add_argument(
            "--strict", action="store_true", help="exit 1 unless every target passes"
        )
