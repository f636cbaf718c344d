"""The month calendar and BPS region codes."""

from __future__ import annotations

from datetime import UTC, date, datetime

from hypothesis import given
from hypothesis import strategies as st

from models.periods import first_day, last_day, period_index, period_name, period_of
from models.regions import is_known_province, is_known_regency, regency_name, regency_of


@given(index=st.integers(min_value=2000 * 12, max_value=2100 * 12))
def test_a_period_name_round_trips_its_index(index: int) -> None:
    assert period_index(period_name(index)) == index


def test_december_is_followed_by_january() -> None:
    assert period_name(period_index("2025-12") + 1) == "2026-01"


def test_a_moment_falls_in_its_utc_month() -> None:
    assert period_name(period_of(datetime(2025, 1, 31, 23, 59, tzinfo=UTC))) == "2025-01"


def test_first_and_last_days_bound_a_month() -> None:
    feb = period_index("2024-02")
    assert (first_day(feb), last_day(feb)) == (date(2024, 2, 1), date(2024, 2, 29))


def test_kendari_is_74_71_in_sulawesi_tenggara() -> None:
    assert regency_name("74.71") == "Kota Kendari"
    assert is_known_regency("74.71")
    assert is_known_province("74")


def test_an_unknown_code_has_no_name() -> None:
    assert regency_name("74.99") is None
    assert regency_name("nonsense") is None
    assert not is_known_province("99")


def test_a_district_belongs_to_the_regency_in_its_first_five_characters() -> None:
    assert regency_of("74.71.01") == "74.71"
