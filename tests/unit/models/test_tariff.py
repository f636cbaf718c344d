"""The BPU tariff as a dated table."""

from __future__ import annotations

from datetime import date

import pytest

from models.errors import TariffError
from models.tariff import BPU_TARIFF, Package, Schedule, Tariff, Tier

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
