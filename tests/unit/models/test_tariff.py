"""The BPU tariff as a dated table."""

from __future__ import annotations

import json
import tomllib
from datetime import date
from fnmatch import fnmatch
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from models.errors import TariffError
from models.occupations import Occupation
from models.periods import period_index
from models.tariff import (
    BPU_TARIFF,
    TARIFF_FILE,
    Package,
    Schedule,
    Tariff,
    TariffFileError,
    Tier,
    load_tariff,
)

ON = date(2025, 1, 1)


def test_a_sponsored_worker_costs_16_800_a_month_for_jkk_and_jkm() -> None:
    assert BPU_TARIFF.sponsored_premium(Package.JKK_JKM, ON) == 16_800


def test_with_jht_a_sponsored_worker_costs_36_800_a_month() -> None:
    assert BPU_TARIFF.sponsored_premium(Package.JKK_JKM_JHT, ON) == 36_800


def test_kendaris_1500_workers_for_a_year_cost_302_400_000() -> None:
    assert 1_500 * 12 * BPU_TARIFF.sponsored_premium(Package.JKK_JKM, ON) == 302_400_000


def test_the_top_tier_pays_207_000_for_jkk() -> None:
    assert BPU_TARIFF.monthly_premium(Package.JKK_JKM, 20_700_000, ON) == 207_000 + 6_800


def test_an_income_below_the_lowest_tier_pays_the_lowest_tier() -> None:
    assert BPU_TARIFF.monthly_premium(Package.JKK_JKM, 500_000, ON) == 16_800


def test_no_premium_before_the_first_schedule() -> None:
    with pytest.raises(TariffError, match=r"^tariff_not_in_force"):
        BPU_TARIFF.sponsored_premium(Package.JKK_JKM, date(2015, 6, 30))


def test_a_new_schedule_applies_from_its_date_and_not_before() -> None:
    old = BPU_TARIFF.schedules[0]
    new = Schedule(
        effective_from=date(2026, 1, 1),
        source="a hypothetical revision",
        tiers=(Tier(declared_income_idr=1_000_000, jkk_idr=10_000, jkm_idr=8_000, jht_idr=20_000),),
    )
    tariff = Tariff(schedules=(old, new))
    assert tariff.sponsored_premium(Package.JKK_JKM, date(2025, 12, 31)) == 16_800
    assert tariff.sponsored_premium(Package.JKK_JKM, date(2026, 1, 1)) == 18_000

# The data file (issue 19): sources per amount, the loader's checks, the PP 50/2025 discount.

def tariff_data() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((resources.files("models") / "data" / TARIFF_FILE).read_text("utf-8"))
    return data


def test_every_amount_names_its_sources_or_is_marked_unsourced() -> None:
    lowest, top = BPU_TARIFF.schedules[0].tiers
    assert lowest.sourced and lowest.jkk_sources and lowest.jkm_sources and lowest.jht_sources
    assert not top.sourced and top.jkk_sources == () and "Unsourced" in top.note
    sources = dict(BPU_TARIFF.sources)
    assert all(sources[k].url.startswith("https://") for k in lowest.jkk_sources + lowest.jkm_sources)


def test_the_file_gives_the_prices_the_engine_always_had() -> None:
    assert [t.premium(Package.JKK_JKM) for t in BPU_TARIFF.schedules[0].tiers] == [16_800, 213_800]
    assert [t.premium(Package.JKK_JKM_JHT) for t in BPU_TARIFF.schedules[0].tiers] == [36_800, 627_800]


def row(d: dict[str, Any], n: int) -> dict[str, Any]:
    tier: dict[str, Any] = d["schedules"][0]["tiers"][n]
    return tier


@pytest.mark.parametrize(("edit", "message"), [
    (lambda d: row(d, 0).update(jkk_idr=11_000), r"tiers\[0\]\.jkk_idr: 11000 is not 1% of"),
    (lambda d: row(d, 1).update(jht_idr=41_400), r"tiers\[1\]\.jht_idr: 41400 is not 2%"),
    (lambda d: d["schedules"][0]["tiers"].reverse(), r"rows must ascend by declared income"),
    (lambda d: row(d, 0).update(jkm_sources=["nowhere"]), r"'nowhere' is not in the file"),
    (lambda d: row(d, 0).pop("jht_sources"), r"jht_sources: a list of source keys"),
    (lambda d: row(d, 0).update(jkm_idr=6_800.5), r"jkm_idr: a whole, positive number"),
    (lambda d: d["discounts"][0].update(from_period="2027-04"), r"discounts\[0\]: from_period is after"),
    (lambda d: d["discounts"][0].update(occupations=["driver"]), r"discounts\[0\]\.occupations: names"),
    (lambda d: d["discounts"][1].update(sources=[]), r"discounts\[1\]\.sources: a discount needs"),
    (lambda d: d["discounts"][0].update(programmes=["jkk", "jkm", "jht"]), r"JHT is never cut"),
    (lambda d: d["schedules"].append(dict(d["schedules"][0])), r"schedules\[1\].effective_from: .*ascend"),
])
def test_the_loader_refuses_a_slip_and_names_where(edit: Any, message: str) -> None:
    data = tariff_data()
    edit(data)
    with pytest.raises(TariffFileError, match=message):
        load_tariff(json.dumps(data))


JAN_2026, MAR_2026, APR_2026, DEC_2026, MAR_2027 = (
    period_index(p) for p in ("2026-01", "2026-03", "2026-04", "2026-12", "2027-03"))


def premium(period: int, occupation: Occupation, budget_paid: bool = False,
            package: Package = Package.JKK_JKM) -> int:
    return BPU_TARIFF.sponsored_premium_for(package, period, occupation, budget_paid)


def test_the_2026_discount_halves_jkk_and_jkm_for_whom_and_when_the_sources_say() -> None:
    ojek, tailor = Occupation.OJEK_DRIVER, Occupation.TAILOR
    assert [premium(p, ojek) for p in (JAN_2026 - 1, JAN_2026, MAR_2027, MAR_2027 + 1)] == [
        16_800, 8_400, 8_400, 16_800]
    assert [premium(p, tailor) for p in (MAR_2026, APR_2026, DEC_2026, DEC_2026 + 1)] == [
        16_800, 8_400, 8_400, 16_800]
    assert premium(JAN_2026, ojek, package=Package.JKK_JKM_JHT) == 8_400 + 20_000  # JHT is never cut
    assert premium(JAN_2026, ojek, budget_paid=True) == 16_800  # APBN/APBD pays: excluded


@given(st.integers(JAN_2026 - 24, MAR_2027 + 24), st.sampled_from(list(Occupation)), st.booleans(),
       st.sampled_from(list(Package)))
def test_a_month_costs_the_whole_premium_or_8_400_less_when_a_discount_applies(
    period: int, occupation: Occupation, budget_paid: bool, package: Package
) -> None:
    whole = BPU_TARIFF.schedules[0].tiers[0].premium(package)
    paid = premium(period, occupation, budget_paid, package)
    discounted = BPU_TARIFF.discount_for(period, occupation, budget_paid) is not None
    assert paid == (whole - 8_400 if discounted else whole)
    assert not (discounted and budget_paid)
    in_months = (JAN_2026 <= period <= MAR_2027 if occupation is Occupation.OJEK_DRIVER
                 else APR_2026 <= period <= DEC_2026)
    assert discounted == (not budget_paid and in_months)


def test_the_wheel_carries_the_tariff() -> None:
    """Setuptools ships only the package data pyproject names; without it an installed engine cannot price."""
    root = Path(__file__).parents[3]
    config = tomllib.loads((root / "pyproject.toml").read_text())
    patterns = config["tool"]["setuptools"]["package-data"]["models"]
    assert any(fnmatch(f"data/{TARIFF_FILE}", pattern) for pattern in patterns)
