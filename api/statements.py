"""Sponsor statements: what a sponsor's money did, and whom it covered, between two dates.

A CSR department reports on a period (a quarter, a year), so the figures are
*flows in the range*, not the pledge's balances now. The fold keeps, per
pledge, each UTC day's sums of its funding movements by kind, the ledger
after the day's last movement, and each seat taken (commitment or renewal)
with its worker's groups; a statement for any range is then read off it.

"In the range" is decided once, here: an event is in ``[from_date, to_date]``
when the UTC date of its ``event_time`` (the engine's time of the cause, the
same for a replay) is on or after ``from_date`` and on or before
``to_date``: both ends inclusive, as a statement "1 January to 31 March"
reads. Then:

- money: the sum of ``amount_idr`` of the pledge's ``funding.movement``
  events in the range, by kind (a legacy ``premium_paid`` counts as paid;
  ``repriced`` is committed money given back to the pledge's remainder when
  a month was billed below its committed price, a tariff discount: money
  still in the pledge, not a refund; ``returned`` is what left it);
- remaining and runway: the ledger after the latest movement dated on or
  before ``to_date`` (the day's last in ``funding.v1``'s order, which is the
  pledge's own: one region, one partition); 0 before the first;
- workers covered: distinct workers given a seat on the pledge in the range
  (``coverage.committed`` or ``coverage.renewed``, as the pledge status's
  ``workers_covered`` counts them, cancelled seats included), each counted
  once in each group table, by the groups of their latest seat in the range;
  every table goes through ``models.disclosure.suppress``. The total's
  workers are distinct across the sponsor's pledges;
- pledges listed: the sponsor's with a movement or a seat dated on or
  before ``to_date`` (one accepted after the range is not in it).

Memory: a pledge's days with movements (one tuple each) and its seats (one
tuple each, like the pledge book's set of workers). Repeats are dropped by
event id (``infra.repeats``), as the read model drops them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from api.bodies import GroupCountsOut
from infra.repeats import RecentIds
from models.disclosure import suppress
from models.events import CoverageCommitted, CoverageRenewed, FundingMovement
from models.events.funding import FundingKind

__all__ = ["KINDS", "Statement", "StatementBooks", "StatementFigures", "kind_field"]

KINDS: tuple[FundingKind, ...] = (
    FundingKind.PLEDGED, FundingKind.COMMITTED, FundingKind.BILLED, FundingKind.PAID, FundingKind.ARREARS,
    FundingKind.WRITTEN_OFF, FundingKind.RELEASED, FundingKind.REPRICED, FundingKind.RETURNED,
)
"""The movement kinds a statement sums, in the order it shows them."""
_SLOT = {k: i for i, k in enumerate(KINDS)} | {FundingKind.PREMIUM_PAID: KINDS.index(FundingKind.PAID)}
DIMENSIONS = ("district", "occupation", "sex", "welfare_decile")
UNKNOWN = "unknown"
"""The group of a worker whose sex or welfare decile the seat does not carry."""

Groups = tuple[str, str, str, str]
"""A worker's (district, occupation, sex, welfare decile) as shown."""


def kind_field(kind: FundingKind) -> str:
    """The statement's field for a kind's sum: ``billed`` -> ``billed_idr``."""
    return f"{kind.value}_idr"


@dataclass(slots=True)
class _Book:
    sponsor_id: str
    pledge_id: str
    region: str
    days: dict[date, list[int]] = field(default_factory=dict)
    """Per UTC day: the movements' sums by ``KINDS``."""
    closing: dict[date, tuple[int, int]] = field(default_factory=dict)
    """Per UTC day: (remaining, runway) after the day's last movement read."""
    seats: dict[str, tuple[date, str, Groups]] = field(default_factory=dict)
    """Per coverage id: (day, worker, groups)."""


@dataclass(frozen=True, slots=True)
class StatementFigures:
    """One pledge's figures for a range, or the sponsor's total."""

    money: dict[str, int]
    """``kind_field(kind)`` -> sum in the range, for every kind in ``KINDS``."""
    remaining_idr: int
    runway_months: int
    seats_filled: int
    workers_covered: int
    groups: dict[str, GroupCountsOut]
    """``DIMENSIONS`` -> workers covered by group, suppressed."""


@dataclass(frozen=True, slots=True)
class Statement:
    sponsor_id: str
    from_date: date
    to_date: date
    pledges: list[tuple[str, str, StatementFigures]]
    """(pledge id, region, figures), by pledge id."""
    total: StatementFigures


class StatementBooks:
    """The statements' fold; ``apply`` is the only writer, ``statement`` the only reader."""

    def __init__(self) -> None:
        self._seen = RecentIds()
        self._by_sponsor: dict[str, dict[str, _Book]] = {}

    def apply(self, event: object) -> bool:
        """Fold one event in; False for a repeat or an event a statement does not use."""
        if not isinstance(event, FundingMovement | CoverageCommitted | CoverageRenewed):
            return False
        if not self._seen.first(event):
            return False
        pledges = self._by_sponsor.setdefault(event.sponsor_id, {})
        book = pledges.get(event.pledge_id)
        if book is None:
            book = pledges[event.pledge_id] = _Book(event.sponsor_id, event.pledge_id, event.region)
        day = event.event_time.date()
        if isinstance(event, FundingMovement):
            sums = book.days.setdefault(day, [0] * len(KINDS))
            slot = _SLOT.get(event.kind)
            if slot is not None:
                sums[slot] += event.amount_idr
            b = event.balances
            book.closing[day] = (b.pledged_idr - b.paid_idr - b.returned_idr, b.runway_months)
        else:
            sex = UNKNOWN if event.sex is None else event.sex.value
            decile = UNKNOWN if event.welfare_decile is None else str(event.welfare_decile)
            groups = (event.district, event.occupation.value, sex, decile)
            book.seats[event.coverage_id] = (day, event.worker, groups)
        return True

    def statement(self, sponsor_id: str, from_date: date, to_date: date) -> Statement:
        """The sponsor's own pledges only: another sponsor's books are never read."""
        books = [b for _, b in sorted(self._by_sponsor.get(sponsor_id, {}).items()) if _began(b, to_date)]
        rows: list[tuple[str, str, StatementFigures]] = []
        every: dict[str, tuple[tuple[date, str], Groups]] = {}
        money = [0] * len(KINDS)
        remaining = runway = seats = 0
        for book in books:
            workers, filled = _workers(book, from_date, to_date)
            figures = _figures(book, from_date, to_date, workers, filled)
            rows.append((book.pledge_id, book.region, figures))
            for worker, latest in workers.items():
                if worker not in every or latest[0] > every[worker][0]:
                    every[worker] = latest
            for i, kind in enumerate(KINDS):
                money[i] += figures.money[kind_field(kind)]
            remaining += figures.remaining_idr
            runway = max(runway, figures.runway_months)
            seats += filled
        total = StatementFigures(
            money={kind_field(k): money[i] for i, k in enumerate(KINDS)}, remaining_idr=remaining,
            runway_months=runway, seats_filled=seats, workers_covered=len(every),
            groups=_tables(g for _, g in every.values()),
        )
        return Statement(sponsor_id, from_date, to_date, rows, total)


def _began(book: _Book, end: date) -> bool:
    """Whether the pledge had a movement or a seat by the range's end: a later pledge is not listed."""
    return any(d <= end for d in book.closing) or any(s[0] <= end for s in book.seats.values())


def _workers(book: _Book, start: date, end: date) -> tuple[dict[str, tuple[tuple[date, str], Groups]], int]:
    """Workers seated in the range with their latest seat's (day, coverage id) and groups; seats filled."""
    workers: dict[str, tuple[tuple[date, str], Groups]] = {}
    filled = 0
    for coverage_id, (day, worker, groups) in book.seats.items():
        if start <= day <= end:
            filled += 1
            when = (day, coverage_id)
            if worker not in workers or when > workers[worker][0]:
                workers[worker] = (when, groups)
    return workers, filled


def _figures(book: _Book, start: date, end: date, workers: dict[str, tuple[tuple[date, str], Groups]],
             filled: int) -> StatementFigures:
    sums = [0] * len(KINDS)
    for day, day_sums in book.days.items():
        if start <= day <= end:
            for i, n in enumerate(day_sums):
                sums[i] += n
    last = max((d for d in book.closing if d <= end), default=None)
    remaining, runway = (0, 0) if last is None else book.closing[last]
    return StatementFigures(
        money={kind_field(k): sums[i] for i, k in enumerate(KINDS)}, remaining_idr=remaining,
        runway_months=runway, seats_filled=filled, workers_covered=len(workers),
        groups=_tables(g for _, g in workers.values()),
    )


def _tables(groups: Iterable[Groups]) -> dict[str, GroupCountsOut]:
    counts: list[dict[str, int]] = [{} for _ in DIMENSIONS]
    for g in groups:
        for i, value in enumerate(g):
            counts[i][value] = counts[i].get(value, 0) + 1
    out: dict[str, GroupCountsOut] = {}
    for name, table in zip(DIMENSIONS, counts, strict=True):
        shown = suppress(dict(sorted(table.items())))
        out[name] = GroupCountsOut(cells=shown.cells, other=shown.other, merged=list(shown.merged),
                                   total=shown.total, threshold=shown.threshold)
    return out
