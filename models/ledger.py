"""Money: one ledger per pledge, and the dashboard series folded from events.

A pledge's ledger, in integer rupiah:

- ``pledged_idr``: the amount accepted;
- ``committed_idr``: seats filled x months x monthly premium, bound to terms;
- ``paid_idr``: premiums that fell due so far (one month per term per tick);
- ``remainder_idr = pledged - committed``: refundable, never spent on cover
  unless a seat is filled from it;
- ``returned_idr``: the part of the remainder handed back to the payer when
  the pledge expired; nothing is committed after that.

Invariants after every operation (docs/domain.md, Funding over time):
``committed + remainder == pledged``, ``paid <= committed``,
``committed <= pledged``, ``returned <= remainder``. An operation that would
break one raises ``LedgerError``: that is a bug, never bad input, and the
matcher checks money before it moves it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict

from models.errors import LedgerError
from models.events import (
    ApplicationWaiting,
    CoverageActivated,
    CoverageExpired,
    CoverageRenewed,
    FundingKind,
    FundingMovement,
    LedgerBalances,
    OutputEvent,
)

__all__ = ["Dashboard", "Ledger", "SeriesPoint", "fold"]


@dataclass(slots=True)
class Ledger:
    """One pledge's money; mutate only through the methods, which keep the invariants.

    Field names are ``PledgeRecord``'s and ``LedgerBalances``'s, so the ledger is
    persisted and published without renaming anything.
    """

    pledged_idr: int = 0
    committed_idr: int = 0
    paid_idr: int = 0
    returned_idr: int = 0

    @property
    def remainder_idr(self) -> int:
        """Refundable: pledged minus committed."""
        return self.pledged_idr - self.committed_idr

    @property
    def available_idr(self) -> int:
        """What may still be committed: the remainder not yet returned."""
        return self.remainder_idr - self.returned_idr

    def pledge(self, amount: int) -> None:
        """Accept the pledged amount (once, when the pledge is accepted)."""
        if amount <= 0 or self.pledged_idr:
            raise LedgerError("ledger_pledge_invalid", "a ledger is opened once, with a positive amount")
        self.pledged_idr = amount

    def commit(self, amount: int) -> None:
        """Bind a term's premiums to a filled seat."""
        if amount <= 0 or amount > self.available_idr:
            raise LedgerError(
                "ledger_overcommit", f"cannot commit {amount}: only {self.available_idr} is available"
            )
        self.committed_idr += amount

    def pay(self, amount: int) -> None:
        """A month's premium fell due and is paid from committed money."""
        if amount <= 0 or self.paid_idr + amount > self.committed_idr:
            raise LedgerError(
                "ledger_overpay", f"cannot pay {amount}: {self.committed_idr - self.paid_idr} unpaid"
            )
        self.paid_idr += amount

    def return_remainder(self) -> int:
        """Hand back what was never committed; returns the amount."""
        amount = self.available_idr
        self.returned_idr += amount
        return amount

    def check(self) -> None:
        """Raise ``LedgerError`` if an invariant is broken (for tests and restore)."""
        if not (
            0 <= self.paid_idr <= self.committed_idr <= self.pledged_idr
            and 0 <= self.returned_idr <= self.remainder_idr
        ):
            raise LedgerError("ledger_invariant", f"invariant broken: {self}")

    def balances(self, runway_months: int) -> LedgerBalances:
        """The balances as carried on ``FundingMovement``."""
        return LedgerBalances(
            pledged_idr=self.pledged_idr,
            committed_idr=self.committed_idr,
            paid_idr=self.paid_idr,
            remainder_idr=self.remainder_idr,
            returned_idr=self.returned_idr,
            runway_months=runway_months,
        )


class SeriesPoint(BaseModel):
    """Levels at the end of a month that saw a change; ``sponsor_id`` None is the whole region.

    Money and ``covered`` are per sponsor and summed in the region row;
    ``waiting`` is regional (a waiting worker has no sponsor yet), so sponsor
    rows carry 0. Months without changes are absent: carry levels forward.
    """

    model_config = ConfigDict(frozen=True)

    region: str
    sponsor_id: str | None
    period: str
    pledged_idr: int = 0
    committed_idr: int = 0
    paid_idr: int = 0
    returned_idr: int = 0
    covered: int = 0
    waiting: int = 0


_MONEY_FIELD = {
    FundingKind.PLEDGED: "pledged_idr",
    FundingKind.COMMITTED: "committed_idr",
    FundingKind.PREMIUM_PAID: "paid_idr",
    FundingKind.RETURNED: "returned_idr",
}


class Dashboard:
    """A fold over output events into ``SeriesPoint`` levels, per region and sponsor per month."""

    def __init__(self, levels: Mapping[tuple[str, str | None], Mapping[str, int]] | None = None) -> None:
        """Start empty, or from persisted ``levels()`` (past points need not be reloaded to go on)."""
        self._levels: dict[tuple[str, str | None], dict[str, int]] = {
            row: dict(values) for row, values in (levels or {}).items()
        }
        self._points: dict[tuple[str, str | None, str], SeriesPoint] = {}

    def levels(self) -> dict[tuple[str, str | None], dict[str, int]]:
        """Current levels per (region, sponsor or None): all that is needed to carry on folding."""
        return {row: dict(values) for row, values in self._levels.items()}

    def totals(self, region: str) -> dict[str, int]:
        """The region's current levels (all sponsors together); empty before any event."""
        return dict(self._levels.get((region, None), {}))

    def apply(self, event: OutputEvent) -> list[SeriesPoint]:
        """Account for one event; returns the points it changed. A region's events come in log order."""
        deltas: list[tuple[str | None, str, int]] = []
        if isinstance(event, FundingMovement):
            field = _MONEY_FIELD.get(event.kind)
            if field is not None:
                deltas.append((event.sponsor_id, field, event.amount_idr))
        elif isinstance(event, CoverageActivated):
            deltas.append((event.sponsor_id, "covered", 1))
            if event.was_waiting:
                deltas.append((None, "waiting", -1))
        elif isinstance(event, CoverageRenewed):
            deltas.append((event.sponsor_id, "covered", 1))
        elif isinstance(event, CoverageExpired):
            deltas.append((event.sponsor_id, "covered", -1))
            if event.outcome == "waiting":
                deltas.append((None, "waiting", 1))
        elif isinstance(event, ApplicationWaiting):
            deltas.append((None, "waiting", 1))
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

    def series(self) -> list[SeriesPoint]:
        """Every point, ordered by region, region row first then sponsors, then month."""
        order = sorted(self._points, key=lambda k: (k[0], k[1] is not None, k[1] or "", k[2]))
        return [self._points[k] for k in order]


def fold(events: Iterable[OutputEvent]) -> list[SeriesPoint]:
    """The dashboard series for a log of output events."""
    dashboard = Dashboard()
    for event in events:
        dashboard.apply(event)
    return dashboard.series()
