"""NIK parsing, pseudonyms and masks."""

from __future__ import annotations

from datetime import date

import pytest
from factories import KEY, make_nik
from hypothesis import given
from hypothesis import strategies as st
from stdnum.id import nik as stdnum_nik

from models.errors import NikError
from models.nik import Sex, mask, parse, pseudonym

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


@given(number=st.text(alphabet="0123456789", min_size=16, max_size=16))
def test_parse_agrees_with_stdnum_except_that_days_above_71_are_refused(number: str) -> None:
    try:
        parse(number, TODAY)
        ours = True
    except NikError:
        ours = False
    # stdnum reads the day modulo 40, so it takes day 81 as the 1st; a woman's day ends at 71.
    assert ours == (stdnum_nik.is_valid(number) and int(number[6:8]) <= 71)


@given(number=st.text(alphabet="0123456789", min_size=16, max_size=16))
def test_a_mask_never_shows_birth_date_digits(number: str) -> None:
    masked = mask(number)
    assert masked[4:14] == "*" * 10
    assert masked[:4] == number[:4]
