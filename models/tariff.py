"""The BPU premium table (BPJS Ketenagakerjaan, workers outside wage employment).

Contributions are monthly, on a declared income tier:

- JKK (work accident): 1% of the declared income (PP 44/2015 as amended);
- JKM (death): Rp 6,800 flat (PP 44/2015);
- JHT (old-age savings, optional for BPU members): 2% (PP 46/2015).

The tiers run from Rp 1,000,000 (JKK Rp 10,000) to Rp 20,700,000
(JKK Rp 207,000). The table is data with an effective-from date, not a
formula, because regulators change amounts, tiers and dates independently:
a new regulation is a new ``Schedule`` appended to ``BPU_TARIFF``, and old
pledges keep the price they were accepted at.

Sponsored workers are put on the lowest tier (docs/domain.md, Money), so matching
only ever reads the first row: Rp 16,800 a month for JKK+JKM, Rp 36,800 with
JHT. Only the two end rows of the published appendix are transcribed here;
an income between them is priced at the highest listed tier not above it.
Transcribe the intermediate rows from the appendix before pricing
self-paying members.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from models.errors import Reason, TariffError

__all__ = [
    "BPU_TARIFF",
    "Package",
    "Schedule",
    "Tariff",
    "Tier",
]


class Package(StrEnum):
    """What a pledge buys per worker per month."""

    JKK_JKM = "JKK_JKM"
    """Work accident + death: the basic cover Kendari bought."""
    JKK_JKM_JHT = "JKK_JKM_JHT"
    """The same plus old-age savings."""


@dataclass(frozen=True, slots=True)
class Tier:
    """One row of the appendix: monthly rupiah per programme at a declared income."""

    declared_income_idr: int
    jkk_idr: int
    jkm_idr: int
    jht_idr: int

    def premium(self, package: Package) -> int:
        """Monthly rupiah for ``package`` at this tier."""
        base = self.jkk_idr + self.jkm_idr
        return base + self.jht_idr if package is Package.JKK_JKM_JHT else base


@dataclass(frozen=True, slots=True)
class Schedule:
    """A tariff as published: in force from ``effective_from`` until the next schedule."""

    effective_from: date
    source: str
    tiers: tuple[Tier, ...]
    """Ascending by declared income; the first row is the lowest tier."""


@dataclass(frozen=True, slots=True)
class Tariff:
    """Dated schedules, oldest first."""

    schedules: tuple[Schedule, ...]

    def schedule_on(self, on: date) -> Schedule:
        """The schedule in force on ``on``; ``TariffError`` before the first one."""
        starts = [s.effective_from for s in self.schedules]
        at = bisect_right(starts, on)
        if at == 0:
            raise TariffError(
                Reason.TARIFF_NOT_IN_FORCE,
                f"no BPU tariff is in force on {on.isoformat()}; the table starts "
                f"{self.schedules[0].effective_from.isoformat()}",
            )
        return self.schedules[at - 1]

    def monthly_premium(self, package: Package, declared_income_idr: int, on: date) -> int:
        """Monthly premium in rupiah for a declared income on a date.

        An income below the lowest tier is priced at the lowest tier (BPJS
        registers nobody below it); otherwise the highest tier not above it.
        """
        tiers = self.schedule_on(on).tiers
        incomes = [t.declared_income_idr for t in tiers]
        at = max(bisect_right(incomes, declared_income_idr) - 1, 0)
        return tiers[at].premium(package)

    def sponsored_premium(self, package: Package, on: date) -> int:
        """Monthly premium of a sponsored worker: always the lowest tier."""
        return self.schedule_on(on).tiers[0].premium(package)


BPU_TARIFF = Tariff(
    schedules=(
        Schedule(
            effective_from=date(2015, 7, 1),
            source="PP 44/2015 (JKK, JKM) and PP 46/2015 (JHT), BPU appendix; end rows only",
            tiers=(
                Tier(declared_income_idr=1_000_000, jkk_idr=10_000, jkm_idr=6_800, jht_idr=20_000),
                Tier(declared_income_idr=20_700_000, jkk_idr=207_000, jkm_idr=6_800, jht_idr=414_000),
            ),
        ),
    )
)
"""The tariff the engine uses unless a ``Tariff`` is passed in."""
