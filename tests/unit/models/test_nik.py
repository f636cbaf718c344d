"""NIK parsing, pseudonyms and masks."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum.exceptions import ValidationError
from stdnum.id import nik as stdnum_nik

from models.errors import NikError
from models.nik import Sex, mask, parse, pseudonym
from models.regions import is_issuing_regency, is_known_province
from tests.unit.factories import KEY, make_nik

TODAY = date(2025, 1, 10)


def test_a_mans_nik_gives_region_birth_date_and_sex() -> None:
    nik = parse("7471011506850001", TODAY)
    assert (nik.regency, nik.district, nik.birth_date, nik.sex, nik.serial) == (
        "74.71",
        "74.71.01",
        date(1985, 6, 15),
        Sex.MALE,
        "0001",
    )


def test_a_womans_nik_has_forty_added_to_the_day() -> None:
    nik = parse("7471015506850001", TODAY)
    assert (nik.birth_date, nik.sex) == (date(1985, 6, 15), Sex.FEMALE)


def test_the_century_is_the_latest_one_not_after_the_reference_date() -> None:
    assert parse(make_nik(birth=date(2005, 1, 1)), TODAY).birth_date == date(2005, 1, 1)
    assert parse(make_nik(birth=date(1930, 1, 1)), TODAY).birth_date == date(1930, 1, 1)


def test_a_birth_day_later_this_century_than_the_reference_is_last_century() -> None:
    assert parse(make_nik(birth=date(1925, 2, 1)), TODAY).birth_date == date(1925, 2, 1)


def test_29_february_00_is_2000_because_1900_was_not_a_leap_year() -> None:
    assert parse("7471012902000001", TODAY).birth_date == date(2000, 2, 29)


def test_a_regency_missing_from_stdnums_table_is_still_accepted() -> None:
    assert parse("7414011506850001", TODAY).regency == "74.14"  # Buton Tengah, created 2014


@pytest.mark.parametrize(
    "number",
    [
        "6571011506850001",  # Kota Tarakan, Kalimantan Utara (2012): stdnum's table has no province 65
        "9601011506850001",  # Kabupaten Sorong, Papua Barat Daya (2022)
        "9301011506850001",  # Kabupaten Merauke, Papua Selatan (2022)
    ],
)
def test_a_nik_from_a_province_newer_than_stdnums_table_is_accepted(number: str) -> None:
    assert parse(number, TODAY).number == number


@pytest.mark.parametrize(
    ("number", "before"),
    [
        ("9201011506850001", "96.01"),  # Sorong, issued before Papua Barat Daya: the NIK keeps 92.01
        ("9101011506850001", "93.01"),  # Merauke, issued before Papua Selatan
        ("7319011506850001", "76"),     # Sulawesi Barat, issued while it was still Sulawesi Selatan
    ],
)
def test_a_nik_issued_under_a_regency_code_retired_by_a_split_is_accepted(number: str, before: str) -> None:
    """A NIK is for life: a province split renumbers the regency, not the people's numbers."""
    nik = parse(number, TODAY)
    assert nik.regency == f"{number[:2]}.{number[2:4]}" != before


def test_separators_people_type_are_ignored() -> None:
    assert parse("7471 0115 0685 0001", TODAY).number == "7471011506850001"


@pytest.mark.parametrize(
    ("number", "code"),
    [
        ("747101150685001", "nik_invalid_length"),
        ("74710115068500011", "nik_invalid_length"),
        ("74710115068500A1", "nik_invalid_format"),
        ("".join(chr(0xFF10 + int(c)) for c in "7471011506850001"), "nik_invalid_format"),  # full-width
        ("9971011506850001", "nik_unknown_region"),
        ("0071011506850001", "nik_unknown_region"),
        ("7499011506850001", "nik_unknown_region"),  # Sulawesi Tenggara has no regency 99
        ("7416011506850001", "nik_unknown_region"),  # nor 16: its regencies run 01-15, then 71-72
        ("7400011506850001", "nik_unknown_region"),
        ("7471013206850001", "nik_invalid_birth_date"),
        ("7471011513850001", "nik_invalid_birth_date"),
        ("7471017206850001", "nik_invalid_birth_date"),
        ("7471013002000001", "nik_invalid_birth_date"),
    ],
)
def test_a_nik_that_does_not_parse_says_why(number: str, code: str) -> None:
    with pytest.raises(NikError) as raised:
        parse(number, TODAY)
    assert raised.value.code == code


def test_the_birth_date_error_names_the_digits() -> None:
    with pytest.raises(NikError, match=r"^nik_invalid_birth_date: digits 7-12 are not a date"):
        parse("7471013206850001", TODAY)


def test_a_pseudonym_is_stable_prefixed_and_hides_the_nik() -> None:
    nik = "7471011506850001"
    first, second = pseudonym(nik, KEY), pseudonym(nik, KEY)
    assert first == second
    assert first.startswith("w_")
    assert len(first) == 26
    assert nik not in first


def test_a_pseudonym_depends_on_the_key() -> None:
    assert pseudonym("7471011506850001", KEY) != pseudonym("7471011506850001", KEY + b"x")


def test_a_pseudonym_ignores_separators() -> None:
    assert pseudonym("7471 0115 0685 0001", KEY) == pseudonym("7471011506850001", KEY)


def test_a_mask_shows_region_and_last_two_digits_only() -> None:
    assert mask("7471015506850012") == "7471**********12"


def test_a_mask_of_something_not_a_nik_shows_nothing() -> None:
    assert mask("12345") == "*****"


births = st.dates(min_value=date(1926, 1, 1), max_value=TODAY)
districts = st.sampled_from(["74.71.01", "74.71.10", "74.01.02", "31.71.01", "11.01.01"])


@given(birth=births, sex=st.sampled_from(Sex), district=districts, serial=st.integers(0, 9999))
def test_a_nik_round_trips_birth_date_sex_and_region(
    birth: date, sex: Sex, district: str, serial: int
) -> None:
    nik = parse(make_nik(birth=birth, sex=sex, district=district, serial=serial), TODAY)
    assert (nik.birth_date, nik.sex, nik.district, int(nik.serial)) == (birth, sex, district, serial)


@given(birth=births, sex=st.sampled_from(Sex), district=districts, serial=st.integers(0, 9999))
def test_every_nik_we_accept_python_stdnum_accepts(birth: date, sex: Sex, district: str, serial: int) -> None:
    number = make_nik(birth=birth, sex=sex, district=district, serial=serial)
    parse(number, TODAY)
    assert stdnum_nik.is_valid(number)


def test_the_regency_error_says_which_digits_to_check() -> None:
    with pytest.raises(NikError, match=r"^nik_unknown_region: digits 3-4 are not a regency or city"):
        parse("7499011506850001", TODAY)


@given(number=st.text(alphabet="0123456789", min_size=16, max_size=16))
def test_parse_reads_dates_as_stdnum_does_and_regions_from_the_tables(number: str) -> None:
    """stdnum decides the date; the region is the province table's and the issuing regencies'.

    stdnum's own region check looks at the province only, in a table without the
    provinces formed since 2012; Jaring checks the regency too, against Kemendagri's.
    """
    try:
        parse(number, TODAY)
        ours = True
    except NikError:
        ours = False
    try:
        stdnum_nik.get_birth_date(number)
        dated = True
    except ValidationError:
        dated = False
    region = is_known_province(number[:2]) and is_issuing_regency(f"{number[:2]}.{number[2:4]}")
    # stdnum reads the day modulo 40, so it takes day 81 as the 1st; a woman's day ends at 71.
    assert ours == (dated and int(number[6:8]) <= 71 and region)


@given(number=st.text(alphabet="0123456789", min_size=16, max_size=16))
def test_a_mask_never_shows_birth_date_digits(number: str) -> None:
    masked = mask(number)
    assert masked[4:14] == "*" * 10
    assert masked[:4] == number[:4]
