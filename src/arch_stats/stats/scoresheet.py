"""A session's score sheet as a PDF, as a judge reads a paper one (ReportLab).

The sheet is the scorecard (`arch_stats.stats.scorecard`: each end's arrows high to low, end
and running totals, hits and 10+X and X — hits and golds for a 9-7-5-3-1 round —, the round's
distance and half subtotals) with a paper card's head and foot: the archer's name and
category, the round's full name, its distances and faces, the date and the venue; the total,
the handicap and the classification (full name) as the session's statistics give them
(`arch_stats.stats.session.round_figures`); signature lines for the archer and the scorer.

A standard round prints every end of the round, those not shot yet empty, so that a sheet
always has the same rows (a WA 1440 — 24 ends of 6 and 4 subtotals — fits one A4 page). A
session without a round prints the ends shot, without the round's parts.

Text. Everything typed by people (name, venue) is set in Noto Sans, embedded as a subset:
Latin with every accent, Greek, Cyrillic, Vietnamese. Chinese, Japanese and Korean runs use
the PDF standard's CJK fonts (Adobe's, which viewers provide: nothing embedded); any other
character (a script Noto Sans lacks, such as Arabic or Hebrew, an emoji) is left blank, never
an error. Control characters print as spaces. Labels use Helvetica-Bold (a core PDF font).

ReportLab is not documented as thread-safe: callers render one sheet at a time per process
(`arch_stats.stats.service`), in a worker thread.
"""

from __future__ import annotations

import io
import math
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache, partial
from importlib import resources
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from arch_stats.faces.rounds import RoundSpec, distance_label

TEXT_FONT = "NotoSans"
LABEL_FONT = "Helvetica-Bold"
NUMBER_FONT = "Helvetica"
# The PDF standard's CJK fonts: Japanese when a name has kana, Korean when it has Hangul,
# else (Han alone) Chinese.
CJK_JAPANESE = "HeiseiKakuGo-W5"
CJK_KOREAN = "HYGothic-Medium"
CJK_CHINESE = "STSong-Light"

MARGIN = 10 * mm
PAD = 6  # points: the padding of ReportLab's page frame, inside the margin
WIDTH = A4[0] - 2 * (MARGIN + PAD)  # what the tables span
ROW = 5.3 * mm
GRID = colors.Color(0.55, 0.55, 0.55)
SHADE = colors.Color(0.9, 0.9, 0.9)


@cache
def fonts() -> None:
    """Registered once per process (ReportLab's font registry is global)."""
    font = resources.files("fontpkg_noto_sans") / "files" / "NotoSans[wdth,wght].ttf"
    with resources.as_file(font) as path:
        pdfmetrics.registerFont(TTFont(TEXT_FONT, str(path)))
    for name in (CJK_JAPANESE, CJK_KOREAN, CJK_CHINESE):
        pdfmetrics.registerFont(UnicodeCIDFont(name))


# --- text in any script -------------------------------------------------------------------


def _is_kana(c: str) -> bool:
    return "\u3040" <= c <= "\u30ff" or "\u31f0" <= c <= "\u31ff" or "\uff65" <= c <= "\uff9f"


def _is_hangul(c: str) -> bool:
    return "\uac00" <= c <= "\ud7af" or "\u1100" <= c <= "\u11ff" or "\u3130" <= c <= "\u318f"


def _is_cjk(c: str) -> bool:
    return (
        _is_kana(c)
        or _is_hangul(c)
        or "\u2e80" <= c <= "\u2fdf"  # radicals
        or "\u3000" <= c <= "\u303f"  # CJK punctuation
        or "\u3400" <= c <= "\u4dbf"
        or "\u4e00" <= c <= "\u9fff"
        or "\uf900" <= c <= "\ufaff"
        or "\uff00" <= c <= "\uffef"  # full-width forms
        or "\U00020000" <= c <= "\U0002fa1f"
    )


def _clean(text: str) -> str:
    """Control characters (and unpaired surrogates) as spaces: a name is one line."""
    return "".join(" " if unicodedata.category(c) in ("Cc", "Cs") else c for c in text)


def markup(text: str) -> str:
    """`text` as Paragraph markup: escaped, CJK runs in a CJK font, the rest in Noto Sans."""
    text = _clean(text)
    cjk = (
        CJK_JAPANESE
        if any(map(_is_kana, text))
        else CJK_KOREAN
        if any(map(_is_hangul, text))
        else CJK_CHINESE
    )
    out: list[str] = []
    run: list[str] = []
    in_cjk = False
    for c in text:
        if _is_cjk(c) != in_cjk and run:
            out.append(_run("".join(run), cjk if in_cjk else None))
            run = []
        in_cjk = _is_cjk(c)
        run.append(c)
    if run:
        out.append(_run("".join(run), cjk if in_cjk else None))
    return "".join(out)


def _run(text: str, font: str | None) -> str:
    return f'<font name="{font}">{escape(text)}</font>' if font else escape(text)


# --- what the sheet says ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Sheet:
    """Everything printed: the scorecard (the `data` of GET /session/{id}/scorecard, with its
    `archer`), the session's row (location, is_indoor, distance_m, start_time, end_time, id),
    the round's figures (`round_figures`, None without a round), the reader's UTC offset."""

    card: Mapping[str, Any]
    session: Mapping[str, Any]
    figures: Mapping[str, Any] | None
    utc_offset: timedelta
    made_at: datetime
    spec: RoundSpec | None = None  # the session's round (standard, or custom)


def category(archer: Mapping[str, Any]) -> str:
    return " · ".join(
        str(archer[k])[:1].upper() + str(archer[k])[1:] for k in ("bowstyle", "gender", "age_group")
    )


def distances(spec: RoundSpec) -> str:
    """'90 m (122 cm) · 70 m (122 cm) · …': consecutive passes at one distance on one face
    once (a WA 720's two passes at 70 m are one)."""
    parts: list[str] = []
    for p in spec.passes:
        part = f"{distance_label(p)} ({p.face_diameter_cm:g} cm)"
        if not parts or parts[-1] != part:
            parts.append(part)
    return " · ".join(parts)


def metres(value: float) -> str:
    return f"{value:g} m"


def _offset_label(offset: timedelta) -> str:
    minutes = round(offset.total_seconds() / 60)
    sign = "+" if minutes >= 0 else "−"
    return f"UTC{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def when(sheet: Sheet) -> str:
    """'Fri 1 May 2026, 09:30–12:40 (UTC+02:00)' in the reader's offset."""
    start: datetime = sheet.session["start_time"] + sheet.utc_offset
    end: datetime | None = sheet.session["end_time"]
    text = f"{start:%a} {start.day} {start:%b %Y, %H:%M}"
    if end is None:
        text += " (still open)"
    else:
        end = end + sheet.utc_offset
        text += f"–{end:%H:%M}" if end.date() == start.date() else f" – {end:%d %b %Y, %H:%M}"
    return f"{text} ({_offset_label(sheet.utc_offset)})"


def count_columns(card: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(heading, key) of the count columns: hits and golds imperial, else hits, 10+X and X."""
    if card["imperial"]:
        return [("Hits", "hits"), ("Golds", "golds")]
    return [("Hits", "hits"), ("10+X", "ten_x_count"), ("X", "x_count")]


# --- layout ---------------------------------------------------------------------------------

_STYLES = {
    "title": ParagraphStyle("title", fontName=LABEL_FONT, fontSize=15, leading=18),
    "label": ParagraphStyle("label", fontName=LABEL_FONT, fontSize=8, leading=10),
    "value": ParagraphStyle("value", fontName=TEXT_FONT, fontSize=9.5, leading=12),
    "name": ParagraphStyle("name", fontName=TEXT_FONT, fontSize=13, leading=16),
    "note": ParagraphStyle("note", fontName=TEXT_FONT, fontSize=8, leading=10),
    "total": ParagraphStyle("total", fontName=LABEL_FONT, fontSize=14, leading=17),
}


def _p(text: str, style: str) -> Paragraph:
    return Paragraph(text, _STYLES[style])


def _head(sheet: Sheet) -> list[Flowable]:
    card, session, spec = sheet.card, sheet.session, sheet.spec
    title = markup(card["round_name"]) if card["round_name"] else "Practice session"
    venue = session["location"] or "—"
    rows: list[tuple[str, str, str]] = [
        ("Archer", markup(card["archer"]["name"]), "name"),
        ("Category", escape(category(card["archer"])), "value"),
    ]
    if spec is not None:
        rows.append(("Round", markup(spec.name), "value"))
        rows.append(("Distances", escape(distances(spec)), "value"))
    else:
        rows.append(("Distance", escape(metres(session["distance_m"])), "value"))
    rows += [
        ("Date", escape(when(sheet)), "value"),
        ("Venue", f"{markup(venue)} · {'indoor' if session['is_indoor'] else 'outdoor'}", "value"),
    ]
    table = Table(
        [[_p(label, "label"), _p(value, style)] for label, value, style in rows],
        colWidths=[24 * mm, WIDTH - 24 * mm],
        style=TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "BOTTOM"),
                ("LINEBELOW", (1, 0), (1, -1), 0.3, GRID),
                ("TOPPADDING", (0, 0), (-1, -1), 1),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
                ("LEFTPADDING", (0, 0), (0, -1), 0),
            ]
        ),
    )
    return [_p(f"Score sheet · {title}", "title"), Spacer(0, 2 * mm), table, Spacer(0, 4 * mm)]


def _n_ends(sheet: Sheet) -> int:
    """The round's ends (and any shot beyond them), or the ends shot."""
    card, spec = sheet.card, sheet.spec
    shot = len(card["ends"])
    if spec is None:
        return shot
    return max(shot, math.ceil(spec.n_arrows / int(card["arrows_per_end"])))


def _ends_table(sheet: Sheet) -> Table:
    card = sheet.card
    counts = count_columns(card)
    n = max([card["arrows_per_end"], *(len(e["arrows"]) for e in card["ends"])])
    fixed = [11 * mm, 13 * mm, 15 * mm] + [11 * mm] * len(counts)
    arrow_w = (WIDTH - sum(fixed)) / n
    widths = [fixed[0], *([arrow_w] * n), *fixed[1:]]
    head = ["End", *(str(i + 1) for i in range(n)), "End", "Total", *(h for h, _ in counts)]
    rows: list[list[Any]] = [head]
    style: list[tuple[Any, ...]] = [
        ("FONT", (0, 0), (-1, 0), LABEL_FONT, 7.5),
        ("FONT", (0, 1), (-1, -1), NUMBER_FONT, 9 if n <= 12 else 7),
        ("BACKGROUND", (0, 0), (-1, 0), SHADE),
        ("ALIGN", (0, 0), (-1, -1), "CENTER"),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("GRID", (0, 0), (-1, -1), 0.4, GRID),
        ("LINEAFTER", (0, 0), (0, -1), 1, colors.black),
        ("LINEBEFORE", (n + 1, 0), (n + 1, -1), 1, colors.black),
        ("BOX", (0, 0), (-1, -1), 1, colors.black),
        ("TOPPADDING", (0, 0), (-1, -1), 0),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 1),
    ]
    by_no = {e["end_no"]: e for e in card["ends"]}
    subtotals: dict[int, list[Mapping[str, Any]]] = {}
    for st in card["subtotals"]:
        subtotals.setdefault(st["end_to"], []).append(st)

    def figures(f: Mapping[str, Any] | None) -> list[str]:
        if f is None:
            return [""] * len(counts)
        return [str(f[key]) for _, key in counts]

    def total_row(label: str, f: Mapping[str, Any]) -> list[str]:
        """A subtotal or the total: empty while no arrow of its part is shot (as on paper)."""
        shot = f["arrows"] > 0
        return [
            label,
            *([""] * n),
            str(f["total"]) if shot else "",
            "",
            *figures(f if shot else None),
        ]

    for end_no in range(1, _n_ends(sheet) + 1):
        end = by_no.get(end_no)
        labels = [a["label"] for a in end["arrows"]] if end else []
        rows.append(
            [
                str(end_no),
                *labels,
                *([""] * (n - len(labels))),
                str(end["total"]) if end else "",
                str(end["running_total"]) if end else "",
                *figures(end),
            ]
        )
        for st in subtotals.get(end_no, ()):
            rows.append(total_row(f"{st['label']} (ends {st['end_from']}–{st['end_to']})", st))
            style += _total_style(len(rows) - 1, n)
    if card["ends"]:
        rows.append(total_row("Total", card))
        style += _total_style(len(rows) - 1, n)
    return Table(rows, colWidths=widths, rowHeights=ROW, repeatRows=1, style=TableStyle(style))


def _total_style(row: int, n: int) -> list[tuple[Any, ...]]:
    return [
        ("SPAN", (0, row), (n, row)),
        ("SPAN", (n + 1, row), (n + 2, row)),
        ("ALIGN", (0, row), (n, row), "RIGHT"),
        ("FONT", (0, row), (-1, row), LABEL_FONT, 8.5),
        ("BACKGROUND", (0, row), (-1, row), SHADE),
    ]


def _results(sheet: Sheet) -> list[Flowable]:
    card, figures = sheet.card, sheet.figures
    counts = count_columns(card)
    heads = ["Total", *(h for h, _ in counts), "Arrows"]
    values = [str(card["total"]), *(str(card[k]) for _, k in counts), str(card["arrows"])]
    notes: list[str] = []
    if figures is not None:
        complete = figures["complete"]
        heads += [f"Handicap ({figures['scheme']})", "Classification (Archery GB)"]
        hc = figures["handicap"]
        values.append(f"{hc:g}" if hc is not None else "—")
        name = figures.get("classification_name")
        values.append(f"{name} ({figures['classification']})" if name else "—")
        if not complete:
            notes.append(
                f"Round not complete: {figures['arrows_counted']} of {figures['n_arrows']} "
                "arrows shot, so no handicap or classification."
            )
        elif card["arrows"] > figures["n_arrows"]:
            notes.append(
                f"{card['arrows'] - figures['n_arrows']} arrows beyond the round's "
                f"{figures['n_arrows']}: the round scores {figures['score']}."
            )
    widths = [22 * mm, *([14 * mm] * (len(heads) - 1))]
    if figures is not None:  # the classification takes what is left
        widths[-2] = 24 * mm
        widths[-1] = WIDTH - sum(widths[:-1])
    cells = [_p(escape(v), "total" if i == 0 else "value") for i, v in enumerate(values)]
    table = Table(
        [[_p(h, "label") for h in heads], cells],
        colWidths=widths,
        style=TableStyle(
            [
                ("BOX", (0, 0), (-1, -1), 1, colors.black),
                ("INNERGRID", (0, 0), (-1, -1), 0.4, GRID),
                ("BACKGROUND", (0, 0), (-1, 0), SHADE),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ]
        ),
        hAlign="LEFT",
    )
    return [Spacer(0, 4 * mm), table, *(_p(escape(note), "note") for note in notes)]


def _signatures() -> Table:
    """Two lines each for the archer and the scorer: a signature, and the name in capitals."""
    half = (WIDTH - 10 * mm) / 2
    lines = [("LINEBELOW", (c, r), (c, r), 0.6, colors.black) for r in (0, 2) for c in (0, 2)]
    return Table(
        [
            ["", "", ""],
            [_p("Archer's signature", "label"), "", _p("Scorer's signature", "label")],
            ["", "", ""],
            [_p("Archer's name (capitals)", "label"), "", _p("Scorer's name (capitals)", "label")],
        ],
        colWidths=[half, 10 * mm, half],
        rowHeights=[12 * mm, 5 * mm, 10 * mm, 5 * mm],
        style=TableStyle(
            [
                *lines,
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("TOPPADDING", (0, 0), (-1, -1), 1),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 0),
            ]
        ),
    )


class NumberedCanvas(Canvas):
    """Writes the footer and 'page i of n' on every page once the number of pages is known
    (ReportLab's own recipe: each page's state is kept until the document is saved)."""

    def __init__(self, *args: Any, footer: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.footer = footer
        self._pages: list[dict[str, Any]] = []

    def showPage(self) -> None:  # ReportLab's name
        self._pages.append(dict(self.__dict__))
        canvas: Any = self  # its page state is not part of ReportLab's typed API
        canvas._startPage()

    def save(self) -> None:
        for state in self._pages:
            self.__dict__.update(state)
            self.setFont(NUMBER_FONT, 7)
            self.setFillColor(colors.Color(0.35, 0.35, 0.35))
            self.drawString(MARGIN + PAD, 7 * mm, self.footer)
            self.drawRightString(
                A4[0] - MARGIN - PAD, 7 * mm, f"page {self.getPageNumber()} of {len(self._pages)}"
            )
            super().showPage()
        super().save()


def render(sheet: Sheet) -> bytes:
    """The sheet as PDF bytes (A4, portrait)."""
    fonts()
    buf = io.BytesIO()
    spec = sheet.spec
    title = f"Score sheet · {sheet.card['archer']['name']} · {spec.name if spec else 'practice'}"
    doc = SimpleDocTemplate(
        buf,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=10 * mm,
        bottomMargin=12 * mm,
        title=_clean(title),
        author="Arch Stats",
        creator="Arch Stats",
    )
    footer = (
        f"Arch Stats score sheet · session {sheet.session['id']} · "
        f"made {sheet.made_at:%Y-%m-%d %H:%M} UTC"
    )
    story: list[Flowable] = [*_head(sheet), _ends_table(sheet), *_results(sheet)]
    story += [Spacer(0, 6 * mm), _signatures()]
    doc.build(story, canvasmaker=partial(NumberedCanvas, footer=footer))
    return buf.getvalue()
