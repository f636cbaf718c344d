"""Life events: an officer reports that a worker moved away, found an employer, died, left, or claimed.

Workers move out of the regency, take formal jobs (their employer then
pays), die (their family claims JKM) or ask to leave; without hearing of
it, Jaring would keep paying a seat for someone who no longer needs it.
The input (``life_event.reported``) names the worker by pseudonym or by the
application id the engine knows them by, never by NIK: the API turns an
officer's NIK into the pseudonym before the event reaches a topic. The
engine answers every report: ``life_event.recorded`` (what it did) or
``life_event.rejected`` (a reason), and ``coverage.ended`` when a term ends
(``models.matcher`` has the rules: when the term ends and where the seat's
unused months go).
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Literal, Self

from pydantic import Field, model_validator

from models.events.base import EventBase, Identifier, OutputBase, Rupiah
from models.occupations import Occupation
from models.periods import Period
from models.regions import DistrictCode, RegencyCode

__all__ = [
    "CLAIM_KINDS",
    "EXIT_KINDS",
    "CoverageEnded",
    "LifeEventKind",
    "LifeEventRecorded",
    "LifeEventRejected",
    "LifeEventReported",
    "LifeOutcome",
    "LifeStatus",
    "SeatOutcome",
]

PSEUDONYM_PATTERN = r"^w_[0-9a-f]{24}$"


class LifeEventKind(StrEnum):
    """What happened to the worker; every kind but ``accident_claim`` ends their part in Jaring."""

    MOVED_OUT = "moved_out"
    """Left the regency: the city no longer serves them."""
    EMPLOYER_COVERED = "employer_covered"
    """Took a formal job: the employer now pays their BPJS (PU) contributions."""
    DECEASED = "deceased"
    """Died: the family claims JKM; the claim is counted."""
    LEFT_PROGRAMME = "left_programme"
    """Asked to leave the programme."""
    ACCIDENT_CLAIM = "accident_claim"
    """A work accident claimed under JKK: counted, ends nothing."""


EXIT_KINDS = frozenset(LifeEventKind) - {LifeEventKind.ACCIDENT_CLAIM}
"""Kinds that end the worker's part: off the waiting list, or their term ends."""
CLAIM_KINDS = frozenset({LifeEventKind.DECEASED, LifeEventKind.ACCIDENT_CLAIM})
"""Kinds that are a benefit claim (JKM, JKK): counted on the dashboard and in the metrics."""


class LifeEventReported(EventBase):
    """An officer's report about one worker (keyed by ``region`` on Kafka); never a NIK or a name."""

    type: Literal["life_event.reported"] = "life_event.reported"
    region: RegencyCode
    worker: str | None = Field(default=None, pattern=PSEUDONYM_PATTERN)
    """The keyed pseudonym (``models.nik.pseudonym``); or name the worker by ``application_id``."""
    application_id: Identifier | None = None
    """The application that made the worker known to the engine; exactly one of the two is given."""
    kind: LifeEventKind
    effective_period: Period
    """The month it happened: a covered worker is covered to its end (or to the last month already
    billed, if later); a month after the region's current one is refused."""
    reported_on: date

    @model_validator(mode="after")
    def _one_name(self) -> Self:
        if (self.worker is None) == (self.application_id is None):
            raise ValueError("name the worker by exactly one of worker or application_id")
        return self


LifeStatus = Literal["waiting", "committed", "covered", "registration_rejected"]
"""A worker's state when a life event arrived (``RegionMatcher.status``)."""
LifeOutcome = Literal["withdrawn", "term_ended", "claim_counted"]


class LifeEventRecorded(OutputBase):
    """The engine applied a life event; ``outcome`` says what it did to the worker."""

    type: Literal["life_event.recorded"] = "life_event.recorded"
    worker: str
    kind: LifeEventKind
    effective_period: Period
    reported_on: date
    status: LifeStatus
    """The worker's state when the report arrived."""
    outcome: LifeOutcome
    """``withdrawn``: off the waiting list (or the seat awaiting registration); ``term_ended``: the term
    ends (``coverage.ended`` follows); ``claim_counted``: an accident claim, nothing ended."""
    claim: bool
    """A benefit claim (``deceased``: JKM, ``accident_claim``: JKK): what the dashboard counts."""


class LifeEventRejected(OutputBase):
    """A life event the engine could not apply; ``reason`` is a stable code, ``message`` says what to do."""

    type: Literal["life_event.rejected"] = "life_event.rejected"
    worker: str | None
    application_id: Identifier | None
    kind: LifeEventKind
    reason: str
    message: str


SeatOutcome = Literal["refilled", "remainder", "returned", "used"]
"""Where a seat's unused months went: to the next waiting worker (``refilled``), the pledge's
remainder (``remainder``: a later full seat or the return at expiry), back to the payer at once
because the pledge has expired (``returned``); ``used``: none were left (the term's last month)."""


class CoverageEnded(OutputBase):
    """A term (or a seat awaiting registration) ended early by a life event.

    ``end_period`` is its last month of cover (None: cover never started);
    the months after it were never billed, and their money
    (``released_idr``) left the seat: see ``seat``.
    """

    type: Literal["coverage.ended"] = "coverage.ended"
    coverage_id: str
    worker: str
    pledge_id: Identifier
    sponsor_id: Identifier
    payer_id: Identifier
    district: DistrictCode
    occupation: Occupation
    reason: LifeEventKind
    end_period: Period | None
    months_covered: int
    """Months of cover the term keeps (billed, or billed at the close of ``end_period``)."""
    months_unused: int
    released_idr: Rupiah
    seat: SeatOutcome
    refill_coverage_id: str | None
    """The seat committed to the next waiting worker for the unused months, when ``refilled``."""
    returned_idr: Rupiah
