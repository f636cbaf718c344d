"""What the API's PDFs share (the sponsor statement, the city report): money and dates as a reader of
the language expects them, and one A4 layout of headings and two-column tables (fpdf2, core fonts)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, time
from typing import Literal

from fpdf import FPDF

__all__ = ["Lang", "day", "document", "heading", "note", "rupiah", "table"]

Lang = Literal["id", "en"]


def rupiah(n: int, lang: Lang) -> str:
    """Rp 2.016.000 in Indonesian, Rp 2,016,000 in English."""
    text = f"{n:,}"
    return "Rp " + (text.replace(",", ".") if lang == "id" else text)


def day(d: date, lang: Lang) -> str:
    return d.strftime("%d/%m/%Y") if lang == "id" else d.isoformat()


def document(dated: date) -> FPDF:
    """An A4 document with its first page, dated ``dated``: no wall clock, so same input, same bytes."""
    pdf = FPDF(format="A4")
    pdf.set_creation_date(datetime.combine(dated, time(), UTC))
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    return pdf


def heading(pdf: FPDF, text: str, size: int = 11) -> None:
    pdf.set_font("Helvetica", "B", size)
    pdf.cell(0, 10 if size > 11 else 7, text, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 10)


def table(
    pdf: FPDF, rows: Iterable[tuple[str, ...]], widths: tuple[int, ...] = (60, 60), *, headings: bool = False
) -> None:
    """Rows of a label then right-aligned values, then a small gap; ``headings``: the first row is one."""
    pdf.set_font("Helvetica", "", 10)
    align = ("LEFT", *("RIGHT" for _ in widths[1:]))
    with pdf.table(col_widths=widths, width=sum(widths), align="LEFT", text_align=align,
                   first_row_as_headings=headings) as t:
        for row in rows:
            t.row(row)
    pdf.ln(2)


def note(pdf: FPDF, text: str) -> None:
    pdf.set_font("Helvetica", "I", 8)
    pdf.multi_cell(0, 4, text)
