"""What a region's matcher holds, how it is read, and how it is rebuilt from its records.

``RegionState`` is the data half of ``RegionMatcher`` (``transitions`` and
``billing`` are the behaviour): the entities, the indexes over them, and the
per-step scratch that names what changed. What it holds per covered worker
is the worker and one term (with its few unpaid months); per bill its totals;
and one compact index, bill id to its unpaid terms in line order, which a
payment walks to pay lines "in bill order" and which a restart rebuilds from
the terms (``_index_unpaid``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal, Self

from models.eligibility import KENDARI, CityPolicy
from models.ledger import Ledger
from models.matcher.emit import Outbox
from models.matcher.entities import Bill, Bucket, Entry, Payer, Payment, Pledge, Refund, Term, Worker
from models.matcher.persistence import (
    Snapshot,
    bill_from_record,
    bill_record,
    payer_from_record,
    payer_record,
    payment_from_record,
    payment_record,
    pledge_from_record,
    pledge_record,
    refund_from_record,
    refund_record,
    term_from_record,
    term_record,
    worker_from_record,
    worker_record,
)
from models.matcher.waiting_list import WaitingList
from models.occupations import Occupation
from models.periods import period_index, period_name
from models.records import (
    BillRecord,
    ClockRecord,
    PayerRecord,
    PaymentRecord,
    PledgeRecord,
    RefundRecord,
    TermRecord,
    WorkerRecord,
)
from models.tariff import BPU_TARIFF, Package, Tariff

__all__ = ["MIN_KEY_BYTES", "RegionState", "WorkerStatus", "bill_id"]

MIN_KEY_BYTES = 16

WorkerStatus = Literal["waiting", "committed", "covered", "registration_rejected", "exited"]


def payment_key(payer_id: str, payment_id: str) -> str:
    """A payment is its payer's: another payer's transaction with the same reference is another payment."""
    return f"{payer_id}:{payment_id}"


def bill_id(region: str, payer_id: str, period: int) -> str:
    """A payer's bill for a month in a region: ``bill:{region}:{payer}:{period}``."""
    return f"bill:{region}:{payer_id}:{period_name(period)}"


class RegionState:
    """A region's entities and indexes; read accessors, snapshot and restore."""

    def __init__(
        self,
        region: str,
        pseudonym_key: bytes,
        policy: CityPolicy = KENDARI,
        tariff: Tariff = BPU_TARIFF,
    ) -> None:
        if len(pseudonym_key) < MIN_KEY_BYTES:
            raise ValueError(f"the pseudonym key needs at least {MIN_KEY_BYTES} bytes")
        self.region = region
        self.policy = policy
        self.tariff = tariff
        self._key = pseudonym_key
        self._weights = policy.priority
        self._closed: int | None = None
        self._closes = 0
        self._seq = 0
        self._workers: dict[str, Worker] = {}
        self._pool = WaitingList()
        self._committed: dict[str, Worker] = {}  # by coverage id; insertion order = commit order
        self._active: dict[str, Worker] = {}  # by pseudonym; insertion order = activation order
        self._ended: dict[str, Term] = {}  # ended terms still owing lines, by coverage id
        self._pledges: dict[str, Pledge] = {}  # by pledge key; insertion order = acceptance order
        self._open: list[tuple[tuple[int, int, str], Pledge]] = []  # sorted by Pledge.order()
        self._scheduled: list[Pledge] = []
        self._seen: dict[str, int] = {}  # event id -> closes when handled; insertion order = age
        self._bills: dict[str, Bill] = {}
        self._unpaid: dict[str, dict[str, Term]] = {}  # bill id -> its unpaid lines' terms, in line order
        self._payments: dict[str, Payment] = {}
        self._refunds: dict[str, Refund] = {}
        self._payers: dict[str, Payer] = {}
        self._lines: dict[tuple[Package, int, Occupation, int], tuple[int, str | None]] = {}
        """Bill line prices by (package, month, occupation, committed price): a close prices a
        handful of kinds of line, not each line again (``Accounts._line``)."""
        # per-step scratch: what changed
        self._out = Outbox(region)
        self._changed_workers: dict[str, None] = {}
        self._changed_pledges: dict[str, None] = {}
        self._changed_terms: dict[str, None] = {}
        self._changed_bills: dict[str, None] = {}
        self._changed_payments: dict[str, None] = {}
        self._changed_refunds: dict[str, None] = {}
        self._changed_payers: dict[str, None] = {}
        self._now_s = 0
        self._expiring: dict[str, Term] = {}
        """During a close with ``renew_before_new`` off: workers whose term just ended, and that term,
        until a pledge takes them (renewed) or the close ends (waiting)."""

    def _begin_step(self) -> None:
        for changed in (
            self._changed_workers, self._changed_pledges, self._changed_terms, self._changed_bills,
            self._changed_payments, self._changed_refunds, self._changed_payers,
        ):
            changed.clear()

    # ------------------------------------------------------------ reading

    @property
    def current_period(self) -> str | None:
        """The month in progress; None before the region has seen any event."""
        return None if self._closed is None else period_name(self._closed + 1)

    def waiting(self) -> list[str]:
        """Waiting workers, best first (O(n log n): for tests and tools, not the hot path)."""
        return [e[3] for e in self._pool.entries()]

    def waiting_count(self) -> int:
        """How many workers wait for a seat (O(1))."""
        return self._pool.count

    def population(self) -> int:
        """Workers the region ever accepted (O(1)): what a close or a pledge may touch at most."""
        return len(self._workers)

    def covered(self) -> list[str]:
        """Workers whose cover is active, in activation order."""
        return list(self._active)

    def committed(self) -> list[str]:
        """Coverage ids of seats awaiting BPJS's registration confirmation, in commit order."""
        return list(self._committed)

    def status(self, worker: str) -> WorkerStatus | None:
        """A worker's state; None if the region never accepted them."""
        w = self._workers.get(worker)
        if w is None:
            return None
        if w.coverage is not None:  # an exited worker's last month of cover runs until its close
            return "committed" if w.coverage.state == "committed" else "covered"
        if w.exited is not None:
            return "exited"
        return "registration_rejected" if w.registration_rejected else "waiting"

    def term(self, coverage_id: str) -> Term | None:
        """A current or owing term by id (read it, do not mutate it)."""
        found = self._committed.get(coverage_id)
        if found is not None:
            return found.coverage
        owing = self._ended.get(coverage_id)
        if owing is not None:
            return owing
        parts = coverage_id.split(":")
        w = self._workers.get(parts[2]) if len(parts) == 4 else None
        return w.coverage if w is not None and w.coverage and w.coverage.coverage_id == coverage_id else None

    def clock_record(self) -> ClockRecord:
        """The region clock as persisted."""
        return ClockRecord(
            region=self.region,
            closed_period=None if self._closed is None else period_name(self._closed),
            closes=self._closes,
            next_seq=self._seq,
        )

    def worker_record(self, worker: str) -> WorkerRecord:
        """One worker as persisted (``KeyError`` if unknown)."""
        return worker_record(self._workers[worker], self.region)

    def pledge_record(self, key: str) -> PledgeRecord:
        """One pledge as persisted, by its ``pledge_key`` (``KeyError`` if unknown)."""
        return pledge_record(self._pledges[key], self.region)

    def term_record(self, coverage_id: str) -> TermRecord | None:
        """An ended term owing lines, as persisted; None once it owes nothing (drop its record)."""
        term = self._ended.get(coverage_id)
        return None if term is None else term_record(term, self.region)

    def bill_record(self, bill: str) -> BillRecord:
        return bill_record(self._bills[bill], self.region)

    def payment_record(self, key: str) -> PaymentRecord:
        """The record of the payment ``payment_key(payer_id, payment_id)``."""
        return payment_record(self._payments[key], self.region)

    def refund_record(self, refund_id: str) -> RefundRecord:
        return refund_record(self._refunds[refund_id], self.region)

    def payer_record(self, payer_id: str) -> PayerRecord:
        return payer_record(self._payers[payer_id], self.region)

    def ledger(self, key: str) -> Ledger:
        """A pledge's live ledger, by its ``pledge_key`` (read it, do not mutate it)."""
        return self._pledges[key].ledger

    def payer(self, payer_id: str) -> Payer | None:
        """A payer's live account (read it, do not mutate it)."""
        return self._payers.get(payer_id)

    def bill(self, bill: str) -> Bill | None:
        """A bill's live totals (read it, do not mutate it)."""
        return self._bills.get(bill)

    def bill_ids(self) -> list[str]:
        """Every bill's id, in the order they were issued (for tests and tools)."""
        return list(self._bills)

    def refund(self, refund_id: str) -> Refund | None:
        return self._refunds.get(refund_id)

    def pledge_keys(self) -> list[str]:
        """Accepted pledges' keys (``pledge_key``) in acceptance order."""
        return list(self._pledges)

    def snapshot(self) -> Snapshot:
        """Every record in a canonical order (by key, pledges by acceptance)."""
        return Snapshot(
            clock=self.clock_record(),
            workers=tuple(self.worker_record(w) for w in sorted(self._workers)),
            pledges=tuple(self.pledge_record(p) for p in self._pledges),
            seen=tuple(sorted(self._seen.items())),
            terms=tuple(term_record(self._ended[t], self.region) for t in sorted(self._ended)),
            bills=tuple(self.bill_record(b) for b in sorted(self._bills)),
            payments=tuple(self.payment_record(p) for p in sorted(self._payments)),
            refunds=tuple(self.refund_record(f) for f in sorted(self._refunds)),
            payers=tuple(self.payer_record(a) for a in sorted(self._payers)),
        )

    # ------------------------------------------------------------ restoring

    @classmethod
    def restore(
        cls,
        region: str,
        pseudonym_key: bytes,
        *,
        clock: ClockRecord | None,
        workers: Iterable[WorkerRecord],
        pledges: Iterable[PledgeRecord],
        seen: Iterable[str | tuple[str, int]],
        terms: Iterable[TermRecord] = (),
        bills: Iterable[BillRecord] = (),
        payments: Iterable[PaymentRecord] = (),
        refunds: Iterable[RefundRecord] = (),
        payers: Iterable[PayerRecord] = (),
        policy: CityPolicy = KENDARI,
        tariff: Tariff = BPU_TARIFF,
    ) -> Self:
        """Rebuild a matcher from its records, in any order; it behaves as the one that wrote them."""
        m = cls(region, pseudonym_key, policy, tariff)
        if clock is not None:
            m._closed = None if clock.closed_period is None else period_index(clock.closed_period)
            m._closes = clock.closes
            m._seq = clock.next_seq
        active: list[Worker] = []
        committed: list[Worker] = []
        waiting: list[tuple[Entry, Bucket]] = []
        for rec in workers:
            w = worker_from_record(rec)
            m._workers[w.worker] = w
            if w.coverage is None:
                if not w.registration_rejected and w.exited is None:
                    waiting.append((w.entry(), w.bucket()))
            elif w.coverage.state == "committed":
                committed.append(w)
            else:
                active.append(w)
        m._pool.restore(waiting)
        for w in sorted(committed, key=lambda w: w.coverage.seq if w.coverage else 0):
            assert w.coverage is not None
            m._committed[w.coverage.coverage_id] = w
        for w in sorted(active, key=lambda w: w.coverage.seq if w.coverage else 0):
            m._active[w.worker] = w
        ended = (term_from_record(r, r.occupation or m._workers[r.worker].occupation) for r in terms)
        for t in sorted(ended, key=lambda t: t.seq):
            if t.unpaid_periods:
                m._ended[t.coverage_id] = t
        for p in sorted((pledge_from_record(r) for r in pledges), key=lambda p: p.accepted_seq):
            m._pledges[p.key] = p
            if p.status == "open":
                m._open.append((p.order(), p))
            elif p.status == "scheduled":
                m._scheduled.append(p)
        m._open.sort(key=lambda op: op[0])
        marks = sorted(((s, 0) if isinstance(s, str) else s for s in seen), key=lambda m: (m[1], m[0]))
        m._seen = dict(marks)
        m._bills = {r.bill_id: bill_from_record(r) for r in sorted(bills, key=lambda r: r.bill_id)}
        m._payments = {
            payment_key(r.payer_id, r.payment_id): payment_from_record(r)
            for r in sorted(payments, key=lambda r: payment_key(r.payer_id, r.payment_id))
        }
        m._refunds = {r.refund_id: refund_from_record(r) for r in sorted(refunds, key=lambda r: r.refund_id)}
        m._payers = {r.payer_id: payer_from_record(r) for r in sorted(payers, key=lambda r: r.payer_id)}
        for w in m._active.values():
            assert w.coverage is not None
            m._derive_billing(w.coverage)
        m._index_unpaid()
        return m

    def _derive_billing(self, t: Term) -> None:
        """An active term's billed and unpaid months, from the clock and its bills' paid cursors.

        Every close bills every active term once, so it was billed from its
        start to the last close; a line is unpaid while its bill's cursor is
        before it (lines are paid in ``seq`` order). A line older than the
        arrears window would have lapsed the term, so only the window is looked
        at. A bill from before the cursor existed leaves the record's word.
        """
        if self._closed is None or t.start_period is None or t.start_period > self._closed:
            t.months_billed, t.unpaid_periods = 0, []
            return
        t.months_billed = self._closed - t.start_period + 1
        recorded = set(t.unpaid_periods)
        unpaid: list[int] = []
        first = max(t.start_period, self._closed - self.policy.lapse_after_unpaid_months)
        for q in range(first, self._closed + 1):
            bill = self._bills.get(bill_id(self.region, t.payer_id, q))
            cursor = None if bill is None else bill.paid_through_seq
            if (q in recorded) if cursor is None else (t.seq > cursor):
                unpaid.append(q)
        t.unpaid_periods = unpaid

    def _index_unpaid(self) -> None:
        """The bill -> unpaid terms index, from the terms: line order is term order (``seq``)."""
        owing = [
            w.coverage for w in self._active.values() if w.coverage is not None and w.coverage.unpaid_periods
        ]
        owing += self._ended.values()
        for t in sorted(owing, key=lambda t: t.seq):
            for q in t.unpaid_periods:
                self._unpaid.setdefault(bill_id(self.region, t.payer_id, q), {})[t.coverage_id] = t
