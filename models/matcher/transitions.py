"""``RegionMatcher``: the transitions of one region's state, one input at a time.

The rules it implements, and the order of a month close, are the package's
docstring (``models.matcher``). Entities are ``entities``; the waiting list
``waiting_list``; how outputs are built and named ``emit``; records
``persistence``.
"""

from __future__ import annotations

from bisect import insort
from collections.abc import Iterable
from typing import Literal, NamedTuple

from models.eligibility import KENDARI, CityPolicy, Rejection, check_application, check_pledge
from models.errors import Reason, RegionMismatchError
from models.events import (
    ApplicationSubmitted,
    FundingKind,
    InputEvent,
    MonthTick,
    OutputEvent,
    PledgeSubmitted,
    pledge_key,
    region_of,
)
from models.ledger import Ledger
from models.matcher.emit import Outbox
from models.matcher.entities import Bucket, Entry, Pledge, Term, Worker
from models.matcher.persistence import (
    Snapshot,
    pledge_from_record,
    pledge_record,
    worker_from_record,
    worker_record,
)
from models.matcher.waiting_list import WaitingList
from models.nik import pseudonym
from models.periods import period_index, period_name, period_of
from models.priority import Priority, explain, seconds_since_epoch
from models.records import ClockRecord, PledgeRecord, WorkerRecord
from models.tariff import BPU_TARIFF, Tariff

__all__ = ["RegionMatcher", "Step"]

_MIN_KEY_BYTES = 16
_NIK_UNPARSED = frozenset({
    Reason.NIK_INVALID_LENGTH, Reason.NIK_INVALID_FORMAT, Reason.NIK_UNKNOWN_REGION,
    Reason.NIK_INVALID_BIRTH_DATE,
})
"""Rejections before the NIK could be read: no pseudonym to name the applicant by."""


class Step(NamedTuple):
    """What one ``handle`` call did: events to send and records to upsert, in that order of importance."""

    outputs: list[OutputEvent]
    workers: tuple[str, ...] = ()
    """Pseudonyms whose ``WorkerRecord`` changed."""
    pledges: tuple[str, ...] = ()
    """Pledge keys (``pledge_key``) whose ``PledgeRecord`` changed."""
    seen: tuple[str, ...] = ()
    """Event ids to remember as handled (rejected inputs)."""
    clock: bool = False
    """Whether the ``ClockRecord`` changed."""


class RegionMatcher:
    """Matching, funding and the clock for one region; pure and deterministic."""

    def __init__(
        self,
        region: str,
        pseudonym_key: bytes,
        policy: CityPolicy = KENDARI,
        tariff: Tariff = BPU_TARIFF,
    ) -> None:
        if len(pseudonym_key) < _MIN_KEY_BYTES:
            raise ValueError(f"the pseudonym key needs at least {_MIN_KEY_BYTES} bytes")
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
        self._active: dict[str, Worker] = {}  # insertion order = term start order
        self._pledges: dict[str, Pledge] = {}  # by pledge key; insertion order = acceptance order
        self._open: list[tuple[tuple[int, int, str], Pledge]] = []  # sorted by Pledge.order()
        self._scheduled: list[Pledge] = []
        self._seen: set[str] = set()
        # per-step scratch
        self._out = Outbox(region)
        self._changed_workers: dict[str, None] = {}
        self._changed_pledges: dict[str, None] = {}
        self._now_s = 0

    # ------------------------------------------------------------ public

    def handle(self, event: InputEvent) -> Step:
        """Apply one input event; returns the events it caused and the records it changed."""
        region = region_of(event)
        if region != self.region:
            raise RegionMismatchError(
                "wrong_region",
                f"event for region {region} reached the matcher of {self.region}; check the Kafka key",
            )
        out = self._out
        out.begin(event.event_time)
        self._changed_workers = {}
        self._changed_pledges = {}
        self._now_s = seconds_since_epoch(event.event_time)
        clock_before = (self._closed, self._closes, self._seq)
        seen: tuple[str, ...] = ()
        if isinstance(event, MonthTick):
            self._tick(event)
        elif event.event_id in self._seen:
            pass
        else:
            if self._closed is None:
                self._closed = period_of(event.event_time) - 1
            out.in_month(period_name(self._closed + 1))
            rejected = self._apply(event) if isinstance(event, ApplicationSubmitted) else self._pledge(event)
            if rejected:
                self._seen.add(event.event_id)
                seen = (event.event_id,)
        return Step(
            outputs=out.events,
            workers=tuple(self._changed_workers),
            pledges=tuple(self._changed_pledges),
            seen=seen,
            clock=(self._closed, self._closes, self._seq) != clock_before,
        )

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

    def covered(self) -> list[str]:
        """Covered workers in term start order."""
        return list(self._active)

    def status(self, worker: str) -> Literal["waiting", "covered"] | None:
        """A worker's state; None if the region never accepted them."""
        w = self._workers.get(worker)
        if w is None:
            return None
        return "waiting" if w.coverage is None else "covered"

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

    def ledger(self, key: str) -> Ledger:
        """A pledge's live ledger, by its ``pledge_key`` (read it, do not mutate it)."""
        return self._pledges[key].ledger

    def pledge_keys(self) -> list[str]:
        """Accepted pledges' keys (``pledge_key``) in acceptance order."""
        return list(self._pledges)

    def snapshot(self) -> Snapshot:
        """Every record in a canonical order (workers by pseudonym, pledges by acceptance)."""
        return Snapshot(
            clock=self.clock_record(),
            workers=tuple(self.worker_record(w) for w in sorted(self._workers)),
            pledges=tuple(self.pledge_record(p) for p in self._pledges),
            seen=tuple(sorted(self._seen)),
        )

    @classmethod
    def restore(
        cls,
        region: str,
        pseudonym_key: bytes,
        *,
        clock: ClockRecord | None,
        workers: Iterable[WorkerRecord],
        pledges: Iterable[PledgeRecord],
        seen: Iterable[str],
        policy: CityPolicy = KENDARI,
        tariff: Tariff = BPU_TARIFF,
    ) -> RegionMatcher:
        """Rebuild a matcher from its records, in any order; it behaves as the one that wrote them."""
        m = cls(region, pseudonym_key, policy, tariff)
        if clock is not None:
            m._closed = None if clock.closed_period is None else period_index(clock.closed_period)
            m._closes = clock.closes
            m._seq = clock.next_seq
        active: list[Worker] = []
        waiting: list[tuple[Entry, Bucket]] = []
        for rec in workers:
            w = worker_from_record(rec)
            m._workers[w.worker] = w
            if w.coverage is None:
                waiting.append((w.entry(), w.bucket()))
            else:
                active.append(w)
        m._pool.restore(waiting)
        for w in sorted(active, key=lambda w: w.coverage.seq if w.coverage else 0):
            m._active[w.worker] = w
        for p in sorted((pledge_from_record(r) for r in pledges), key=lambda p: p.accepted_seq):
            m._pledges[p.key] = p
            if p.status == "open":
                m._open.append((p.order(), p))
            elif p.status == "scheduled":
                m._scheduled.append(p)
        m._open.sort(key=lambda op: op[0])
        m._seen = set(seen)
        return m

    # ------------------------------------------------------------ applications

    def _apply(self, app: ApplicationSubmitted) -> bool:
        """Handle an application; True when it was rejected."""
        verdict = check_application(app, self.policy)
        unparsed = isinstance(verdict, Rejection) and verdict.reason in _NIK_UNPARSED
        worker = None if unparsed else pseudonym(app.nik, self._key)
        existing = self._workers.get(worker) if worker is not None else None
        if existing is not None and existing.application_event_id == app.event_id:
            return False  # replay of the application that created this worker
        if isinstance(verdict, Rejection):
            self._out.application_rejected(app, worker, verdict.reason, verdict.message)
            return True
        if existing is not None:
            self._out.application_rejected(
                app,
                worker,
                Reason.DUPLICATE_WORKER,
                f"this NIK already applied in {self.region} and is {self.status(existing.worker)}; "
                "nothing changed",
            )
            return True
        assert worker is not None
        w = Worker.applied(app, worker, self._weights)
        self._workers[worker] = w
        self._changed_workers[worker] = None
        pledge = self._best_pledge(w)
        if pledge is not None:
            self._start_term(w, pledge, was_waiting=False, previous=None)
            return False
        self._enqueue(w)
        self._out.waiting(w, self._priority(w))
        return False

    def _priority(self, w: Worker) -> Priority:
        return explain(w.parts, w.submitted_s, self._now_s, self._weights)

    # ------------------------------------------------------------ pledges

    def _pledge(self, event: PledgeSubmitted) -> bool:
        """Handle a pledge; True when it was rejected."""
        key = pledge_key(event.sponsor_id, event.pledge_id)
        existing = self._pledges.get(key)
        if existing is not None and existing.event_id == event.event_id:
            return False
        assert self._closed is not None
        current = self._closed + 1
        terms = (
            Rejection(
                Reason.DUPLICATE_PLEDGE,
                f"your pledge {event.pledge_id} was already accepted; use a new pledge_id",
            )
            if existing is not None
            else check_pledge(event, self.policy, self.tariff, current)
        )
        if isinstance(terms, Rejection):
            self._out.pledge_rejected(event, terms.reason, terms.message)
            return True
        self._seq += 1
        p = Pledge.accepted(event, terms, self._seq, current)
        self._pledges[key] = p
        self._changed_pledges[key] = None
        self._out.pledge_accepted(p, terms)
        self._movement(p, FundingKind.PLEDGED, event.amount_idr)
        if p.status == "open":
            insort(self._open, (p.order(), p), key=lambda op: op[0])
            self._fill(p)
        else:
            self._scheduled.append(p)
        return False

    def _fill(self, p: Pledge) -> None:
        """Give ``p``'s free seats to the best waiting workers it admits."""
        for entry in self._pool.take(p, p.seats - p.seats_filled):
            self._start_term(self._workers[entry[3]], p, was_waiting=True, previous=None)

    def _best_pledge(self, w: Worker) -> Pledge | None:
        decile = w.welfare_decile or 0
        for _, p in self._open:
            if p.admits(w.district, w.occupation, w.sex, decile):
                return p
        return None

    # ------------------------------------------------------------ terms

    def _enqueue(self, w: Worker) -> None:
        self._pool.push(w.entry(), w.bucket())

    def _start_term(self, w: Worker, p: Pledge, *, was_waiting: bool, previous: Term | None) -> None:
        assert self._closed is not None
        start = self._closed + 1
        self._seq += 1
        w.terms += 1
        since = start
        if (
            w.last_end_period is not None
            and w.membership_since is not None
            and start - w.last_end_period - 1 < self.policy.lapse_after_unpaid_months
        ):
            since = w.membership_since
        w.membership_since = since
        term = w.coverage = Term.on(p, w.worker, w.terms, self._seq, start, since)
        self._active[w.worker] = w
        self._changed_workers[w.worker] = None
        p.seats_filled += 1
        p.ledger.commit(p.seat_cost_idr)
        p.bound_until_close = max(p.bound_until_close, self._closes + p.months)
        self._changed_pledges[p.key] = None
        self._out.coverage_started(w, p, term, self._priority(w), was_waiting=was_waiting, previous=previous)
        self._movement(p, FundingKind.COMMITTED, p.seat_cost_idr, term.coverage_id)
        if p.seats_filled == p.seats:
            p.status = "exhausted"
            self._open = [op for op in self._open if op[1] is not p]
            self._out.pledge_exhausted(p)

    # ------------------------------------------------------------ the clock

    def _tick(self, tick: MonthTick) -> None:
        target = period_index(tick.period)
        if self._closed is None:
            self._closed = target - 1
        while self._closed < target:
            self._close(self._closed + 1)

    def _close(self, month: int) -> None:
        """Close one month; the package docstring gives the order of steps."""
        self._closed = month
        self._closes += 1
        self._out.in_month(period_name(month))
        expiring = self._pay_terms()
        for p in list(self._pledges.values()):
            if p.status != "expired" and p.until <= month:
                self._expire(p)
        opened = [p for p in self._scheduled if p.opens_period <= month + 1]
        if opened:
            self._scheduled = [p for p in self._scheduled if p.opens_period > month + 1]
            for p in opened:
                p.status = "open"
                self._changed_pledges[p.key] = None
                insort(self._open, (p.order(), p), key=lambda op: op[0])
        expiring.sort(key=Worker.entry)
        for w in expiring:
            self._end_term(w)
        for p in opened:
            if p.status == "open":
                self._fill(p)

    def _pay_terms(self) -> list[Worker]:
        """Step 1 of a close: every active term pays a month, in start order; returns those that ended."""
        expiring: list[Worker] = []
        for w in list(self._active.values()):
            t = w.coverage
            assert t is not None
            p = self._pledges[t.pledge_key]
            t.months_paid += 1
            p.ledger.pay(t.monthly_premium_idr)
            self._changed_workers[w.worker] = None
            self._changed_pledges[p.key] = None
            self._movement(p, FundingKind.PREMIUM_PAID, t.monthly_premium_idr, t.coverage_id)
            if t.months_paid == t.months:
                expiring.append(w)
        return expiring

    def _end_term(self, w: Worker) -> None:
        """Step 4 of a close: renew an expiring worker on an open pledge, else back to waiting."""
        old = w.coverage
        assert old is not None
        del self._active[w.worker]
        w.coverage = None
        w.last_end_period = old.start_period + old.months - 1
        renewal = self._best_pledge(w)
        self._out.coverage_expired(w, old, renewed=renewal is not None)
        if renewal is None:
            self._enqueue(w)
        else:
            self._start_term(w, renewal, was_waiting=False, previous=old)

    def _expire(self, p: Pledge) -> None:
        released = p.seats - p.seats_filled if p.status in ("open", "scheduled") else 0
        self._open = [op for op in self._open if op[1] is not p]
        self._scheduled = [s for s in self._scheduled if s is not p]
        p.status = "expired"
        self._changed_pledges[p.key] = None
        returned = p.ledger.return_remainder()
        self._out.pledge_expired(p, released, returned)
        if released:
            self._movement(p, FundingKind.RELEASED, released * p.seat_cost_idr)
        if returned:
            self._movement(p, FundingKind.RETURNED, returned)

    def _movement(self, p: Pledge, kind: FundingKind, amount: int, coverage_id: str | None = None) -> None:
        self._out.movement(p, kind, amount, max(p.bound_until_close - self._closes, 0), coverage_id)
