"""The matcher's state as small per-entity records: the persistence contract.

The stream layer keeps state in changelog-backed tables keyed by entity, not
one blob per region, so a write costs what changed. After every
``RegionMatcher.handle`` the returned ``Step`` names what changed; the
stream layer upserts those records (``matcher.worker_record(w)`` ...), and on
start rebuilds the matcher with ``RegionMatcher.restore(...)`` from every
record of the region. Restoring gives the same future outputs as never
stopping: orders that matter (coverage and acceptance sequence numbers,
priority keys) are stored, never implied by storage order.

======================  =====================  ===========================================
record                  key                    holds
======================  =====================  ===========================================
``ClockRecord``         region                 last closed month, month closes, sequence
``WorkerRecord``        region + pseudonym     what matching needs and the current term;
                                               never the NIK, the name or the birth date
``PledgeRecord``        region + pledge key    terms, targeting, seats, ledger
seen marker             region + event_id      input events rejected (replays are dropped)
======================  =====================  ===========================================

A pledge is keyed by ``models.events.pledge_key(sponsor_id, pledge_id)``: a
``pledge_id`` is unique per sponsor only, so two sponsors' pledges with the same
id are two records.

Records are lax on input (they come back from JSON tables) and are never
deleted: a worker or pledge record is what makes a replay or a duplicate
recognisable.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict

from models.nik import Sex
from models.occupations import Occupation
from models.tariff import Package

__all__ = [
    "ClockRecord",
    "CoverageRecord",
    "PledgeRecord",
    "PledgeStatus",
    "WorkerRecord",
]

PledgeStatus = Literal["scheduled", "open", "exhausted", "expired"]


class _Record(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


class ClockRecord(_Record):
    """A region's event-time clock."""

    region: str
    closed_period: str | None
    """Last month closed by a tick; the current month is the one after."""
    closes: int
    """Months closed since the region started (runway arithmetic)."""
    next_seq: int
    """Next sequence number for accepted pledges and started terms."""


class CoverageRecord(_Record):
    """A worker's current term."""

    coverage_id: str
    sponsor_id: str
    pledge_id: str
    """With ``sponsor_id``, the pledge paying this term (``models.events.pledge_key``)."""
    term_no: int
    seq: int
    """Start order: premiums are paid in this order at every tick."""
    start_period: str
    months: int
    months_paid: int
    monthly_premium_idr: int
    package: Package
    membership_since: str


class WorkerRecord(_Record):
    """One worker (one NIK) in one region, waiting or covered."""

    worker: str
    """Keyed pseudonym of the NIK."""
    region: str
    application_id: str
    application_event_id: str
    district: str
    occupation: Occupation
    sex: Sex
    welfare_decile: int | None
    submitted_s: int
    poverty: int
    hazard: int
    household: int
    disability: int
    key: int
    """The priority ordering key, fixed at application (``models.priority``)."""
    terms: int
    last_end_period: str | None
    membership_since: str | None
    coverage: CoverageRecord | None
    """None while waiting."""


class PledgeRecord(_Record):
    """One accepted pledge and its ledger."""

    pledge_id: str
    event_id: str
    sponsor_id: str
    payer_id: str
    region: str
    package: Package
    months: int
    districts: tuple[str, ...] | None
    occupations: tuple[Occupation, ...] | None
    sexes: tuple[Sex, ...] | None
    max_welfare_decile: int | None
    monthly_premium_idr: int
    seat_cost_idr: int
    seats: int
    seats_filled: int
    accepted_seq: int
    opens_period: str
    valid_until: date
    status: PledgeStatus
    pledged_idr: int
    committed_idr: int
    paid_idr: int
    returned_idr: int
    bound_until_close: int
    """Month close at which the last committed premium is paid (runway = this - closes)."""
