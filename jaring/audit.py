"""Reads output topics as a consumer would and proves the money and coverage invariants.

The checker the end-to-end, chaos and demo runs share: it drops repeated
event ids (at-least-once delivery may repeat an output; a repeat must be
byte-identical, or the engine was not deterministic), then checks:

- no worker holds two coverage terms that overlap in any month;
- no pledge (a sponsor's, ``pledge_key``: two sponsors may use one id) fills
  more seats than it accepted, and its ledger balances:
  committed + remainder = pledged and paid <= committed after every movement,
  and the premiums paid add up to the final ``paid``;
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
    CoverageActivated,
    CoverageRenewed,
    Event,
    FundingKind,
    FundingMovement,
    PledgeAccepted,
    pledge_key,
    region_of,
)
from models.matcher import RegionMatcher
from models.periods import period_index

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
        if isinstance(event, CoverageActivated) and not event.was_waiting:
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
        _check_pledges(result)
        if applications is not None:
            _check_applications(result, applications)
        return result


def audit(records: list[Record], applications: int | None = None) -> Audit:
    """Check ``records`` (every output topic, each partition in offset order)."""
    reader = Reader()
    for record in records:
        reader.add(record)
    return reader.audit(applications)


def replay(log: Iterable[Record], pseudonym_key: bytes, policy: CityPolicy = KENDARI) -> dict[str, bytes]:
    """The outputs the pure core derives from the region log's records (each partition in offset order).

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
            matcher = matchers[region] = RegionMatcher(region, pseudonym_key, policy=policy)
        try:
            step = matcher.handle(event)
        except JaringError:
            continue
        for output in step.outputs:
            outputs.setdefault(output.event_id, encode(output))
    return outputs


def _check_terms(result: Audit) -> None:
    terms: dict[str, list[tuple[int, int, str]]] = defaultdict(list)
    for e in result.events:
        if isinstance(e, CoverageActivated | CoverageRenewed):
            terms[e.worker].append((period_index(e.start_period), period_index(e.end_period), e.coverage_id))
    for worker, spans in terms.items():
        spans.sort()
        for (_, end, first), (start, _, second) in pairwise(spans):
            if start <= end:
                result.violations.append(f"worker {worker}: terms {first} and {second} overlap")


def _check_pledges(result: Audit) -> None:
    seats = {
        pledge_key(e.sponsor_id, e.pledge_id): e.seats for e in result.events if isinstance(e, PledgeAccepted)
    }
    filled: Counter[str] = Counter(
        pledge_key(e.sponsor_id, e.pledge_id)
        for e in result.events
        if isinstance(e, CoverageActivated | CoverageRenewed)
    )
    for pledge, count in filled.items():
        if count > seats.get(pledge, 0):
            result.violations.append(f"pledge {pledge}: {count} seats filled of {seats.get(pledge, 0)}")
    paid: Counter[str] = Counter()
    last: dict[str, FundingMovement] = {}
    for e in result.events:
        if not isinstance(e, FundingMovement):
            continue
        b = e.balances
        if b.committed_idr + b.remainder_idr != b.pledged_idr:
            result.violations.append(f"{e.event_id}: committed + remainder != pledged")
        if b.paid_idr > b.committed_idr:
            result.violations.append(f"{e.event_id}: paid exceeds committed")
        key = pledge_key(e.sponsor_id, e.pledge_id)
        if e.kind == FundingKind.PREMIUM_PAID:
            paid[key] += e.amount_idr
        last[key] = e
    for pledge, movement in last.items():
        if movement.balances.paid_idr != paid[pledge]:
            result.violations.append(
                f"pledge {pledge}: premiums add to {paid[pledge]}, ledger says {movement.balances.paid_idr}"
            )


def _check_applications(result: Audit, applications: int) -> None:
    waiting = len(result.of(ApplicationWaiting))
    rejected = len(result.of(ApplicationRejected))
    arrivals = result.of(CoverageActivated)
    on_arrival = sum(1 for e in arrivals if isinstance(e, CoverageActivated) and not e.was_waiting)
    if waiting + rejected + on_arrival != applications:
        result.violations.append(
            f"{applications} applications sent, but {waiting} waiting + {rejected} rejected + "
            f"{on_arrival} matched on arrival"
        )
