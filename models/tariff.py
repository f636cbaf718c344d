"""The BPU premium table (BPJS Ketenagakerjaan, workers outside wage employment).

Contributions are monthly, on a declared income tier:

- JKK (work accident): 1% of the declared income (PP 44/2015 Lampiran II as amended,
  last by PP 49/2023);
- JKM (death): Rp 6,800 flat (PP 44/2015);
- JHT (old-age savings, optional for BPU members): 2% (PP 46/2015).

The table is data with an effective-from date, not a formula, because
regulators change amounts, tiers and dates independently: it lives in
``models/data/bpu-tariff.json``, each amount with the sources it was read
from (an amount without one is unsourced, and ``Tier.sourced`` says so), and
a new regulation is a new schedule there; a pledge's seats keep the price
they were committed at, and each month is billed at the schedule in force
then, never above that committed price (``models.matcher.billing``).
``load_tariff`` refuses a file whose rows break the rule the sources state
(JKK 1%, JHT 2% of the row's income), are out of order, or cite a source the
file does not describe: a transcription slip fails at import, not on a bill.

Sponsored workers are put on the lowest tier (docs/domain.md, Money), so matching
only ever reads the first row: Rp 16,800 a month for JKK+JKM, Rp 36,800 with
JHT. Only the two end rows are transcribed, and only the first is sourced
(``models/data/README.md``); an income between them is priced at the highest
listed tier not above it. Transcribe the intermediate rows from the appendix
before pricing self-paying members.

Discounts (``Discount``): PP 50/2025 halves JKK and JKM for BPU members in
given months, for given occupations, unless a state or regional budget
(APBN/APBD) pays. They are dated rules with their sources and how sure each
part is; ``Tariff.sponsored_month`` applies them. The matcher commits a seat
at ``sponsored_premium`` (undiscounted, in force when the pledge opens) and
bills each month at ``sponsored_month`` (in force that month, the worker's
discount): the difference goes back to the pledge's remainder
(``models.matcher.billing``).
"""

from __future__ import annotations

import json
from bisect import bisect_right
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from importlib import resources
from typing import Any

from models.errors import Reason, TariffError
from models.occupations import Occupation
from models.periods import first_day, period_index

__all__ = [
    "BPU_TARIFF",
    "TARIFF_FILE",
    "Discount",
    "Package",
    "Schedule",
    "Source",
    "Tariff",
    "TariffFileError",
    "Tier",
    "load_tariff",
    "sponsored_line",
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
    jkk_sources: tuple[str, ...] = ()
    """Keys of the file's ``sources`` this amount was read from; empty: unsourced."""
    jkm_sources: tuple[str, ...] = ()
    jht_sources: tuple[str, ...] = ()
    note: str = ""

    @property
    def sourced(self) -> bool:
        """Every amount of the row has at least one source."""
        return bool(self.jkk_sources and self.jkm_sources and self.jht_sources)

    def premium(self, package: Package) -> int:
        """Monthly rupiah for ``package`` at this tier."""
        base = self.jkk_idr + self.jkm_idr
        return base + self.jht_idr if package is Package.JKK_JKM_JHT else base


@dataclass(frozen=True, slots=True)
class Source:
    """Where an amount or a rule was read, and what kind of text it is."""

    cite: str
    url: str
    kind: str


@dataclass(frozen=True, slots=True)
class Discount:
    """A dated cut of JKK and JKM (PP 50/2025): who, which months, how much, and how sure."""

    name: str
    percent: int
    from_index: int
    """First month (``models.periods`` index) whose contribution is discounted."""
    until_index: int
    """Last such month, included."""
    occupations: frozenset[Occupation] | None
    """None: every occupation."""
    budget_paid_excluded: bool
    """Not where APBN/APBD pays the contribution."""
    sources: tuple[str, ...]
    certainty: str

    def applies(self, period: int, occupation: Occupation, budget_paid: bool) -> bool:
        """Whether month ``period``'s contribution of such a worker is discounted."""
        if not self.from_index <= period <= self.until_index:
            return False
        if budget_paid and self.budget_paid_excluded:
            return False
        return self.occupations is None or occupation in self.occupations

    def cut(self, tier: Tier) -> int:
        """Rupiah off a month at ``tier``: ``percent`` of JKK+JKM, rounded down (JHT is never cut)."""
        return (tier.jkk_idr + tier.jkm_idr) * self.percent // 100


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
    discounts: tuple[Discount, ...] = ()
    sources: tuple[tuple[str, Source], ...] = ()
    """The file's sources by key (a tuple of pairs: the tariff stays hashable and frozen)."""

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

    def discount_for(self, period: int, occupation: Occupation, budget_paid: bool) -> Discount | None:
        """The first discount that applies to month ``period`` for such a worker, if any."""
        return next((d for d in self.discounts if d.applies(period, occupation, budget_paid)), None)

    def sponsored_premium_for(
        self, package: Package, period: int, occupation: Occupation, budget_paid: bool
    ) -> int:
        """Month ``period``'s premium of a sponsored worker of ``occupation``, any discount applied.

        Discounts do not add up: the first that applies is the cut (PP 50/2025
        has one rate, 50%, for whoever it covers).
        """
        return self.sponsored_month(package, period, occupation, budget_paid=budget_paid)[0]

    def sponsored_month(
        self, package: Package, period: int, occupation: Occupation, *, budget_paid: bool,
        discounts: bool = True,
    ) -> tuple[int, Discount | None]:
        """Month ``period``'s premium of a sponsored worker of ``occupation`` and the discount applied
        (None: none applies, or ``discounts`` is off: a city modelling the tariff without them).

        The schedule is the one in force on the month's first day."""
        tier = self.schedule_on(first_day(period)).tiers[0]
        discount = self.discount_for(period, occupation, budget_paid) if discounts else None
        return tier.premium(package) - (discount.cut(tier) if discount is not None else 0), discount


def sponsored_line(
    tariff: Tariff, package: Package, period: int, occupation: Occupation, committed_idr: int, *,
    discounts: bool = True,
) -> tuple[int, Discount | None]:
    """A sponsored worker's bill line for month ``period`` on a seat committed at ``committed_idr`` a
    month, and the discount applied: the tariff in force that month, never above the committed price.

    The rule the matcher bills by and a quote forecasts with (``models.matcher.billing``). Sponsors'
    money is CSR money, neither APBN nor APBD: the budget-paid exclusion never applies. A dearer
    schedule mid-term is billed at the committed price (the README's limitation)."""
    price, discount = tariff.sponsored_month(
        package, period, occupation, budget_paid=False, discounts=discounts
    )
    return min(price, committed_idr), discount


TARIFF_FILE = "bpu-tariff.json"
"""The tariff's data file in ``models/data`` (its sources in ``models/data/README.md``)."""


class TariffFileError(ValueError):
    """A tariff file that breaks a rule ``load_tariff`` checks; the message names the place."""


def _amount(row: dict[str, Any], field: str, where: str) -> int:
    value = row.get(field)
    if type(value) is not int or value <= 0:
        raise TariffFileError(f"{where}.{field}: a whole, positive number of rupiah is required")
    return value


def _keys(value: object, known: dict[str, Source], where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(k, str) for k in value):
        raise TariffFileError(f"{where}: a list of source keys is required ([] for unsourced)")
    unknown = [k for k in value if k not in known]
    if unknown:
        raise TariffFileError(f"{where}: source {unknown[0]!r} is not in the file's sources")
    return tuple(value)


def _tier(row: dict[str, Any], known: dict[str, Source], where: str) -> Tier:
    income = _amount(row, "declared_income_idr", where)
    tier = Tier(
        declared_income_idr=income,
        jkk_idr=_amount(row, "jkk_idr", where),
        jkm_idr=_amount(row, "jkm_idr", where),
        jht_idr=_amount(row, "jht_idr", where),
        jkk_sources=_keys(row.get("jkk_sources"), known, f"{where}.jkk_sources"),
        jkm_sources=_keys(row.get("jkm_sources"), known, f"{where}.jkm_sources"),
        jht_sources=_keys(row.get("jht_sources"), known, f"{where}.jht_sources"),
        note=str(row.get("note", "")),
    )
    if tier.jkk_idr * 100 != income:
        raise TariffFileError(f"{where}.jkk_idr: {tier.jkk_idr} is not 1% of {income}")
    if tier.jht_idr * 50 != income:
        raise TariffFileError(f"{where}.jht_idr: {tier.jht_idr} is not 2% of {income}")
    return tier


def _discount(row: dict[str, Any], known: dict[str, Source], where: str) -> Discount:
    percent = row.get("percent")
    if type(percent) is not int or not 0 < percent <= 100:
        raise TariffFileError(f"{where}.percent: a whole number from 1 to 100 is required")
    if row.get("programmes") != ["jkk", "jkm"]:
        raise TariffFileError(f"{where}.programmes: only [\"jkk\", \"jkm\"] is modelled (JHT is never cut)")
    try:
        start, end = period_index(row["from_period"]), period_index(row["until_period"])
    except (KeyError, ValueError, TypeError):
        raise TariffFileError(f"{where}: from_period and until_period must be months, YYYY-MM") from None
    if start > end:
        raise TariffFileError(f"{where}: from_period is after until_period")
    names = row.get("occupations")
    try:
        occupations = None if names is None else frozenset(Occupation(n) for n in names)
    except (ValueError, TypeError):
        raise TariffFileError(f"{where}.occupations: names Jaring's occupations (models.occupations) "
                              "or is null for every one") from None
    sources = _keys(row.get("sources"), known, f"{where}.sources")
    if not sources:
        raise TariffFileError(f"{where}.sources: a discount needs at least one source")
    if type(row.get("budget_paid_excluded")) is not bool:
        raise TariffFileError(f"{where}.budget_paid_excluded: true or false is required")
    return Discount(
        name=str(row.get("name", where)), percent=percent, from_index=start, until_index=end,
        occupations=occupations, budget_paid_excluded=row["budget_paid_excluded"], sources=sources,
        certainty=str(row.get("certainty", "")),
    )


def load_tariff(text: str) -> Tariff:
    """The tariff in a ``bpu-tariff.json``-shaped text, checked; else ``TariffFileError`` naming the place."""
    try:
        data = json.loads(text)
        known = {
            key: Source(cite=str(s["cite"]), url=str(s["url"]), kind=str(s["kind"]))
            for key, s in data["sources"].items()
        }
        schedules_data = data["schedules"]
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise TariffFileError(f"not a tariff file ({type(exc).__name__}: {exc})") from None
    schedules: list[Schedule] = []
    for n, s in enumerate(schedules_data):
        where = f"schedules[{n}]"
        try:
            effective = date.fromisoformat(s["effective_from"])
        except (KeyError, ValueError, TypeError):
            raise TariffFileError(f"{where}.effective_from: a date, YYYY-MM-DD, is required") from None
        tiers = tuple(_tier(row, known, f"{where}.tiers[{i}]") for i, row in enumerate(s.get("tiers", [])))
        if not tiers:
            raise TariffFileError(f"{where}.tiers: at least one row is required")
        incomes = [t.declared_income_idr for t in tiers]
        if incomes != sorted(set(incomes)):
            raise TariffFileError(f"{where}.tiers: rows must ascend by declared income, each once")
        if schedules and effective <= schedules[-1].effective_from:
            raise TariffFileError(f"{where}.effective_from: schedules must ascend by date")
        schedules.append(Schedule(effective_from=effective, source=str(s.get("regulation", "")), tiers=tiers))
    if not schedules:
        raise TariffFileError("schedules: at least one schedule is required")
    discounts = tuple(_discount(row, known, f"discounts[{n}]")
                      for n, row in enumerate(data.get("discounts", [])))
    return Tariff(schedules=tuple(schedules), discounts=discounts, sources=tuple(known.items()))


BPU_TARIFF = load_tariff((resources.files("models") / "data" / TARIFF_FILE).read_text(encoding="utf-8"))
"""The tariff the engine uses unless a ``Tariff`` is passed in: ``models/data/bpu-tariff.json``."""
