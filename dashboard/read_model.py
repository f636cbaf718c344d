"""The dashboard's read model: a pure fold of decoded output events into per-region views.

Delivery is at-least-once, so every event is counted once by its
``event_id`` (a repeat carries the same id, ``models.events``). The four
topics are read concurrently, and Kafka orders records only within one
partition of one topic, so the fold is written to reach the same view
whatever the interleaving of topics:

- a worker's coverage events share ``coverage.v1`` and the region key, so
  they arrive in log order; the worker's state is read off their latest term
  (highest ``term_no``): committed means registering (a seat, no cover yet),
  active or renewed means covered, ended unrenewed, cancelled for want of a
  confirmation or lapsed means waiting, and a registration BPJS rejected
  means neither (an officer checks the data). ``application.waiting``
  (another topic) only says "waiting if no term yet, or since a rejected
  registration" (its event time is later), which commutes with the rest;
- the covered/waiting/registering/lapsed series is a sum of per-month
  deltas, which commute; ``models.ledger.Dashboard`` records a level per
  arrival instead, so it is fed the funding movements only, whose one topic
  and region key keep them in the region's own order. Money by state (paid,
  due, in arrears, written off) is its levels; refunds are the payers'
  accounts (``payer.movement``, the same topic and key): each payer's latest
  balances, summed over the region;
- pledges and their status are ``models.pledge_book``'s fold, the one the
  sponsor API uses too, so the page and the API never disagree about a
  pledge: keyed by (sponsor, pledge), one status precedence, and the
  rejection of a duplicate submission never shows an accepted pledge as
  rejected.

Only the regions the city serves are views (its policy's
``served_regencies``): an event naming any other region (a rejected pledge
or application for ``00.00``, say: the engine answers every input on the
output topics) is counted in ``other_regions`` for the operator and shown
nowhere, so no input can add a region to the page or change which one it
opens on. District codes are shown with their names from Kemendagri's table
(``models.regions``).

Memory grows with the workers the region has seen (one small record each),
not with history: repeats are dropped by the ids of the latest months only
(``infra.repeats``: the engine writes each stream in month order, so an
older month can only be a repeat), and everything else is counts per month,
per district or per pledge. README "Memory bounds" has the figures.

Nothing leaves ``snapshot`` that singles out a person (``models.disclosure``,
threshold ``min_cell``): each column of the district and occupation tables
(covered, waiting) merges its cells under the threshold into one "other"
row, so the columns still add up to the exact totals; the recent activations
show when, which pledge and whether it is a renewal, and the district only
where that district's covered count is shown and at least the threshold.
They show no pseudonym and no occupation: a list of single activations with
district and occupation is a list of cells of one (README "Dashboard").
"""

from __future__ import annotations

import heapq
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import NamedTuple

from dashboard.snapshot import (
    Activation,
    Breakdown,
    CitySnapshot,
    FairnessRow,
    FairnessTable,
    MoneyPoint,
    PeoplePoint,
    PledgeRow,
    SponsorRow,
    Totals,
)
from infra.repeats import NothingSeen, RecentIds
from models.disclosure import DEFAULT_THRESHOLD, suppress
from models.eligibility import KENDARI
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
    PledgeAccepted,
    PledgeExhausted,
    PledgeExpired,
    PledgeRejected,
    PledgeReopened,
)
from models.fairness import Fairness, Table, tables
from models.ledger import Dashboard, SeriesPoint
from models.periods import period_index, period_name
from models.pledge_book import PledgeBook, PledgeBooks
from models.regions import district_name, regency_name

__all__ = ["MERGED", "RECENT", "CityView"]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)

RECENT = 12
"""Activations kept for the feed: a screenful on a phone."""

MERGED = "_merged"
"""The key of a breakdown's row of merged small cells (no district code or occupation is spelled so)."""

_COVERED, _WAITING, _REGISTERING, _LAPSED = "covered", "waiting", "registering", "lapsed"
_EXITED = "exited"
"""A life event took the worker out (``coverage.ended``, or ``life_event.recorded`` for one waiting)."""
_SHOWN = (
    ApplicationWaiting, ApplicationRejected, CoverageCommitted, CoverageActivated, CoverageRenewed,
    CoverageExpired, CoverageCancelled, CoverageLapsed, PledgeAccepted, PledgeExhausted, PledgeExpired,
    PledgeRejected, PledgeReopened, FundingMovement, PayerMovement, LifeEventRecorded, CoverageEnded,
)


def _micros(moment: datetime) -> int:
    """An event time as whole microseconds since 1970: a 32-byte int where a datetime takes 48."""
    return (moment - _EPOCH) // _MICROSECOND


@dataclass(slots=True)
class _Worker:
    """One worker's facts, as small as a slotted object goes: the district and occupation strings are
    the region's shared ones (``_Region.name``), times are integers (``_micros``)."""

    district: str
    occupation: str
    applied_at: int | None = None
    """The latest ``application.waiting``'s event time (``_micros``)."""
    latest_term: int = 0
    latest_outcome: str | None = None
    """What became of the latest term: None while it runs (or renewed), ``registering`` while it is
    committed, ``waiting`` once it ended, was cancelled unconfirmed or lapsed, ``rejected`` when BPJS
    refused the registration."""
    rejected_at: int | None = None
    ever_active: bool = False
    status: str | None = None

    def note(self, term: int, outcome: str | None, at: int | None = None) -> None:
        """The latest word on term ``term``: events of older terms change nothing."""
        if term >= self.latest_term:
            self.latest_term, self.latest_outcome = term, outcome
            if outcome in ("rejected", _EXITED):
                self.rejected_at = at

    def derive(self) -> str | None:
        if self.latest_term == 0:
            applied, left = self.applied_at, self.rejected_at
            if applied is not None and left is not None and applied <= left:
                return None  # withdrawn from the waiting list by a life event
            return _WAITING if self.applied_at is not None else None
        if self.latest_outcome in ("rejected", _EXITED):  # waits again only on a fresh application
            applied, rejected = self.applied_at, self.rejected_at
            return _WAITING if applied is not None and rejected is not None and applied > rejected else None
        if self.latest_outcome == _REGISTERING:
            return None  # a seat is held: no longer waiting, not covered until BPJS confirms
        return _WAITING if self.latest_outcome == _WAITING else _COVERED


class _Seated(NamedTuple):
    """One activation as the feed keeps it; what of it is shown is decided at ``snapshot``."""

    event_time: datetime
    district: str
    sponsor_id: str
    pledge_id: str
    term_no: int
    renewal: bool


def _term_no(coverage_id: str) -> int:
    return int(coverage_id.rsplit(":", 1)[-1])


def _row(book: PledgeBook) -> PledgeRow:
    return PledgeRow(
        **book.money(),
        arrears_idr=book.balances.arrears_idr,
        written_off_idr=book.balances.written_off_idr,
        pledge_id=book.pledge_id,
        sponsor_id=book.sponsor_id,
        payer_id=book.payer_id,
        status=book.status,
        months=book.months,
        seats=book.seats or 0,
        valid_until=None if book.valid_until is None else book.valid_until.isoformat(),
        reason=book.reason,
    )


@dataclass
class _Region:
    workers: dict[str, _Worker] = field(default_factory=dict)
    by_district: Counter[tuple[str, str]] = field(default_factory=Counter)
    by_occupation: Counter[tuple[str, str]] = field(default_factory=Counter)
    ever_covered: int = 0
    rejected: int = 0
    people_delta: Counter[tuple[str, str]] = field(default_factory=Counter)
    runway: dict[str, int] = field(default_factory=dict)
    payers: dict[str, tuple[int, int]] = field(default_factory=dict)
    """Each payer's latest (refunds owed, refunded)."""
    refunds: dict[str, tuple[int, int]] = field(default_factory=dict)
    """Month -> the region's (refunds owed, refunded) after its last payer movement."""
    money_period: str | None = None
    period: str | None = None
    seated: int = 0
    """Seats filled so far: the log position that orders the feed when event times tie."""
    recent: list[tuple[datetime, int, _Seated]] = field(default_factory=list)
    life: Counter[str] = field(default_factory=Counter)
    """Life events applied, by kind: what the withdrawn and claim counts add up."""

    names: dict[str, str] = field(default_factory=dict)
    """One string per district and occupation code, shared by every worker that names it."""

    def worker(self, pseudonym: str, district: str, occupation: str) -> _Worker:
        found = self.workers.get(pseudonym)
        if found is None:
            found = self.workers[pseudonym] = _Worker(self.name(district), self.name(str(occupation)))
        return found

    def name(self, code: str) -> str:
        return self.names.setdefault(code, code)

    def settle(self, w: _Worker) -> None:
        """Move the worker between the covered/waiting buckets after its facts changed."""
        new = w.derive()
        if new == w.status:
            return
        if w.status is not None:
            self.by_district[(w.district, w.status)] -= 1
            self.by_occupation[(w.occupation, w.status)] -= 1
        if new is not None:
            self.by_district[(w.district, new)] += 1
            self.by_occupation[(w.occupation, new)] += 1
        w.status = new



class CityView:
    """Every region's view, folded from decoded output events; ``apply`` is the only writer."""

    def __init__(
        self,
        recent: int = RECENT,
        *,
        regions: Sequence[str] = KENDARI.served_regencies,
        min_cell: int = DEFAULT_THRESHOLD,
    ) -> None:
        """``regions``: the city's ``served_regencies`` (Kendari's by default); the first opens the page.
        ``min_cell``: the smallest count of people shown (``JARING_MIN_CELL``; 1 shows every cell)."""
        if not regions:
            raise ValueError("a city view needs at least one region to show")
        if min_cell < 1:
            raise ValueError("min_cell must be at least 1")
        self.min_cell = min_cell
        self._served = tuple(regions)
        self.other_regions = 0
        """Records naming a region the city does not serve, repeats included: for operators, never shown."""
        self._recent = recent
        self._seen = RecentIds()
        self._folded = 0
        self._pledges = PledgeBooks(seen=NothingSeen())
        """The shared fold of pledges; this view drops repeats before it, in its window of ids."""
        self._regions: dict[str, _Region] = {}
        self._money = Dashboard()
        self._fairness = Fairness()
        """Coverage against need by group, month by month (``models.fairness``), fed distinct events."""
        self.version = 0
        """Bumped by every event that changed the view: the push loop's cue."""

    @property
    def events(self) -> int:
        """Distinct events folded."""
        return self._folded

    def ids_held(self) -> int:
        """Event ids held to drop repeats: the latest months' (``infra.repeats``), not every one."""
        return len(self._seen)

    def regions(self) -> list[str]:
        """The regions this view shows, the city's first: whatever the topics hold, never more."""
        return list(self._served)

    def apply(self, event: Event) -> bool:
        """Fold one event; False for a repeated id, an input, or an event of a region not served."""
        if not isinstance(event, _SHOWN):
            return False
        if event.region not in self._served:
            self.other_regions += 1
            return False
        if not self._seen.first(event):
            return False
        r = self._regions.setdefault(event.region, _Region())
        self._fairness.apply(event)
        if isinstance(event, FundingMovement):
            self._fund(r, event)
        elif isinstance(event, PayerMovement):
            self._refunds(r, event)
        elif isinstance(event, ApplicationWaiting):
            w = r.worker(event.worker, event.district, event.occupation)
            at = _micros(event.event_time)
            if w.applied_at is None or at > w.applied_at:
                w.applied_at = at
            r.settle(w)
            r.people_delta[(event.period, _WAITING)] += 1
        elif isinstance(event, ApplicationRejected):
            r.rejected += 1
        elif isinstance(event, CoverageCommitted):
            w = r.worker(event.worker, event.district, event.occupation)
            w.note(event.term_no, _REGISTERING)
            r.settle(w)
            self._pledges.apply(event)
            r.people_delta[(event.period, _REGISTERING)] += 1
            if event.was_waiting:
                r.people_delta[(event.period, _WAITING)] -= 1
        elif isinstance(event, CoverageActivated | CoverageRenewed):
            self._seat(r, event)
        elif isinstance(event, CoverageExpired | CoverageCancelled | CoverageLapsed):
            self._end(r, event)
        elif isinstance(event, LifeEventRecorded | CoverageEnded):
            self._life(r, event)
        else:
            self._pledges.apply(event)
        self._folded += 1
        if r.period is None or event.period > r.period:
            r.period = event.period
        self.version += 1
        return True

    def _seat(self, r: _Region, event: CoverageActivated | CoverageRenewed) -> None:
        w = r.worker(event.worker, event.district, event.occupation)
        if not w.ever_active:
            w.ever_active = True
            r.ever_covered += 1
        w.note(event.term_no, None)
        r.settle(w)
        self._pledges.apply(event)
        r.people_delta[(event.period, _COVERED)] += 1
        if isinstance(event, CoverageActivated):
            r.people_delta[(event.period, _REGISTERING)] -= 1
        item = _Seated(
            event.event_time, r.name(event.district), event.sponsor_id, event.pledge_id, event.term_no,
            isinstance(event, CoverageRenewed),
        )
        r.seated += 1
        entry = (event.event_time, r.seated, item)
        if len(r.recent) < self._recent:
            heapq.heappush(r.recent, entry)
        elif entry[:2] > r.recent[0][:2]:
            heapq.heapreplace(r.recent, entry)

    def _end(self, r: _Region, event: CoverageExpired | CoverageCancelled | CoverageLapsed) -> None:
        """A term ended (its months billed), was cancelled before cover, or lapsed unpaid."""
        w = r.worker(event.worker, event.district, event.occupation)
        outcome = _WAITING if isinstance(event, CoverageLapsed) else event.outcome
        if outcome == "ended":  # the renewal check refused the worker (age): out, like a life event
            outcome = _EXITED
        w.note(_term_no(event.coverage_id), None if outcome == "renewed" else outcome,
               _micros(event.event_time))
        r.settle(w)
        self._pledges.apply(event)
        was = _REGISTERING if isinstance(event, CoverageCancelled) else _COVERED
        r.people_delta[(event.period, was)] -= 1
        if outcome == _WAITING:
            r.people_delta[(event.period, _WAITING)] += 1
        if isinstance(event, CoverageLapsed):
            r.people_delta[(event.period, _LAPSED)] += 1

    def _life(self, r: _Region, event: LifeEventRecorded | CoverageEnded) -> None:
        """A life event counted (claims, withdrawals), or a term it ended."""
        if isinstance(event, CoverageEnded):
            w = r.worker(event.worker, event.district, event.occupation)
            w.note(_term_no(event.coverage_id), _EXITED, _micros(event.event_time))
            r.settle(w)
            self._pledges.apply(event)
            was = _REGISTERING if event.end_period is None else _COVERED
            r.people_delta[(event.period, was)] -= 1
            return
        r.life[event.kind] += 1
        waiting = r.workers.get(event.worker)
        if waiting is not None and event.outcome == "withdrawn" and event.status == "waiting":
            waiting.note(waiting.latest_term, _EXITED, _micros(event.event_time))
            r.settle(waiting)
            r.people_delta[(event.period, _WAITING)] -= 1

    def _refunds(self, r: _Region, event: PayerMovement) -> None:
        b = event.balances
        r.payers[event.payer_id] = (b.refunds_owed_idr, b.refunded_idr)
        r.refunds[event.period] = (
            sum(owed for owed, _ in r.payers.values()), sum(paid for _, paid in r.payers.values())
        )

    def _fund(self, r: _Region, event: FundingMovement) -> None:
        if r.money_period != event.period:
            if r.money_period is not None:  # fix the month the funding log just left
                r.runway[r.money_period] = self._runway(event.region)
            r.money_period = event.period
        self._pledges.apply(event)
        self._money.apply(event)

    def _runway(self, region: str) -> int:
        """The longest runway of any of the region's pledges now."""
        return max((b.balances.runway_months for b in self._pledges.in_region(region)), default=0)

    # ------------------------------------------------------------ reading

    def snapshot(self, region: str) -> CitySnapshot:
        """The region's view now (an empty one for a region not seen yet, or not served)."""
        r = self._regions.get(region, _Region())
        totals = Totals(
            covered=sum(n for (_, s), n in r.by_district.items() if s == _COVERED),
            waiting=sum(n for (_, s), n in r.by_district.items() if s == _WAITING),
            ever_covered=r.ever_covered,
            rejected=r.rejected,
            registering=sum(n for (_, s), n in r.people_delta.items() if s == _REGISTERING),
            lapsed=sum(n for (_, s), n in r.people_delta.items() if s == _LAPSED),
            withdrawn=sum(n for kind, n in r.life.items() if kind != LifeEventKind.ACCIDENT_CLAIM),
            claims_jkm=r.life[LifeEventKind.DECEASED],
            claims_jkk=r.life[LifeEventKind.ACCIDENT_CLAIM],
        )
        pledges = [_row(b) for b in self._pledges.in_region(region)]
        periods = self._periods(region, r)
        districts = _breakdown(r.by_district, self.min_cell, district_name)
        fair_period, fair = self.fairness(region)
        return CitySnapshot(
            region=region,
            region_name=regency_name(region),
            regions=self.regions(),
            region_names={code: regency_name(code) or code for code in self._served},
            events=self.events,
            period=r.period,
            totals=totals,
            min_cell=self.min_cell,
            districts=districts,
            occupations=_breakdown(r.by_occupation, self.min_cell),
            sponsors=_sponsors(pledges),
            pledges=pledges,
            money=self._money_series(region, r, periods),
            people=_people_series(r, periods),
            recent=_feed(r, districts, self.min_cell),
            fairness_period=fair_period,
            fairness=[_fair(t) for t in fair],
        )

    def fairness(self, region: str) -> tuple[str | None, list[Table]]:
        """The region's latest month and its fairness tables, small groups merged (``min_cell``)."""
        found = self._regions.get(region)
        month = self._fairness.latest(region, None if found is None else found.period)
        return (None, []) if month is None else (month.period, tables(month, self.min_cell))

    def _periods(self, region: str, r: _Region) -> list[str]:
        """Every month from the first to the last one named, so gaps show as flat lines."""
        named = {p for p, _ in r.people_delta} | set(r.refunds) | {
            point.period for point in self._money.series() if point.region == region
        }
        if not named:
            return []
        first, last = period_index(min(named)), period_index(max(named))
        return [period_name(i) for i in range(first, last + 1)]

    def _money_series(self, region: str, r: _Region, periods: list[str]) -> list[MoneyPoint]:
        levels = {
            p.period: p for p in self._money.series() if p.region == region and p.sponsor_id is None
        }
        runway = dict(r.runway)
        if r.money_period is not None:
            runway[r.money_period] = self._runway(region)
        out: list[MoneyPoint] = []
        last: SeriesPoint | None = None
        months = owed = refunded = 0
        for period in periods:
            last = levels.get(period, last)
            months = runway.get(period, months)
            owed, refunded = r.refunds.get(period, (owed, refunded))
            p = last or SeriesPoint(region=region, sponsor_id=None, period=period)
            out.append(MoneyPoint(
                period=period, pledged_idr=p.pledged_idr, committed_idr=p.committed_idr, paid_idr=p.paid_idr,
                returned_idr=p.returned_idr, remaining_idr=p.pledged_idr - p.paid_idr - p.returned_idr,
                runway_months=months, billed_idr=p.billed_idr, due_idr=p.due_idr, arrears_idr=p.arrears_idr,
                written_off_idr=p.written_off_idr, refunds_owed_idr=owed, refunded_idr=refunded,
            ))
        return out


def _people_series(r: _Region, periods: list[str]) -> list[PeoplePoint]:
    level = dict.fromkeys((_COVERED, _WAITING, _REGISTERING, _LAPSED), 0)
    out = []
    for period in periods:
        for state in level:
            level[state] += r.people_delta[(period, state)]
        out.append(PeoplePoint(period=period, **level))
    return out


def _breakdown(
    counts: Counter[tuple[str, str]], min_cell: int, name: Callable[[str], str | None] = lambda key: None
) -> list[Breakdown]:
    """Rows with anyone in them, largest first (then by key), each column suppressed on its own
    (``models.disclosure``): a cell merged is None in its row and counted in the last row, ``MERGED``.
    A row whose cells are all merged is not listed; the columns add up to the exact totals."""
    keys = sorted(
        {key for key, _ in counts if counts[(key, _COVERED)] or counts[(key, _WAITING)]},
        key=lambda k: (-(counts[(k, _COVERED)] + counts[(k, _WAITING)]), k),
    )
    covered = suppress({k: counts[(k, _COVERED)] for k in keys}, min_cell)
    waiting = suppress({k: counts[(k, _WAITING)] for k in keys}, min_cell)
    rows = [
        Breakdown(key=k, name=name(k), covered=covered.cells.get(k), waiting=waiting.cells.get(k))
        for k in keys
        if k in covered.cells or k in waiting.cells
    ]
    if covered.other or waiting.other:
        rows.append(Breakdown(key=MERGED, covered=covered.other, waiting=waiting.other, merged=True))
    return rows


def _feed(r: _Region, districts: list[Breakdown], min_cell: int) -> list[Activation]:
    """The latest activations, newest first, each with its district only where the district's covered
    count is shown and at least ``min_cell``: one activation in a district of three covered names a
    neighbour."""
    shown = {row.key for row in districts if not row.merged and (row.covered or 0) >= min_cell}
    out = []
    for _, _, seat in sorted(r.recent, key=lambda e: e[:2], reverse=True):
        district = seat.district if seat.district in shown else None
        out.append(Activation(
            event_time=seat.event_time,
            district=district,
            district_name=None if district is None else district_name(district),
            sponsor_id=seat.sponsor_id,
            pledge_id=seat.pledge_id,
            term_no=seat.term_no,
            renewal=seat.renewal,
        ))
    return out


def _fair(t: Table) -> FairnessTable:
    """A fairness table for the page: the counts, and the fractions rounded for display only."""
    return FairnessTable(
        dimension=t.dimension,
        eligible=t.eligible_total,
        covered=t.covered_total,
        rows=[
            FairnessRow(
                group=row.group, eligible=row.eligible, covered=row.covered,
                name=district_name(row.group) if t.dimension == "district" else None,
                eligible_share=round(float(row.eligible_share), 4),
                covered_share=round(float(row.covered_share), 4),
                gap=round(float(row.gap), 4),
                ratio=None if row.ratio is None else round(float(row.ratio), 4),
            )
            for row in t.rows
        ],
    )


def _sponsors(pledges: list[PledgeRow]) -> list[SponsorRow]:
    grouped: dict[str, list[PledgeRow]] = {}
    for p in pledges:
        grouped.setdefault(p.sponsor_id, []).append(p)
    return [
        SponsorRow(
            sponsor_id=sponsor,
            pledges=len(rows),
            seats=sum(p.seats for p in rows),
            seats_filled=sum(p.seats_filled for p in rows),
            pledged_idr=sum(p.pledged_idr for p in rows),
            committed_idr=sum(p.committed_idr for p in rows),
            paid_idr=sum(p.paid_idr for p in rows),
            remaining_idr=sum(p.remaining_idr for p in rows),
            returned_idr=sum(p.returned_idr for p in rows),
            runway_months=max(p.runway_months for p in rows),
        )
        for sponsor, rows in sorted(grouped.items())
    ]
