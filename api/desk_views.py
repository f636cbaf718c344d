"""The officer's desk: one worker's status, asked by application id or by NIK.

``GET /v1/applications/{application_id}`` and ``POST /v1/applications/lookup``
(the NIK in the body: URLs are logged). Officer keys only. Keys carry no
regency scope (``api.keys``: a role and a subject), so an officer's key reads
every regency the city serves: the desks are the city's, and a worker may
walk into any kiosk (README "Decisions").

The NIK is turned into the pseudonym at once (``DeskModel.by_nik``) and goes
nowhere else: not in a log line, a metric, an access record or the answer. A
malformed NIK is refused with the reason (``models.nik.parse``), never echoed.

Every lookup, found or not, is recorded before it is answered: an
``access.recorded`` event on ``access-log.v1`` (resource ``applications``: key,
role, subject, regency, workers answered; never a NIK, a name or a pseudonym),
the same writer as the registration list's; if the broker does not take it,
nothing is answered (503).
"""

from __future__ import annotations

import logging
import uuid
from typing import Annotated

from fastapi import APIRouter, Depends

from api.access_log import record_access
from api.auth import Officer, services
from api.bodies import (
    BenefitClockOut,
    DeskAnswerOut,
    DeskCoverageOut,
    DeskLookupIn,
    DeskLookupOut,
    DeskPriorityOut,
)
from api.desk_model import DeskModel, Seat, Status, WorkerFacts
from api.keys import Credential
from api.payer_model import PayerBooks
from api.problems import ProblemError, responses
from api.services import Services
from models.errors import NikError, Reason
from models.events import AccessRecorded
from models.nik import parse
from models.periods import period_index, period_name
from models.pledge_book import PledgeBooks

__all__ = ["BENEFIT_MONTHS", "answer", "desk_reads"]

log = logging.getLogger("jaring.api.desk")

desk_reads = APIRouter(prefix="/v1")
Svc = Annotated[Services, Depends(services)]

_MALFORMED = frozenset({Reason.NIK_INVALID_LENGTH, Reason.NIK_INVALID_FORMAT})
"""A NIK that is not 16 digits: 422. Sixteen digits no KTP carries are a NIK nobody applied with: 404."""

BENEFIT_MONTHS = {"death_benefit": 3, "scholarship": 36}
"""Months of unbroken membership a benefit needs: JKM's death benefit 3, the scholarship 3 years."""


def _clock(since: str, months: int | None, threshold: int) -> BenefitClockOut:
    return BenefitClockOut(
        threshold_months=threshold, reached=months is not None and months >= threshold,
        reached_period=period_name(period_index(since) + threshold),
    )


def _coverage(s: Seat, region: str, current: str | None, payers: PayerBooks) -> DeskCoverageOut:
    lines = payers.term_months(s.payer_id, region, s.coverage_id) if s.months_billed else None
    due = lines["due"] if lines else 0
    arrears = lines["in_arrears"] if lines else 0
    written = lines["written_off"] if lines else 0
    since = s.membership_since if s.state == "active" else None
    months = None
    if since is not None and current is not None:
        months = max(period_index(current) - period_index(since), 0)
    return DeskCoverageOut(
        coverage_id=s.coverage_id, state=s.state, pledge_id=s.pledge_id, sponsor_id=s.sponsor_id,
        sponsor_name=None, payer_id=s.payer_id, term_no=s.term_no, package=s.package, months=s.months,
        monthly_premium_idr=s.monthly_premium_idr, committed_period=s.committed_period,
        registration_due_period=s.registration_due_period if s.state == "committed" else None,
        start_period=s.start_period, end_period=s.end_period, membership_number=s.membership_number,
        months_billed=s.months_billed, months_paid=max(s.months_billed - due - arrears - written, 0),
        months_due=due, months_in_arrears=arrears, months_written_off=written,
        membership_since=since, membership_months=months,
        death_benefit=None if since is None else _clock(since, months, BENEFIT_MONTHS["death_benefit"]),
        scholarship=None if since is None else _clock(since, months, BENEFIT_MONTHS["scholarship"]),
    )


def _seats(desk: DeskModel, books: PledgeBooks, w: WorkerFacts) -> tuple[int, int]:
    """(seats, free seats) of the regency's current pledges whose targeting admits ``w``."""
    seats = free = 0
    for book in books.in_region(w.region):
        if book.status not in ("accepted", "exhausted") or book.seats is None:
            continue
        t = desk.targeting(book.sponsor_id, book.pledge_id)
        if t is None or not t.submitted or not t.admits(w.district, w.occupation, w.sex, w.welfare_decile):
            continue
        seats += book.seats
        if book.status == "accepted" and t.seat_cost_idr:
            held = book.seats_filled - book.cancelled - book.lapsed  # the engine's seats_filled
            money = book.balances.remainder_idr - book.balances.returned_idr
            free += max(min(book.seats - held, money // t.seat_cost_idr), 0)
    return seats, free


def answer(svc: Services, w: WorkerFacts, application_id: str | None = None) -> DeskAnswerOut:
    """One worker's answer: status and why, rank, seats that admit them, and their term."""
    desk: DeskModel = svc.desk
    status, reason, message = desk.verdict(w)
    seats, free = _seats(desk, svc.readmodel.books, w)
    current = desk.current_period(w.region)
    p = desk.priority(w, svc.now())
    return DeskAnswerOut(
        application_id=application_id or w.application_id or None, worker=w.worker, region=w.region,
        status=status, reason=reason, message=message, waiting=w.entry is not None, rank=desk.rank(w),
        waiting_in_region=desk.waiting_count(w.region), seats_admitting=seats, free_seats_admitting=free,
        district=w.district or None, occupation=w.occupation or None,
        sex="M" if w.sex == "M" else "F" if w.sex == "F" else None, welfare_decile=w.welfare_decile,
        priority=None if p is None else DeskPriorityOut(**p.model_dump()),
        coverage=None if w.seat is None else _coverage(w.seat, w.region, current, svc.readmodel.payers),
        current_period=current,
    )


def _bare(application_id: str, region: str, status: Status, worker: str | None, reason: str | None = None,
          message: str | None = None) -> DeskAnswerOut:
    """An application the engine rejected, or has not answered yet: no worker's standing to show."""
    return DeskAnswerOut(
        application_id=application_id, worker=worker, region=region, status=status, reason=reason,
        message=message, waiting=False, rank=None, waiting_in_region=0, seats_admitting=0,
        free_seats_admitting=0, district=None, occupation=None, sex=None, welfare_decile=None,
        priority=None, coverage=None, current_period=None,
    )


async def _record(svc: Services, who: Credential, by: str, found: list[DeskAnswerOut]) -> None:
    """The lookup's access record, on the broker before the answer is sent; 503 otherwise."""
    regions = sorted({a.region for a in found})
    event = AccessRecorded(
        event_id=f"access.recorded:{uuid.uuid4().hex}", event_time=svc.now(), key_id=who.key_id,
        role=who.role.value, subject=who.subject, region=regions[0] if regions else None,
        resource="applications", format="json", rows=len(found),
    )
    await record_access(svc, event, (event.region or event.subject).encode(),
                        "the lookup could not be recorded, so nothing was answered")
    # Counts and codes only: no NIK, no name, no pseudonym, no application id.
    log.info("desk lookup by %s: %d worker(s) in %s for key %s (%s %s); recorded as %s",
             by, len(found), ",".join(regions) or "-", who.key_id, who.role.value, who.subject,
             event.event_id)


def _not_found(what: str) -> ProblemError:
    return ProblemError(
        404, "not_found",
        f"no {what} the engine or the applications topic knows of; check it, or wait a moment if it was "
        "submitted just now",
    )


# Before the GET: Starlette answers a method it lacks from the first route whose path matches, so an
# OPTIONS on /applications/lookup lists POST; a GET there is the GET of an application named "lookup".
@desk_reads.post(
    "/applications/lookup", response_model=DeskLookupOut, tags=["officers"],
    summary="A worker's status by NIK (in the body, never in a URL)",
    responses=responses(400, 401, 403, 404, 413, 415, 422, 429, 503),
)
async def lookup(body: DeskLookupIn, who: Officer, svc: Svc) -> DeskLookupOut:
    """The NIK is turned into the worker's pseudonym at once and never logged, stored or echoed; one
    that is not 16 digits is 422 with the reason, 16 digits no KTP carries 404. One answer per regency
    the worker applied in (nearly always one). Every lookup is recorded (`access.recorded`, no
    personal data)."""
    try:
        parse(body.nik, svc.now().date())
    except NikError as e:
        if e.code in _MALFORMED:
            raise ProblemError(
                422, "invalid_body", "fix these fields and resend: nik (see errors)",
                errors=[{"field": "nik", "problem": e.message, "kind": str(e.code)}],
            ) from None
        await _record(svc, who, "nik", [])
        raise ProblemError(404, "not_found", f"no worker has this NIK, none can: {e.message}") from None
    workers = [answer(svc, w) for w in svc.desk.by_nik(body.nik)]
    await _record(svc, who, "nik", workers)
    if not workers:
        raise _not_found("worker with this NIK")
    return DeskLookupOut(workers=workers)


@desk_reads.get(
    "/applications/{application_id}", response_model=DeskAnswerOut, tags=["officers"],
    summary="An application's status: covered? if not, why, and how many are ahead",
    responses=responses(401, 403, 404, 429, 503),
)
async def application_status(application_id: str, who: Officer, svc: Svc) -> DeskAnswerOut:
    """Status (submitted, waiting, committed, covered, rejected, cancelled, lapsed, expired), the
    priority breakdown, the rank in the regency's waiting list, the seats of current pledges that admit
    the worker, and the term (sponsor, months billed and paid, membership number, benefit clocks).

    A rejected application answers its own reason; one the engine has not answered yet reads
    `submitted`. Every lookup is recorded (`access.recorded`, no personal data)."""
    found = svc.desk.application(application_id)
    if found is None:
        await _record(svc, who, "application id", [])
        raise _not_found("application with this id")
    region, outcome, reason, message, w = found
    if outcome == "rejected":
        out = _bare(application_id, region, "rejected", w.worker if w else None, reason, message)
    elif w is None or (outcome is None and w.application_id != application_id):
        out = _bare(application_id, region, "submitted", None)
    else:
        out = answer(svc, w)
    await _record(svc, who, "application id", [out])
    return out
