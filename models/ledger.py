"""Money: one ledger per pledge, and the dashboard series folded from events.

A pledge's ledger, in integer rupiah, records what was paid, not what was decided:

- ``pledged_idr``: the amount accepted;
- ``committed_idr``: bound to seats (committed or active terms, and ended ones'
  billed months); a cancelled or lapsed term's not-yet-billed money is released
  back out of it, and a month billed below its committed price (a tariff
  discount, a cheaper schedule) gives the difference back (``reprice``);
- ``billed_idr``: bill lines issued for the pledge's active terms, one month each;
- ``paid_idr``: lines a payment paid;
- ``arrears_idr``: lines unpaid after their due date;
- ``written_off_idr``: lines unpaid past the arrears window (a lapse);
- ``returned_idr``: uncommitted money handed back after the pledge expired.

Derived: ``remainder_idr`` (uncommitted) ``= pledged - committed``;
``not_yet_billed_idr = committed - billed``; ``outstanding_idr = billed - paid -
written_off``; ``due_idr = outstanding - arrears``. Invariants after every
operation (docs/domain.md, Funding over time): every one of those is >= 0, and
``returned <= remainder``. An operation that would break one raises
``LedgerError``: that is a bug, never bad input, and the matcher checks money
before it moves it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict

from models.errors import LedgerError
from models.events import (
    ApplicationWaiting,
    CoverageActivated,
    CoverageCancelled,
    CoverageCommitted,
    CoverageEnded,
    CoverageExpired,
    CoverageLapsed,
    CoverageRenewed,
    FundingMovement,
    LedgerBalances,
    LifeEventRecorded,
    OutputEvent,
    pledge_key,
)
from models.trusted import trusted

__all__ = ["Dashboard", "Ledger", "SeriesPoint", "fold"]

_LedgerBalances = trusted(LedgerBalances)
"""``Ledger.balances`` copies a ledger whose methods keep every amount a non-negative integer:
built without a second validation (``models.trusted``)."""


@dataclass(slots=True)
class Ledger:
    """One pledge's money; mutate only through the methods, which keep the invariants.

    Field names are ``PledgeRecord``'s and ``LedgerBalances``'s, so the ledger is
    persisted and published without renaming anything.
    """

    pledged_idr: int = 0
    committed_idr: int = 0
    billed_idr: int = 0
    paid_idr: int = 0
    arrears_idr: int = 0
    written_off_idr: int = 0
    returned_idr: int = 0

    @property
    def remainder_idr(self) -> int:
        """Uncommitted: pledged minus committed."""
        return self.pledged_idr - self.committed_idr

    @property
    def available_idr(self) -> int:
        """What may still be committed: the remainder not yet returned."""
        return self.remainder_idr - self.returned_idr

    @property
    def not_yet_billed_idr(self) -> int:
        return self.committed_idr - self.billed_idr

    @property
    def outstanding_idr(self) -> int:
        """Billed, neither paid nor written off."""
        return self.billed_idr - self.paid_idr - self.written_off_idr

    @property
    def due_idr(self) -> int:
        """Outstanding and not yet past its due date."""
        return self.outstanding_idr - self.arrears_idr

    def _refuse(self, code: str, amount: int, limit: int, what: str) -> None:
        if amount <= 0 or amount > limit:
            raise LedgerError(code, f"cannot {what} {amount}: only {limit} can be")

    def pledge(self, amount: int) -> None:
        """Accept the pledged amount (once, when the pledge is accepted)."""
        if amount <= 0 or self.pledged_idr:
            raise LedgerError("ledger_pledge_invalid", "a ledger is opened once, with a positive amount")
        self.pledged_idr = amount

    def commit(self, amount: int) -> None:
        """Bind a seat's premiums (remainder -> committed)."""
        self._refuse("ledger_overcommit", amount, self.available_idr, "commit")
        self.committed_idr += amount

    def release(self, amount: int) -> None:
        """Unbind a cancelled or lapsed term's not-yet-billed money (committed -> remainder)."""
        self._refuse("ledger_overrelease", amount, self.not_yet_billed_idr, "release")
        self.committed_idr -= amount

    def reprice(self, amount: int) -> None:
        """A month billed below its committed price gives the difference back (committed -> remainder).

        Bounded by what is not yet billed: the month's committed price was, until this close."""
        self._refuse("ledger_overreprice", amount, self.not_yet_billed_idr, "reprice")
        self.committed_idr -= amount

    def bill(self, amount: int) -> None:
        """Bill lines of active terms (not yet billed -> due)."""
        self._refuse("ledger_overbill", amount, self.not_yet_billed_idr, "bill")
        self.billed_idr += amount

    def fall_due(self, amount: int) -> None:
        """Lines unpaid at their due date (due -> in arrears)."""
        self._refuse("ledger_overdue", amount, self.due_idr, "move to arrears")
        self.arrears_idr += amount

    def pay(self, amount: int, *, in_arrears: int) -> None:
        """A payment paid ``amount`` of lines, ``in_arrears`` of it lines past due (-> paid)."""
        self._refuse("ledger_overpay", amount, self.outstanding_idr, "pay")
        if in_arrears < 0 or in_arrears > min(amount, self.arrears_idr) or amount - in_arrears > self.due_idr:
            raise LedgerError(
                "ledger_overpay", f"cannot pay {in_arrears} of arrears out of {self.arrears_idr}"
            )
        self.paid_idr += amount
        self.arrears_idr -= in_arrears

    def write_off(self, amount: int) -> None:
        """Lines past the arrears window (in arrears -> written off)."""
        self._refuse("ledger_overwrite", amount, self.arrears_idr, "write off")
        self.arrears_idr -= amount
        self.written_off_idr += amount

    def return_remainder(self) -> int:
        """Hand back what is not committed; returns the amount (0 when nothing is left)."""
        amount = self.available_idr
        self.returned_idr += amount
        return amount

    def check(self) -> None:
        """Raise ``LedgerError`` if an invariant is broken (for tests and restore)."""
        if not (
            0 <= self.committed_idr <= self.pledged_idr
            and 0 <= self.billed_idr <= self.committed_idr
            and self.paid_idr >= 0
            and self.written_off_idr >= 0
            and 0 <= self.arrears_idr <= self.outstanding_idr
            and 0 <= self.returned_idr <= self.remainder_idr
        ):
            raise LedgerError("ledger_invariant", f"invariant broken: {self}")

    def balances(self, runway_months: int) -> LedgerBalances:
        """The balances as carried on ``FundingMovement``."""
        return _LedgerBalances(
            pledged_idr=self.pledged_idr,
            committed_idr=self.committed_idr,
            billed_idr=self.billed_idr,
            not_yet_billed_idr=self.not_yet_billed_idr,
            paid_idr=self.paid_idr,
            outstanding_idr=self.outstanding_idr,
            due_idr=self.due_idr,
            arrears_idr=self.arrears_idr,
            written_off_idr=self.written_off_idr,
            remainder_idr=self.remainder_idr,
            returned_idr=self.returned_idr,
            runway_months=runway_months,
        )


class SeriesPoint(BaseModel):
    """Levels at the end of a month that saw a change; ``sponsor_id`` None is the whole region.

    Money and seats are per sponsor and summed in the region row; ``waiting``
    is regional (a waiting worker has no sponsor yet), so sponsor rows carry 0.
    Months without changes are absent: carry levels forward. Money levels are
    the sums of the sponsor's pledges' latest balances (``MONEY``).
    """

    model_config = ConfigDict(frozen=True)

    region: str
    sponsor_id: str | None
    period: str
    pledged_idr: int = 0
    committed_idr: int = 0
    billed_idr: int = 0
    paid_idr: int = 0
    due_idr: int = 0
    arrears_idr: int = 0
    written_off_idr: int = 0
    returned_idr: int = 0
    registering: int = 0
    """Seats committed, waiting for BPJS's registration confirmation."""
    covered: int = 0
    lapsed: int = 0
    waiting: int = 0


MONEY = (
    "pledged_idr", "committed_idr", "billed_idr", "paid_idr", "due_idr", "arrears_idr", "written_off_idr",
    "returned_idr",
)
"""The money levels, each a ``LedgerBalances`` field summed over pledges."""

_PLEDGE_ROW = "@"
"""Rows ``(region, "@{pledge key}")`` hold a pledge's latest balances (sponsor ids have no ``@``)."""


class Dashboard:
    """A fold over output events into ``SeriesPoint`` levels, per region and sponsor per month."""

    def __init__(self, levels: Mapping[tuple[str, str | None], Mapping[str, int]] | None = None) -> None:
        """Start empty, or from persisted ``levels()`` (past points need not be reloaded to go on)."""
        self._levels: dict[tuple[str, str | None], dict[str, int]] = {
            row: dict(values) for row, values in (levels or {}).items()
        }
        self._points: dict[tuple[str, str | None, str], SeriesPoint] = {}

    def levels(self) -> dict[tuple[str, str | None], dict[str, int]]:
        """Current levels per (region, sponsor or None, or a pledge's row): all that is needed to carry on."""
        return {row: dict(values) for row, values in self._levels.items()}

    def totals(self, region: str) -> dict[str, int]:
        """The region's current levels (all sponsors together); empty before any event."""
        return dict(self._levels.get((region, None), {}))

    def apply(self, event: OutputEvent) -> list[SeriesPoint]:
        """Account for one event; returns the points it changed. A region's events come in log order."""
        deltas = self._deltas(event)
        changed: list[SeriesPoint] = []
        for sponsor, field, delta in deltas:
            rows = [None] if sponsor is None else [sponsor, None]
            for row in rows:
                levels = self._levels.setdefault((event.region, row), {})
                levels[field] = levels.get(field, 0) + delta
                point = SeriesPoint(region=event.region, sponsor_id=row, period=event.period, **levels)
                self._points[(event.region, row, event.period)] = point
                changed.append(point)
        return changed

    def _deltas(self, event: OutputEvent) -> list[tuple[str | None, str, int]]:
        deltas: list[tuple[str | None, str, int]] = []
        if isinstance(event, FundingMovement):
            row = (event.region, _PLEDGE_ROW + pledge_key(event.sponsor_id, event.pledge_id))
            last = self._levels.setdefault(row, {})
            now = event.balances.model_dump(include=set(MONEY))
            for field in MONEY:
                if now[field] != last.get(field, 0):
                    deltas.append((event.sponsor_id, field, now[field] - last.get(field, 0)))
                last[field] = now[field]
        elif isinstance(event, CoverageCommitted):
            deltas.append((event.sponsor_id, "registering", 1))
            if event.was_waiting:
                deltas.append((None, "waiting", -1))
        elif isinstance(event, CoverageActivated):
            deltas += [(event.sponsor_id, "registering", -1), (event.sponsor_id, "covered", 1)]
        elif isinstance(event, CoverageRenewed):
            deltas.append((event.sponsor_id, "covered", 1))
        elif isinstance(event, CoverageExpired):
            deltas.append((event.sponsor_id, "covered", -1))
            if event.outcome == "waiting":
                deltas.append((None, "waiting", 1))
        elif isinstance(event, CoverageCancelled):
            deltas.append((event.sponsor_id, "registering", -1))
            if event.outcome == "waiting":
                deltas.append((None, "waiting", 1))
        elif isinstance(event, CoverageLapsed):
            deltas += [(event.sponsor_id, "covered", -1), (event.sponsor_id, "lapsed", 1)]
            deltas.append((None, "waiting", 1))
        elif isinstance(event, ApplicationWaiting):
            deltas.append((None, "waiting", 1))
        elif isinstance(event, CoverageEnded):  # a life event: the seat, or the cover, is given up
            deltas.append((event.sponsor_id, "registering" if event.end_period is None else "covered", -1))
        elif isinstance(event, LifeEventRecorded) and _withdrawn(event):
            deltas.append((None, "waiting", -1))
        return deltas

    def series(self) -> list[SeriesPoint]:
        """Every point, ordered by region, region row first then sponsors, then month."""
        order = sorted(self._points, key=lambda k: (k[0], k[1] is not None, k[1] or "", k[2]))
        return [self._points[k] for k in order]


def _withdrawn(event: LifeEventRecorded) -> bool:
    """A waiting worker left the waiting list."""
    return event.outcome == "withdrawn" and event.status == "waiting"


def fold(events: Iterable[OutputEvent]) -> list[SeriesPoint]:
    """The dashboard series for a log of output events."""
    dashboard = Dashboard()
    for event in events:
        dashboard.apply(event)
    return dashboard.series()
