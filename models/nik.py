"""The NIK (Nomor Induk Kependudukan): parse, pseudonymise, mask.

Layout, 16 digits ``PPRRSSDDMMYYNNNN``: province, regency/city and district
where the number was first issued, birth date ``DDMMYY`` with 40 added to the
day for women, then a 4-digit serial. There is no check digit and the year has
two digits, so the century is the latest one that puts the birth on or before
the reference date (the application date): a NIK cannot belong to someone not
yet born, and nobody enrolling for work insurance is over a hundred.

The issuing region is *not* where the worker lives now: the application's
stated district decides which region serves them (docs/domain.md, Workers). It is
checked down to the regency: the province must be in Kemendagri's table and
the regency must be one a NIK can carry (``models.regions.is_issuing_regency``:
in force, retired by a split since, or in python-stdnum's older table), so
``7499...`` (Sulawesi Tenggara has no regency 99) is refused while a Sorong
NIK from before Papua Barat Daya (``9201...``) is not. The district digits are
not checked: districts are split and renumbered far more often than regencies,
the table holds only today's, and a stale one would refuse a real person while
deciding nothing (the stated district is checked instead, strictly).

A NIK and a name are personal data under UU 27/2022 (personal data
protection). A NIK also has little entropy (region, birth date, sex, serial),
so a plain hash of it is reversible by enumeration: ``pseudonym`` is a keyed
HMAC, and ``mask`` never shows the birth-date digits.
"""

from __future__ import annotations

import hmac
from datetime import date
from enum import StrEnum
from typing import NamedTuple

from models.errors import NikError, Reason
from models.regions import is_issuing_regency, is_known_province

__all__ = [
    "PSEUDONYM_PREFIX",
    "Nik",
    "Sex",
    "mask",
    "parse",
    "pseudonym",
]

PSEUDONYM_PREFIX = "w_"
_PSEUDONYM_HEX_CHARS = 24  # 96 bits: no collision in any population Indonesia has
_FEMALE_DAY_OFFSET = 40
_SEPARATORS = str.maketrans("", "", " -.")


def _compact(number: str) -> str:
    """Strip typed separators, as ``stdnum.id.nik.compact`` does, minus its per-character cost."""
    return number.translate(_SEPARATORS).strip()


class Sex(StrEnum):
    """Sex as recorded on the KTP, which the NIK's day digits also encode."""

    FEMALE = "F"
    MALE = "M"


class Nik(NamedTuple):
    """A parsed, valid NIK. Hold it briefly: it is personal data."""

    number: str
    regency: str
    """Issuing regency/city, ``"74.71"``: not necessarily where the worker lives."""
    district: str
    """Issuing district, ``"74.71.01"``."""
    birth_date: date
    sex: Sex
    serial: str


def parse(number: str, reference: date) -> Nik:
    """Validate a NIK and read it; ``reference`` (the application date) picks the century.

    Raises ``NikError`` with code ``nik_invalid_length``, ``nik_invalid_format``,
    ``nik_unknown_region`` (a province not in Kemendagri's table, or a regency
    no NIK can carry, see ``models.regions.is_issuing_regency``) or
    ``nik_invalid_birth_date``.
    """
    digits = _compact(number)
    if not digits.isascii() or not digits.isdigit():
        raise NikError(Reason.NIK_INVALID_FORMAT, "a NIK is 16 digits and nothing else; check for letters")
    if len(digits) != 16:
        raise NikError(Reason.NIK_INVALID_LENGTH, f"a NIK has 16 digits, this one has {len(digits)}")
    if not is_known_province(digits[:2]):
        raise NikError(
            Reason.NIK_UNKNOWN_REGION,
            "digits 1-2 are not a known province code; check the first digits against the KTP",
        )
    if not is_issuing_regency(f"{digits[0:2]}.{digits[2:4]}"):
        raise NikError(
            Reason.NIK_UNKNOWN_REGION,
            "digits 3-4 are not a regency or city of the province in digits 1-2; "
            "check the first digits against the KTP",
        )
    day = int(digits[6:8])
    sex = Sex.FEMALE if day > _FEMALE_DAY_OFFSET else Sex.MALE
    if sex is Sex.FEMALE:
        day -= _FEMALE_DAY_OFFSET
    month, yy = int(digits[8:10]), int(digits[10:12])
    birth = _birth_date(day, month, yy, reference)
    if birth is None:
        raise NikError(
            Reason.NIK_INVALID_BIRTH_DATE, "digits 7-12 are not a date (DDMMYY, day + 40 for women)"
        )
    return Nik(
        number=digits,
        regency=f"{digits[0:2]}.{digits[2:4]}",
        district=f"{digits[0:2]}.{digits[2:4]}.{digits[4:6]}",
        birth_date=birth,
        sex=sex,
        serial=digits[12:16],
    )


def _birth_date(day: int, month: int, yy: int, reference: date) -> date | None:
    """Latest century giving a real date on or before ``reference``."""
    century = reference.year // 100 * 100
    for base in (century, century - 100):
        try:
            candidate = date(base + yy, month, day)
        except ValueError:
            continue  # 29 February in a non-leap century, or not a date at all
        if candidate <= reference:
            return candidate
    return None


def pseudonym(nik: str, key: bytes) -> str:
    """Keyed HMAC-SHA256 of the NIK digits, truncated: the worker's id everywhere outside intake.

    Stable for a key, so the same NIK is the same worker; without the key it
    cannot be reversed by enumerating the small NIK space.
    """
    digest = hmac.digest(key, _compact(nik).encode(), "sha256")
    return PSEUDONYM_PREFIX + digest.hex()[:_PSEUDONYM_HEX_CHARS]


def mask(nik: str) -> str:
    """``7471014508900012`` → ``7471**********12``.

    Keeps province and regency (already public on the application) and the
    last two serial digits (enough for an officer to confirm a card in hand);
    hides the district, the whole birth date and sex (digits 5-12) and most of
    the serial, which together would single a person out.
    """
    digits = _compact(nik)
    if len(digits) != 16:
        return "*" * len(digits)
    return digits[:4] + "*" * 10 + digits[14:]
