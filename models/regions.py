"""BPS region codes: regency/city ``"74.71"`` and district ``"74.71.01"``.

Codes follow Kemendagri's administrative numbering (the first 6 digits of a
NIK use the same scheme). Names come from python-stdnum's ``id/loc`` table
(province and regency level). Its regency list lags the splits of the last
decade (Sulawesi Tenggara's 74.11-74.15, created 2013-2014, are missing), so
only a province is ever *required* to be known; regency names are a
convenience. It has no districts at all: a district is a code, valid when it
sits under its regency.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Annotated

from pydantic import StringConstraints
from stdnum import numdb

__all__ = [
    "DistrictCode",
    "RegencyCode",
    "is_known_province",
    "is_known_regency",
    "regency_name",
    "regency_of",
]

RegencyCode = Annotated[str, StringConstraints(pattern=r"^[0-9]{2}\.[0-9]{2}$")]
"""Province + regency/city, ``"74.71"`` (Kota Kendari). Also the Kafka key."""

DistrictCode = Annotated[str, StringConstraints(pattern=r"^[0-9]{2}\.[0-9]{2}\.[0-9]{2}$")]
"""Province + regency/city + district (kecamatan), ``"74.71.01"``."""


def regency_of(district: str) -> str:
    """``"74.71.01"`` → ``"74.71"``."""
    return district[:5]


@lru_cache(maxsize=1024)
def _lookup(digits: str) -> tuple[str | None, str | None]:
    """(province name, regency name) for 4 digits, from stdnum's table."""
    found = numdb.get("id/loc").info(digits)
    province = found[0][1].get("name_id") if found and found[0][1] else None
    regency = found[1][1].get("name_id") if len(found) > 1 and found[1][1] else None
    return province, regency


def is_known_province(code: str) -> bool:
    """True when stdnum's table lists the province (``"74"``)."""
    return len(code) == 2 and code.isdigit() and _lookup(code + "00")[0] is not None


def is_known_regency(code: str) -> bool:
    """True when stdnum's table lists the regency/city (``"74.71"`` or ``"7471"``)."""
    digits = code.replace(".", "")
    return len(digits) == 4 and digits.isdigit() and _lookup(digits)[1] is not None


def regency_name(code: str) -> str | None:
    """``"74.71"`` → ``"KENDARI"``; None when unknown."""
    digits = code.replace(".", "")
    if len(digits) != 4 or not digits.isdigit():
        return None
    return _lookup(digits)[1]
