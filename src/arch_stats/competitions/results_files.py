"""The results for the club's records: CSV (one row per archer) and a PDF results sheet (A4,
ReportLab, with the score sheet's fonts and page footer: `arch_stats.stats.scoresheet`)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from functools import partial
from typing import Any

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle
from starlette.responses import Response

from arch_stats.core.threads import ThreadSlots
from arch_stats.exchange.parser import FORMULA_START
from arch_stats.stats.scoresheet import (
    GRID,
    LABEL_FONT,
    MARGIN,
    SHADE,
    TEXT_FONT,
    WIDTH,
    NumberedCanvas,
    fonts,
    markup,
)

COUNTS = ("arrows", "total", "hits", "ten_x", "x", "golds")


def _cell(value: object) -> object:
    """A text cell a spreadsheet would run as a formula gets a `'` first (OWASP)."""
    if isinstance(value, str) and value[:1] and (value[0] in FORMULA_START or value[0] == "'"):
        return "'" + value
    return value


def _place(row: dict[str, Any]) -> str:
    if row["place"] is None:
        return ""
    return f"={row['place']}" if row["tied"] else str(row["place"])


def _file_name(data: dict[str, Any], ext: str) -> str:
    day = data["competition"]["starts_on"]
    return f"results-{day.isoformat()}.{ext}"


def csv_text(data: dict[str, Any]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(["category", "place", "name", "guest", "target", *COUNTS, "ends"])
    for cat in data["categories"]:
        for r in cat["rows"]:
            writer.writerow(
                [
                    _cell(cat["label"]),
                    _cell(_place(r)) if r["tied"] else _place(r),
                    _cell(r["name"]),
                    "yes" if r["guest"] else "no",
                    r["target"] or "",
                    *(r[c] for c in COUNTS),
                    " ".join(map(str, r["ends"])),
                ]
            )
    return buf.getvalue()


def csv_response(data: dict[str, Any]) -> Response:
    return Response(
        csv_text(data).encode(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{_file_name(data, "csv")}"'},
    )


_STYLES = {
    "title": ParagraphStyle("title", fontName=LABEL_FONT, fontSize=16, leading=20),
    "sub": ParagraphStyle("sub", fontName=TEXT_FONT, fontSize=10, leading=13),
    "cat": ParagraphStyle("cat", fontName=LABEL_FONT, fontSize=12, leading=15, spaceBefore=8),
    "cell": ParagraphStyle("cell", fontName=TEXT_FONT, fontSize=9, leading=11),
}


def render(data: dict[str, Any]) -> bytes:
    """The results sheet: the competition's head, then each category's ranking (place, name,
    target, total and the round's tie-break counts)."""
    fonts()
    comp, rule = data["competition"], data["rule"]
    counts = [("total", "Total"), *((t["key"], t["label"]) for t in rule["tiebreaks"])]
    buf = io.BytesIO()
    doc = SimpleDocTemplate(
        buf,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=10 * mm,
        bottomMargin=12 * mm,
        title=f"Results · {comp['name']}",
        author="Arch Stats",
        creator="Arch Stats",
    )
    days = comp["starts_on"].isoformat()
    if comp["ends_on"] != comp["starts_on"]:
        days += f" – {comp['ends_on'].isoformat()}"
    head = f"{comp['club_name']} · {comp['round_name']} · {days}"
    if comp["venue"]:
        head += f" · {comp['venue']}"
    final = "Final results" if comp["status"] == "finished" else "Provisional results"
    story: list[Flowable] = [
        Paragraph(markup(comp["name"]), _STYLES["title"]),
        Paragraph(markup(f"{final} · {head}"), _STYLES["sub"]),
        Spacer(0, 4 * mm),
    ]
    fixed = [12 * mm, 14 * mm, 16 * mm] + [16 * mm] * len(counts)
    name_width = WIDTH - sum(fixed)
    for cat in data["categories"]:
        story.append(Paragraph(markup(cat["label"]), _STYLES["cat"]))
        rows: list[list[Any]] = [["Place", "Archer", "Target", "Arrows", *(c[1] for c in counts)]]
        for r in cat["rows"]:
            name = r["name"] + (" (guest)" if r["guest"] else "")
            rows.append(
                [
                    _place(r),
                    Paragraph(markup(name), _STYLES["cell"]),
                    r["target"] or "",
                    r["arrows"],
                    *(r[c[0]] for c in counts),
                ]
            )
        story.append(
            Table(
                rows,
                colWidths=[fixed[0], name_width, fixed[1], fixed[2], *fixed[3:]],
                repeatRows=1,
                style=TableStyle(
                    [
                        ("FONT", (0, 0), (-1, 0), LABEL_FONT, 8),
                        ("FONT", (0, 1), (-1, -1), TEXT_FONT, 9),
                        ("BACKGROUND", (0, 0), (-1, 0), SHADE),
                        ("GRID", (0, 0), (-1, -1), 0.4, GRID),
                        ("ALIGN", (2, 0), (-1, -1), "RIGHT"),
                        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                        ("TEXTCOLOR", (0, 1), (-1, -1), colors.black),
                    ]
                ),
            )
        )
    footer = f"Arch Stats results · made {datetime.now(UTC):%Y-%m-%d %H:%M} UTC"
    doc.build(story, canvasmaker=partial(NumberedCanvas, footer=footer))
    return buf.getvalue()


async def pdf_response(data: dict[str, Any], threads: ThreadSlots) -> Response:
    """Made in the process's score sheet thread (one ReportLab document at a time)."""
    pdf = await threads.run(render, data)
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{_file_name(data, "pdf")}"'},
    )
