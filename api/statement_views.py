"""``GET /v1/sponsors/me/statement``: the key's sponsor's statement for a date range, JSON or CSV.

Sponsor keys only, and only the key's own sponsor: the statement is read by
the key's subject, never by a parameter. The figures are ``api.statements``'
fold (fed by the API's feed with the pledge books); this module only shapes
them (the PDF: ``api.statement_pdf``). CSV is two tables a spreadsheet opens as one sheet, separated by an
empty row: one row per pledge and a ``total`` row, then the group tables (one
row per group shown and an ``other`` row for the merged ones).
"""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from api.auth import Sponsor
from api.problems import ProblemError, responses
from api.statement_bodies import StatementFiguresOut, StatementGroupsOut, StatementOut, StatementPledgeOut
from api.statement_pdf import Lang, render_pdf
from api.statements import DIMENSIONS, KINDS, Statement, StatementBooks, StatementFigures, kind_field

__all__ = ["MONEY_COLUMNS", "statement_reads", "to_csv", "to_out"]

statement_reads = APIRouter(prefix="/v1")

MONEY_COLUMNS = (
    *(kind_field(k) for k in KINDS), "remaining_idr", "runway_months", "seats_filled", "workers_covered",
)
PLEDGE_COLUMNS = ("pledge_id", "region", "from_date", "to_date", *MONEY_COLUMNS)
GROUP_COLUMNS = ("pledge_id", "dimension", "group", "workers")
_FORMATS: dict[int | str, dict[str, Any]] = {200: {"content": {
    "text/csv": {"schema": {"type": "string"}},
    "application/pdf": {"schema": {"type": "string", "format": "binary"}},
}}}


def _figures(f: StatementFigures) -> dict[str, Any]:
    return {
        **f.money, "remaining_idr": f.remaining_idr, "runway_months": f.runway_months,
        "seats_filled": f.seats_filled, "workers_covered": f.workers_covered,
        "groups": StatementGroupsOut(**f.groups),
    }


def to_out(s: Statement) -> StatementOut:
    return StatementOut(
        sponsor_id=s.sponsor_id, from_date=s.from_date, to_date=s.to_date,
        pledges=[StatementPledgeOut(pledge_id=p, region=r, **_figures(f)) for p, r, f in s.pledges],
        total=StatementFiguresOut(**_figures(s.total)),
    )


def _money_row(f: StatementFigures) -> list[object]:
    return [*(f.money[kind_field(k)] for k in KINDS), f.remaining_idr, f.runway_months, f.seats_filled,
            f.workers_covered]


def to_csv(s: Statement) -> str:
    buffer = io.StringIO()
    w = csv.writer(buffer, lineterminator="\r\n")
    w.writerow(PLEDGE_COLUMNS)
    span = (s.from_date.isoformat(), s.to_date.isoformat())
    for pledge_id, region, f in s.pledges:
        w.writerow([pledge_id, region, *span, *_money_row(f)])
    w.writerow(["total", "", *span, *_money_row(s.total)])
    w.writerow([])
    w.writerow(GROUP_COLUMNS)
    for scope, f in [*((p, f) for p, _, f in s.pledges), ("total", s.total)]:
        for name in DIMENSIONS:
            table = f.groups[name]
            for group, n in table.cells.items():
                w.writerow([scope, name, group, n])
            if table.other:
                w.writerow([scope, name, "other", table.other])
    return buffer.getvalue()


@statement_reads.get(
    "/sponsors/me/statement", response_model=StatementOut, tags=["sponsors"],
    summary="Your statement for a date range: money moved, remaining, runway, workers covered by group",
    description="Every figure is the sum of the engine's events dated (UTC) from `from` to `to`, both "
    "inclusive; remaining and runway are the ledger at the end of `to`. Group counts under 5 are merged "
    "(`models.disclosure`). `format=csv`: one row per pledge and a total row, an empty row, then the "
    "group tables. `format=pdf`: the same for a report, in `lang` (`id` by default, or `en`).",
    responses={**_FORMATS, **responses(401, 403, 422, 429)},
)
async def my_statement(
    who: Sponsor, request: Request,
    from_: Annotated[date, Query(alias="from", description="First day, YYYY-MM-DD (UTC), inclusive.")],
    to: Annotated[date, Query(description="Last day, YYYY-MM-DD (UTC), inclusive.")],
    fmt: Annotated[Literal["json", "csv", "pdf"], Query(alias="format")] = "json",
    lang: Annotated[Lang, Query(description="The PDF's language: `id` (Indonesian) or `en`.")] = "id",
) -> Response:
    if to < from_:
        raise ProblemError(422, "invalid_body", "`to` is before `from`; the range is from `from` to `to`, "
                           "both days included")
    books: StatementBooks = request.app.state.statements
    statement = books.statement(who.subject, from_, to)
    name = f"statement-{from_.isoformat()}-{to.isoformat()}.{fmt}"
    if fmt == "pdf":
        return Response(render_pdf(statement, lang), media_type="application/pdf",
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})
    if fmt == "csv":
        return Response(to_csv(statement), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})
    return Response(to_out(statement).model_dump_json(), media_type="application/json")
