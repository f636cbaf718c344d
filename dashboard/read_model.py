"""The dashboard's read model: a pure fold of decoded output events into per-region views.

Delivery is at-least-once, so every event is counted once by its
``event_id`` (a repeat carries the same id, ``models.events``). The four
topics are read concurrently, and Kafka orders records only within one
partition of one topic, so the fold is written to reach the same view
whatever the interleaving of topics:

- a worker's coverage events share ``coverage.v1`` and the region key, so
  they arrive in log order; the worker's state is read off their latest term
  (highest ``term_no``): open or renewed means covered, ended unrenewed means
  waiting. ``application.waiting`` (another topic) only says "waiting if no
  term yet", which commutes with the rest;
- the covered/waiting series is a sum of per-month deltas, which commute;
  ``models.ledger.Dashboard`` records a level per arrival instead, so it is
  fed the funding movements only, whose one topic and region key keep them
  in the region's own order;
- a pledge's statuses share its key on ``pledge-status.v1``; the furthest
  one (expired > exhausted > accepted) wins in any case.

Memory grows with workers and distinct event ids (about 100 bytes per id):
the price of a view rebuilt from the topics at every start.
"""

from __future__ import annotations

import heapq
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from dashboard.snapshot import (
    Activation,
    Breakdown,
    CitySnapshot,
    MoneyPoint,
    PeoplePoint,
    PledgeRow,
    SponsorRow,
    Totals,
)
from models.events import (
    ApplicationRejected,
    ApplicationWaiting,
    CoverageActivated,
    CoverageExpired,
    CoverageRenewed,
    Event,
    FundingMovement,
    LedgerBalances,
    PledgeAccepted,
    PledgeExhausted,
    PledgeExpired,
    PledgeRejected,
)
from models.ledger import Dashboard
from models.periods import period_index, period_name

__all__ = ["RECENT", "CityView"]

RECENT = 12
"""Activations kept for the feed: a screenful on a phone."""

_COVERED, _WAITING = "covered", "waiting"
_STATUS_RANK = {"accepted": 1, "exhausted": 2, "expired": 3, "rejected": 4}
_SHOWN = (
    ApplicationWaiting, ApplicationRejected, CoverageActivated, CoverageRenewed, CoverageExpired,
    PledgeAccepted, PledgeExhausted, PledgeExpired, PledgeRejected, FundingMovement,
)
_NO_BALANCES = LedgerBalances(
    pledged_idr=0, committed_idr=0, paid_idr=0, remainder_idr=0, returned_idr=0, runway_months=0
)


@dataclass(slots=True)
class _Worker:
    district: str
    occupation: str
    applied_waiting: bool = False
    latest_term: int = 0
    latest_outcome: str | None = None
    """None while the latest term runs; its expiry's outcome once it ended."""
    status: str | None = None

    def derive(self) -> str | None:
        if self.latest_term == 0:
            return _WAITING if self.applied_waiting else None
        return _WAITING if self.latest_outcome == "waiting" else _COVERED


@dataclass(slots=True)
class _Pledge:
    sponsor_id: str
    status: str | None = None
    months: int | None = None
    seats: int = 0
    valid_until: str | None = None
    reason: str | None = None
    filled: int = 0
    balances: LedgerBalances = _NO_BALANCES

    def row(self, pledge_id: str) -> PledgeRow:
        b = self.balances
        return PledgeRow(
            pledge_id=pledge_id,
            sponsor_id=self.sponsor_id,
            status=self.status or "accepted",
            months=self.months,
            seats=self.seats,
            seats_filled=self.filled,
            pledged_idr=b.pledged_idr,
            committed_idr=b.committed_idr,
            paid_idr=b.paid_idr,
            remaining_idr=b.pledged_idr - b.paid_idr - b.returned_idr,
            returned_idr=b.returned_idr,
            runway_months=b.runway_months,
            valid_until=self.valid_until,
            reason=self.reason,
        )


@dataclass
class _Region:
    workers: dict[str, _Worker] = field(default_factory=dict)
    by_district: Counter[tuple[str, str]] = field(default_factory=Counter)
    by_occupation: Counter[tuple[str, str]] = field(default_factory=Counter)
    ever_covered: int = 0
    rejected: int = 0
    pledges: dict[str, _Pledge] = field(default_factory=dict)
    people_delta: Counter[tuple[str, str]] = field(default_factory=Counter)
    runway: dict[str, int] = field(default_factory=dict)
    money_period: str | None = None
    period: str | None = None
    seated: int = 0
    """Seats filled so far: the log position that orders the feed when event times tie."""
    recent: list[tuple[datetime, int, Activation]] = field(default_factory=list)

    def worker(self, pseudonym: str, district: str, occupation: str) -> _Worker:
        found = self.workers.get(pseudonym)
        if found is None:
            found = self.workers[pseudonym] = _Worker(district, str(occupation))
        return found

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

    def pledge(self, pledge_id: str, sponsor_id: str) -> _Pledge:
        found = self.pledges.get(pledge_id)
        if found is None:
            found = self.pledges[pledge_id] = _Pledge(sponsor_id)
        return found

    def close_runway(self) -> None:
        """Fix the runway of the month the funding log just left: the longest of any pledge."""
        if self.money_period is not None:
            self.runway[self.money_period] = max(
                (p.balances.runway_months for p in self.pledges.values()), default=0
            )


class CityView:
    """Every region's view, folded from decoded output events; ``apply`` is the only writer."""

    def __init__(self, recent: int = RECENT) -> None:
        self._recent = recent
        self._seen: set[str] = set()
        self._regions: dict[str, _Region] = {}
        self._money = Dashboard()
        self.version = 0
        """Bumped by every event that changed the view: the push loop's cue."""

    @property
    def events(self) -> int:
        """Distinct events folded."""
        return len(self._seen)

    def regions(self) -> list[str]:
        return sorted(self._regions)

    def apply(self, event: Event) -> bool:
        """Fold one event; False for a repeated id or an event no dashboard shows (inputs)."""
        if not isinstance(event, _SHOWN) or event.event_id in self._seen:
            return False
        r = self._regions.setdefault(event.region, _Region())
        if isinstance(event, FundingMovement):
            self._fund(r, event)
        elif isinstance(event, ApplicationWaiting):
            w = r.worker(event.worker, event.district, event.occupation)
            w.applied_waiting = True
            r.settle(w)
            r.people_delta[(event.period, _WAITING)] += 1
        elif isinstance(event, ApplicationRejected):
            r.rejected += 1
        elif isinstance(event, CoverageActivated | CoverageRenewed):
            self._seat(r, event)
        elif isinstance(event, CoverageExpired):
            w = r.worker(event.worker, event.district, event.occupation)
            term = int(event.coverage_id.rsplit(":", 1)[-1])
            if term >= w.latest_term:
                w.latest_term, w.latest_outcome = term, event.outcome
            r.settle(w)
            r.people_delta[(event.period, _COVERED)] -= 1
            if event.outcome == "waiting":
                r.people_delta[(event.period, _WAITING)] += 1
        else:
            self._pledge_status(r, event)
        self._seen.add(event.event_id)
        if r.period is None or event.period > r.period:
            r.period = event.period
        self.version += 1
        return True

    def _seat(self, r: _Region, event: CoverageActivated | CoverageRenewed) -> None:
        w = r.worker(event.worker, event.district, event.occupation)
        if w.latest_term == 0:
            r.ever_covered += 1
        if event.term_no >= w.latest_term:
            w.latest_term, w.latest_outcome = event.term_no, None
        r.settle(w)
        r.pledge(event.pledge_id, event.sponsor_id).filled += 1
        r.people_delta[(event.period, _COVERED)] += 1
        if isinstance(event, CoverageActivated) and event.was_waiting:
            r.people_delta[(event.period, _WAITING)] -= 1
        item = Activation(
            event_time=event.event_time,
            worker=event.worker,
            district=event.district,
            occupation=str(event.occupation),
            sponsor_id=event.sponsor_id,
            pledge_id=event.pledge_id,
            term_no=event.term_no,
            renewal=isinstance(event, CoverageRenewed),
        )
        r.seated += 1
        entry = (event.event_time, r.seated, item)
        if len(r.recent) < self._recent:
            heapq.heappush(r.recent, entry)
        elif entry[:2] > r.recent[0][:2]:
            heapq.heapreplace(r.recent, entry)

    def _fund(self, r: _Region, event: FundingMovement) -> None:
        if r.money_period != event.period:
            r.close_runway()
            r.money_period = event.period
        r.pledge(event.pledge_id, event.sponsor_id).balances = event.balances
        self._money.apply(event)

    def _pledge_status(
        self, r: _Region, event: PledgeAccepted | PledgeExhausted | PledgeExpired | PledgeRejected
    ) -> None:
        p = r.pledge(event.pledge_id, event.sponsor_id)
        status = event.type.removeprefix("pledge.")
        if _STATUS_RANK[status] > _STATUS_RANK.get(p.status or "", 0):
            p.status = status
        if isinstance(event, PledgeAccepted):
            p.months, p.seats, p.valid_until = event.months, event.seats, event.valid_until.isoformat()
        elif isinstance(event, PledgeRejected):
            p.reason = event.reason

    # ------------------------------------------------------------ reading

    def snapshot(self, region: str) -> CitySnapshot:
        """The region's view now (an empty one for a region not seen yet)."""
        r = self._regions.get(region, _Region())
        totals = Totals(
            covered=sum(n for (_, s), n in r.by_district.items() if s == _COVERED),
            waiting=sum(n for (_, s), n in r.by_district.items() if s == _WAITING),
            ever_covered=r.ever_covered,
            rejected=r.rejected,
        )
        pledges = [p.row(pid) for pid, p in sorted(r.pledges.items())]
        periods = self._periods(region, r)
        return CitySnapshot(
            region=region,
            regions=self.regions(),
            events=self.events,
            period=r.period,
            totals=totals,
            districts=_breakdown(r.by_district),
            occupations=_breakdown(r.by_occupation),
            sponsors=_sponsors(pledges),
            pledges=pledges,
            money=self._money_series(region, r, periods),
            people=_people_series(r, periods),
            recent=[item for _, _, item in sorted(r.recent, key=lambda e: e[:2], reverse=True)],
        )

    def _periods(self, region: str, r: _Region) -> list[str]:
        """Every month from the first to the last one named, so gaps show as flat lines."""
        named = {p for p, _ in r.people_delta} | {
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
            runway[r.money_period] = max((p.balances.runway_months for p in r.pledges.values()), default=0)
        out: list[MoneyPoint] = []
        pledged = committed = paid = returned = months = 0
        for period in periods:
            point = levels.get(period)
            if point is not None:
                pledged, committed = point.pledged_idr, point.committed_idr
                paid, returned = point.paid_idr, point.returned_idr
            months = runway.get(period, months)
            out.append(MoneyPoint(
                period=period, pledged_idr=pledged, committed_idr=committed, paid_idr=paid,
                returned_idr=returned, remaining_idr=pledged - paid - returned, runway_months=months,
            ))
        return out


def _people_series(r: _Region, periods: list[str]) -> list[PeoplePoint]:
    covered = waiting = 0
    out = []
    for period in periods:
        covered += r.people_delta[(period, _COVERED)]
        waiting += r.people_delta[(period, _WAITING)]
        out.append(PeoplePoint(period=period, covered=covered, waiting=waiting))
    return out


def _breakdown(counts: Counter[tuple[str, str]]) -> list[Breakdown]:
    """Rows with anyone in them, largest first (then by key, for a stable order)."""
    keys = {key for key, _ in counts}
    rows = [Breakdown(key=k, covered=counts[(k, _COVERED)], waiting=counts[(k, _WAITING)]) for k in keys]
    rows = [row for row in rows if row.covered or row.waiting]
    return sorted(rows, key=lambda row: (-(row.covered + row.waiting), row.key))


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
