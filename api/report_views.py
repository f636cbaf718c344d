"""``GET /v1/regions/{region}/report``: the monthly city report, JSON, CSV or PDF, for the city's officers.

Officer keys only: the report shows every sponsor's money in the regency,
which a sponsor may not read of another (its own is its statement, ``GET
/v1/sponsors/me/statement``). The figures are ``api.city_report``'s fold
(fed by the API's feed); whether the month is closed is the officer's desk's
clock (``api.desk_model``: a later month began). This module only shapes them.

CSV is three tables a spreadsheet opens as one sheet, separated by an empty
row, each with its own header: figures (one row per figure, a row per group
shown of each table, its ``other`` and ``total``), fairness (one row per
group per dimension and a ``total`` row), money (one row per sponsor and a
``total`` row).
"""

from __future__ import annotations

import csv
import io
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response

from api.auth import Officer
from api.bodies import GroupCountsOut
from api.city_report import CityReport, CityReports, MoneyFigures
from api.pdf_layout import Lang
from api.problems import ProblemError, responses
from api.report_bodies import (
    CityReportOut,
    FairnessRowOut,
    FairnessTableOut,
    ReportFiguresOut,
    ReportMoneyOut,
    SponsorMoneyOut,
)
from api.report_pdf import render_pdf
from api.services import Services
from api.statements import KINDS, kind_field
from models.fairness import Table
from models.regions import regency_name

__all__ = ["FAIRNESS_COLUMNS", "FIGURE_COLUMNS", "MONEY_COLUMNS", "report_reads", "to_csv", "to_out"]

report_reads = APIRouter(prefix="/v1")

FIGURE_COLUMNS = ("region", "month", "closed", "figure", "group", "count")
FAIRNESS_COLUMNS = (
    "dimension", "group", "eligible", "covered", "eligible_share", "covered_share", "gap", "ratio",
)
MONEY_COLUMNS = (
    "sponsor_id", *(kind_field(k) for k in KINDS), "remaining_idr", "uncommitted_idr", "pledges",
    "seats_filled", "payer_refunded_idr",
)
_SCALARS = (
    "applications_received", "eligible", "waiting_at_end", "newly_covered", "renewed", "covered_at_end",
    "withdrawals",
)
_TABLES = ("rejected", "terms_ended", "claims")
_FORMATS: dict[int | str, dict[str, Any]] = {200: {"content": {
    "text/csv": {"schema": {"type": "string"}},
    "application/pdf": {"schema": {"type": "string", "format": "binary"}},
}}}


def _round(x: object) -> float:
    return round(float(x), 4)  # type: ignore[arg-type]


def _fairness(t: Table) -> FairnessTableOut:
    return FairnessTableOut(
        dimension=t.dimension, eligible=t.eligible_total, covered=t.covered_total, merged=list(t.merged),
        rows=[FairnessRowOut(
            group=row.group, eligible=row.eligible, covered=row.covered,
            eligible_share=_round(row.eligible_share), covered_share=_round(row.covered_share),
            gap=_round(row.gap), ratio=None if row.ratio is None else _round(row.ratio),
        ) for row in t.rows],
    )


def _money(f: MoneyFigures) -> dict[str, int]:
    return {**f.money, "remaining_idr": f.remaining_idr, "uncommitted_idr": f.uncommitted_idr,
            "pledges": f.pledges, "seats_filled": f.seats_filled}


def to_out(r: CityReport, closed: bool) -> CityReportOut:
    f = r.figures
    return CityReportOut(
        region=r.region, region_name=regency_name(r.region), month=r.month, closed=closed,
        threshold=r.threshold,
        figures=ReportFiguresOut(
            applications_received=f.applications_received, eligible=f.eligible, rejected=f.rejected,
            waiting_at_end=f.waiting_at_end, newly_covered=f.newly_covered, renewed=f.renewed,
            covered_at_end=f.covered_at_end, terms_ended=f.terms_ended, withdrawals=f.withdrawals,
            claims=f.claims,
        ),
        fairness=[_fairness(t) for t in r.fairness],
        money=ReportMoneyOut(**_money(r.money)), payer_refunded_idr=r.payer_refunded_idr,
        sponsors=[SponsorMoneyOut(sponsor_id=s.sponsor_id, **_money(s.figures)) for s in r.sponsors],
    )


def to_csv(out: CityReportOut) -> str:
    """The JSON's figures as three tables (the PDF and the CSV say what the JSON says)."""
    buffer = io.StringIO()
    w = csv.writer(buffer, lineterminator="\r\n")
    w.writerow(FIGURE_COLUMNS)
    head = (out.region, out.month, "true" if out.closed else "false")
    figures = out.figures
    for name in _SCALARS:
        w.writerow([*head, name, "", getattr(figures, name)])
    for name in _TABLES:
        table: GroupCountsOut = getattr(figures, name)
        for group, n in table.cells.items():
            w.writerow([*head, name, group, n])
        if table.other:
            w.writerow([*head, name, "other", table.other])
        w.writerow([*head, name, "total", table.total])
    w.writerow([])
    w.writerow(FAIRNESS_COLUMNS)
    for t in out.fairness:
        for row in t.rows:
            w.writerow([t.dimension, row.group, row.eligible, row.covered, row.eligible_share,
                        row.covered_share, row.gap, "" if row.ratio is None else row.ratio])
        w.writerow([t.dimension, "total", t.eligible, t.covered, "", "", "", ""])
    w.writerow([])
    w.writerow(MONEY_COLUMNS)
    for s in out.sponsors:
        w.writerow([s.sponsor_id, *(getattr(s, c) for c in MONEY_COLUMNS[1:-1]), ""])
    w.writerow(["total", *(getattr(out.money, c) for c in MONEY_COLUMNS[1:-1]), out.payer_refunded_idr])
    return buffer.getvalue()


@report_reads.get(
    "/regions/{region}/report", response_model=CityReportOut, tags=["city"],
    summary="The monthly city report: applications, cover, fairness and money for one regency and month",
    description="Officer keys only (it shows every sponsor's money). Every figure is from the engine's "
    "events whose `period` is `month`; levels (waiting, covered, remaining) at the month's end. A "
    "month not closed yet is answered with `closed: false` and the figures so far. Tables of counts "
    "of people merge groups under the threshold (`models.disclosure`); totals are exact. "
    "`format=csv`: figures, fairness and money as three tables separated by an empty row. "
    "`format=pdf`: the same for publication, in `lang` (`id` by default, or `en`), dated at the "
    "month's last day.",
    responses={**_FORMATS, **responses(401, 403, 404, 422, 429)},
)
async def city_report(
    who: Officer, request: Request,
    region: Annotated[str, Path(description="The regency's code, e.g. `74.71` (one the city serves).")],
    month: Annotated[str, Query(pattern=r"^[0-9]{4}-(0[1-9]|1[0-2])$", description="YYYY-MM.")],
    fmt: Annotated[Literal["json", "csv", "pdf"], Query(alias="format")] = "json",
    lang: Annotated[Lang, Query(description="The PDF's language: `id` (Indonesian) or `en`.")] = "id",
) -> Response:
    del who  # any officer of the city: keys carry no regency scope (api.keys)
    svc: Services = request.app.state.services
    if region not in svc.policy.served_regencies:
        raise ProblemError(404, "not_found", "the city serves no such regency; name one of "
                           + ", ".join(svc.policy.served_regencies))
    reports: CityReports = request.app.state.reports
    report = reports.report(region, month)
    current = svc.desk.current_period(region)
    closed = current is not None and current > month
    name = f"city-report-{region}-{month}.{fmt}"
    headers = {"Content-Disposition": f'attachment; filename="{name}"'}
    if fmt == "pdf":
        return Response(render_pdf(report, closed, lang), media_type="application/pdf", headers=headers)
    out = to_out(report, closed)
    if fmt == "csv":
        return Response(to_csv(out), media_type="text/csv; charset=utf-8", headers=headers)
    return Response(out.model_dump_json(), media_type="application/json")
