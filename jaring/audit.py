"""Reads output topics as a consumer would and proves the money and coverage invariants.

The checker the end-to-end, chaos and demo runs share: it drops repeated
event ids (at-least-once delivery may repeat an output; a repeat must be
byte-identical, or the engine was not deterministic), then checks:

- no worker holds two coverage terms that overlap in any month (a lapsed
  term ends at the close that lapsed it, one a life event ended at its
  ``coverage.ended`` ``end_period``);
- a term a life event ended ends where ``coverage.ended`` says, within the
  term, and no worker reported deceased holds cover starting after the
  month of death (the dead may not apply again), in any regency;
- every move (``person.moved``) follows its old regency's ``person.released``
  (outcome ``released``, the same move, the same clocks): a person reaches a
  second regency only once the first let them go;
- no pledge (a sponsor's, ``pledge_key``: two sponsors may use one id) ever
  holds more seats than it accepted (seats committed or renewed, less those
  cancelled, lapsed or given up by a life event), and its ledger balances after every movement:
  pledged = committed + remainder, committed = billed + not yet billed,
  billed = paid + outstanding + written off, outstanding = due + arrears,
  returned <= remainder; the movements add up to the final balances
  (pledged, billed, paid, written off, returned, and committed less released
  and repriced);
- every payer's account balances after every movement (received = applied +
  refunds owed, refunded <= refunds owed) and its movements add up to it;
- every bill's lines add up to its ``bill.issued``; every reconciled payment
  is applied or owed back in full (a duplicate neither);
- every application is accounted for: waiting, rejected with a reason, or
  matched on arrival.

``replay`` goes further where the region log is at hand: the pure core run
over that log must give exactly the outputs the workers emitted, byte for
byte, whatever crashed in between ("same input log, same output"). A worker
that restored less state than it had written would emit something else.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import pairwise

from infra.topic_io import Record
from models.codec import INPUT_TYPES, decode, decode_input, encode
from models.eligibility import KENDARI, CityPolicy
from models.errors import JaringError
from models.events import (
    ApplicationRejected,
    ApplicationWaiting,
    BillIssued,
    BillLine,
    CoverageActivated,
    CoverageCancelled,
    CoverageCommitted,
    CoverageEnded,
    CoverageLapsed,
    CoverageRenewed,
    Event,
    FundingKind,
    FundingMovement,
    LifeEventKind,
    LifeEventRecorded,
    PayerMovement,
    PaymentReconciled,
    PersonMoved,
    PersonReleased,
    PledgeAccepted,
    pledge_key,
    region_of,
)
from models.matcher import RegionMatcher
from models.periods import period_index
from models.tariff import BPU_TARIFF, Tariff

__all__ = ["Audit", "Reader", "audit", "replay"]


@dataclass
class Audit:
    events: list[Event] = field(default_factory=list)
    duplicates: int = 0
    counts: Counter[str] = field(default_factory=Counter)
    violations: list[str] = field(default_factory=list)
    values: dict[str, bytes] = field(default_factory=dict)
    """Each distinct event's bytes, by event id."""

    @property
    def ok(self) -> bool:
        return not self.violations

    def of(self, kind: type) -> list[Event]:
        return [e for e in self.events if isinstance(e, kind)]

    def summary(self) -> str:
        parts = ", ".join(f"{k} {v}" for k, v in sorted(self.counts.items()))
        verdict = "all invariants hold" if self.ok else f"{len(self.violations)} violation(s)"
        return f"{len(self.events)} distinct events ({self.duplicates} repeats dropped): {parts}; {verdict}"


def _kind(event: Event) -> str:
    return f"funding.{event.kind}" if isinstance(event, FundingMovement) else event.type


class Reader:
    """Takes output records one at a time (each decoded once); ``audit`` checks what it has."""

    def __init__(self) -> None:
        self.result = Audit()
        self._seen = self.result.values
        self.on_arrival = 0

    def add(self, record: Record) -> None:
        event = decode(record.value)
        previous = self._seen.get(event.event_id)
        if previous is not None:
            self.result.duplicates += 1
            if previous != record.value:
                self.result.violations.append(f"{event.event_id}: repeated with different content")
            return
        self._seen[event.event_id] = record.value
        self.result.events.append(event)
        self.result.counts[_kind(event)] += 1
        if isinstance(event, CoverageCommitted) and not event.was_waiting:
            self.on_arrival += 1

    @property
    def accounted(self) -> int:
        """Applications with an outcome: waiting, rejected, or matched on arrival."""
        c = self.result.counts
        return c["application.waiting"] + c["application.rejected"] + self.on_arrival

    def audit(self, applications: int | None = None) -> Audit:
        result = Audit(self.result.events, self.result.duplicates, self.result.counts,
                       list(self.result.violations), self.result.values)
        _check_terms(result)
        _check_exits(result)
        _check_moves(result)
        _check_pledges(result)
        _check_payers(result)
        _check_bills(result)
        if applications is not None:
            _check_applications(result, applications)
        return result


def audit(records: list[Record], applications: int | None = None) -> Audit:
    """Check ``records`` (every output topic, each partition in offset order)."""
    reader = Reader()
    for record in records:
        reader.add(record)
    return reader.audit(applications)


def replay(
    log: Iterable[Record], pseudonym_key: bytes, policy: CityPolicy = KENDARI, tariff: Tariff = BPU_TARIFF
) -> dict[str, bytes]:
    """The outputs the pure core derives from the region log's records (each partition in offset order).

    ``tariff``: the engine's unless another is modelled (``jaring replay --tariff``).

    Every region's events are in one partition, so its order is that
    partition's. Records the core refuses are dead letters, not outputs, and so
    are those the matcher refuses to read (``models.codec.decode_input``).
    """
    matchers: dict[str, RegionMatcher] = {}
    outputs: dict[str, bytes] = {}
    for record in log:
        try:
            event = decode_input(record.value, record.key, INPUT_TYPES, "the region log")
        except JaringError:
            continue
        region = region_of(event)
        matcher = matchers.get(region)
        if matcher is None:
            matcher = matchers[region] = RegionMatcher(region, pseudonym_key, policy=policy, tariff=tariff)
        try:
            step = matcher.handle(event)
        except JaringError:
            continue
        for output in step.outputs:
            outputs.setdefault(output.event_id, encode(output))
    return outputs


def _ended_through(result: Audit) -> dict[str, int]:
    """The last month of cover of each term a life event ended, by coverage id (-1: cover never ran)."""
    return {e.coverage_id: -1 if e.end_period is None else period_index(e.end_period)
            for e in result.events if isinstance(e, CoverageEnded)}


def _check_terms(result: Audit) -> None:
    terms: dict[str, list[tuple[int, int, str]]] = defaultdict(list)
    lapsed = {e.coverage_id: period_index(e.period) for e in result.events if isinstance(e, CoverageLapsed)}
    ended = _ended_through(result)
    for e in result.events:
        if isinstance(e, CoverageActivated | CoverageRenewed):
            end = min(period_index(e.end_period), lapsed.get(e.coverage_id, period_index(e.end_period)),
                      ended.get(e.coverage_id, period_index(e.end_period)))
            terms[e.worker].append((period_index(e.start_period), end, e.coverage_id))
    for worker, spans in terms.items():
        spans.sort()
        for (_, end, first), (start, _, second) in pairwise(spans):
            if start <= end:
                result.violations.append(f"worker {worker}: terms {first} and {second} overlap")


def _check_exits(result: Audit) -> None:
    spans = {e.coverage_id: (period_index(e.start_period), period_index(e.end_period))
             for e in result.events if isinstance(e, CoverageActivated | CoverageRenewed)}
    for e in result.events:
        if isinstance(e, CoverageEnded) and e.end_period is not None:
            span = spans.get(e.coverage_id)
            if span is None:
                result.violations.append(f"{e.event_id}: ended {e.coverage_id}, a term never activated")
            elif not span[0] - 1 <= period_index(e.end_period) <= span[1]:  # start - 1: no month kept
                result.violations.append(f"{e.event_id}: {e.coverage_id} ended outside its term")
    died = {e.worker: period_index(e.effective_period) for e in result.events
            if isinstance(e, LifeEventRecorded) and e.kind is LifeEventKind.DECEASED}
    kept = _ended_through(result)
    for e in result.events:
        if not isinstance(e, CoverageActivated | CoverageRenewed) or e.worker not in died:
            continue
        start = period_index(e.start_period)
        # a seat filled before the death was reported ends keeping no month: not cover
        if start > died[e.worker] and kept.get(e.coverage_id, start) >= start:
            result.violations.append(f"worker {e.worker}: covered from {e.start_period}, after their death")


def _check_moves(result: Audit) -> None:
    released: dict[str, PersonReleased] = {}
    for e in result.events:  # both on persons.v1, keyed by the pseudonym: a release comes before its move
        if isinstance(e, PersonReleased):
            released[e.move_id] = e
        elif isinstance(e, PersonMoved):
            r = released.get(e.move_id)
            clocks = (e.worker, e.from_region, e.membership_since, e.covered_through, e.months_of_membership)
            if r is None or r.outcome != "released" or clocks != (
                r.worker, r.region, r.membership_since, r.covered_through, r.months_of_membership
            ):
                result.violations.append(f"{e.event_id}: a move its old regency did not release as carried")


def _check_pledges(result: Audit) -> None:
    seats = {
        pledge_key(e.sponsor_id, e.pledge_id): e.seats for e in result.events if isinstance(e, PledgeAccepted)
    }
    held: Counter[str] = Counter()
    most: Counter[str] = Counter()
    for e in result.events:
        if isinstance(e, CoverageEnded) and e.seat == "used":
            continue  # its months were all used: the seat stays filled, as an expired term's does
        if isinstance(e, CoverageCommitted | CoverageRenewed | CoverageCancelled | CoverageLapsed
                      | CoverageEnded):
            key = pledge_key(e.sponsor_id, e.pledge_id)
            held[key] += 1 if isinstance(e, CoverageCommitted | CoverageRenewed) else -1
            most[key] = max(most[key], held[key])
    for pledge, count in most.items():
        if count > seats.get(pledge, 0):
            result.violations.append(f"pledge {pledge}: {count} seats held of {seats.get(pledge, 0)}")
    sums: dict[str, Counter[str]] = defaultdict(Counter)
    last: dict[str, FundingMovement] = {}
    for e in result.events:
        if not isinstance(e, FundingMovement):
            continue
        b = e.balances
        broken = [
            name for name, holds in (
                ("pledged = committed + remainder", b.committed_idr + b.remainder_idr == b.pledged_idr),
                ("committed = billed + not yet billed",
                 b.committed_idr == b.billed_idr + b.not_yet_billed_idr),
                ("billed = paid + outstanding + written off",
                 b.billed_idr == b.paid_idr + b.outstanding_idr + b.written_off_idr),
                ("outstanding = due + arrears", b.outstanding_idr == b.due_idr + b.arrears_idr),
                ("returned <= remainder", b.returned_idr <= b.remainder_idr),
            ) if not holds
        ]
        result.violations.extend(f"{e.event_id}: {name} broken" for name in broken)
        key = pledge_key(e.sponsor_id, e.pledge_id)
        sums[key][e.kind] += e.amount_idr
        last[key] = e
    for pledge, movement in last.items():
        b, moved = movement.balances, sums[pledge]
        bound = moved[FundingKind.COMMITTED] - moved[FundingKind.RELEASED] - moved[FundingKind.REPRICED]
        for kind, total, balance in (
            (FundingKind.PLEDGED, moved[FundingKind.PLEDGED], b.pledged_idr),
            ("committed - released - repriced", bound, b.committed_idr),
            (FundingKind.BILLED, moved[FundingKind.BILLED], b.billed_idr),
            (FundingKind.PAID, moved[FundingKind.PAID], b.paid_idr),
            (FundingKind.WRITTEN_OFF, moved[FundingKind.WRITTEN_OFF], b.written_off_idr),
            (FundingKind.RETURNED, moved[FundingKind.RETURNED], b.returned_idr),
        ):
            if total != balance:
                result.violations.append(
                    f"pledge {pledge}: {kind} movements add to {total}, its ledger {balance}"
                )


def _check_payers(result: Audit) -> None:
    received: Counter[tuple[str, str]] = Counter()
    refunded: Counter[tuple[str, str]] = Counter()
    last: dict[tuple[str, str], PayerMovement] = {}
    for e in result.events:
        if not isinstance(e, PayerMovement):
            continue
        a, key = e.balances, (e.region, e.payer_id)
        if a.received_idr != a.applied_idr + a.refunds_owed_idr or a.refunded_idr > a.refunds_owed_idr:
            result.violations.append(f"{e.event_id}: payer account does not balance")
        (received if e.kind == "received" else refunded)[key] += e.amount_idr
        last[key] = e
    for key, movement in last.items():
        if (received[key], refunded[key]) != (movement.balances.received_idr, movement.balances.refunded_idr):
            result.violations.append(f"payer {key[1]} in {key[0]}: movements do not add up to the account")


def _check_bills(result: Audit) -> None:
    lines: Counter[str] = Counter()
    totals: Counter[str] = Counter()
    for e in result.events:
        if isinstance(e, BillLine):
            lines[e.bill_id] += 1
            totals[e.bill_id] += e.amount_idr
        elif isinstance(e, BillIssued) and (lines[e.bill_id], totals[e.bill_id]) != (e.lines, e.total_idr):
            result.violations.append(f"{e.event_id}: its lines add to {lines[e.bill_id]} lines, "
                                     f"{totals[e.bill_id]} rupiah")
        elif isinstance(e, PaymentReconciled):
            whole = (e.applied_idr, e.refund_idr) == (0, 0) if e.outcome == "duplicate" else (
                e.applied_idr + e.refund_idr == e.amount_idr)
            if not whole:
                result.violations.append(f"{e.event_id}: {e.outcome} payment not applied or owed back whole")


def _check_applications(result: Audit, applications: int) -> None:
    waiting = len(result.of(ApplicationWaiting))
    rejected = len(result.of(ApplicationRejected))
    arrivals = result.of(CoverageCommitted)
    on_arrival = sum(1 for e in arrivals if isinstance(e, CoverageCommitted) and not e.was_waiting)
    if waiting + rejected + on_arrival != applications:
        result.violations.append(
            f"{applications} applications sent, but {waiting} waiting + {rejected} rejected + "
            f"{on_arrival} matched on arrival"
        )
