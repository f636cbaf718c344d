"""The endpoints: parse, check who is asking, build the core's event, hand it on."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Response
from fastapi.responses import JSONResponse
from fastapi.types import DecoratedCallable
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from api.auth import Officer, Sponsor, services
from api.bodies import (
    ApplicationIn,
    ApplicationReceipt,
    PledgeIn,
    PledgeReceipt,
    PledgeStatusOut,
    QuoteOut,
    SponsorLedgerOut,
)
from api.intake import application_event, fingerprint, pledge_event
from api.problems import ProblemError, responses
from api.quotes import quote
from api.services import Services
from api.submission import submit
from models.eligibility import Rejection, check_pledge_bounds
from models.errors import Reason
from models.periods import period_of
from models.tariff import BPU_TARIFF
from models.topics import APPLICATIONS, PLEDGES

__all__ = ["operations", "probes"]

Svc = Annotated[Services, Depends(services)]
IdempotencyKey = Annotated[
    str,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=255,
        description="Your id for this request (a UUID is fine): a retry with the same key and body "
        "gets the same answer and makes no second record.",
    ),
]

operations = APIRouter(prefix="/v1")
probes = APIRouter()


def _write(
    path: str, receipt: type[Any], tag: str, summary: str
) -> Callable[[DecoratedCallable], DecoratedCallable]:
    """A write: 202 once the broker holds the event, and the same problems for every write endpoint."""
    return operations.post(
        path, status_code=202, response_model=receipt, tags=[tag], summary=summary,
        responses=responses(400, 401, 403, 409, 413, 415, 422, 429, 503),
    )


@_write(
    "/pledges", PledgeReceipt, "sponsors",
    "Pledge money for workers' BPJS Ketenagakerjaan premiums in one regency",
)
async def submit_pledge(
    body: PledgeIn, idempotency_key: IdempotencyKey, who: Sponsor, svc: Svc
) -> JSONResponse:
    """The sponsor is the key's; a pledge names one regency (fund several with one pledge each).

    A pledge over the city's bounds (amount, `max_workers`, or seats the amount buys; see the
    maxima in this document) is refused 422 `invalid_body` before it reaches the engine.

    202 means the broker holds the pledge; the engine accepts or rejects it next, and
    `GET /v1/pledges/{pledge_id}` shows which, with the ledger.
    """
    event = pledge_event(body, sponsor_id=who.subject, idempotency_key=idempotency_key, now=svc.now())
    out_of_bounds = check_pledge_bounds(event, svc.policy, BPU_TARIFF, period_of(event.event_time))
    if out_of_bounds is not None:
        raise _out_of_bounds(out_of_bounds)
    receipt = PledgeReceipt(
        pledge_id=event.pledge_id, event_id=event.event_id, status_url=f"/v1/pledges/{event.pledge_id}"
    )
    return await submit(
        svc, scope=("pledges", who.subject, idempotency_key), fingerprint=fingerprint(body), event=event,
        topic=svc.settings.topic(PLEDGES.name), key=event.region, receipt=receipt,
        location=receipt.status_url,
    )


def _out_of_bounds(rejection: Rejection) -> ProblemError:
    """A body over the city's pledge bounds: 422 ``invalid_body``, the engine's reason as the error's kind."""
    field = "max_workers" if rejection.reason is Reason.PLEDGE_MAX_WORKERS_ABOVE_LIMIT else "amount_idr"
    return ProblemError(
        422, "invalid_body", f"fix these fields and resend: {field} (see errors)",
        errors=[{"field": field, "problem": rejection.message, "kind": rejection.reason.value}],
    )


@operations.post(
    "/quotes", response_model=QuoteOut, tags=["sponsors"],
    summary="What a pledge would buy if submitted now: workers by group, seat cost by month; records nothing",
    responses=responses(400, 401, 403, 413, 415, 422, 429),
)
async def quote_pledge(body: PledgeIn, who: Sponsor, svc: Svc) -> QuoteOut:
    """The body is a pledge's (`POST /v1/pledges`); nothing is produced and no id is reserved.

    The counts are the waiting workers the targeting admits, highest priority first, up to the
    seats the amount buys, as the engine would take them from the waiting list the API knows
    now; each table of counts merges groups under 5 into `other`. A pledge the engine would
    reject is answered `accepted: false` with the engine's `reason` and `message`. A quote and
    the same pledge submitted at once cover the same workers unless something reaches the
    engine in between (see the README, Quotes). A body over the city's bounds is refused 422
    `invalid_body`, as `POST /v1/pledges` refuses it.
    """
    now = svc.now()
    event = pledge_event(body, sponsor_id=who.subject, idempotency_key="quote", now=now)
    out_of_bounds = check_pledge_bounds(event, svc.policy, BPU_TARIFF, period_of(now))
    if out_of_bounds is not None:
        raise _out_of_bounds(out_of_bounds)
    return quote(body, sponsor_id=who.subject, waiting=svc.desk.waiting_list(body.region),
                 policy=svc.policy, tariff=BPU_TARIFF, now=now, caught_up=svc.feed.caught_up)


@operations.get(
    "/pledges/{pledge_id}",
    response_model=PledgeStatusOut,
    tags=["sponsors"],
    summary="One of your pledges: status and ledger",
    responses=responses(401, 403, 404, 429),
)
async def pledge_status(pledge_id: str, who: Sponsor, svc: Svc) -> PledgeStatusOut:
    """Another sponsor's pledge id answers 404, exactly like an unknown one."""
    status = svc.readmodel.pledge(who.subject, pledge_id)
    if status is None:
        raise ProblemError(
            404, "not_found",
            "no pledge with this id for your key; check the id from your 202 answer, or wait a moment "
            "if you submitted it just now",
        )
    return status


@operations.get(
    "/sponsors/me/pledges",
    response_model=SponsorLedgerOut,
    tags=["sponsors"],
    summary="All your pledges with their ledgers, and the totals",
    responses=responses(401, 403, 429),
)
async def my_pledges(who: Sponsor, svc: Svc) -> SponsorLedgerOut:
    return svc.readmodel.sponsor(who.subject)


@_write(
    "/applications", ApplicationReceipt, "officers",
    "Submit a worker's application (enrolment officers and kiosks)",
)
async def submit_application(
    body: ApplicationIn, idempotency_key: IdempotencyKey, who: Officer, svc: Svc
) -> JSONResponse:
    """Needs an officer key. The NIK and name go to the applications topic only; the engine
    answers with a pseudonym on its output topics."""
    event = application_event(body, officer_id=who.subject, idempotency_key=idempotency_key, now=svc.now())
    receipt = ApplicationReceipt(application_id=event.application_id, event_id=event.event_id)
    return await submit(
        svc, scope=("applications", who.subject, idempotency_key), fingerprint=fingerprint(body),
        event=event, topic=svc.settings.topic(APPLICATIONS.name), key=event.regency, receipt=receipt,
    )


@probes.get("/healthz", tags=["operations"], summary="The process is up")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@probes.get(
    "/readyz",
    tags=["operations"],
    summary="Ready to take POSTs: connected to Kafka",
    responses=responses(503),
)
async def readyz(svc: Svc) -> dict[str, Any]:
    """Ledger reads may lag while `ledger_caught_up` is false (the read model is still replaying)."""
    if not await svc.publisher.healthy():
        raise ProblemError(
            503, "not_ready", "the API cannot reach Kafka yet; retry shortly",
            headers={"Retry-After": "2"},
        )
    return {"status": "ready", "kafka": True, "ledger_caught_up": svc.feed.caught_up}


@probes.get("/metrics", include_in_schema=False)
async def metrics(svc: Svc) -> Response:
    return Response(generate_latest(svc.metrics.registry), media_type=CONTENT_TYPE_LATEST)
