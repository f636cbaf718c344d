"""Kemendagri's area codes: province ``"74"``, regency/city ``"74.71"``, district (kecamatan) ``"74.71.01"``.

Existence and names come from Kemendagri's table, kept as versioned data in
``models/data/wilayah-2025.csv`` (Kepmendagri 300.2.2-2138/2025; its source,
licence, cross-check and refresh are in ``models/data/README.md``): 38
provinces, 514 regencies and cities, 7,285 districts. A code is known when the
table lists it, and only then: events, pledges and the dashboard name places
by these codes, so an unknown one is refused where it enters (``district_unknown``).

A NIK's first four digits are another matter: they name the regency where the
number was *first* issued, and a NIK is for life. When a province splits, its
regencies get new codes and the old ones leave the table (Sorong was 92.01
until Papua Barat Daya was formed; it is 96.01 now), yet people keep NIKs that
begin 9201. So ``is_issuing_regency`` also accepts the regencies retired since
(``models/data/retired-regencies.csv``: the Papua splits of 2022, Kalimantan
Utara of 2012, Sulawesi Barat of 2004) and every code python-stdnum's older
table lists (the table ``stdnum.id.nik`` checks, which lags the splits: it has
no 65, 92, 93, 95 or 96 province at all). Refusing a real person costs them
their cover; accepting a stale code costs nothing, since the stated district,
not the NIK, decides where a worker is served.

The table is read once, on first use, through ``importlib.resources`` (it
ships inside the package); the functions are pure lookups after that.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Annotated

from pydantic import StringConstraints
from stdnum import numdb

__all__ = [
    "RETIRED",
    "WILAYAH",
    "DistrictCode",
    "RegencyCode",
    "district_name",
    "districts_of",
    "is_issuing_regency",
    "is_known_district",
    "is_known_province",
    "is_known_regency",
    "province_name",
    "regency_name",
    "regency_of",
]

WILAYAH = "wilayah-2025.csv"
"""Kemendagri's table in force (``code,name``), under ``models/data``."""
RETIRED = "retired-regencies.csv"
"""Regency codes that left the table but live on in NIKs (``code,now,name,evidence``)."""

RegencyCode = Annotated[str, StringConstraints(pattern=r"^[0-9]{2}\.[0-9]{2}$")]
"""Province + regency/city, ``"74.71"`` (Kota Kendari). Also the Kafka key."""

DistrictCode = Annotated[str, StringConstraints(pattern=r"^[0-9]{2}\.[0-9]{2}\.[0-9]{2}$")]
"""Province + regency/city + district (kecamatan), ``"74.71.01"``."""

_PROVINCE, _REGENCY, _DISTRICT = 2, 5, 8
"""A code's level is its length."""


@dataclass(frozen=True, slots=True)
class _Table:
    names: dict[str, str]
    districts: dict[str, tuple[str, ...]]
    retired: frozenset[str]


def _rows(name: str) -> list[list[str]]:
    text = (resources.files("models") / "data" / name).read_text(encoding="utf-8")
    return list(csv.reader(text.splitlines()))[1:]


@lru_cache(maxsize=1)
def _table() -> _Table:
    names = {code: name for code, name in _rows(WILAYAH)}
    districts: dict[str, list[str]] = {}
    for code in names:
        if len(code) == _DISTRICT:
            districts.setdefault(code[:_REGENCY], []).append(code)
    retired = frozenset(row[0] for row in _rows(RETIRED))
    return _Table(names, {r: tuple(sorted(ds)) for r, ds in districts.items()}, retired)


def _known(code: str, level: int) -> bool:
    return len(code) == level and code in _table().names


def regency_of(district: str) -> str:
    """``"74.71.01"`` → ``"74.71"``."""
    return district[:_REGENCY]


def is_known_province(code: str) -> bool:
    """True when Kemendagri's table lists the province (``"74"``)."""
    return _known(code, _PROVINCE)


def is_known_regency(code: str) -> bool:
    """True when Kemendagri's table lists the regency or city (``"74.71"``)."""
    return _known(code, _REGENCY)


def is_known_district(code: str) -> bool:
    """True when Kemendagri's table lists the district (``"74.71.07"``, Wua-Wua)."""
    return _known(code, _DISTRICT)


def province_name(code: str) -> str | None:
    """``"74"`` → ``"Sulawesi Tenggara"``; None when unknown."""
    return _table().names.get(code) if is_known_province(code) else None


def regency_name(code: str) -> str | None:
    """``"74.71"`` → ``"Kota Kendari"``; None when unknown."""
    return _table().names.get(code) if is_known_regency(code) else None


def district_name(code: str) -> str | None:
    """``"74.71.07"`` → ``"Wua-Wua"``; None when unknown."""
    return _table().names.get(code) if is_known_district(code) else None


def districts_of(regency: str) -> tuple[str, ...]:
    """Every district of the regency, in code order; empty for an unknown regency."""
    return _table().districts.get(regency, ())


def is_issuing_regency(code: str) -> bool:
    """Whether a NIK's digits 1-4 (``"74.71"``) can name where it was first issued.

    A regency in force, one retired since (its code lives on in NIKs), or one
    python-stdnum's table lists; see the module's docstring for why.
    """
    if len(code) != _REGENCY:
        return False
    return code in _table().names or code in _table().retired or _in_stdnum(code)


@lru_cache(maxsize=1024)
def _in_stdnum(code: str) -> bool:
    digits = code.replace(".", "")
    if not digits.isascii() or not digits.isdigit():
        return False
    found = numdb.get("id/loc").info(digits)
    return len(found) > 1 and bool(found[1][1])
