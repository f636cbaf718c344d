"""A BPJS branch and the payers, simulated: what they send back to what the engine said.

Jaring asks a payer to register each committed seat with BPJS
(``coverage.committed``) and bills it each month (``bill.issued``); BPJS
confirms registrations and payers pay bills. This module plays both, for
the scenario, the demo, the benchmarks and the tests, deterministically
(every id and time derived from what it answers, no clock, no randomness):

- BPJS confirms every registration at once, except each ``reject_every``-th
  one, which it rejects (0: none);
- a payer pays each bill in full during the month after it (before that
  month's close), ``late`` months later for a late payer, never for a payer
  in ``never`` (its terms lapse after ``lapse_after_unpaid_months``).

``Simulator.answer`` takes outputs as they come and returns the
registration answers; ``Simulator.payments_before_close`` the payments
made during a month, to send before that month's tick. ``drive`` feeds a
log of inputs through any ``handle`` (the pure core, a broker round trip)
with the answers interleaved where a real branch and payers would send them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from models.events import (
    BillIssued,
    CoverageCommitted,
    Input,
    MonthTick,
    OutputEvent,
    PaymentReported,
    RegistrationConfirmed,
    RegistrationRejected,
)
from models.periods import first_day, period_index

__all__ = ["Habits", "Simulator", "drive", "membership_number", "payment_id"]


@dataclass(frozen=True)
class Habits:
    """How BPJS and the payers behave."""

    late: Mapping[str, int] = field(default_factory=dict)
    """Payer id -> months late: its bill for P is paid during P + 1 + late (arrears, then paid in full)."""
    never: frozenset[str] = frozenset()
    """Payers that never pay."""
    reject_every: int = 0
    """BPJS rejects every n-th registration it answers (0: it confirms all)."""


def membership_number(coverage_id: str) -> str:
    """The KPJ BPJS gives a seat: 11 digits derived from its coverage id."""
    return f"{int(hashlib.sha256(coverage_id.encode()).hexdigest()[:12], 16) % 10**11:011d}"


def payment_id(bill_id: str) -> str:
    """The bank reference of a bill's payment: ``TX`` and 20 hex digits derived from the bill id."""
    return "TX" + hashlib.sha256(bill_id.encode()).hexdigest()[:20]


class Simulator:
    """BPJS and payers answering one engine's outputs; feed it every output, in order."""

    def __init__(self, habits: Habits | None = None) -> None:
        self.habits = habits or Habits()
        self._answered = 0
        self._due: dict[int, list[BillIssued]] = {}
        """Pay month -> bills to pay during it."""
        self._paid_through: dict[str, int] = {}
        """Region -> last month whose payments were sent."""

    def answer(self, outputs: Iterable[OutputEvent]) -> list[Input]:
        """Registration answers to the seats committed among ``outputs``; bills are noted for payment."""
        answers: list[Input] = []
        for event in outputs:
            if isinstance(event, CoverageCommitted):
                answers.append(self._registration(event))
            elif isinstance(event, BillIssued) and event.payer_id not in self.habits.never:
                month = period_index(event.period) + 1 + self.habits.late.get(event.payer_id, 0)
                self._due.setdefault(month, []).append(event)
        return answers

    def _registration(self, event: CoverageCommitted) -> Input:
        self._answered += 1
        at = event.event_time + timedelta(minutes=1)
        every = self.habits.reject_every
        if every and self._answered % every == 0:
            return RegistrationRejected(
                event_id=f"bpjs-rejected:{event.coverage_id}", event_time=at, region=event.region,
                coverage_id=event.coverage_id, payer_id=event.payer_id,
                reason="data kependudukan tidak cocok (simulated)",
            )
        return RegistrationConfirmed(
            event_id=f"bpjs-confirmed:{event.coverage_id}", event_time=at, region=event.region,
            coverage_id=event.coverage_id, payer_id=event.payer_id,
            membership_number=membership_number(event.coverage_id),
            start_date=at.date(),
        )

    def payments_before_close(self, region: str, period: str) -> list[PaymentReported]:
        """Payments made in ``region`` during the months up to ``period`` not sent yet, oldest first."""
        last = period_index(period)
        start = self._paid_through.get(region)
        months = sorted(m for m in self._due if (start is None or m > start) and m <= last)
        out: list[PaymentReported] = []
        for month in months:
            paid_on = first_day(month) + timedelta(days=9)
            at = datetime(paid_on.year, paid_on.month, paid_on.day, 2, 0, tzinfo=UTC)
            mine = [b for b in self._due[month] if b.region == region]
            for bill in mine:
                out.append(PaymentReported(
                    event_id=f"payment:{bill.bill_id}", event_time=at, payment_id=payment_id(bill.bill_id),
                    payer_id=bill.payer_id, region=region, bill_id=bill.bill_id, amount_idr=bill.total_idr,
                    paid_on=paid_on, source="topic",
                ))
            self._due[month] = [b for b in self._due[month] if b.region != region]
        self._paid_through[region] = max(last, start or last)
        return out


def drive(
    inputs: Iterable[Input], handle: Callable[[Input], Sequence[OutputEvent]], simulator: Simulator
) -> list[Input]:
    """Feed ``inputs`` to ``handle`` with BPJS's and the payers' answers interleaved; returns the log fed.

    Registration answers follow the outputs that asked for them at once;
    payments made during a month are fed before the tick that closes it.
    """
    log: list[Input] = []

    def feed(event: Input) -> None:
        pending = [event]
        while pending:
            current = pending.pop(0)
            log.append(current)
            pending.extend(simulator.answer(handle(current)))

    for event in inputs:
        if isinstance(event, MonthTick):
            for payment in simulator.payments_before_close(event.region, event.period):
                feed(payment)
        feed(event)
    return log

