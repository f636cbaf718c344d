"""The per-region state machine: applications, pledges and month ticks in; events out.

One ``RegionMatcher`` serves one regency/city, the Kafka key of every input,
so matching is serial per region: two workers never race for the last seat
and a pledge is never spent twice. ``handle(event)`` returns a ``Step``: the
events it caused and the records that changed (``models.records`` has the
persistence contract).

The clock. Time moves only by ``MonthTick(period)``, which closes that
month. Before the first tick a region starts in the month of the first
event it sees (its ``event_time`` in UTC; a tick's own period), so the
"current month" is always the month after the last closed one. A tick at or
before the last closed month is ignored; a tick that skips months closes
each skipped month in turn, so a gap in ticks never skips a premium.

Matching rules:

- An eligible worker (``models.eligibility``) with no open seat waits,
  ordered by ``models.priority``.
- A pledge, when accepted and open, takes the highest-priority waiting
  workers its targeting admits, up to its free seats. A pledge whose
  ``valid_from`` lies ahead is accepted as scheduled and opens at the tick
  that reaches that month.
- A worker arriving is matched at once if an open pledge with free seats
  admits them. Consequence, checked by the tests: an open pledge with free
  seats never coexists with a waiting worker it admits.
- Which pledge pays when several could: the one whose validity ends first
  (its unused money would be returned soonest), then the earliest accepted,
  then the smaller pledge key.
- A pledge is its sponsor's: it is identified by ``pledge_key(sponsor_id,
  pledge_id)``. The same sponsor submitting an accepted pledge id again with
  another ``event_id`` is rejected ``duplicate_pledge``; another sponsor's
  pledge with the same ``pledge_id`` is a different, independent pledge, so
  no sponsor learns anything about another's ids or can take one first.
- Seats: ``floor(amount / (monthly premium x months))``, capped by
  ``max_workers``; the monthly premium is the sponsored (lowest) tier in
  force on the first day of the month the pledge opens.
- One NIK is one worker: a second application while waiting or covered is
  rejected ``duplicate_worker`` and changes nothing. Workers are never
  forgotten, so the same NIK stays one worker for the region's lifetime.
  Dedupe is per region: the same NIK applying in two regencies is two
  workers (the stream layer needs a global pseudonym table to prevent it).
- Replays: an input whose ``event_id`` was already handled produces nothing.
  Accepted inputs are recognised by their record (worker, pledge, clock);
  rejected ones by a seen marker.

A month close (tick), in this order:

1. every active term pays one month (``premium_paid``), in start order;
   a term whose last month this was expires;
2. pledges whose ``valid_until`` falls in the closed month expire: free
   seats are released and the uncommitted remainder is returned;
3. scheduled pledges whose ``valid_from`` month is next open;
4. expiring workers, highest priority first, are renewed on an open pledge
   that admits them (``CoverageRenewed``, the next month, no gap in
   membership), else return to waiting with their original priority key.
   Renewals come before new workers: a gap costs a family its benefit clock
   (JKM's full benefit needs 3 months of unbroken membership);
5. pledges opened in step 3 fill from the waiting list.

Terms: a term starts in the current month (cover starts when registration
is accepted) and pays at each of the next ``months`` closes; after the last
it expires. So 1,500 workers covered for 12 months and 12 ticks give 12 x
1,500 ``premium_paid`` movements and 1,500 expiries. Membership stays
unbroken across terms unless ``lapse_after_unpaid_months`` (BPJS: 3)
consecutive months went unpaid in between.
"""

from __future__ import annotations

from bisect import insort
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from heapq import heapify, heappop, heappush, heapreplace
from typing import Literal, NamedTuple, TypedDict

from models.eligibility import KENDARI, CityPolicy, Rejection, check_application, check_pledge
from models.errors import Reason, RegionMismatchError
from models.events import (
    ApplicationRejected,
    ApplicationSubmitted,
    ApplicationWaiting,
    CoverageActivated,
    CoverageExpired,
    CoverageRenewed,
    FundingKind,
    FundingMovement,
    InputEvent,
    MonthTick,
    OutputEvent,
    PledgeAccepted,
    PledgeExhausted,
    PledgeExpired,
    PledgeRejected,
    PledgeSubmitted,
    pledge_key,
    region_of,
)
from models.ledger import Ledger
from models.nik import Sex, pseudonym
from models.occupations import Occupation
from models.periods import period_index, period_name, period_of
from models.priority import Priority, base_points, explain, ordering_key, seconds_since_epoch
from models.records import ClockRecord, CoverageRecord, PledgeRecord, PledgeStatus, WorkerRecord
from models.tariff import BPU_TARIFF, Package, Tariff

__all__ = ["RegionMatcher", "Snapshot", "Step"]

_MIN_KEY_BYTES = 16
_NIK_UNPARSED = frozenset(
    {
        Reason.NIK_INVALID_LENGTH,
        Reason.NIK_INVALID_FORMAT,
        Reason.NIK_UNKNOWN_REGION,
        Reason.NIK_INVALID_BIRTH_DATE,
    }
)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

# A heap entry: (-key, submitted_s, application_id, worker). Python compares
# tuples left to right, which is exactly the documented order; the worker
# pseudonym makes every entry unique.
_Entry = tuple[int, int, str, str]
# A waiting-list bucket: (district, occupation, sex, decile or 0 for unknown).
_Bucket = tuple[str, Occupation, Sex, int]
_OCCUPATIONS = tuple(Occupation)
_SEXES = tuple(Sex)
_DECILES = range(11)
_N_OCCUPATIONS, _N_SEXES, _N_DECILES = len(_OCCUPATIONS), len(_SEXES), len(_DECILES)


class _TermFields(TypedDict):
    event_time: datetime
    region: str
    period: str
    coverage_id: str
    worker: str
    pledge_id: str
    sponsor_id: str
    district: str
    occupation: Occupation
    package: Package
    monthly_premium_idr: int
    months: int
    term_no: int
    start_period: str
    end_period: str
    membership_since: str
    priority: Priority


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


@dataclass(frozen=True, slots=True)
class Snapshot:
    """Every record of a region: what ``restore`` takes."""

    clock: ClockRecord
    workers: tuple[WorkerRecord, ...]
    pledges: tuple[PledgeRecord, ...]
    seen: tuple[str, ...]


@dataclass(slots=True)
class _Term:
    coverage_id: str
    pledge: str
    """The paying pledge's key."""
    term_no: int
    seq: int
    start: int
    months: int
    months_paid: int
    premium: int
    package: Package
    membership_since: int


@dataclass(slots=True)
class _Worker:
    worker: str
    application_id: str
    event_id: str
    district: str
    occupation: Occupation
    sex: Sex
    decile: int | None
    submitted_s: int
    parts: tuple[int, int, int, int]
    key: int
    terms: int
    last_end: int | None
    membership_since: int | None
    term: _Term | None

    def entry(self) -> _Entry:
        return (-self.key, self.submitted_s, self.application_id, self.worker)

    def bucket(self) -> _Bucket:
        return (self.district, self.occupation, self.sex, self.decile or 0)


@dataclass(slots=True)
class _Pledge:
    key: str
    """``pledge_key(sponsor_id, pledge_id)``: what the matcher knows the pledge by."""
    pledge_id: str
    event_id: str
    sponsor_id: str
    payer_id: str
    package: Package
    months: int
    districts: frozenset[str] | None
    occupations: frozenset[Occupation] | None
    sexes: frozenset[Sex] | None
    max_decile: int | None
    premium: int
    seat_cost: int
    seats: int
    filled: int
    accepted_seq: int
    opens: int
    valid_until: date
    until: int
    status: PledgeStatus
    ledger: Ledger
    bound: int

    def order(self) -> tuple[int, int, str]:
        """Which pledge pays first: validity ends first, then accepted first, then key."""
        return (self.valid_until.toordinal(), self.accepted_seq, self.key)

    def admits(self, district: str, occupation: Occupation, sex: Sex, decile: int) -> bool:
        """Targeting test; ``decile`` 0 means unknown, which a decile cap never admits."""
        return (
            (self.districts is None or district in self.districts)
            and (self.occupations is None or occupation in self.occupations)
            and (self.sexes is None or sex in self.sexes)
            and (self.max_decile is None or 0 < decile <= self.max_decile)
        )


class _WaitingList:
    """Waiting workers, one heap per (district, occupation, sex, decile) bucket.

    Targeting filters on exactly those attributes, so a pledge draws from whole
    buckets. A lazy heap of bucket heads (``heads``) gives the best worker of
    any set of buckets in O(log b): narrow targeting merges the few buckets it
    admits; broad targeting walks the heads, setting aside buckets it does not
    admit. A heads entry is stale once its bucket's head changed; stale entries
    are dropped when met and the heap is rebuilt when they pile up.
    """

    __slots__ = ("buckets", "count", "districts", "heads")

    _NARROW = 64  # admitted-bucket combinations up to which a pledge merges buckets directly

    def __init__(self) -> None:
        self.buckets: dict[_Bucket, list[_Entry]] = {}
        self.heads: list[tuple[_Entry, _Bucket]] = []
        self.districts: dict[str, None] = {}
        self.count = 0

    def push(self, entry: _Entry, bucket: _Bucket) -> None:
        heap = self.buckets.get(bucket)
        if heap is None:
            self.buckets[bucket] = heap = []
            self.districts[bucket[0]] = None
        if not heap or entry < heap[0]:
            heappush(self.heads, (entry, bucket))
        heappush(heap, entry)
        self.count += 1

    def restore(self, entries: list[tuple[_Entry, _Bucket]]) -> None:
        for entry, bucket in entries:
            heap = self.buckets.get(bucket)
            if heap is None:
                self.buckets[bucket] = heap = []
                self.districts[bucket[0]] = None
            heap.append(entry)
        for heap in self.buckets.values():
            heapify(heap)
        self.count = len(entries)
        self._rebuild_heads()

    def _rebuild_heads(self) -> None:
        self.heads = [(heap[0], bucket) for bucket, heap in self.buckets.items() if heap]
        heapify(self.heads)

    def take(self, p: _Pledge, limit: int) -> list[_Entry]:
        """Remove and return the best ``limit`` entries ``p`` admits, best first."""
        if limit <= 0 or not self.count:
            return []
        combos = (
            (len(p.districts) if p.districts is not None else len(self.districts))
            * (len(p.occupations) if p.occupations is not None else _N_OCCUPATIONS)
            * (len(p.sexes) if p.sexes is not None else _N_SEXES)
            * (p.max_decile if p.max_decile is not None else _N_DECILES)
        )
        taken = self._merge(p, limit) if combos <= self._NARROW else self._walk(p, limit)
        self.count -= len(taken)
        if len(self.heads) > 2 * len(self.buckets) + 1024:
            self._rebuild_heads()
        return taken

    def _pop(self, bucket: _Bucket, heap: list[_Entry]) -> _Entry:
        entry = heappop(heap)
        if heap:
            heappush(self.heads, (heap[0], bucket))
        return entry

    def _walk(self, p: _Pledge, limit: int) -> list[_Entry]:
        heads, buckets = self.heads, self.buckets
        taken: list[_Entry] = []
        aside: list[tuple[_Entry, _Bucket]] = []
        while heads and len(taken) < limit:
            entry, bucket = heads[0]
            heap = buckets[bucket]
            if not heap or heap[0] != entry:
                heappop(heads)  # stale
            elif not p.admits(*bucket):
                aside.append(heappop(heads))
            else:
                heappop(heads)
                taken.append(self._pop(bucket, heap))
        for item in aside:
            heappush(heads, item)
        return taken

    def _merge(self, p: _Pledge, limit: int) -> list[_Entry]:
        buckets = self.buckets
        districts = p.districts if p.districts is not None else self.districts
        occupations = p.occupations if p.occupations is not None else _OCCUPATIONS
        sexes = p.sexes if p.sexes is not None else _SEXES
        deciles = range(1, p.max_decile + 1) if p.max_decile is not None else _DECILES
        heaps: list[tuple[_Bucket, list[_Entry]]] = []
        for d in districts:
            for o in occupations:
                for s in sexes:
                    for c in deciles:
                        heap = buckets.get((d, o, s, c))
                        if heap:
                            heaps.append(((d, o, s, c), heap))
        merge = [(heap[0], i) for i, (_, heap) in enumerate(heaps)]
        heapify(merge)
        taken: list[_Entry] = []
        while merge and len(taken) < limit:
            _, i = merge[0]
            bucket, heap = heaps[i]
            taken.append(self._pop(bucket, heap))
            if heap:
                heapreplace(merge, (heap[0], i))
            else:
                heappop(merge)
        return taken

    def entries(self) -> list[_Entry]:
        return sorted(e for heap in self.buckets.values() for e in heap)


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
        self._workers: dict[str, _Worker] = {}
        self._pool = _WaitingList()
        self._active: dict[str, _Worker] = {}  # insertion order = term start order
        self._pledges: dict[str, _Pledge] = {}  # by pledge key; insertion order = acceptance order
        self._open: list[tuple[tuple[int, int, str], _Pledge]] = []  # sorted by _Pledge.order()
        self._scheduled: list[_Pledge] = []
        self._seen: set[str] = set()
        # per-step scratch
        self._out: list[OutputEvent] = []
        self._changed_workers: dict[str, None] = {}
        self._changed_pledges: dict[str, None] = {}
        self._time = _EPOCH
        self._now_s = 0
        self._stamp = ""

    # ------------------------------------------------------------ public

    def handle(self, event: InputEvent) -> Step:
        """Apply one input event; returns the events it caused and the records it changed."""
        region = region_of(event)
        if region != self.region:
            raise RegionMismatchError(
                "wrong_region",
                f"event for region {region} reached the matcher of {self.region}; check the Kafka key",
            )
        self._out = []
        self._changed_workers = {}
        self._changed_pledges = {}
        self._time = event.event_time
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
            self._stamp = period_name(self._closed + 1)
            rejected = self._apply(event) if isinstance(event, ApplicationSubmitted) else self._pledge(event)
            if rejected:
                self._seen.add(event.event_id)
                seen = (event.event_id,)
        return Step(
            outputs=self._out,
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

    def covered(self) -> list[str]:
        """Covered workers in term start order."""
        return list(self._active)

    def status(self, worker: str) -> Literal["waiting", "covered"] | None:
        """A worker's state; None if the region never accepted them."""
        w = self._workers.get(worker)
        if w is None:
            return None
        return "waiting" if w.term is None else "covered"

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
        w = self._workers[worker]
        t = w.term
        return WorkerRecord(
            worker=w.worker,
            region=self.region,
            application_id=w.application_id,
            application_event_id=w.event_id,
            district=w.district,
            occupation=w.occupation,
            sex=w.sex,
            welfare_decile=w.decile,
            submitted_s=w.submitted_s,
            poverty=w.parts[0],
            hazard=w.parts[1],
            household=w.parts[2],
            disability=w.parts[3],
            key=w.key,
            terms=w.terms,
            last_end_period=None if w.last_end is None else period_name(w.last_end),
            membership_since=None if w.membership_since is None else period_name(w.membership_since),
            coverage=None
            if t is None
            else CoverageRecord(
                coverage_id=t.coverage_id,
                sponsor_id=self._pledges[t.pledge].sponsor_id,
                pledge_id=self._pledges[t.pledge].pledge_id,
                term_no=t.term_no,
                seq=t.seq,
                start_period=period_name(t.start),
                months=t.months,
                months_paid=t.months_paid,
                monthly_premium_idr=t.premium,
                package=t.package,
                membership_since=period_name(t.membership_since),
            ),
        )

    def pledge_record(self, key: str) -> PledgeRecord:
        """One pledge as persisted, by its ``pledge_key`` (``KeyError`` if unknown)."""
        p = self._pledges[key]
        return PledgeRecord(
            pledge_id=p.pledge_id,
            event_id=p.event_id,
            sponsor_id=p.sponsor_id,
            payer_id=p.payer_id,
            region=self.region,
            package=p.package,
            months=p.months,
            districts=None if p.districts is None else tuple(sorted(p.districts)),
            occupations=None if p.occupations is None else tuple(sorted(p.occupations)),
            sexes=None if p.sexes is None else tuple(sorted(p.sexes)),
            max_welfare_decile=p.max_decile,
            monthly_premium_idr=p.premium,
            seat_cost_idr=p.seat_cost,
            seats=p.seats,
            seats_filled=p.filled,
            accepted_seq=p.accepted_seq,
            opens_period=period_name(p.opens),
            valid_until=p.valid_until,
            status=p.status,
            pledged_idr=p.ledger.pledged,
            committed_idr=p.ledger.committed,
            paid_idr=p.ledger.paid,
            returned_idr=p.ledger.returned,
            bound_until_close=p.bound,
        )

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
        active: list[_Worker] = []
        waiting: list[tuple[_Entry, _Bucket]] = []
        for rec in workers:
            w = _worker_from_record(rec)
            m._workers[w.worker] = w
            if w.term is None:
                waiting.append((w.entry(), w.bucket()))
            else:
                active.append(w)
        m._pool.restore(waiting)
        for w in sorted(active, key=lambda w: w.term.seq if w.term else 0):
            m._active[w.worker] = w
        for p in sorted((_pledge_from_record(r) for r in pledges), key=lambda p: p.accepted_seq):
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
        if existing is not None and existing.event_id == app.event_id:
            return False  # replay of the application that created this worker
        if isinstance(verdict, Rejection):
            self._reject_application(app, worker, verdict.reason, verdict.message)
            return True
        if existing is not None:
            self._reject_application(
                app,
                worker,
                Reason.DUPLICATE_WORKER,
                f"this NIK already applied in {self.region} and is {self.status(existing.worker)}; "
                "nothing changed",
            )
            return True
        assert worker is not None
        weights = self._weights
        parts = base_points(
            app.welfare_decile, app.occupation, app.breadwinner, app.dependants, app.disability, weights
        )
        submitted_s = seconds_since_epoch(app.submitted_at)
        w = _Worker(
            worker=worker,
            application_id=app.application_id,
            event_id=app.event_id,
            district=app.district,
            occupation=app.occupation,
            sex=app.sex,
            decile=app.welfare_decile,
            submitted_s=submitted_s,
            parts=parts,
            key=ordering_key(sum(parts), submitted_s, weights),
            terms=0,
            last_end=None,
            membership_since=None,
            term=None,
        )
        self._workers[worker] = w
        self._changed_workers[worker] = None
        pledge = self._best_pledge(w)
        if pledge is not None:
            self._start_term(w, pledge, was_waiting=False, previous=None)
            return False
        self._enqueue(w)
        self._out.append(
            ApplicationWaiting(
                event_id=f"application.waiting:{app.event_id}",
                event_time=self._time,
                region=self.region,
                period=self._stamp,
                application_id=w.application_id,
                worker=worker,
                district=w.district,
                occupation=w.occupation,
                priority=explain(parts, submitted_s, self._now_s, weights),
            )
        )
        return False

    def _reject_application(
        self, app: ApplicationSubmitted, worker: str | None, reason: str, message: str
    ) -> None:
        self._out.append(
            ApplicationRejected(
                event_id=f"application.rejected:{app.event_id}",
                event_time=self._time,
                region=self.region,
                period=self._stamp,
                application_id=app.application_id,
                worker=worker,
                reason=reason,
                message=message,
            )
        )

    # ------------------------------------------------------------ pledges

    def _pledge(self, event: PledgeSubmitted) -> bool:
        """Handle a pledge; True when it was rejected."""
        key = pledge_key(event.sponsor_id, event.pledge_id)
        existing = self._pledges.get(key)
        if existing is not None and existing.event_id == event.event_id:
            return False
        assert self._closed is not None
        current = self._closed + 1
        verdict = (
            Rejection(
                Reason.DUPLICATE_PLEDGE,
                f"your pledge {event.pledge_id} was already accepted; use a new pledge_id",
            )
            if existing is not None
            else check_pledge(event, self.policy, self.tariff, current)
        )
        if isinstance(verdict, Rejection):
            self._out.append(
                PledgeRejected(
                    event_id=f"pledge.rejected:{event.event_id}",
                    event_time=self._time,
                    region=self.region,
                    period=self._stamp,
                    pledge_id=event.pledge_id,
                    sponsor_id=event.sponsor_id,
                    reason=verdict.reason,
                    message=verdict.message,
                )
            )
            return True
        t = event.targeting
        self._seq += 1
        p = _Pledge(
            key=key,
            pledge_id=event.pledge_id,
            event_id=event.event_id,
            sponsor_id=event.sponsor_id,
            payer_id=event.payer_id,
            package=event.package,
            months=event.months,
            districts=None if t.districts is None else frozenset(t.districts),
            occupations=None if t.occupations is None else frozenset(t.occupations),
            sexes=None if t.sexes is None else frozenset(t.sexes),
            max_decile=t.max_welfare_decile,
            premium=verdict.monthly_premium_idr,
            seat_cost=verdict.seat_cost_idr,
            seats=verdict.seats,
            filled=0,
            accepted_seq=self._seq,
            opens=verdict.opens_index,
            valid_until=event.valid_until,
            until=verdict.until_index,
            status="open" if verdict.opens_index <= current else "scheduled",
            ledger=Ledger(),
            bound=0,
        )
        p.ledger.pledge(event.amount_idr)
        self._pledges[key] = p
        self._changed_pledges[key] = None
        self._out.append(
            PledgeAccepted(
                event_id=f"pledge.accepted:{key}",
                event_time=self._time,
                region=self.region,
                period=self._stamp,
                pledge_id=p.pledge_id,
                sponsor_id=p.sponsor_id,
                payer_id=p.payer_id,
                package=p.package,
                months=p.months,
                amount_idr=event.amount_idr,
                monthly_premium_idr=p.premium,
                seat_cost_idr=p.seat_cost,
                seats=p.seats,
                capacity_idr=verdict.capacity_idr,
                remainder_idr=verdict.remainder_idr,
                opens_period=period_name(p.opens),
                valid_until=p.valid_until,
            )
        )
        self._movement(p, FundingKind.PLEDGED, event.amount_idr, None, f"funding.pledged:{key}")
        if p.status == "open":
            insort(self._open, (p.order(), p), key=lambda op: op[0])
            self._fill(p)
        else:
            self._scheduled.append(p)
        return False

    def _fill(self, p: _Pledge) -> None:
        """Give ``p``'s free seats to the best waiting workers it admits."""
        for entry in self._pool.take(p, p.seats - p.filled):
            self._start_term(self._workers[entry[3]], p, was_waiting=True, previous=None)

    def _best_pledge(self, w: _Worker) -> _Pledge | None:
        decile = w.decile or 0
        for _, p in self._open:
            if p.admits(w.district, w.occupation, w.sex, decile):
                return p
        return None

    # ------------------------------------------------------------ terms

    def _enqueue(self, w: _Worker) -> None:
        self._pool.push(w.entry(), w.bucket())

    def _start_term(self, w: _Worker, p: _Pledge, *, was_waiting: bool, previous: _Term | None) -> None:
        assert self._closed is not None
        start = self._closed + 1
        self._seq += 1
        w.terms += 1
        since = start
        if (
            w.last_end is not None
            and w.membership_since is not None
            and start - w.last_end - 1 < self.policy.lapse_after_unpaid_months
        ):
            since = w.membership_since
        w.membership_since = since
        term = _Term(
            coverage_id=f"{p.key}:{w.worker}:{w.terms}",
            pledge=p.key,
            term_no=w.terms,
            seq=self._seq,
            start=start,
            months=p.months,
            months_paid=0,
            premium=p.premium,
            package=p.package,
            membership_since=since,
        )
        w.term = term
        self._active[w.worker] = w
        self._changed_workers[w.worker] = None
        p.filled += 1
        p.ledger.commit(p.seat_cost)
        p.bound = max(p.bound, self._closes + p.months)
        self._changed_pledges[p.key] = None
        fields: _TermFields = {
            "event_time": self._time,
            "region": self.region,
            "period": self._stamp,
            "coverage_id": term.coverage_id,
            "worker": w.worker,
            "pledge_id": p.pledge_id,
            "sponsor_id": p.sponsor_id,
            "district": w.district,
            "occupation": w.occupation,
            "package": p.package,
            "monthly_premium_idr": p.premium,
            "months": p.months,
            "term_no": term.term_no,
            "start_period": period_name(start),
            "end_period": period_name(start + p.months - 1),
            "membership_since": period_name(since),
            "priority": explain(w.parts, w.submitted_s, self._now_s, self._weights),
        }
        if previous is None:
            self._out.append(
                CoverageActivated(
                    event_id=f"coverage.activated:{term.coverage_id}", was_waiting=was_waiting, **fields
                )
            )
        else:
            self._out.append(
                CoverageRenewed(
                    event_id=f"coverage.renewed:{term.coverage_id}",
                    previous_coverage_id=previous.coverage_id,
                    **fields,
                )
            )
        self._movement(
            p, FundingKind.COMMITTED, p.seat_cost, term.coverage_id, f"funding.committed:{term.coverage_id}"
        )
        if p.filled == p.seats:
            p.status = "exhausted"
            self._open = [op for op in self._open if op[1] is not p]
            self._out.append(
                PledgeExhausted(
                    event_id=f"pledge.exhausted:{p.key}",
                    event_time=self._time,
                    region=self.region,
                    period=self._stamp,
                    pledge_id=p.pledge_id,
                    sponsor_id=p.sponsor_id,
                    seats=p.seats,
                )
            )

    # ------------------------------------------------------------ the clock

    def _tick(self, tick: MonthTick) -> None:
        target = period_index(tick.period)
        if self._closed is None:
            self._closed = target - 1
        while self._closed < target:
            self._close(self._closed + 1)

    def _close(self, month: int) -> None:
        """Close one month; see the module docstring for the order of steps."""
        self._closed = month
        self._closes += 1
        name = self._stamp = period_name(month)
        expiring: list[_Worker] = []
        for w in list(self._active.values()):
            t = w.term
            assert t is not None
            p = self._pledges[t.pledge]
            t.months_paid += 1
            p.ledger.pay(t.premium)
            self._changed_workers[w.worker] = None
            self._changed_pledges[p.key] = None
            self._movement(
                p,
                FundingKind.PREMIUM_PAID,
                t.premium,
                t.coverage_id,
                f"funding.premium_paid:{t.coverage_id}:{name}",
            )
            if t.months_paid == t.months:
                expiring.append(w)
        for p in list(self._pledges.values()):
            if p.status != "expired" and p.until <= month:
                self._expire(p)
        opened = [p for p in self._scheduled if p.opens <= month + 1]
        if opened:
            self._scheduled = [p for p in self._scheduled if p.opens > month + 1]
            for p in opened:
                p.status = "open"
                self._changed_pledges[p.key] = None
                insort(self._open, (p.order(), p), key=lambda op: op[0])
        expiring.sort(key=_Worker.entry)
        for w in expiring:
            old = w.term
            assert old is not None
            del self._active[w.worker]
            w.term = None
            w.last_end = old.start + old.months - 1
            p = self._pledges[old.pledge]
            renewal = self._best_pledge(w)
            self._out.append(
                CoverageExpired(
                    event_id=f"coverage.expired:{old.coverage_id}",
                    event_time=self._time,
                    region=self.region,
                    period=name,
                    coverage_id=old.coverage_id,
                    worker=w.worker,
                    pledge_id=p.pledge_id,
                    sponsor_id=p.sponsor_id,
                    district=w.district,
                    occupation=w.occupation,
                    end_period=period_name(w.last_end),
                    months_paid=old.months_paid,
                    outcome="waiting" if renewal is None else "renewed",
                )
            )
            if renewal is None:
                self._enqueue(w)
            else:
                self._start_term(w, renewal, was_waiting=False, previous=old)
        for p in opened:
            if p.status == "open":
                self._fill(p)

    def _expire(self, p: _Pledge) -> None:
        assert self._closed is not None
        released = p.seats - p.filled if p.status in ("open", "scheduled") else 0
        self._open = [op for op in self._open if op[1] is not p]
        self._scheduled = [s for s in self._scheduled if s is not p]
        p.status = "expired"
        self._changed_pledges[p.key] = None
        returned = p.ledger.return_remainder()
        self._out.append(
            PledgeExpired(
                event_id=f"pledge.expired:{p.key}",
                event_time=self._time,
                region=self.region,
                period=self._stamp,
                pledge_id=p.pledge_id,
                sponsor_id=p.sponsor_id,
                seats=p.seats,
                seats_filled=p.filled,
                seats_released=released,
                returned_idr=returned,
            )
        )
        if released:
            self._movement(
                p, FundingKind.RELEASED, released * p.seat_cost, None, f"funding.released:{p.key}"
            )
        if returned:
            self._movement(p, FundingKind.RETURNED, returned, None, f"funding.returned:{p.key}")

    # ------------------------------------------------------------ plumbing

    def _movement(
        self, p: _Pledge, kind: FundingKind, amount: int, coverage_id: str | None, event_id: str
    ) -> None:
        self._out.append(
            FundingMovement(
                event_id=event_id,
                event_time=self._time,
                region=self.region,
                period=self._stamp,
                kind=kind,
                pledge_id=p.pledge_id,
                sponsor_id=p.sponsor_id,
                payer_id=p.payer_id,
                amount_idr=amount,
                coverage_id=coverage_id,
                balances=p.ledger.balances(max(p.bound - self._closes, 0)),
            )
        )


def _worker_from_record(r: WorkerRecord) -> _Worker:
    c = r.coverage
    return _Worker(
        worker=r.worker,
        application_id=r.application_id,
        event_id=r.application_event_id,
        district=r.district,
        occupation=r.occupation,
        sex=r.sex,
        decile=r.welfare_decile,
        submitted_s=r.submitted_s,
        parts=(r.poverty, r.hazard, r.household, r.disability),
        key=r.key,
        terms=r.terms,
        last_end=None if r.last_end_period is None else period_index(r.last_end_period),
        membership_since=None if r.membership_since is None else period_index(r.membership_since),
        term=None
        if c is None
        else _Term(
            coverage_id=c.coverage_id,
            pledge=pledge_key(c.sponsor_id, c.pledge_id),
            term_no=c.term_no,
            seq=c.seq,
            start=period_index(c.start_period),
            months=c.months,
            months_paid=c.months_paid,
            premium=c.monthly_premium_idr,
            package=c.package,
            membership_since=period_index(c.membership_since),
        ),
    )


def _pledge_from_record(r: PledgeRecord) -> _Pledge:
    return _Pledge(
        key=pledge_key(r.sponsor_id, r.pledge_id),
        pledge_id=r.pledge_id,
        event_id=r.event_id,
        sponsor_id=r.sponsor_id,
        payer_id=r.payer_id,
        package=r.package,
        months=r.months,
        districts=None if r.districts is None else frozenset(r.districts),
        occupations=None if r.occupations is None else frozenset(r.occupations),
        sexes=None if r.sexes is None else frozenset(r.sexes),
        max_decile=r.max_welfare_decile,
        premium=r.monthly_premium_idr,
        seat_cost=r.seat_cost_idr,
        seats=r.seats,
        filled=r.seats_filled,
        accepted_seq=r.accepted_seq,
        opens=period_index(r.opens_period),
        valid_until=r.valid_until,
        until=period_of(r.valid_until),
        status=r.status,
        ledger=Ledger(
            pledged=r.pledged_idr, committed=r.committed_idr, paid=r.paid_idr, returned=r.returned_idr
        ),
        bound=r.bound_until_close,
    )
