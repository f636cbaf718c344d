"""The monthly city report as a PDF the city publishes (fpdf2; layout shared with the statement).

Indonesian by default (the city's language), English on request. The
figures are the JSON's (``api.city_report``): the month's people, the
fairness tables (groups under the threshold merged), and the money in total
and per sponsor. Dated at the month's last day, never the wall clock: the
same report gives the same bytes.
"""

from __future__ import annotations

import calendar
from datetime import date

from api.bodies import GroupCountsOut
from api.city_report import CityReport, MoneyFigures
from api.pdf_layout import Lang, document, heading, note, rupiah, table
from api.statements import KINDS, kind_field
from models.regions import regency_name

__all__ = ["LABELS", "month_end", "render_pdf"]

LABELS: dict[Lang, dict[str, str]] = {
    "id": {
        "title": "Laporan Bulanan Kota", "region": "Wilayah", "month": "Bulan", "closed": "Status",
        "is_closed": "bulan sudah ditutup", "open": "bulan belum ditutup (angka sementara)",
        "people": "Pekerja", "received": "Permohonan diterima", "eligible": "Memenuhi syarat",
        "rejected": "Permohonan ditolak menurut alasan", "waiting_at_end": "Menunggu di akhir bulan",
        "newly_covered": "Mulai terlindungi", "renewed": "Diperpanjang",
        "covered_at_end": "Terlindungi di akhir bulan",
        "terms_ended": "Masa perlindungan berakhir menurut jenis",
        "withdrawals": "Keluar dari program", "claims": "Klaim", "fairness": "Keadilan menurut",
        "group": "Kelompok", "eligible_col": "Memenuhi syarat", "covered_col": "Terlindungi",
        "gap": "Selisih", "ratio": "Rasio", "money": "Dana", "sponsor": "Sponsor", "total": "Total",
        "pledged": "Dijanjikan", "committed": "Dialokasikan", "billed": "Ditagihkan", "paid": "Dibayar",
        "arrears": "Tunggakan", "written_off": "Dihapusbukukan", "released": "Dilepas",
        "repriced": "Selisih tarif kembali", "returned": "Dikembalikan", "remaining": "Sisa dana",
        "uncommitted": "Belum dialokasikan",
        "pledges": "Janji", "seats": "Kursi terisi", "payer_refunded": "Kelebihan bayar dikembalikan",
        "other": "lainnya (digabung)", "_merged": "lainnya (digabung)",
        "district": "kecamatan", "occupation": "pekerjaan", "sex": "jenis kelamin",
        "decile": "desil kesejahteraan", "disability": "disabilitas",
        "note": "Angka = kejadian mesin dengan periode bulan ini. Kelompok di bawah {n} orang digabung; "
                "total tepat. Sisa dana pada akhir bulan.",
    },
    "en": {
        "title": "Monthly City Report", "region": "Region", "month": "Month", "closed": "Status",
        "is_closed": "month closed", "open": "month not closed yet (figures so far)",
        "people": "Workers", "received": "Applications received", "eligible": "Eligible",
        "rejected": "Applications rejected by reason", "waiting_at_end": "Waiting at month end",
        "newly_covered": "Newly covered", "renewed": "Renewed",
        "covered_at_end": "Covered at month end", "terms_ended": "Terms ended by kind",
        "withdrawals": "Withdrawals", "claims": "Claims", "fairness": "Fairness by",
        "group": "Group", "eligible_col": "Eligible", "covered_col": "Covered",
        "gap": "Gap", "ratio": "Ratio", "money": "Money", "sponsor": "Sponsor", "total": "Total",
        "pledged": "Pledged", "committed": "Committed", "billed": "Billed", "paid": "Paid",
        "arrears": "Arrears", "written_off": "Written off", "released": "Released",
        "repriced": "Tariff difference back", "returned": "Returned", "remaining": "Remaining",
        "uncommitted": "Uncommitted",
        "pledges": "Pledges", "seats": "Seats filled", "payer_refunded": "Overpayments refunded",
        "other": "other (merged)", "_merged": "other (merged)",
        "district": "district", "occupation": "occupation", "sex": "sex",
        "decile": "welfare decile", "disability": "disability",
        "note": "Figures are the engine's events whose period is this month. Groups under {n} people are "
                "merged; totals are exact. Remaining at the month's end.",
    },
}


def month_end(month: str) -> date:
    year, number = int(month[:4]), int(month[5:])
    return date(year, number, calendar.monthrange(year, number)[1])


def _counts(shown: GroupCountsOut, words: dict[str, str]) -> list[tuple[str, str]]:
    rows = [(group, str(n)) for group, n in shown.cells.items()]
    if shown.other:
        rows.append((words["other"], str(shown.other)))
    return [*rows, (words["total"], str(shown.total))]


def _money(f: MoneyFigures, lang: Lang) -> list[tuple[str, str]]:
    words = LABELS[lang]
    return [
        *((words[k.value], rupiah(f.money[kind_field(k)], lang)) for k in KINDS),
        (words["remaining"], rupiah(f.remaining_idr, lang)),
        (words["uncommitted"], rupiah(f.uncommitted_idr, lang)),
        (words["pledges"], str(f.pledges)),
        (words["seats"], str(f.seats_filled)),
    ]


def _fraction(x: float | None) -> str:
    return "-" if x is None else f"{x:.4f}"


def render_pdf(r: CityReport, closed: bool, lang: Lang = "id") -> bytes:
    """The report as PDF bytes; the same report, status and language give the same bytes."""
    words = LABELS[lang]
    pdf = document(month_end(r.month))
    heading(pdf, words["title"], 16)
    name = regency_name(r.region)
    for label, value in (
        (words["region"], f"{r.region}" + (f" ({name})" if name else "")),
        (words["month"], r.month),
        (words["closed"], words["is_closed"] if closed else words["open"]),
    ):
        pdf.cell(0, 6, f"{label}: {value}", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    f = r.figures
    heading(pdf, words["people"])
    table(pdf, [
        (words["received"], str(f.applications_received)), (words["eligible"], str(f.eligible)),
        (words["waiting_at_end"], str(f.waiting_at_end)), (words["newly_covered"], str(f.newly_covered)),
        (words["renewed"], str(f.renewed)), (words["covered_at_end"], str(f.covered_at_end)),
        (words["withdrawals"], str(f.withdrawals)),
    ])
    for key, shown in (("rejected", f.rejected), ("terms_ended", f.terms_ended), ("claims", f.claims)):
        heading(pdf, words[key])
        table(pdf, _counts(shown, words))
    for t in r.fairness:
        heading(pdf, f"{words['fairness']} {words[t.dimension]}")
        rows = [(words["group"], words["eligible_col"], words["covered_col"], words["gap"], words["ratio"])]
        for row in t.rows:
            rows.append((words["_merged"] if row.group == "_merged" else row.group, str(row.eligible),
                         str(row.covered), _fraction(float(row.gap)),
                         _fraction(None if row.ratio is None else float(row.ratio))))
        rows.append((words["total"], str(t.eligible_total), str(t.covered_total), "", ""))
        table(pdf, rows, (50, 30, 30, 30, 30), headings=True)
    heading(pdf, f"{words['money']} ({words['total'].lower()})")
    table(pdf, [*_money(r.money, lang), (words["payer_refunded"], rupiah(r.payer_refunded_idr, lang))])
    for s in r.sponsors:
        heading(pdf, f"{words['sponsor']} {s.sponsor_id}")
        table(pdf, _money(s.figures, lang))
    note(pdf, words["note"].format(n=r.threshold))
    return bytes(pdf.output())
