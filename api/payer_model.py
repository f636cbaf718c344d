"""Each payer's desk as the API answers it: pending registrations, bills and their lines, refunds, accounts.

A fold of the engine's output topics, like ``models.pledge_book``; pure (the
feed, ``api.feed``, is the shell). What it holds per payer:

- **pending registrations**: ``coverage.committed`` seats not yet activated
  or cancelled (all three on ``coverage.v1``, a region in one partition);
- **bills**: ``bill.line`` events, then ``bill.issued`` (``billing.v1``); a bill
  is shown once issued, and by then every line of it has been read (same
  partition, the lines come first);
- **refunds**: ``refund.owed`` and ``refund.closed`` (settled so far only grows);
- **accounts**: the latest ``payer.movement`` balances per region (``funding.v1``
  keeps them in order).

Line states. The engine does not emit a state per line (a million lines per
close would be a million more events); the reader derives it the way the
engine decided it: a ``payment.reconciled`` pays the first ``lines_paid``
lines of its bill still outstanding, in line order; a ``written_off``
funding movement writes off the oldest outstanding lines of its term
(those whose amounts add up to the movement's, lines of one term may differ
since issue 19: a lapse writes off all of them, an ended term its lines past
the arrears window, oldest first). The order
between a payment and a write-off comes from their ``period``: a payment is
stamped with the month it arrived in (after the close before it), a write-off
with the month whose close made it, so a payment of period X came before the
write-offs of the close of X. It is computed when asked (``bills_of``), per
payer, from compact per-bill arrays: nothing per line is a Python object
besides its two strings. An outstanding line is *in arrears* once its
region has closed a month after the bill's (its due date passed at that close),
else *due*.

Repeats (an event id read twice) change nothing: lines are deduplicated by
their place in the bill (``line_no``, which their id derives from), every
other event by its id within a window of months (``infra.repeats``).

Memory is bounded by a window, not by history (README "Memory bounds"): a
bill's lines are kept while any of them is outstanding, and for
``keep_months`` closed months after the bill's; then the bill is *archived*:
its figures stay (``bills_of``), its lines are dropped (``bill`` answers
``ARCHIVED`` for them; the API says 410). Archiving is exact: a bill is
archived only once its region's payments and write-offs up to a month both
topics have passed are folded into fixed line states (``_freeze``), and a
settled line is never touched again (a payment pays outstanding lines, a
write-off writes off outstanding lines).
"""

from __future__ import annotations

from array import array
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Final, Literal, NamedTuple, TypeAlias

from infra.repeats import RecentIds
from models.events import (
    BillIssued,
    BillLine,
    CoverageActivated,
    CoverageCancelled,
    CoverageCommitted,
    FundingKind,
    FundingMovement,
    PayerBalances,
    PayerMovement,
    PaymentReconciled,
    RefundCause,
    RefundClosed,
    RefundOwed,
)
from models.periods import period_index, period_name

__all__ = [
    "ARCHIVED",
    "KEEP_MONTHS",
    "PAYER_FACTS",
    "BillView",
    "LineState",
    "LineView",
    "PayerBooks",
    "PayerFact",
    "PendingRegistration",
    "RefundView",
]

PayerFact: TypeAlias = (
    CoverageCommitted
    | CoverageActivated
    | CoverageCancelled
    | BillLine
    | BillIssued
    | PaymentReconciled
    | RefundOwed
    | RefundClosed
    | FundingMovement
    | PayerMovement
)
PAYER_FACTS = (
    CoverageCommitted,
    CoverageActivated,
    CoverageCancelled,
    BillLine,
    BillIssued,
    PaymentReconciled,
    RefundOwed,
    RefundClosed,
    FundingMovement,
    PayerMovement,
)
"""Every event that says something about a payer's desk."""

LineState = Literal["due", "in_arrears", "paid", "written_off"]
"""A bill line: outstanding (``due`` until its bill's due date passed at a close, then ``in_arrears``),
``paid``, or ``written_off`` (its term lapsed, or ended, with it unpaid past the arrears window)."""

KEEP_MONTHS = 12
"""Closed months a settled bill keeps its lines after its own (the API's; ``PayerBooks`` keeps all by
default): a year, the span a payer's books and BPJS's audits look back over; then the topic is the record."""
ARCHIVED: Final = "archived"
"""What ``PayerBooks.bill`` gives instead of lines for an archived bill."""

_UNPAID, _PAID, _WRITTEN_OFF = 0, 1, 2
_CLOSE_KINDS = frozenset({FundingKind.BILLED, FundingKind.ARREARS, FundingKind.WRITTEN_OFF})
"""Movements only a month close makes: their ``period`` is a month the region has closed."""


class PendingRegistration(NamedTuple):
    """A seat waiting for the payer to register its worker with BPJS (from ``coverage.committed``)."""

    coverage_id: str
    worker: str
    region: str
    pledge_id: str
    sponsor_id: str
    district: str
    occupation: str
    package: str
    monthly_premium_idr: int
    months: int
    committed_period: str
    registration_due_period: str


class LineView(NamedTuple):
    """One bill line as answered: the pseudonym and membership number, never a NIK or a name."""

    line_no: int
    coverage_id: str
    worker: str
    membership_number: str
    pledge_id: str
    sponsor_id: str
    months: int
    amount_idr: int
    state: LineState


class BillView(NamedTuple):
    bill_id: str
    payer_id: str
    region: str
    period: str
    lines: int
    total_idr: int
    paid_idr: int
    written_off_idr: int
    outstanding_idr: int
    due_date: date
    state: LineState
    """``paid`` (nothing outstanding, nothing written off), ``written_off`` (nothing outstanding, some
    lines written off), else ``in_arrears`` or ``due`` as its outstanding lines are."""


class RefundView(NamedTuple):
    refund_id: str
    payer_id: str
    region: str
    period: str
    cause: RefundCause
    payment_id: str | None
    coverage_id: str | None
    amount_idr: int
    refunded_idr: int
    remaining_idr: int
    state: Literal["owed", "settled"]


class _Bill:
    """One bill's lines as parallel arrays (a line is two strings and two machine integers)."""

    __slots__ = ("amount", "archived", "base", "bill_id", "coverage", "early", "issued", "membership",
                 "months", "payments", "period", "region")

    def __init__(self, bill_id: str, region: str, period: str) -> None:
        self.bill_id, self.region, self.period = bill_id, region, period
        self.coverage: list[str] = []
        """``coverage_id`` per line, in line order; the worker, pledge and sponsor derive from it."""
        self.membership: list[str] = []
        self.amount = array("q")
        self.months = array("l")
        self.early: dict[int, BillLine] = {}
        """Lines read before a line before them: only if a partition's order was lost (never in Kafka)."""
        self.issued: BillIssued | None = None
        self.payments: list[tuple[str, int, int]] = []
        """(period, arrival order on ``billing.v1``, lines paid) of each payment reconciled against it and
        not yet frozen into ``base``."""
        self.base: bytearray | None = None
        """Line states after the frozen payments and write-offs (``PayerBooks._freeze``); None: all unpaid."""
        self.archived: tuple[int, int] | None = None
        """(paid, written off) once archived: every line settled and the lines dropped."""

    def add(self, line: BillLine) -> None:
        if self.archived is not None or line.line_no <= len(self.coverage) or line.line_no in self.early:
            return  # a repeat: its id derives from its place in the bill
        self.early[line.line_no] = line
        while (nxt := self.early.pop(len(self.coverage) + 1, None)) is not None:
            self.coverage.append(nxt.coverage_id)
            self.membership.append(nxt.membership_number)
            self.amount.append(nxt.amount_idr)
            self.months.append(nxt.months)


@dataclass(slots=True)
class _Refund:
    owed: RefundOwed
    refunded_idr: int = 0


@dataclass(slots=True)
class _Desk:
    """One payer's facts."""

    pending: dict[str, PendingRegistration] = field(default_factory=dict)
    bills: dict[str, _Bill] = field(default_factory=dict)
    refunds: dict[str, _Refund] = field(default_factory=dict)
    settled: dict[str, int] = field(default_factory=dict)
    """Refunds closed before their ``refund.owed`` was read: settled so far (only grows)."""
    accounts: dict[str, PayerBalances] = field(default_factory=dict)
    write_offs: list[tuple[str, str, int, str, int]] = field(default_factory=list)
    """(region, period, arrival order on ``funding.v1``, coverage id, amount) of each write-off not yet
    frozen into its bills' ``base``."""


def split_coverage_id(coverage_id: str) -> tuple[str, str, str]:
    """(sponsor, pledge, worker) of ``{sponsor}:{pledge}:{worker}:{term_no}``: ids hold no ``:``."""
    sponsor, pledge, worker, _ = coverage_id.split(":", 3)
    return sponsor, pledge, worker


class PayerBooks:
    """Every payer's desk; ``apply`` is the only writer."""

    def __init__(self, keep_months: int | None = None) -> None:
        """``keep_months``: closed months a settled bill keeps its lines after its own; None: forever, and
        every answer replays every payment and write-off (the reference the window is tested against)."""
        self.keep_months = keep_months
        self._seen = RecentIds()
        self._desks: dict[str, _Desk] = {}
        self._ended: set[str] = set()
        """Coverage ids activated or cancelled before their commitment was read (never in Kafka's order:
        the three share a partition), so a late commitment is not shown pending."""
        self._closed: dict[str, str] = {}
        """Per region, the latest month a close was seen making (period strings sort as months)."""
        self._issued: dict[str, str] = {}
        """Per region, the latest month a ``bill.issued`` was read for: every payment stamped with it or
        before has been read (``billing.v1`` keeps a region's order)."""
        self._funded: dict[str, str] = {}
        """Per region, the latest month a close-only funding movement was read for: every write-off of
        the months before it has been read (``funding.v1`` keeps a region's order)."""
        self._frozen: dict[str, str] = {}
        """Per region, the month up to which payments and write-offs are frozen into line states."""
        self._arrivals = 0

    def apply(self, event: object) -> bool:
        """Fold one event in; False for a repeat or an event about no payer's desk."""
        if not isinstance(event, PAYER_FACTS):
            return False
        if not isinstance(event, BillLine) and not self._seen.first(event):
            return False
        return self.apply_first(event)

    def apply_first(self, event: PayerFact) -> bool:
        """``apply`` for a reader that drops repeated ids itself (``api.read_model``): one window of ids
        for both folds. Bill lines are still deduplicated here, by ``line_no``."""
        if isinstance(event, BillLine):
            bill = self._bill(event.payer_id, event.bill_id, event.region, event.period)
            before = len(bill.coverage) + len(bill.early)
            bill.add(event)
            return len(bill.coverage) + len(bill.early) > before
        self._arrivals += 1
        if isinstance(event, CoverageCommitted):
            if event.coverage_id in self._ended:
                self._ended.discard(event.coverage_id)
            else:
                self._desk(event.payer_id).pending[event.coverage_id] = PendingRegistration(
                    event.coverage_id, event.worker, event.region, event.pledge_id, event.sponsor_id,
                    event.district, event.occupation.value, event.package.value,
                    event.monthly_premium_idr, event.months, event.period, event.registration_due_period,
                )
        elif isinstance(event, CoverageActivated | CoverageCancelled):
            if self._desk(event.payer_id).pending.pop(event.coverage_id, None) is None:
                self._ended.add(event.coverage_id)
        elif isinstance(event, BillIssued):
            self._bill(event.payer_id, event.bill_id, event.region, event.period).issued = event
            self._close(event.region, event.period)
            self._advance(self._issued, event.region, event.period)
        elif isinstance(event, PaymentReconciled):
            paid = self._desk(event.payer_id).bills.get(event.bill_id)
            if paid is not None and event.lines_paid:
                paid.payments.append((event.period, self._arrivals, event.lines_paid))
        elif isinstance(event, RefundOwed):
            desk = self._desk(event.payer_id)
            desk.refunds[event.refund_id] = _Refund(event, desk.settled.pop(event.refund_id, 0))
        elif isinstance(event, RefundClosed):
            desk = self._desk(event.payer_id)
            found = desk.refunds.get(event.refund_id)
            if found is None:
                desk.settled[event.refund_id] = max(desk.settled.get(event.refund_id, 0), event.refunded_idr)
            else:
                found.refunded_idr = max(found.refunded_idr, event.refunded_idr)
        elif isinstance(event, PayerMovement):
            self._desk(event.payer_id).accounts[event.region] = event.balances
        else:
            if event.kind is FundingKind.WRITTEN_OFF and event.coverage_id is not None:
                self._desk(event.payer_id).write_offs.append(
                    (event.region, event.period, self._arrivals, event.coverage_id, event.amount_idr)
                )
            if event.kind in _CLOSE_KINDS:
                self._close(event.region, event.period)
                self._advance(self._funded, event.region, event.period)
        return True

    # ------------------------------------------------------------ answers

    def payers(self) -> list[str]:
        return sorted(self._desks)

    def pending(self, payer_id: str) -> list[PendingRegistration]:
        """The payer's seats awaiting registration, by due period, region and coverage id."""
        desk = self._desks.get(payer_id)
        if desk is None:
            return []
        return sorted(desk.pending.values(),
                      key=lambda r: (r.registration_due_period, r.region, r.coverage_id))

    def bills_of(self, payer_id: str) -> list[BillView]:
        """The payer's issued bills, oldest period first."""
        desk = self._desks.get(payer_id)
        if desk is None:
            return []
        states = self._line_states(desk)
        return [self._view(b, payer_id, states.get(b.bill_id, bytearray()))
                for b in sorted(desk.bills.values(), key=lambda b: (b.period, b.region, b.bill_id))
                if b.issued is not None]

    def bill(self, payer_id: str, bill_id: str
             ) -> tuple[BillView, Iterator[LineView] | Literal["archived"]] | None:
        """One issued bill of this payer and its lines (an iterator: lines are made as they are read),
        or ``ARCHIVED`` for an archived bill's; None for a bill that is not this payer's, or not issued
        yet."""
        desk = self._desks.get(payer_id)
        if desk is None:
            return None
        found = desk.bills.get(bill_id)
        if found is None or found.issued is None:
            return None
        if found.archived is not None:
            return self._view(found, payer_id, bytearray()), ARCHIVED
        states = self._line_states(desk)[bill_id]
        return self._view(found, payer_id, states), self._lines(found, states)

    def refunds_of(self, payer_id: str) -> list[RefundView]:
        desk = self._desks.get(payer_id)
        if desk is None:
            return []
        out = []
        for refund_id, r in sorted(desk.refunds.items()):
            o = r.owed
            remaining = o.amount_idr - r.refunded_idr
            out.append(RefundView(refund_id, o.payer_id, o.region, o.period, o.cause, o.payment_id,
                                  o.coverage_id, o.amount_idr, r.refunded_idr, remaining,
                                  "settled" if remaining <= 0 else "owed"))
        return out

    def accounts_of(self, payer_id: str) -> dict[str, PayerBalances]:
        """The payer's account per region, as the latest ``payer.movement`` left it."""
        desk = self._desks.get(payer_id)
        return {} if desk is None else dict(sorted(desk.accounts.items()))

    def term_months(self, payer_id: str, region: str, coverage_id: str) -> dict[LineState, int]:
        """Months of one term's kept lines by state (the officer's desk): the states ``bills_of`` shows.

        Archived bills hold no lines: theirs were all settled (paid, or written off when a term
        lapsed or ended owing), so a term still running has every archived month paid. Costs one pass
        over the payer's kept lines in the region, like a bill download."""
        months: dict[LineState, int] = {"due": 0, "in_arrears": 0, "paid": 0, "written_off": 0}
        desk = self._desks.get(payer_id)
        if desk is None:
            return months
        states = self._line_states(desk, region)
        for b in desk.bills.values():
            if b.region != region or b.archived is not None:
                continue
            marks = states[b.bill_id]
            for i, cov in enumerate(b.coverage):
                if cov == coverage_id:
                    months[self._state(b, marks[i])] += b.months[i]
        return months

    def line_count(self) -> int:
        """Lines held (archived bills hold none)."""
        return sum(len(b.coverage) for d in self._desks.values() for b in d.bills.values())

    def held(self) -> dict[str, int]:
        """What grows with input, counted: lines, the payments and write-offs not yet frozen, and the
        event ids held to drop repeats (``infra.repeats``: a window of months)."""
        bills = [b for d in self._desks.values() for b in d.bills.values()]
        return {
            "lines": sum(len(b.coverage) for b in bills),
            "steps": sum(len(b.payments) for b in bills)
            + sum(len(d.write_offs) for d in self._desks.values()),
            "ids": len(self._seen),
        }

    # ------------------------------------------------------------ the fold's parts

    def _desk(self, payer_id: str) -> _Desk:
        desk = self._desks.get(payer_id)
        if desk is None:
            desk = self._desks[payer_id] = _Desk()
        return desk

    def _bill(self, payer_id: str, bill_id: str, region: str, period: str) -> _Bill:
        bills = self._desk(payer_id).bills
        found = bills.get(bill_id)
        if found is None:
            found = bills[bill_id] = _Bill(bill_id, region, period)
        return found

    def _close(self, region: str, period: str) -> None:
        if period > self._closed.get(region, ""):
            self._closed[region] = period

    def _advance(self, latest: dict[str, str], region: str, period: str) -> None:
        """A topic's progress in ``region`` moved to ``period``: freeze and archive what both allow."""
        if period <= latest.get(region, ""):
            return
        latest[region] = period
        issued, funded = self._issued.get(region), self._funded.get(region)
        if issued is None or funded is None:
            return
        # Payments of the month of the latest bill.issued were all read; write-offs only of the months
        # before the latest close-only funding movement (that close may still be writing its own off).
        horizon = min(issued, period_name(period_index(funded) - 1))
        if horizon <= self._frozen.get(region, ""):
            return
        self._frozen[region] = horizon
        if self.keep_months is None:
            return  # everything kept: nothing to freeze for
        for desk in self._desks.values():
            self._freeze(desk, region, horizon)

    def _freeze(self, desk: _Desk, region: str, horizon: str) -> None:
        """Fold the desk's payments and write-offs in ``region`` up to ``horizon`` into fixed line states
        (every such step has been read: ``_advance``), then archive its settled bills outside the window.

        No step left can change a line settled here, and the steps left sort after those frozen, so
        every answer is the one replaying everything would give."""
        mine = [b for b in desk.bills.values() if b.region == region and b.archived is None]
        if not mine:
            return
        states = self._line_states(desk, region, horizon)
        for b in mine:
            if b.period <= horizon:
                b.base = states[b.bill_id] if any(states[b.bill_id]) else None
                b.payments = [p for p in b.payments if p[0] > horizon]
        desk.write_offs = [w for w in desk.write_offs if w[0] != region or w[1] > horizon]
        assert self.keep_months is not None
        last = period_name(period_index(self._closed[region]) - self.keep_months)
        for b in mine:
            if (b.period <= min(last, horizon) and b.issued is not None and b.base is not None
                    and _UNPAID not in b.base):
                paid = sum(a for a, m in zip(b.amount, b.base, strict=True) if m == _PAID)
                b.archived = (paid, sum(b.amount) - paid)
                b.coverage, b.membership, b.amount, b.months = [], [], array("q"), array("l")
                b.base, b.payments = None, []

    def _line_states(self, desk: _Desk, region: str | None = None, upto: str | None = None
                     ) -> dict[str, bytearray]:
        """Each kept bill's line states (``_UNPAID``/``_PAID``/``_WRITTEN_OFF``): its frozen ones, then
        the payments and write-offs not yet frozen, replayed in the engine's order (module docstring);
        only ``region``'s, up to month ``upto``, when given."""
        kept = [b for b in desk.bills.values()
                if b.archived is None and (region is None or b.region == region)]
        states = {}
        for b in kept:
            marks = states[b.bill_id] = bytearray(len(b.coverage))
            if b.base is not None:
                marks[:len(b.base)] = b.base
        steps: list[tuple[str, str, int, int, str, int]] = [
            (b.region, period, 0, seq, b.bill_id, paid)
            for b in kept for period, seq, paid in b.payments if upto is None or period <= upto
        ]
        offs = [w for w in desk.write_offs
                if (region is None or w[0] == region) and (upto is None or w[1] <= upto)]
        steps += [(r, period, 1, seq, cov, amount) for r, period, seq, cov, amount in offs]
        if not steps:
            return states
        written = {cov for *_, cov, _ in offs}
        lines_of: dict[str, list[tuple[str, _Bill, int]]] = {}
        for b in kept:
            for i, cov in enumerate(b.coverage):
                if cov in written:
                    lines_of.setdefault(cov, []).append((b.period, b, i))
        for found in lines_of.values():
            found.sort(key=lambda x: x[0])
        for _region, period, kind, _seq, what, n in sorted(steps):
            if kind == 0:
                marks = states[what]
                for i, mark in enumerate(marks):
                    if n == 0:
                        break
                    if mark == _UNPAID:
                        marks[i] = _PAID
                        n -= 1
            else:
                left = n  # lines of one term may differ in amount (the tariff in force each month)
                for q, b, i in lines_of.get(what, []):
                    if left <= 0:
                        break
                    if q < period and states[b.bill_id][i] == _UNPAID:
                        states[b.bill_id][i] = _WRITTEN_OFF
                        left -= b.amount[i]
        return states

    def _state(self, bill: _Bill, mark: int) -> LineState:
        if mark == _PAID:
            return "paid"
        if mark == _WRITTEN_OFF:
            return "written_off"
        return "in_arrears" if self._closed.get(bill.region, "") > bill.period else "due"

    def _view(self, bill: _Bill, payer_id: str, marks: bytearray) -> BillView:
        assert bill.issued is not None
        if bill.archived is not None:
            paid, written = bill.archived
        else:
            paid = sum(a for a, m in zip(bill.amount, marks, strict=True) if m == _PAID)
            written = sum(a for a, m in zip(bill.amount, marks, strict=True) if m == _WRITTEN_OFF)
        outstanding = bill.issued.total_idr - paid - written
        state: LineState = (
            self._state(bill, _UNPAID) if outstanding else "written_off" if written else "paid"
        )
        return BillView(
            bill.bill_id, payer_id, bill.region, bill.period, bill.issued.lines, bill.issued.total_idr,
            paid, written, outstanding, bill.issued.due_date, state,
        )

    def _lines(self, bill: _Bill, marks: bytearray) -> Iterator[LineView]:
        for i, cov in enumerate(bill.coverage):
            sponsor, pledge, worker = split_coverage_id(cov)
            yield LineView(i + 1, cov, worker, bill.membership[i], pledge, sponsor, bill.months[i],
                           bill.amount[i], self._state(bill, marks[i]))
