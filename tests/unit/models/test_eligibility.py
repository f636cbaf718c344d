"""The city's admission rules: one test per rule, each changing one thing."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from pydantic import ValidationError

from models.eligibility import KENDARI, CityPolicy, PledgeTerms, Rejection, check_application, check_pledge
from models.errors import Reason
from models.events import Targeting
from models.nik import Nik, Sex
from models.occupations import Occupation
from models.periods import period_index
from models.tariff import BPU_TARIFF, Package
from tests.unit.factories import application, make_nik, pledge

JAN = period_index("2025-01")


def reason(result: object) -> Reason | None:
    return result.reason if isinstance(result, Rejection) else None


def test_a_valid_application_returns_the_parsed_nik() -> None:
    assert isinstance(check_application(application(), KENDARI), Nik)


def test_an_invalid_nik_is_rejected_with_the_nik_reason() -> None:
    assert reason(check_application(application(nik="123"), KENDARI)) == Reason.NIK_INVALID_LENGTH


def test_a_nik_whose_birth_date_differs_from_the_stated_one_is_rejected() -> None:
    app = application(nik=make_nik(birth=date(1985, 6, 16)))
    assert reason(check_application(app, KENDARI)) == Reason.NIK_BIRTH_DATE_MISMATCH


def test_a_nik_whose_sex_differs_from_the_stated_one_is_rejected() -> None:
    app = application(nik=make_nik(sex=Sex.FEMALE))
    assert reason(check_application(app, KENDARI)) == Reason.NIK_SEX_MISMATCH


def test_a_nik_issued_elsewhere_is_fine_the_stated_district_decides() -> None:
    app = application(nik=make_nik(district="31.71.01"))
    assert isinstance(check_application(app, KENDARI), Nik)


def test_a_district_outside_its_regency_is_rejected() -> None:
    assert (
        reason(check_application(application(district="74.01.01"), KENDARI)) == Reason.DISTRICT_NOT_IN_REGENCY
    )


def test_a_regency_the_city_does_not_serve_is_rejected() -> None:
    app = application(regency="74.72", district="74.72.01")
    assert reason(check_application(app, KENDARI)) == Reason.OUTSIDE_SERVED_AREA


def test_a_city_may_serve_only_some_districts() -> None:
    policy = CityPolicy(served_districts=("74.71.02",))
    assert reason(check_application(application(), policy)) == Reason.OUTSIDE_SERVED_AREA


def test_an_applicant_turning_18_on_the_application_day_is_admitted() -> None:
    app = application(birth_date=date(2007, 1, 10), nik=make_nik(birth=date(2007, 1, 10)))
    assert isinstance(check_application(app, KENDARI), Nik)


def test_an_applicant_under_18_is_rejected() -> None:
    app = application(birth_date=date(2007, 1, 11), nik=make_nik(birth=date(2007, 1, 11)))
    assert reason(check_application(app, KENDARI)) == Reason.AGE_BELOW_MINIMUM


def test_an_applicant_aged_65_is_admitted_and_66_is_not() -> None:
    app65 = application(birth_date=date(1959, 1, 11), nik=make_nik(birth=date(1959, 1, 11)))
    app66 = application(birth_date=date(1959, 1, 10), nik=make_nik(birth=date(1959, 1, 10)))
    assert isinstance(check_application(app65, KENDARI), Nik)
    assert reason(check_application(app66, KENDARI)) == Reason.AGE_ABOVE_MAXIMUM


def test_age_is_counted_on_the_local_date_in_kendari() -> None:
    # 2025-01-09 17:00 UTC is already 10 January in Kendari (UTC+8): the 18th birthday.
    app = application(
        birth_date=date(2007, 1, 10),
        nik=make_nik(birth=date(2007, 1, 10)),
        submitted_at=datetime(2025, 1, 9, 17, 0, tzinfo=UTC),
    )
    assert isinstance(check_application(app, KENDARI), Nik)


def test_an_active_member_is_not_sponsored_twice() -> None:
    assert reason(check_application(application(already_covered=True), KENDARI)) == Reason.ALREADY_COVERED


def test_a_decile_above_the_citys_limit_is_rejected() -> None:
    assert (
        reason(check_application(application(welfare_decile=6), KENDARI)) == Reason.WELFARE_DECILE_ABOVE_LIMIT
    )


def test_an_unknown_decile_is_admitted_by_default() -> None:
    assert isinstance(check_application(application(welfare_decile=None), KENDARI), Nik)


def test_a_city_may_refuse_unknown_deciles() -> None:
    policy = CityPolicy(admit_unknown_decile=False)
    assert (
        reason(check_application(application(welfare_decile=None), policy)) == Reason.WELFARE_DECILE_UNKNOWN
    )


def test_a_city_may_list_the_occupations_it_sponsors() -> None:
    policy = CityPolicy(occupations=(Occupation.FISHER,))
    assert reason(check_application(application(), policy)) == Reason.OCCUPATION_NOT_SERVED


def test_a_policy_with_served_districts_outside_its_regencies_is_refused() -> None:
    with pytest.raises(ValidationError):
        CityPolicy(served_districts=("73.71.01",))


def test_every_rejection_message_is_a_sentence_not_a_code() -> None:
    result = check_application(application(welfare_decile=9), KENDARI)
    assert isinstance(result, Rejection)
    assert " " in result.message


# ---------------------------------------------------------------- pledges


def terms(**overrides: object) -> PledgeTerms | Rejection:
    return check_pledge(pledge(**overrides), KENDARI, BPU_TARIFF, JAN)


def test_a_pledge_for_ten_workers_a_year_has_ten_seats_and_no_remainder() -> None:
    t = terms()
    assert isinstance(t, PledgeTerms)
    assert (t.seats, t.seat_cost_idr, t.capacity_idr, t.remainder_idr) == (10, 201_600, 2_016_000, 0)


def test_seats_are_floored_and_the_rest_is_a_remainder() -> None:
    t = terms(amount_idr=1_000_000)
    assert isinstance(t, PledgeTerms)
    assert (t.seats, t.remainder_idr) == (4, 1_000_000 - 4 * 201_600)


def test_max_workers_caps_the_seats() -> None:
    t = terms(max_workers=3)
    assert isinstance(t, PledgeTerms)
    assert (t.seats, t.remainder_idr) == (3, 2_016_000 - 3 * 201_600)


def test_jht_seats_cost_36_800_a_month() -> None:
    t = terms(package=Package.JKK_JKM_JHT)
    assert isinstance(t, PledgeTerms)
    assert t.seat_cost_idr == 36_800 * 12


def test_a_pledge_below_one_seat_is_rejected() -> None:
    assert reason(terms(amount_idr=201_599)) == Reason.PLEDGE_BELOW_ONE_SEAT


@pytest.mark.parametrize("months", [2, 5, 24])
def test_months_outside_1_3_6_12_are_rejected(months: int) -> None:
    assert reason(terms(months=months)) == Reason.PLEDGE_MONTHS_NOT_ALLOWED


def test_a_validity_window_ending_before_it_starts_is_rejected() -> None:
    assert reason(terms(valid_from=date(2025, 6, 1), valid_until=date(2025, 5, 31))) == (
        Reason.PLEDGE_VALIDITY_INVALID
    )


def test_a_validity_window_that_ended_before_this_month_is_rejected() -> None:
    assert reason(terms(valid_from=date(2024, 1, 1), valid_until=date(2024, 12, 31))) == (
        Reason.PLEDGE_VALIDITY_ENDED
    )


def test_a_pledge_valid_from_a_later_month_opens_then() -> None:
    t = terms(valid_from=date(2025, 3, 15))
    assert isinstance(t, PledgeTerms)
    assert t.opens_index == period_index("2025-03")


def test_an_empty_targeting_list_is_rejected() -> None:
    assert reason(terms(targeting=Targeting(occupations=()))) == Reason.PLEDGE_TARGETING_EMPTY


def test_targeting_a_district_of_another_regency_is_rejected() -> None:
    assert reason(terms(targeting=Targeting(districts=("74.72.01",)))) == (
        Reason.PLEDGE_TARGETING_OUTSIDE_REGION
    )


def test_a_pledge_for_a_region_the_city_does_not_serve_is_rejected() -> None:
    assert reason(terms(region="74.72")) == Reason.OUTSIDE_SERVED_AREA


def test_targeting_only_occupations_the_city_does_not_sponsor_is_rejected() -> None:
    policy = CityPolicy(occupations=(Occupation.FISHER,))
    t = check_pledge(pledge(targeting=Targeting(occupations=(Occupation.TAILOR,))), policy, BPU_TARIFF, JAN)
    assert reason(t) == Reason.PLEDGE_TARGETING_UNSERVED
