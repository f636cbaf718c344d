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
                                               (its month only: the renewal's age check)
``PledgeRecord``        region + pledge key    terms, targeting, seats, ledger
``TermRecord``          region + coverage id   an ended term whose bill lines are unpaid
``BillRecord``          region + bill id       a payer's bill for a period: totals only
``PaymentRecord``       region + payment id    a reconciled payment (duplicates recognised)
``RefundRecord``        region + refund id     a refund owed and what was settled of it
``PayerRecord``         region + payer id      a payer's account
seen marker             region + event_id      input events rejected, and registration
                                               answers and refund settlements handled
======================  =====================  ===========================================

Bill lines are not records, and a month close or a payment rewrites no
worker: a close writes its bills, pledges, clock and the terms it ends, not
the terms it bills, and a payment writes its bill, not the lines it pays.
What an active term's ``months_billed`` and ``unpaid_periods`` would say
follows from the clock (every close bills every active term once) and from
its bills' ``paid_through_seq`` (payments pay lines in line order, which is
term ``seq`` order), so a restart derives them and the record's own values
are those of its last write. An ended term's record (``TermRecord``) holds
them exactly, and is written whenever they change. So a close of a region of
a million covered workers writes a few hundred records, not a million.

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

from pydantic import BaseModel, ConfigDict, SerializerFunctionWrapHandler, model_serializer

from models.events.billing import RefundCause
from models.nik import Sex
from models.occupations import Occupation
from models.tariff import Package

__all__ = [
    "BillRecord",
    "ClockRecord",
    "CoverageRecord",
    "PayerRecord",
    "PaymentRecord",
    "PledgeRecord",
    "PledgeStatus",
    "RefundRecord",
    "TermRecord",
    "TermState",
    "WorkerRecord",
]

PledgeStatus = Literal["scheduled", "open", "exhausted", "expired"]
TermState = Literal["committed", "active", "ended"]


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
    """A worker's current term (committed or active), or an ended one still owing bill lines."""

    coverage_id: str
    worker: str
    sponsor_id: str
    pledge_id: str
    """With ``sponsor_id``, the pledge paying this term (``models.events.pledge_key``)."""
    payer_id: str
    term_no: int
    seq: int
    """Commit order while committed, then activation order: bills list lines in this order."""
    state: TermState
    committed_period: str
    registration_due_period: str
    was_waiting: bool
    start_period: str | None
    """None until BPJS confirms the registration."""
    months: int
    months_billed: int
    monthly_premium_idr: int
    package: Package
    membership_since: str | None
    membership_number: str | None
    start_date: date | None
    unpaid_periods: tuple[str, ...]
    """Months billed and not paid, oldest first."""


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
    """None while waiting (or after a rejected registration)."""
    registration_rejected: bool
    """BPJS refused the worker's last registration: not waiting until they apply again."""
    exited: str | None = None
    """What ended the worker's part: a life event's kind (``LifeEventKind``: moved out,
    employer-covered, deceased, left) or the renewal check's reason (``age_above_maximum``); neither
    waiting nor renewed since. None for everyone else."""
    life_event_ids: tuple[str, ...] = ()
    """The life events applied to the worker: a replay of one, however late, does nothing."""
    earlier_application_event_ids: tuple[str, ...] = ()
    """Applications that made this worker before the current one (a fresh attempt after leaving or a
    refused registration): their replays are recognised too, and change nothing."""
    birth_month: str | None = None
    """``YYYY-MM`` of the birth date (the day is not kept): the renewal's age check. None on records
    written before issue 18: those workers renew as before."""

    @model_serializer(mode="wrap")
    def _lean(self, handler: SerializerFunctionWrapHandler) -> dict[str, object]:
        """Fields added later are written only when set: a worker no life event touched is written
        byte for byte as before (the golden state digests, and tables written by older workers)."""
        data: dict[str, object] = handler(self)
        for name in _LATER_WORKER_FIELDS:
            if not data.get(name):
                data.pop(name, None)
        return data


_LATER_WORKER_FIELDS = ("exited", "life_event_ids", "earlier_application_event_ids", "birth_month")
"""``WorkerRecord`` fields left out of its JSON while empty (``WorkerRecord._lean``)."""


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
    reopened: int
    """How many times the pledge went from exhausted back to open."""
    pledged_idr: int
    committed_idr: int
    billed_idr: int
    paid_idr: int
    arrears_idr: int
    written_off_idr: int
    returned_idr: int
    bound_until_close: int
    """Month close at which the last committed premium is billed (runway = this - closes)."""


class TermRecord(CoverageRecord):
    """An ended term with unpaid bill lines (payable until the arrears window closes)."""

    region: str
    occupation: Occupation | None = None
    """The worker's occupation when the seat was committed: its lines' discount (``models.tariff``),
    kept because the worker may apply again with another. None in records written before issue 19:
    the worker's."""


class BillRecord(_Record):
    """A payer's bill for one month in one region."""

    bill_id: str
    region: str
    payer_id: str
    period: str
    lines: int
    total_idr: int
    paid_idr: int
    written_off_idr: int
    due_date: date
    paid_through_seq: int | None = None
    """The ``seq`` of the last line a payment paid (0: none yet): lines are paid in line order, so every
    line at or before it is paid or written off. None on bills written before Jaring kept it: their
    terms' records hold their unpaid months."""


class PaymentRecord(_Record):
    """A reconciled payment: its ``payment_id`` reported again is a duplicate."""

    payment_id: str
    region: str
    event_id: str
    payer_id: str
    bill_id: str
    amount_idr: int


class RefundRecord(_Record):
    """Money owed back to a payer."""

    refund_id: str
    region: str
    payer_id: str
    cause: RefundCause
    payment_id: str | None
    coverage_id: str | None
    amount_idr: int
    refunded_idr: int
    settled_event_ids: tuple[str, ...] = ()


class PayerRecord(_Record):
    """A payer's account in a region: ``received = applied + refunds_owed``."""

    payer_id: str
    region: str
    received_idr: int
    applied_idr: int
    refunds_owed_idr: int
    refunded_idr: int
