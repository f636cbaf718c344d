"""The monthly city report: a regency's month in figures, fairness and money, as the city publishes it.

A pure fold of the output events the API already reads (``api.feed``); the
report for (regency, month) is read off it. "In the month" is decided once,
here: an event is in month M when its ``period`` is M. Every output event
carries the region's month (``models.events.OutputBase``): the month the
matcher was in when it happened, and for a close the month it closed. So a
March close's bills, arrears and expiries are March's even though the tick
that closed March arrives in April, and a month's report, once the month is
closed, never changes. (The sponsor statement takes date ranges, so it dates
by ``event_time``; a month of the report is the engine's own month.)

Figures, for the month:

- ``applications_received``: every application answered: ``application.
  rejected`` + ``application.waiting`` + ``coverage.committed`` with
  ``was_waiting`` false (matched on arrival). The engine answers each
  application with exactly one of them (``models.matcher.transitions``);
- ``eligible``: the last two; ``rejected``: the first, by ``reason``;
- ``newly_covered``: ``coverage.activated`` (a term's cover began);
  ``renewed``: ``coverage.renewed``;
- ``terms_ended`` by kind: ``expired`` (``coverage.expired``, renewed or
  not), ``lapsed``, ``cancelled`` (a seat never registered), and each life
  event kind that ended a term or a seat (``coverage.ended``'s reason);
- ``withdrawals``: life events that took a worker out (every kind but
  ``accident_claim``, as the dashboard counts them); ``claims``: ``deceased``
  (JKM) and ``accident_claim`` (JKK), from ``life_event.recorded``;
- levels at the month's end, as sums of per-month changes (so the order the
  topics are read in does not matter): ``waiting_at_end`` (+1 a worker put on
  the list: ``application.waiting``, a term expired unrenewed, a lapse, a
  cancellation back to waiting; -1 a seat taken from the list, a waiting
  worker's life event) and ``covered_at_end`` (+1 activated or renewed, -1
  expired, lapsed, or a term a life event ended) - the dashboard's series.

Fairness: ``models.fairness``' fold and ``table``, the dashboard's own, for
the month. Money: the sums of the month's ``funding.movement`` amounts by
kind per pledge of the regency, per sponsor and in total; ``remaining`` and
``uncommitted`` are each pledge's ledger after its last movement in or before
the month (funding.v1 is keyed by region: one partition, the region's order);
``payer_refunded``: overpayments refunded to payers (``payer.movement``).

Disclosure: a total (one number for the regency) is exact; every table of
counts (rejected by reason, terms ended by kind, claims by kind, fairness)
goes through ``models.disclosure`` (``suppress``, ``fairness.table``). Money
is per sponsor, never per worker; sponsor ids are not personal data.

Memory: per region and month a few counters; per pledge its months' sums and
closing ledgers; and ``models.fairness``' record per worker (as the
dashboard's). Repeats are dropped by event id (``infra.repeats``).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from api.bodies import GroupCountsOut
from api.statements import KINDS, kind_field
from infra.repeats import RecentIds
from models.disclosure import DEFAULT_THRESHOLD, suppress
from models.events import (
    ApplicationRejected,
    ApplicationWaiting,
    CoverageActivated,
    CoverageCancelled,
    CoverageCommitted,
    CoverageEnded,
    CoverageExpired,
    CoverageLapsed,
    CoverageRenewed,
    Event,
    FundingMovement,
    LifeEventKind,
    LifeEventRecorded,
    PayerMovement,
)
from models.events.funding import FundingKind
from models.fairness import DIMENSIONS as FAIR_DIMENSIONS
from models.fairness import Fairness, Month, Table, tables, vocabulary

__all__ = [
    "CLAIMS",
    "ENDINGS",
    "CityReport",
    "CityReports",
    "MoneyFigures",
    "PeopleFigures",
    "SponsorMoney",
]

ENDINGS: tuple[str, ...] = (
    "expired", "lapsed", "cancelled",
    *(k.value for k in LifeEventKind if k is not LifeEventKind.ACCIDENT_CLAIM),
)
"""How a term (or a seat awaiting registration) ended, in the order shown."""
CLAIMS: tuple[str, ...] = (LifeEventKind.DECEASED.value, LifeEventKind.ACCIDENT_CLAIM.value)
_SLOT = {k: i for i, k in enumerate(KINDS)} | {FundingKind.PREMIUM_PAID: KINDS.index(FundingKind.PAID)}
_FOLDED = (
    ApplicationRejected, ApplicationWaiting, CoverageCommitted, CoverageActivated, CoverageRenewed,
    CoverageExpired, CoverageLapsed, CoverageCancelled, CoverageEnded, LifeEventRecorded, FundingMovement,
    PayerMovement,
)


@dataclass(slots=True)
class _People:
    """One region's month: flows, and the changes to the two levels."""

    received: int = 0
    eligible: int = 0
    rejected: Counter[str] = field(default_factory=Counter)
    activated: int = 0
    renewed: int = 0
    ended: Counter[str] = field(default_factory=Counter)
    withdrawals: int = 0
    claims: Counter[str] = field(default_factory=Counter)
    waiting: int = 0
    covered: int = 0
    payer_refunded: int = 0


@dataclass(slots=True)
class _Pledge:
    sponsor_id: str
    months: dict[str, list[int]] = field(default_factory=dict)
    """Per period: the movements' sums by ``KINDS``."""
    closing: dict[str, tuple[int, int]] = field(default_factory=dict)
    """Per period: (remaining, uncommitted) after the period's last movement read."""
    seats: dict[str, int] = field(default_factory=dict)
    """Per period: seats filled (commitments and renewals)."""


@dataclass(frozen=True, slots=True)
class MoneyFigures:
    money: dict[str, int]
    """``kind_field(kind)`` -> the month's sum, for every kind in ``api.statements.KINDS``."""
    remaining_idr: int
    """At the month's end: pledged - paid - returned (as the statement's)."""
    uncommitted_idr: int
    """At the month's end: pledged - committed (the ledger's remainder)."""
    pledges: int
    seats_filled: int


@dataclass(frozen=True, slots=True)
class SponsorMoney:
    sponsor_id: str
    figures: MoneyFigures


@dataclass(frozen=True, slots=True)
class PeopleFigures:
    applications_received: int
    eligible: int
    rejected: GroupCountsOut
    waiting_at_end: int
    newly_covered: int
    renewed: int
    covered_at_end: int
    terms_ended: GroupCountsOut
    withdrawals: int
    claims: GroupCountsOut


@dataclass(frozen=True, slots=True)
class CityReport:
    region: str
    month: str
    figures: PeopleFigures
    fairness: list[Table]
    money: MoneyFigures
    payer_refunded_idr: int
    sponsors: list[SponsorMoney]
    """By sponsor id: each sponsor with a movement or a seat in the regency by the month's end."""
    threshold: int


class CityReports:
    """The city report's fold; ``apply`` is the only writer, ``report`` the only reader."""

    def __init__(self, min_cell: int = DEFAULT_THRESHOLD) -> None:
        self.min_cell = min_cell
        self._seen = RecentIds()
        self._people: dict[tuple[str, str], _People] = {}
        self._pledges: dict[str, dict[tuple[str, str], _Pledge]] = {}
        self._fairness = Fairness()

    def apply(self, event: Event) -> bool:
        """Fold one event in; False for a repeat or an event the report does not use."""
        if not isinstance(event, _FOLDED) or not self._seen.first(event):
            return False
        self._fairness.apply(event)
        m = self._people.setdefault((event.region, event.period), _People())
        if isinstance(event, FundingMovement):
            self._fund(event)
        elif isinstance(event, PayerMovement):
            if event.kind == "refunded":
                m.payer_refunded += event.amount_idr
        elif isinstance(event, ApplicationRejected):
            m.received += 1
            m.rejected[event.reason] += 1
        elif isinstance(event, ApplicationWaiting):
            m.received += 1
            m.eligible += 1
            m.waiting += 1
        elif isinstance(event, CoverageCommitted):
            if event.was_waiting:
                m.waiting -= 1
            else:
                m.received += 1
                m.eligible += 1
            self._seat(event.region, event.sponsor_id, event.pledge_id, event.period)
        elif isinstance(event, CoverageActivated):
            m.activated += 1
            m.covered += 1
        elif isinstance(event, CoverageRenewed):
            m.renewed += 1
            m.covered += 1
            self._seat(event.region, event.sponsor_id, event.pledge_id, event.period)
        elif isinstance(event, CoverageExpired):
            m.ended["expired"] += 1
            m.covered -= 1
            m.waiting += event.outcome == "waiting"
        elif isinstance(event, CoverageLapsed):
            m.ended["lapsed"] += 1
            m.covered -= 1
            m.waiting += 1
        elif isinstance(event, CoverageCancelled):
            m.ended["cancelled"] += 1
            m.waiting += event.outcome == "waiting"
        elif isinstance(event, CoverageEnded):
            m.ended[event.reason.value] += 1
            m.covered -= event.end_period is not None  # a seat never registered was never covered
        else:
            self._life(m, event)
        return True

    @staticmethod
    def _life(m: _People, event: LifeEventRecorded) -> None:
        if event.kind is not LifeEventKind.ACCIDENT_CLAIM:
            m.withdrawals += 1
        if event.kind.value in CLAIMS:
            m.claims[event.kind.value] += 1
        if event.outcome == "withdrawn" and event.status == "waiting":
            m.waiting -= 1

    def _book(self, region: str, sponsor_id: str, pledge_id: str) -> _Pledge:
        books = self._pledges.setdefault(region, {})
        book = books.get((sponsor_id, pledge_id))
        if book is None:
            book = books[(sponsor_id, pledge_id)] = _Pledge(sponsor_id)
        return book

    def _seat(self, region: str, sponsor_id: str, pledge_id: str, period: str) -> None:
        book = self._book(region, sponsor_id, pledge_id)
        book.seats[period] = book.seats.get(period, 0) + 1

    def _fund(self, event: FundingMovement) -> None:
        book = self._book(event.region, event.sponsor_id, event.pledge_id)
        sums = book.months.setdefault(event.period, [0] * len(KINDS))
        slot = _SLOT.get(event.kind)
        if slot is not None:
            sums[slot] += event.amount_idr
        b = event.balances
        book.closing[event.period] = (b.pledged_idr - b.paid_idr - b.returned_idr, b.remainder_idr)

    # ------------------------------------------------------------ reading

    def report(self, region: str, month: str) -> CityReport:
        """The regency's report for ``month`` (figures so far for a month not closed yet)."""
        m = self._people.get((region, month), _People())
        waiting = covered = 0
        for (r, period), p in self._people.items():
            if r == region and period <= month:
                waiting += p.waiting
                covered += p.covered
        figures = PeopleFigures(
            applications_received=m.received, eligible=m.eligible,
            rejected=self._table(dict(sorted(m.rejected.items()))),
            waiting_at_end=waiting, newly_covered=m.activated, renewed=m.renewed, covered_at_end=covered,
            terms_ended=self._table({k: m.ended[k] for k in ENDINGS}), withdrawals=m.withdrawals,
            claims=self._table({k: m.claims[k] for k in CLAIMS}),
        )
        by_sponsor: dict[str, list[MoneyFigures]] = {}
        for (sponsor, _), book in sorted(self._pledges.get(region, {}).items()):
            if any(p <= month for p in (*book.closing, *book.seats)):
                by_sponsor.setdefault(sponsor, []).append(_money(book, month))
        sponsors = [SponsorMoney(s, _sum(rows)) for s, rows in by_sponsor.items()]
        return CityReport(
            region=region, month=month, figures=figures,
            fairness=tables(self._month(region, month), self.min_cell),
            money=_sum([s.figures for s in sponsors]), payer_refunded_idr=m.payer_refunded, sponsors=sponsors,
            threshold=self.min_cell,
        )

    def _table(self, counts: dict[str, int]) -> GroupCountsOut:
        shown = suppress(counts, self.min_cell)
        return GroupCountsOut(cells=shown.cells, other=shown.other, merged=list(shown.merged),
                              total=shown.total, threshold=shown.threshold)

    def _month(self, region: str, month: str) -> Month:
        """The fairness fold's month: levels carried on past the last change, zeros before the first."""
        found = [m for m in self._fairness.months(region, through=month) if m.period == month]
        if found:
            return found[0]
        zeros = {d: dict.fromkeys(vocabulary(d, region), 0) for d in FAIR_DIMENSIONS}
        covered = {d: dict(z) for d, z in zeros.items()}
        return Month(region=region, period=month, eligible=zeros, covered=covered)


def _money(book: _Pledge, month: str) -> MoneyFigures:
    sums = book.months.get(month, [0] * len(KINDS))
    last = max((p for p in book.closing if p <= month), default=None)
    remaining, uncommitted = (0, 0) if last is None else book.closing[last]
    return MoneyFigures(
        money={kind_field(k): sums[i] for i, k in enumerate(KINDS)}, remaining_idr=remaining,
        uncommitted_idr=uncommitted, pledges=1, seats_filled=book.seats.get(month, 0),
    )


def _sum(rows: list[MoneyFigures]) -> MoneyFigures:
    return MoneyFigures(
        money={kind_field(k): sum(r.money[kind_field(k)] for r in rows) for k in KINDS},
        remaining_idr=sum(r.remaining_idr for r in rows),
        uncommitted_idr=sum(r.uncommitted_idr for r in rows),
        pledges=sum(r.pledges for r in rows), seats_filled=sum(r.seats_filled for r in rows),
    )
