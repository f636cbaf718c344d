"""The payer's desk: payments, BPJS's registration answers, CSV reports, refund settlements.

A payer key (``jaring keys create --role payer``) acts for its own payer; an
officer key acts for any payer and names it. Every route turns what a desk
says into the core's input events (``api.intake``) and answers 202 once the
broker holds all of them; the engine's answers follow on its output topics
(``payment.reconciled``, ``coverage.activated`` / ``cancelled``,
``registration.unmatched``, ``refund.closed`` / ``rejected``).

A payer key may pay only bills that name it (``bill:{region}:{payer}:{period}``):
another payer's bill id is refused 403 ``bill_not_yours`` from the id's text
alone, before anything is looked up, so the answer is the same whether that
bill exists or not and nobody can probe another payer's bills. An officer
recording a transfer that quoted another payer's bill sends it on: the
engine reconciles it ``unknown_reference`` and owes the money back.
"""

from __future__ import annotations

import asyncio
import email.message
import hashlib
import logging
from collections.abc import Callable, Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from api.auth import Officer, PayerDesk, acting_payer
from api.bodies import (
    PaymentIn,
    PaymentReceipt,
    RefundSettlementIn,
    RefundSettlementReceipt,
    RegistrationConfirmationIn,
    RegistrationReceipt,
    RegistrationRejectionIn,
    UploadReceipt,
    UploadRowOut,
)
from api.csv_reports import CONFIRMATIONS, PAYMENTS, CsvRefusedError, Layout, Row, RowError, read_rows
from api.idempotency import Scope, StoredAnswer
from api.intake import (
    bill_ref,
    confirmation_event,
    fingerprint,
    payment_event,
    refund_region,
    rejection_event,
    settlement_event,
)
from api.keys import Role
from api.problems import ProblemError, responses
from api.routes import IdempotencyKey, Svc
from api.services import Services
from api.submission import acknowledged, claim
from models.codec import encode
from models.events import (
    Identifier,
    PaymentReported,
    RefundSettled,
    RegistrationConfirmed,
    RegistrationRejected,
)
from models.regions import RegencyCode
from models.topics import route

__all__ = ["UPLOAD_PATHS", "WRITES", "payer_desk"]

log = logging.getLogger("jaring.api")

WRITES = (PaymentReported, RefundSettled, RegistrationConfirmed, RegistrationRejected)
"""The input events these routes produce (their topics are created with the API's)."""

PayerInput = PaymentReported | RefundSettled | RegistrationConfirmed | RegistrationRejected

payer_desk = APIRouter(prefix="/v1")

UPLOAD_PATHS = ("/v1/payments/report", "/v1/registrations/confirmations/report")
"""The CSV uploads: their bodies may be up to ``JARING_API_UPLOAD_MAX_BYTES``."""

_WRITE_PROBLEMS = responses(400, 401, 403, 409, 413, 415, 422, 429, 503)
_CSV_BODY = {
    "requestBody": {
        "required": True,
        "content": {"text/csv": {"schema": {"type": "string", "description": "UTF-8, comma separated, "
                                            "header line first (see the route's description)."}}},
    }
}


# ---------------------------------------------------------------- payments


@payer_desk.post(
    "/payments", status_code=202, response_model=PaymentReceipt, tags=["payers"],
    summary="Report a transfer to BPJS for one bill (payer, or officer for a payer)",
    responses=_WRITE_PROBLEMS,
)
async def report_payment(
    body: PaymentIn, idempotency_key: IdempotencyKey, who: PayerDesk, svc: Svc
) -> JSONResponse:
    """The region comes from the bill id. The engine answers with one `payment.reconciled`: `exact`,
    `short`, `over`, `unknown_reference` or `duplicate` (the same `payment_id` already reconciled);
    money it cannot apply becomes a `refund.owed` to the payer.

    A payer key may pay only bills that name it (403 `bill_not_yours`, decided from the id alone).
    """
    payer = acting_payer(who, body.payer_id)
    ref = bill_ref(body.bill_id)
    if ref is None:
        raise ProblemError(
            422, "invalid_body", "fix these fields and resend: bill_id (see errors)",
            errors=[{"field": "bill_id", "problem": "not a bill reference: bill:{region}:{payer}:{period}",
                     "kind": "not_a_bill_id"}],
        )
    if who.role is Role.PAYER and ref.payer_id != payer:
        raise _bill_not_yours()
    event = payment_event(
        payment_id=body.payment_id, bill_id=body.bill_id, amount_idr=body.amount_idr, paid_on=body.paid_on,
        payer_id=payer, region=ref.region, source="api", now=svc.now(),
    )
    receipt = PaymentReceipt(
        payment_id=event.payment_id, bill_id=event.bill_id, payer_id=payer, event_id=event.event_id
    )
    return await _submit(
        svc, ("payments", who.subject, idempotency_key), fingerprint(body), [event], receipt
    )


def _bill_not_yours() -> ProblemError:
    return ProblemError(
        403, "bill_not_yours",
        "a payer key pays only bills that name its payer (bill:{region}:{payer}:{period}); check the "
        "reference, or ask an officer to record a transfer that quoted another payer's bill",
    )


@payer_desk.post(
    "/payments/report", status_code=202, response_model=UploadReceipt, tags=["payers"],
    summary="Upload BPJS's payment report as CSV: one transfer per row",
    responses=_WRITE_PROBLEMS, openapi_extra=_CSV_BODY,
)
async def upload_payments(
    request: Request,
    idempotency_key: IdempotencyKey,
    who: PayerDesk,
    svc: Svc,
    payer_id: Annotated[
        Identifier | None, Query(description="Officer keys: the payer whose report this is.")
    ] = None,
) -> JSONResponse:
    """`Content-Type: text/csv`, UTF-8, comma separated, a header line naming the columns
    `payment_id,bill_id,amount_idr,paid_on` (any order), then one transfer per line: `amount_idr`
    in whole rupiah (plain digits), `paid_on` as YYYY-MM-DD. At most `JARING_API_UPLOAD_MAX_ROWS`
    rows and `JARING_API_UPLOAD_MAX_BYTES` bytes.

    Each valid row becomes one `payment.reported` (source `upload`), exactly as `POST /v1/payments`
    would; the answer lists every row, `accepted` or `invalid` (column and reason code). Fix and
    upload the invalid rows again: re-uploading accepted rows is harmless (the same transfer is the
    same event). A file with no valid row is refused 422 `csv_rows_invalid`.
    """
    payer = acting_payer(who, payer_id)
    data = await _csv_body(request)
    now = svc.now()

    def payment(row: Row) -> tuple[PayerInput | RowError, str]:
        v = row.values
        ref = bill_ref(v["bill_id"])
        if ref is None:
            return RowError(row.line, "bill_id", "not_a_bill_id", "bill_id must be the bill's reference, "
                            "bill:{region}:{payer}:{period}"), v["payment_id"]
        if who.role is Role.PAYER and ref.payer_id != payer:
            return RowError(row.line, "bill_id", "bill_not_yours",
                            "a payer's report may pay only bills that name it"), v["payment_id"]
        return payment_event(
            payment_id=v["payment_id"], bill_id=v["bill_id"], amount_idr=v["amount_idr"],
            paid_on=v["paid_on"], payer_id=payer, region=ref.region, source="upload", now=now,
        ), v["payment_id"]

    events, results = _rows_to_events(_read(data, PAYMENTS, svc), payment)
    return await _submit_upload(
        svc, ("payments/report", who.subject, idempotency_key), _file_print(data, payer), events, results
    )


# ---------------------------------------------------------------- BPJS's registration answers


@payer_desk.post(
    "/registrations/confirmations", status_code=202, response_model=RegistrationReceipt, tags=["payers"],
    summary="Record that BPJS registered a worker (membership number, start date)",
    responses=_WRITE_PROBLEMS,
)
async def confirm_registration(
    body: RegistrationConfirmationIn, idempotency_key: IdempotencyKey, who: PayerDesk, svc: Svc
) -> JSONResponse:
    """Answers a `coverage.committed` registration request: the engine activates the term
    (`coverage.activated`, cover starts in the region's current month), or says why it cannot
    (`registration.unmatched`: `registration_unknown`, `registration_not_pending`)."""
    event = confirmation_event(
        region=body.region, coverage_id=body.coverage_id, payer_id=acting_payer(who, body.payer_id),
        membership_number=body.membership_number, start_date=body.start_date, now=svc.now(),
    )
    receipt = RegistrationReceipt(coverage_id=body.coverage_id, answer="confirmed", event_id=event.event_id)
    scope = ("registrations/confirmations", who.subject, idempotency_key)
    return await _submit(svc, scope, fingerprint(body), [event], receipt)


@payer_desk.post(
    "/registrations/rejections", status_code=202, response_model=RegistrationReceipt, tags=["payers"],
    summary="Record that BPJS refused a registration (its reason)",
    responses=_WRITE_PROBLEMS,
)
async def reject_registration(
    body: RegistrationRejectionIn, idempotency_key: IdempotencyKey, who: PayerDesk, svc: Svc
) -> JSONResponse:
    """The engine cancels the seat (`coverage.cancelled`, reason `registration_rejected`, BPJS's words
    in `message`) and gives it to the next waiting worker the pledge admits. Write BPJS's reason
    without the worker's NIK or name: it travels on an output topic."""
    event = rejection_event(
        region=body.region, coverage_id=body.coverage_id, payer_id=acting_payer(who, body.payer_id),
        reason=body.reason, now=svc.now(),
    )
    receipt = RegistrationReceipt(coverage_id=body.coverage_id, answer="rejected", event_id=event.event_id)
    return await _submit(
        svc, ("registrations/rejections", who.subject, idempotency_key), fingerprint(body), [event], receipt
    )


@payer_desk.post(
    "/registrations/confirmations/report", status_code=202, response_model=UploadReceipt, tags=["payers"],
    summary="Upload BPJS's registration confirmations as CSV: one worker per row",
    responses=_WRITE_PROBLEMS, openapi_extra=_CSV_BODY,
)
async def upload_confirmations(
    request: Request,
    idempotency_key: IdempotencyKey,
    who: PayerDesk,
    svc: Svc,
    region: Annotated[RegencyCode, Query(description="The regency of every registration in the file.")],
    payer_id: Annotated[
        Identifier | None, Query(description="Officer keys: the payer whose registrations these are.")
    ] = None,
) -> JSONResponse:
    """`Content-Type: text/csv`, the same rules as the payment report, with the columns
    `coverage_id,membership_number,start_date`: each valid row becomes one
    `registration.confirmed`, exactly as `POST /v1/registrations/confirmations` would."""
    payer = acting_payer(who, payer_id)
    data = await _csv_body(request)
    now = svc.now()

    def confirmation(row: Row) -> tuple[PayerInput | RowError, str]:
        v = row.values
        return confirmation_event(
            region=region, coverage_id=v["coverage_id"], payer_id=payer,
            membership_number=v["membership_number"], start_date=v["start_date"], now=now,
        ), v["coverage_id"]

    events, results = _rows_to_events(_read(data, CONFIRMATIONS, svc), confirmation)
    return await _submit_upload(
        svc, ("registrations/confirmations/report", who.subject, idempotency_key),
        _file_print(data, f"{region}:{payer}"),
        events, results,
    )


# ---------------------------------------------------------------- refunds


@payer_desk.post(
    "/refunds/{refund_id}/settlement", status_code=202, response_model=RefundSettlementReceipt,
    tags=["officers"], summary="Record a transfer that paid back (part of) a refund owed to a payer",
    responses=_WRITE_PROBLEMS,
)
async def settle_refund(
    refund_id: str, body: RefundSettlementIn, idempotency_key: IdempotencyKey, who: Officer, svc: Svc
) -> JSONResponse:
    """Officer keys only: the city makes the transfer, so the city records it; a payer saying it was
    paid back is not the record of a transfer. The region comes from the refund id
    (`refund:{region}:{payer}:{payment_id}`, as on `refund.owed`). The engine answers `refund.closed`, or
    `refund.rejected` (`refund_unknown`, `refund_over_owed`)."""
    region = refund_region(refund_id)
    if region is None:
        raise ProblemError(
            422, "invalid_body", "fix these fields and resend: refund_id (see errors)",
            errors=[{"field": "refund_id", "problem": "not a refund id: refund:{region}:{payer}:{payment_id}",
                     "kind": "not_a_refund_id"}],
        )
    event = settlement_event(
        refund_id=refund_id, region=region, amount_idr=body.amount_idr, settled_on=body.settled_on,
        transfer_id=body.transfer_id, officer_id=who.subject, idempotency_key=idempotency_key, now=svc.now(),
    )
    receipt = RefundSettlementReceipt(refund_id=refund_id, event_id=event.event_id)
    print_ = hashlib.sha256(f"{refund_id}\x00{fingerprint(body)}".encode()).hexdigest()
    return await _submit(svc, ("refunds", who.subject, idempotency_key), print_, [event], receipt)


# ---------------------------------------------------------------- CSV plumbing


async def _csv_body(request: Request) -> bytes:
    message = email.message.Message()
    message["content-type"] = request.headers.get("content-type", "")
    charset = message.get_param("charset")
    is_csv = message.get_content_type() == "text/csv"
    if not is_csv or (isinstance(charset, str) and charset.lower() not in ("utf-8", "utf8")):
        raise ProblemError(
            415, "unsupported_media_type",
            "send the report as 'Content-Type: text/csv' (UTF-8), the file's bytes as the body",
        )
    return await request.body()


def _read(data: bytes, layout: Layout, svc: Services) -> list[Row | RowError]:
    try:
        return read_rows(data, layout, max_rows=svc.settings.api_upload_max_rows)
    except CsvRefusedError as exc:
        raise _csv_problem(exc) from None


def _csv_problem(exc: CsvRefusedError) -> ProblemError:
    """The file-wide refusals, one literal code each (the problem table is read from the source)."""
    if exc.code == "csv_encoding_invalid":
        return ProblemError(422, "csv_encoding_invalid", exc.detail)
    if exc.code == "csv_malformed":
        return ProblemError(422, "csv_malformed", exc.detail)
    if exc.code == "csv_empty":
        return ProblemError(422, "csv_empty", exc.detail)
    if exc.code == "csv_column_missing":
        return ProblemError(422, "csv_column_missing", exc.detail)
    if exc.code == "csv_too_many_rows":
        return ProblemError(422, "csv_too_many_rows", exc.detail)
    return ProblemError(422, "csv_header_invalid", exc.detail)


def _rows_to_events(
    rows: list[Row | RowError], build: Callable[[Row], tuple[PayerInput | RowError, str]]
) -> tuple[list[PayerInput], list[UploadRowOut]]:
    """An upload's events and its answer, row by row: a row the CSV reader or ``build`` refuses is
    ``invalid`` (named by its id when it has one), every other row ``accepted`` with its event id."""
    events: list[PayerInput] = []
    results: list[UploadRowOut] = []
    for row in rows:
        if isinstance(row, RowError):
            results.append(_invalid(row, None))
            continue
        made, id_ = build(row)
        if isinstance(made, RowError):
            results.append(_invalid(made, id_))
        else:
            events.append(made)
            results.append(_accepted(row, id_, made.event_id))
    return events, results


def _accepted(row: Row, id_: str, event_id: str) -> UploadRowOut:
    return UploadRowOut(
        line=row.line, outcome="accepted", id=id_, event_id=event_id, column=None, reason=None, problem=None
    )


def _invalid(row: RowError, id_: str | None) -> UploadRowOut:
    return UploadRowOut(
        line=row.line, outcome="invalid", id=id_, event_id=None, column=row.column, reason=row.reason,
        problem=row.problem,
    )


def _file_print(data: bytes, context: str) -> str:
    return hashlib.sha256(context.encode() + b"\x00" + data).hexdigest()


async def _submit_upload(
    svc: Services, scope: Scope, print_: str, events: list[PayerInput], results: list[UploadRowOut]
) -> JSONResponse:
    if not events:
        raise ProblemError(
            422, "csv_rows_invalid",
            "no row of the file is valid; fix the rows listed in errors and upload again",
            errors=[{"field": f"line {r.line}" + (f": {r.column}" if r.column else ""), "problem": r.problem,
                     "kind": r.reason} for r in results[:100]],
        )
    receipt = UploadReceipt(
        rows=len(results), accepted=len(events), invalid=len(results) - len(events), results=results
    )
    return await _submit(svc, scope, print_, events, receipt)


# ---------------------------------------------------------------- one POST, once


async def _submit(
    svc: Services, scope: Scope, print_: str, events: Sequence[PayerInput], receipt: BaseModel
) -> JSONResponse:
    """Claim the Idempotency-Key, produce every event, remember the answer (``api.submission``'s rules).

    The events are produced together and the answer is 202 only once the broker holds all of them.
    If any is not acknowledged, the answer is 503 and the key is released: the retry produces them
    all again, and those the broker already held are the same events, which the engine ignores.
    """
    stored = claim(svc, scope, print_)
    if stored is not None:
        return JSONResponse(stored.body, status_code=stored.status)
    answer = StoredAnswer(202, receipt.model_dump(mode="json"))
    task = asyncio.get_running_loop().create_task(_publish_all(svc, events))

    def settle(done: asyncio.Task[None]) -> None:
        if done.cancelled() or done.exception() is not None:
            svc.idempotency.abandon(scope)
            return
        svc.idempotency.complete(scope, answer)
        # Ids only: what a desk reports names no person.
        log.info("%s from %s: %d event(s), first %s", scope[0], scope[1], len(events), events[0].event_id)

    task.add_done_callback(settle)
    await acknowledged(task)
    body: dict[str, Any] = answer.body
    return JSONResponse(body, status_code=202)


async def _publish_all(svc: Services, events: Sequence[PayerInput]) -> None:
    """Each event to its topic with its key, as ``models.topics`` routes it."""
    sends: list[tuple[str, bytes, bytes]] = []
    for event in events:
        name, key = route(event)
        assert key is not None, "every input is keyed (by region)"
        sends.append((svc.settings.topic(name), key, encode(event)))
    results = await asyncio.gather(
        *(svc.publisher.publish(topic, key, payload) for topic, key, payload in sends), return_exceptions=True
    )
    for result in results:
        if isinstance(result, BaseException):
            raise result
