"""Intake against Kemendagri's table: unknown districts and NIK regions are refused, retired ones are not."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from models.eligibility import KENDARI, CityPolicy, PledgeTerms, Rejection, check_application, check_pledge
from models.errors import Reason
from models.events import Targeting
from models.nik import Nik
from models.periods import period_index
from models.regions import districts_of, is_known_district, regency_of
from models.tariff import BPU_TARIFF
from tests.unit.factories import application, make_nik, pledge

JAN = period_index("2025-01")


def reason(result: object) -> Reason | None:
    return result.reason if isinstance(result, Rejection) else None


def test_a_district_kendari_does_not_have_is_refused_with_its_own_reason() -> None:
    result = check_application(application(district="74.71.12"), KENDARI)  # Kendari has 11
    assert reason(result) == Reason.DISTRICT_UNKNOWN
    assert isinstance(result, Rejection) and "74.71.12" in result.message


def test_an_application_for_a_region_that_does_not_exist_is_refused_as_unknown() -> None:
    result = check_application(application(regency="00.00", district="00.00.01"), KENDARI)
    assert reason(result) == Reason.DISTRICT_UNKNOWN


def test_a_district_of_another_regency_is_still_named_as_such() -> None:
    result = check_application(application(district="74.72.01"), KENDARI)
    assert reason(result) == Reason.DISTRICT_NOT_IN_REGENCY


def test_every_district_of_kendari_is_admitted() -> None:
    for district in districts_of("74.71"):
        assert isinstance(check_application(application(district=district), KENDARI), Nik), district


def test_a_nik_whose_regency_does_not_exist_is_refused() -> None:
    app = application(nik=make_nik(district="74.99.01"))  # Sulawesi Tenggara has no regency 99
    assert reason(check_application(app, KENDARI)) == Reason.NIK_UNKNOWN_REGION


def test_a_nik_whose_province_does_not_exist_is_refused() -> None:
    app = application(nik=make_nik(district="99.71.01"))
    assert reason(check_application(app, KENDARI)) == Reason.NIK_UNKNOWN_REGION


@pytest.mark.parametrize("issued", ["92.01.01", "65.71.01", "76.02.01", "73.19.01"])
def test_a_worker_whose_nik_predates_a_split_or_comes_from_a_new_province_is_admitted(issued: str) -> None:
    """Sorong before Papua Barat Daya, Tarakan (Kalimantan Utara), Mamuju, and Mamuju before 2004."""
    app = application(nik=make_nik(district=issued))
    assert isinstance(check_application(app, KENDARI), Nik)


@given(district=st.integers(0, 99).map(lambda n: f"74.71.{n:02d}")
       | st.from_regex(r"\A[0-9]{2}\.[0-9]{2}\.[0-9]{2}\Z")
       | st.sampled_from(["74.01.01", "31.71.01", "96.01.01"]))
def test_only_districts_in_the_table_get_past_the_area_rule(district: str) -> None:
    result = check_application(application(regency=regency_of(district), district=district), KENDARI)
    if not is_known_district(district):
        assert reason(result) == Reason.DISTRICT_UNKNOWN
    elif regency_of(district) == "74.71":
        assert isinstance(result, Nik)
    else:
        assert reason(result) == Reason.OUTSIDE_SERVED_AREA


# ---------------------------------------------------------------- pledges


def terms(**overrides: object) -> PledgeTerms | Rejection:
    return check_pledge(pledge(**overrides), KENDARI, BPU_TARIFF, JAN)


def test_a_pledge_targeting_a_district_that_does_not_exist_is_refused() -> None:
    result = terms(targeting=Targeting(districts=("74.71.01", "74.71.12")))
    assert reason(result) == Reason.DISTRICT_UNKNOWN
    assert isinstance(result, Rejection) and "74.71.12" in result.message


def test_a_pledge_targeting_real_districts_is_accepted() -> None:
    assert isinstance(terms(targeting=Targeting(districts=("74.71.07", "74.71.11"))), PledgeTerms)


# ---------------------------------------------------------------- the policy itself


@pytest.mark.parametrize(
    "fields",
    [
        {"served_regencies": ("74.99",)},
        {"served_regencies": ("00.00",)},
        {"served_regencies": ()},
        {"served_districts": ("74.71.12",)},
    ],
)
def test_a_policy_naming_a_place_that_does_not_exist_is_refused(fields: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        CityPolicy.model_validate(fields)


def test_a_policy_of_real_places_is_taken() -> None:
    policy = CityPolicy(served_regencies=("74.71", "74.72"), served_districts=("74.71.07", "74.72.01"))
    assert policy.serves("74.72.01") and not policy.serves("74.71.01")
    assert isinstance(check_application(application(district="74.71.07"), policy), Nik)
