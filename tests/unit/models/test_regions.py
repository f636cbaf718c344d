"""Kemendagri's area table as ``models.regions`` reads it (``models/data/``, provenance in its README)."""

from __future__ import annotations

import csv
import tomllib
from fnmatch import fnmatch
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum import numdb

from models.regions import (
    RETIRED,
    WILAYAH,
    district_name,
    districts_of,
    is_issuing_regency,
    is_known_district,
    is_known_province,
    is_known_regency,
    province_name,
    regency_name,
)

ROOT = Path(__file__).parents[3]
DATA = ROOT / "models" / "data"


def _read(name: str) -> list[dict[str, str]]:
    """The file as a person would read it, independently of ``models.regions``."""
    with (DATA / name).open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


TABLE = {row["code"]: row["name"] for row in _read(WILAYAH)}
RETIRED_ROWS = _read(RETIRED)

# Kota Kendari's districts as both sources read have them (idn-area-data 4.0.1 and cahyadsn/wilayah).
KENDARI = {
    "74.71.01": "Mandonga", "74.71.02": "Kendari", "74.71.03": "Baruga", "74.71.04": "Poasia",
    "74.71.05": "Kendari Barat", "74.71.06": "Abeli", "74.71.07": "Wua-Wua", "74.71.08": "Kadia",
    "74.71.09": "Puuwatu", "74.71.10": "Kambu", "74.71.11": "Nambo",
}


def test_kendari_has_exactly_its_eleven_districts_with_their_names() -> None:
    assert districts_of("74.71") == tuple(sorted(KENDARI))
    assert {code: district_name(code) for code in districts_of("74.71")} == KENDARI
    assert (regency_name("74.71"), province_name("74")) == ("Kota Kendari", "Sulawesi Tenggara")


def test_the_table_holds_every_province_regency_and_district_of_the_decree() -> None:
    levels = [len(code) for code in TABLE]
    assert (levels.count(2), levels.count(5), levels.count(8)) == (38, 514, 7_285)


def test_every_code_sits_under_a_parent_the_table_knows() -> None:
    for code in TABLE:
        if len(code) == 8:
            assert is_known_regency(code[:5]), code
        if len(code) == 5:
            assert is_known_province(code[:2]), code


@pytest.mark.parametrize(
    "code",
    ["74.71.12", "74.71.00", "74.99.01", "00.00.01", "74.71.1", "74.71.07\n", " 74.71.07", "74.71.07 ",
     "74,71,07", "७४.७१.०७", "74.71", "74"],
)
def test_a_code_the_table_lacks_is_no_district(code: str) -> None:
    assert not is_known_district(code)
    assert district_name(code) is None


@pytest.mark.parametrize("code", ["74.72", "74.15", "65.71", "96.01"])
def test_regencies_formed_by_recent_splits_are_known(code: str) -> None:
    assert is_known_regency(code) and is_issuing_regency(code)


@pytest.mark.parametrize("code", ["74.99", "74.16", "74.73", "00.00", "74.71\n", "74.7", "7471", "92.01"])
def test_a_code_the_table_lacks_is_no_regency(code: str) -> None:
    assert not is_known_regency(code)
    assert regency_name(code) is None
    assert districts_of(code) == ()


district_codes = st.from_regex(r"\A[0-9]{2}\.[0-9]{2}\.[0-9]{2}\Z")
near_kendari = st.integers(0, 99).map(lambda n: f"74.71.{n:02d}")


@given(code=district_codes | near_kendari | st.sampled_from(sorted(TABLE)) | st.text(max_size=10))
def test_only_the_tables_district_codes_are_districts(code: str) -> None:
    assert is_known_district(code) == (len(code) == 8 and code in TABLE)


@given(code=st.from_regex(r"\A[0-9]{2}\.[0-9]{2}\Z") | st.sampled_from(sorted(TABLE)) | st.text(max_size=6))
def test_only_the_tables_regency_codes_are_regencies(code: str) -> None:
    assert is_known_regency(code) == (len(code) == 5 and code in TABLE)


def test_each_retired_regency_left_the_table_for_one_it_still_has() -> None:
    assert len(RETIRED_ROWS) == 36
    for row in RETIRED_ROWS:
        assert not is_known_regency(row["code"]), row
        assert row["now"] in TABLE, row  # a regency (Papua 2022) or a province (2004, 2012)
        assert row["name"] in ("", TABLE[row["now"]]), row
        assert is_issuing_regency(row["code"]), row


def _stdnum_lists(code: str) -> bool:
    found = numdb.get("id/loc").info(code.replace(".", ""))
    return len(found) > 1 and bool(found[1][1])


@given(code=st.from_regex(r"\A[0-9]{2}\.[0-9]{2}\Z"))
def test_a_nik_may_name_a_regency_in_force_retired_or_in_stdnums_older_table_and_no_other(code: str) -> None:
    retired = {row["code"] for row in RETIRED_ROWS}
    assert is_issuing_regency(code) == (code in TABLE or code in retired or _stdnum_lists(code))


def test_the_wheel_carries_the_table() -> None:
    """Setuptools ships only the package data pyproject names; without it an installed engine has no table."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    patterns = config["tool"]["setuptools"]["package-data"]["models"]
    for name in (WILAYAH, RETIRED):
        assert any(fnmatch(f"data/{name}", pattern) for pattern in patterns), name
