"""The sponsor statement as a PDF a CSR department attaches to its report (fpdf2, pure Python).

Indonesian by default (the city's and most sponsors' language), English on
request. The figures are the JSON's (``api.statements``), laid out on A4:
the range, one table of money per pledge and in total, the workers covered,
and the total's group tables (already suppressed: a merged group shows as
``other``). Core fonts only (Helvetica, Latin-1): the labels are ASCII and
ids are the engine's identifiers, so no font file ships with the API.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Literal

from fpdf import FPDF

from api.statements import DIMENSIONS, KINDS, Statement, StatementFigures, kind_field

__all__ = ["LABELS", "Lang", "render_pdf"]

Lang = Literal["id", "en"]

LABELS: dict[Lang, dict[str, str]] = {
    "id": {
        "title": "Laporan Sponsor", "sponsor": "Sponsor", "range": "Periode",
        "to": "s.d.", "pledge": "Janji", "total": "Total", "region": "Wilayah",
        "pledged": "Dijanjikan", "committed": "Dialokasikan", "billed": "Ditagihkan", "paid": "Dibayar",
        "arrears": "Tunggakan", "written_off": "Dihapusbukukan", "released": "Dilepas",
        "repriced": "Selisih tarif kembali", "returned": "Dikembalikan", "remaining": "Sisa dana",
        "runway": "Sisa bulan",
        "seats": "Kursi terisi", "workers": "Pekerja terlindungi", "groups": "Pekerja terlindungi menurut",
        "district": "Kecamatan", "occupation": "Pekerjaan", "sex": "Jenis kelamin",
        "welfare_decile": "Desil kesejahteraan", "other": "lainnya (digabung)",
        "note": "Angka = jumlah kejadian bertanggal (UTC) dalam periode, kedua tanggal termasuk. "
                "Sisa dana dan sisa bulan pada akhir periode. Kelompok di bawah 5 pekerja digabung.",
        "months": "bulan",
    },
    "en": {
        "title": "Sponsor Statement", "sponsor": "Sponsor", "range": "Period",
        "to": "to", "pledge": "Pledge", "total": "Total", "region": "Region",
        "pledged": "Pledged", "committed": "Committed", "billed": "Billed", "paid": "Paid",
        "arrears": "Arrears", "written_off": "Written off", "released": "Released",
        "repriced": "Tariff difference back", "returned": "Returned", "remaining": "Remaining",
        "runway": "Runway",
        "seats": "Seats filled", "workers": "Workers covered", "groups": "Workers covered by",
        "district": "District", "occupation": "Occupation", "sex": "Sex",
        "welfare_decile": "Welfare decile", "other": "other (merged)",
        "note": "Figures are the sums of the events dated (UTC) in the period, both days included. "
                "Remaining and runway at the period's end. Groups under 5 workers are merged.",
        "months": "months",
    },
}


def _rupiah(n: int, lang: Lang) -> str:
    """Rp 2.016.000 in Indonesian, Rp 2,016,000 in English."""
    text = f"{n:,}"
    return "Rp " + (text.replace(",", ".") if lang == "id" else text)


def _day(d: date, lang: Lang) -> str:
    return d.strftime("%d/%m/%Y") if lang == "id" else d.isoformat()


def _money_rows(f: StatementFigures, lang: Lang) -> list[tuple[str, str]]:
    words = LABELS[lang]
    rows = [(words[k.value], _rupiah(f.money[kind_field(k)], lang)) for k in KINDS]
    return [
        *rows,
        (words["remaining"], _rupiah(f.remaining_idr, lang)),
        (words["runway"], f"{f.runway_months} {words['months']}"),
        (words["seats"], str(f.seats_filled)),
        (words["workers"], str(f.workers_covered)),
    ]


def render_pdf(s: Statement, lang: Lang = "id") -> bytes:
    """The statement as PDF bytes; the same statement and language give the same bytes."""
    words = LABELS[lang]
    pdf = FPDF(format="A4")
    pdf.set_creation_date(datetime.combine(s.to_date, time(), UTC))  # no wall clock: same input, same bytes
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 16)
    pdf.cell(0, 10, words["title"], new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 10)
    pdf.cell(0, 6, f"{words['sponsor']}: {s.sponsor_id}", new_x="LMARGIN", new_y="NEXT")
    span = f"{_day(s.from_date, lang)} {words['to']} {_day(s.to_date, lang)}"
    pdf.cell(0, 6, f"{words['range']}: {span}", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    blocks = [(f"{words['pledge']} {p} ({words['region']} {r})", f) for p, r, f in s.pledges]
    for heading, figures in [*blocks, (words["total"], s.total)]:
        pdf.set_font("Helvetica", "B", 11)
        pdf.cell(0, 7, heading, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", "", 10)
        with pdf.table(col_widths=(60, 60), width=120, align="LEFT", text_align=("LEFT", "RIGHT")) as table:
            for label, value in _money_rows(figures, lang):
                table.row((label, value))
        pdf.ln(2)
    for name in DIMENSIONS:
        shown = s.total.groups[name]
        pdf.set_font("Helvetica", "B", 11)
        pdf.cell(0, 7, f"{words['groups']} {words[name].lower()} ({words['total'].lower()})",
                 new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", "", 10)
        with pdf.table(col_widths=(60, 60), width=120, align="LEFT", text_align=("LEFT", "RIGHT")) as table:
            for group, n in shown.cells.items():
                table.row((group, str(n)))
            if shown.other:
                table.row((words["other"], str(shown.other)))
            table.row((words["total"], str(shown.total)))
        pdf.ln(2)
    pdf.set_font("Helvetica", "I", 8)
    pdf.multi_cell(0, 4, words["note"])
    return bytes(pdf.output())
