"""What a payer's desk reads: its pending registrations, its bills with their lines, its refunds.

A payer key reads its own desk under ``/v1/payers/me/...``; an officer key
reads any payer's under ``/v1/payers/{payer_id}/...``. Another payer's bill
answers 404 exactly like an unknown one.

The registration list is the one answer that holds NIK and name
(``api.registration_list``). Before a byte of it is sent, the download is
recorded as an ``access.recorded`` event on ``access-log.v1`` (who, for which
payer, how many rows, which format, when; never a NIK, a name or a pseudonym)
and one log line without personal data; if the broker does not take the
record, nothing is handed out (503). Nothing of the list is cached, logged
or counted by value.

Bills stream their lines (JSON or CSV) as they are formatted, a thousand at
a time: a payer with a million lines never has a million objects in flight.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import uuid
from collections.abc import AsyncIterator, Iterable, Iterator
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Header, Query
from fastapi.responses import JSONResponse, Response, StreamingResponse

from api.access_log import record_access
from api.auth import Officer, Payer, services
from api.bodies import (
    BillDetailOut,
    BillListOut,
    BillOut,
    PayerAccountOut,
    RefundListOut,
    RefundOut,
    RegistrationListOut,
    RegistrationOut,
)
from api.keys import SUBJECT_RULE, Credential, is_subject
from api.payer_model import ARCHIVED, KEEP_MONTHS, BillView, LineView
from api.problems import ProblemError, responses
from api.registration_list import CSV_COLUMNS, RegistrationRow, ScanTimeoutError, scan_applications
from api.services import Services
from models.events import AccessRecorded

__all__ = ["BILL_CSV_COLUMNS", "SCAN_TIMEOUT_S", "payer_reads"]

log = logging.getLogger("jaring.api.payers")

payer_reads = APIRouter(prefix="/v1")
Svc = Annotated[Services, Depends(services)]

SCAN_TIMEOUT_S = 120.0
"""How long a registration list download may take to read the applications topic to its end."""
BILL_CSV_COLUMNS = (
    "bill_id", "line_no", "coverage_id", "worker", "membership_number", "pledge_id", "sponsor_id",
    "period", "months", "amount_idr", "state",
)
"""A bill's CSV header: one row per line (README "Bills")."""
_CHUNK = 1_000
CSV_MEDIA_TYPE = "text/csv"

Format = Annotated[
    Literal["json", "csv"] | None,
    Query(alias="format", description="`csv` or `json`; when left out, `Accept: text/csv` asks for CSV, "
          "else JSON."),
]
Accept = Annotated[str | None, Header(include_in_schema=False)]
_FORMATS: dict[int | str, dict[str, Any]] = {200: {"content": {"text/csv": {"schema": {"type": "string"}}}}}


def _csv_wanted(fmt: str | None, accept: str | None) -> bool:
    if fmt is not None:
        return fmt == "csv"
    return accept is not None and CSV_MEDIA_TYPE in accept.lower()


def _not_found() -> ProblemError:
    return ProblemError(
        404, "not_found",
        "no issued bill with this id for this payer; check the bill_id from GET .../bills",
    )


def _csv_lines(rows: Iterable[Iterable[Any]]) -> Iterator[str]:
    """CSV text, a chunk of rows at a time."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for count, row in enumerate(rows, start=1):
        writer.writerow(row)
        if count % _CHUNK == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    if buffer.tell():
        yield buffer.getvalue()


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _spreadsheet_safe(text: str) -> str:
    """A free-text cell a spreadsheet would run as a formula gets a leading ``'`` (OWASP's advice)."""
    return "'" + text if text.startswith(_FORMULA_START) else text


# ---------------------------------------------------------------- registrations


async def _registrations(svc: Services, who: Credential, payer_id: str, csv_out: bool) -> Response:
    pending = svc.readmodel.payers.pending(payer_id)
    try:
        rows = await scan_applications(svc.settings, pending, SCAN_TIMEOUT_S)
    except ScanTimeoutError:
        raise ProblemError(
            503, "registrations_unavailable",
            "the applications could not be read in time; retry in a minute",
            headers={"Retry-After": "60"},
        ) from None
    fmt: Literal["json", "csv"] = "csv" if csv_out else "json"
    await _record(svc, who, payer_id, fmt, len(rows))
    if csv_out:
        lines = _csv_lines([CSV_COLUMNS, *(_safe_row(r) for r in rows)])
        return Response("".join(lines), media_type=f"{CSV_MEDIA_TYPE}; charset=utf-8",
                        headers={"Cache-Control": "no-store"})
    body = RegistrationListOut(
        payer_id=payer_id, pending=len(pending),
        registrations=[RegistrationOut(**r._asdict()) for r in rows],
    )
    return JSONResponse(body.model_dump(mode="json"), headers={"Cache-Control": "no-store"})


def _safe_row(row: RegistrationRow) -> tuple[str, ...]:
    cells = row.csv_row()
    return (*cells[:2], _spreadsheet_safe(cells[2]), *cells[3:])


async def _record(
    svc: Services, who: Credential, payer_id: str, fmt: Literal["json", "csv"], rows: int
) -> None:
    """The download's access record, on the broker before the list is sent; 503 otherwise."""
    event = AccessRecorded(
        event_id=f"access.recorded:{uuid.uuid4().hex}", event_time=svc.now(), key_id=who.key_id,
        role=who.role.value, subject=who.subject, payer_id=payer_id, resource="registrations", format=fmt,
        rows=rows,
    )
    await record_access(svc, event, payer_id.encode(),
                        "the download could not be recorded, so nothing was sent")
    # Counts and ids only: the list's NIKs and names never reach a log.
    log.info("registration list for payer %s: %d rows as %s to key %s (%s %s); recorded as %s",
             payer_id, rows, fmt, who.key_id, who.role.value, who.subject, event.event_id)


_REGISTRATIONS_DOC = (
    "The seats waiting for the payer to register their workers with BPJS, with each worker's NIK and "
    "name: the one answer that holds them. Every download is recorded (`access.recorded` on "
    "`access-log.v1`: who, for which payer, how many rows, which format, when) before it is sent; "
    "when the broker does not take the record, nothing is sent (503). CSV columns: "
    + ", ".join(CSV_COLUMNS) + "."
)


@payer_reads.get(
    "/payers/me/registrations", response_model=RegistrationListOut, tags=["payers"],
    summary="Your pending registrations, with NIK and name (JSON or CSV; every download is recorded)",
    description=_REGISTRATIONS_DOC, responses={**_FORMATS, **responses(401, 403, 422, 429, 503)},
)
async def my_registrations(who: Payer, svc: Svc, fmt: Format = None, accept: Accept = None) -> Response:
    return await _registrations(svc, who, who.subject, _csv_wanted(fmt, accept))


# ---------------------------------------------------------------- bills


def _bill_out(view: BillView) -> BillOut:
    return BillOut(**view._asdict())


def _line_dict(line: LineView) -> dict[str, Any]:
    return line._asdict()


async def _bill_stream(view: BillView, lines: Iterator[LineView], csv_out: bool) -> AsyncIterator[str]:
    if csv_out:
        rows = ((view.bill_id, ln.line_no, ln.coverage_id, ln.worker, ln.membership_number, ln.pledge_id,
                 ln.sponsor_id, view.period, ln.months, ln.amount_idr, ln.state) for ln in lines)
        for chunk in _csv_lines([BILL_CSV_COLUMNS]):
            yield chunk
        for chunk in _csv_lines(rows):
            yield chunk
        return
    head = _bill_out(view).model_dump_json()
    yield head[:-1] + ',"line_items":['
    first = True
    batch: list[str] = []
    for line in lines:
        batch.append(json.dumps(_line_dict(line), separators=(",", ":")))
        if len(batch) == _CHUNK:
            yield ("" if first else ",") + ",".join(batch)
            first, batch = False, []
    if batch:
        yield ("" if first else ",") + ",".join(batch)
    yield "]}"


def _bill_answer(svc: Services, payer_id: str, bill_id: str, csv_out: bool) -> StreamingResponse:
    found = svc.readmodel.payers.bill(payer_id, bill_id)
    if found is None:
        raise _not_found()
    view, lines = found
    if lines == ARCHIVED:
        raise ProblemError(
            410, "bill_lines_archived",
            f"this bill is settled and older than the {KEEP_MONTHS} closed months whose lines the API keeps; "
            "its figures are in the bill list, its lines on billing.v1",
        )
    media = f"{CSV_MEDIA_TYPE}; charset=utf-8" if csv_out else "application/json"
    return StreamingResponse(_bill_stream(view, lines, csv_out), media_type=media)


def _bills(svc: Services, payer_id: str) -> BillListOut:
    bills = svc.readmodel.payers.bills_of(payer_id)
    return BillListOut(payer_id=payer_id, bills=[_bill_out(b) for b in bills])


_BILL_DOC = (
    "One bill and its lines, in line order (the order a payment pays them in), streamed. A line names "
    "the worker by pseudonym and BPJS membership number, never by NIK or name. Another payer's bill "
    "answers 404 exactly like an unknown one. A bill settled and older than the closed months whose lines "
    "the API keeps answers 410 (its figures stay in the bill list). CSV columns: "
    + ", ".join(BILL_CSV_COLUMNS) + "."
)


@payer_reads.get(
    "/payers/me/bills", response_model=BillListOut, tags=["payers"],
    summary="Your bills: total, paid, outstanding, due date and state",
    responses=responses(401, 403, 429),
)
async def my_bills(who: Payer, svc: Svc) -> BillListOut:
    return _bills(svc, who.subject)


@payer_reads.get(
    "/payers/me/bills/{bill_id}", response_model=BillDetailOut, tags=["payers"],
    summary="One of your bills with its lines (JSON or CSV, streamed)", description=_BILL_DOC,
    responses={**_FORMATS, **responses(401, 403, 404, 410, 422, 429)},
)
async def my_bill(
    bill_id: str, who: Payer, svc: Svc, fmt: Format = None, accept: Accept = None
) -> StreamingResponse:
    return _bill_answer(svc, who.subject, bill_id, _csv_wanted(fmt, accept))


# ---------------------------------------------------------------- refunds


def _refunds(svc: Services, payer_id: str) -> RefundListOut:
    payers = svc.readmodel.payers
    return RefundListOut(
        payer_id=payer_id,
        refunds=[RefundOut(**r._asdict()) for r in payers.refunds_of(payer_id)],
        accounts=[PayerAccountOut(region=region, **b.model_dump())
                  for region, b in payers.accounts_of(payer_id).items()],
    )


@payer_reads.get(
    "/payers/me/refunds", response_model=RefundListOut, tags=["payers"],
    summary="Refunds owed to you, what was refunded, and your account per region",
    responses=responses(401, 403, 429),
)
async def my_refunds(who: Payer, svc: Svc) -> RefundListOut:
    return _refunds(svc, who.subject)


# ---------------------------------------------------------------- officers, for a payer they name


def _named(payer_id: str) -> str:
    """The payer an officer names; an id no payer can have answers 404 like a payer with nothing."""
    if not is_subject(payer_id):
        raise ProblemError(
            404, "not_found", f"no payer can have this id (payer ids are {SUBJECT_RULE}); check it"
        )
    return payer_id


@payer_reads.get(
    "/payers/{payer_id}/registrations", response_model=RegistrationListOut, tags=["officers"],
    summary="A payer's pending registrations, with NIK and name (officers; every download is recorded)",
    description=_REGISTRATIONS_DOC, responses={**_FORMATS, **responses(401, 403, 404, 422, 429, 503)},
)
async def payer_registrations(
    payer_id: str, who: Officer, svc: Svc, fmt: Format = None, accept: Accept = None
) -> Response:
    return await _registrations(svc, who, _named(payer_id), _csv_wanted(fmt, accept))


@payer_reads.get(
    "/payers/{payer_id}/bills", response_model=BillListOut, tags=["officers"],
    summary="A payer's bills (officers)", responses=responses(401, 403, 404, 429),
)
async def payer_bills(payer_id: str, who: Officer, svc: Svc) -> BillListOut:
    return _bills(svc, _named(payer_id))


@payer_reads.get(
    "/payers/{payer_id}/bills/{bill_id}", response_model=BillDetailOut, tags=["officers"],
    summary="One of a payer's bills with its lines (officers; JSON or CSV, streamed)", description=_BILL_DOC,
    responses={**_FORMATS, **responses(401, 403, 404, 410, 422, 429)},
)
async def payer_bill(
    payer_id: str, bill_id: str, who: Officer, svc: Svc, fmt: Format = None, accept: Accept = None
) -> StreamingResponse:
    return _bill_answer(svc, _named(payer_id), bill_id, _csv_wanted(fmt, accept))


@payer_reads.get(
    "/payers/{payer_id}/refunds", response_model=RefundListOut, tags=["officers"],
    summary="A payer's refunds and accounts (officers)", responses=responses(401, 403, 404, 429),
)
async def payer_refunds(payer_id: str, who: Officer, svc: Svc) -> RefundListOut:
    return _refunds(svc, _named(payer_id))
