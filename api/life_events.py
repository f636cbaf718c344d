"""An officer reports a life event: ``POST /v1/life-events``.

The officer names the worker by the application id or by the NIK on the
KTP. A NIK never leaves this process: the route turns it into the keyed
pseudonym (``models.nik.pseudonym``, the engine's key), so the input topic,
the receipt and the logs carry no NIK. Whether the worker exists is the
engine's to say: it answers on ``application-status.v1`` with
``life_event.recorded`` or ``life_event.rejected`` (``worker_unknown``, ...),
as it answers an application. The event id derives from (officer,
Idempotency-Key), so a retry is one event the engine applies once.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal, Self

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, model_validator

from api.auth import Officer
from api.bodies import IsoDate, _Body
from api.intake import fingerprint, request_digest
from api.problems import ProblemError, responses
from api.routes import IdempotencyKey, Svc
from api.submission import submit
from models.events import Identifier, LifeEventKind, LifeEventReported
from models.nik import pseudonym
from models.periods import Period, period_index, period_of
from models.regions import RegencyCode
from models.topics import LIFE_EVENTS

__all__ = ["LifeEventIn", "LifeEventReceipt", "life_desk"]

life_desk = APIRouter(prefix="/v1")



class LifeEventIn(_Body):
    """What happened to a worker, as an officer reports it. Name the worker by one of
    ``application_id`` or ``nik``; a NIK is personal data and is never echoed or logged."""

    region: RegencyCode = Field(description="The regency/city the worker was enrolled in, e.g. 74.71.")
    application_id: Identifier | None = Field(None, description="The id of the worker's application.")
    nik: str | None = Field(None, pattern=r"^[0-9]{16}$", description="16-digit NIK as on the KTP.")
    kind: LifeEventKind = Field(
        description="moved_out, employer_covered, deceased (a JKM claim), left_programme, accident_claim "
        "(a JKK claim: counted, ends nothing)."
    )
    effective_period: Period = Field(
        description="The month it happened, YYYY-MM; not after the current month. A covered worker is "
        "covered to its end (or to the last month already billed, if later)."
    )
    reported_on: IsoDate | None = Field(None, description="When it was reported; today when left out.")

    @model_validator(mode="after")
    def _one_name(self) -> Self:
        if (self.application_id is None) == (self.nik is None):
            raise ValueError("name the worker by exactly one of application_id or nik")
        return self


class LifeEventReceipt(BaseModel):
    """202: the broker holds the report; the engine answers ``life_event.recorded`` or ``rejected``."""

    event_id: str
    kind: LifeEventKind
    status: Literal["submitted"] = "submitted"


def life_event(body: LifeEventIn, *, officer_id: str, idempotency_key: str, key: bytes,
               now: datetime) -> LifeEventReported:
    """The input event: the worker as a pseudonym (from the NIK) or as the application id."""
    digest = request_digest("life-events", officer_id, idempotency_key)
    return LifeEventReported.model_validate({
        "event_id": f"life_event.api:{officer_id}:{digest}", "event_time": now, "region": body.region,
        "worker": None if body.nik is None else pseudonym(body.nik, key),
        "application_id": body.application_id, "kind": body.kind, "effective_period": body.effective_period,
        "reported_on": body.reported_on or now.date(),
    })


@life_desk.post(
    "/life-events", status_code=202, response_model=LifeEventReceipt, tags=["officers"],
    summary="Report that a worker moved out, is employer-covered, died, left, or claimed for an accident",
    responses=responses(400, 401, 403, 409, 413, 415, 422, 429, 503),
)
async def report_life_event(
    body: LifeEventIn, idempotency_key: IdempotencyKey, who: Officer, svc: Svc
) -> JSONResponse:
    """Officer keys only. A waiting worker leaves the waiting list; a covered worker's term ends at
    `effective_period` (months already billed stay billed) and its unused months go to the next
    waiting worker, or back to the pledge (README "The rules": life events); an `accident_claim` is
    counted. An unknown worker is the engine's answer (`life_event.rejected`, `worker_unknown`; also
    `worker_exited`, `life_event_period_ahead`, `life_event_stale`)."""
    now = svc.now()
    if period_index(body.effective_period) > period_of(now):
        raise ProblemError(
            422, "invalid_body", "fix these fields and resend: effective_period (see errors)",
            errors=[{"field": "effective_period", "problem": "after the current month: report it once it "
                     "happened", "kind": "life_event_period_ahead"}],
        )
    event = life_event(
        body, officer_id=who.subject, idempotency_key=idempotency_key,
        key=svc.settings.pseudonym_key.get_secret_value().encode(), now=now,
    )
    return await submit(
        svc, scope=("life-events", who.subject, idempotency_key), fingerprint=fingerprint(body), event=event,
        topic=svc.settings.topic(LIFE_EVENTS.name), key=event.region,
        receipt=LifeEventReceipt(event_id=event.event_id, kind=event.kind),
    )
