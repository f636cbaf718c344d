"""The sponsor statement as a PDF a CSR department attaches to its report (fpdf2, pure Python).

Indonesian by default (the city's and most sponsors' language), English on
request. The figures are the JSON's (``api.statements``), laid out on A4:
the range, one table of money per pledge and in total, the workers covered,
and the total's group tables (already suppressed: a merged group shows as
``other``). Core fonts only (Helvetica, Latin-1): the labels are ASCII and
ids are the engine's identifiers, so no font file ships with the API.
"""

from __future__ import annotations

from api.pdf_layout import Lang, day, document, heading, note, rupiah, table
from api.statements import DIMENSIONS, KINDS, Statement, StatementFigures, kind_field

__all__ = ["LABELS", "Lang", "render_pdf"]

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


def _money_rows(f: StatementFigures, lang: Lang) -> list[tuple[str, str]]:
    words = LABELS[lang]
    rows = [(words[k.value], rupiah(f.money[kind_field(k)], lang)) for k in KINDS]
    return [
        *rows,
        (words["remaining"], rupiah(f.remaining_idr, lang)),
        (words["runway"], f"{f.runway_months} {words['months']}"),
        (words["seats"], str(f.seats_filled)),
        (words["workers"], str(f.workers_covered)),
    ]


def render_pdf(s: Statement, lang: Lang = "id") -> bytes:
    """The statement as PDF bytes; the same statement and language give the same bytes."""
    words = LABELS[lang]
    pdf = document(s.to_date)
    heading(pdf, words["title"], 16)
    pdf.cell(0, 6, f"{words['sponsor']}: {s.sponsor_id}", new_x="LMARGIN", new_y="NEXT")
    span = f"{day(s.from_date, lang)} {words['to']} {day(s.to_date, lang)}"
    pdf.cell(0, 6, f"{words['range']}: {span}", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    blocks = [(f"{words['pledge']} {p} ({words['region']} {r})", f) for p, r, f in s.pledges]
    for title, figures in [*blocks, (words["total"], s.total)]:
        heading(pdf, title)
        table(pdf, _money_rows(figures, lang))
    for name in DIMENSIONS:
        shown = s.total.groups[name]
        heading(pdf, f"{words['groups']} {words[name].lower()} ({words['total'].lower()})")
        rows = [(group, str(n)) for group, n in shown.cells.items()]
        if shown.other:
            rows.append((words["other"], str(shown.other)))
        table(pdf, [*rows, (words["total"], str(shown.total))])
    note(pdf, words["note"])
    return bytes(pdf.output())
