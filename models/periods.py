"""The event-time calendar: months named ``"YYYY-MM"`` and their integer index.

Premiums are monthly (BPJS Ketenagakerjaan BPU contributions are due per
month), so the engine's clock counts months, and only ``MonthTick`` events
move it. Arithmetic runs on an index (``year * 12 + month - 1``) so that
"the month after" and "months between" are integer operations.
"""

from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache
from typing import Annotated

from pydantic import StringConstraints

__all__ = [
    "Period",
    "first_day",
    "last_day",
    "period_index",
    "period_name",
    "period_of",
]

Period = Annotated[str, StringConstraints(pattern=r"^[0-9]{4}-(0[1-9]|1[0-2])$")]
"""A calendar month, ``"2025-01"``."""


def period_index(period: str) -> int:
    """``"2025-01"`` → ``2025 * 12``: months since year 0, for arithmetic."""
    return int(period[:4]) * 12 + int(period[5:7]) - 1


@lru_cache(maxsize=4096)
def period_name(index: int) -> str:
    """Inverse of ``period_index`` (cached: a region names the same few months all day)."""
    year, month0 = divmod(index, 12)
    return f"{year:04d}-{month0 + 1:02d}"


def period_of(moment: date | datetime) -> int:
    """The month index a date (or an aware datetime, read in UTC) falls in."""
    return moment.year * 12 + moment.month - 1


def first_day(index: int) -> date:
    """First calendar day of a month index."""
    year, month0 = divmod(index, 12)
    return date(year, month0 + 1, 1)


def last_day(index: int) -> date:
    """Last calendar day of a month index."""
    return date.fromordinal(first_day(index + 1).toordinal() - 1)
