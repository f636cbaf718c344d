"""A regency's outputs at scale, made by the real matcher: what the read models' memory is measured on.

``workers`` eligible applicants, one pledge seating all of them for 12
months, BPJS confirming every seat, then ``months`` month closes, each
followed by an exact payment of every bill. The outputs are yielded as the
matcher makes them (nothing is held but the matcher), so a fold measured
with ``tracemalloc`` counts only what the fold keeps.
"""

from __future__ import annotations

import tracemalloc
from collections.abc import Callable, Iterator
from datetime import date

from models.codec import decode
from models.events import Event
from models.matcher import RegionMatcher
from models.periods import period_index, period_name
from tests.unit.factories import KEY, REGION, application, confirm_all, make_nik, pay_all, pledge, tick

__all__ = ["FIRST_MONTH", "regency"]

FIRST_MONTH = "2025-01"
_LINE = 16_800


def regency(workers: int, months: int, *, closes: list[int] | None = None) -> Iterator[Event]:
    """Every output of the story; ``closes`` (if given) gets the count of outputs after each close."""
    m = RegionMatcher(REGION, KEY)
    made = 0

    def run(event: object) -> Iterator[Event]:
        nonlocal made
        outputs = m.handle(event).outputs  # type: ignore[arg-type]
        made += len(outputs)
        yield from outputs

    for i in range(workers):
        birth = date(1960 + i // 10_000 % 40, 1 + i // 400_000 % 12, 1 + i // 4_800_000 % 28)
        nik = make_nik(birth=birth, serial=i % 10_000)
        yield from run(application(nik=nik, birth_date=birth, event_id=f"app-{i}", application_id=f"a-{i}"))
    yield from run(pledge(amount_idr=workers * _LINE * 12, pledge_id="pl-scale", event_id="pledge-scale",
                          valid_until=date(2027, 12, 31)))
    for confirmation in confirm_all(m):
        yield from run(confirmation)
    first = period_index(FIRST_MONTH)
    for month in range(first, first + months):
        yield from run(tick(period_name(month)))
        for pay in pay_all(m):
            yield from run(pay)
        if closes is not None:
            closes.append(made)


def fold_traced(
    records: list[bytes], apply: Callable[[Event], object], closes: list[int], sample: Callable[[], None]
) -> list[int]:
    """Fold ``records`` (decoded one by one, as a consumer decodes them: the fold's strings are its
    own) under tracemalloc; after each close, ``sample()`` and the bytes held since the start."""
    memory: list[int] = []
    tracemalloc.start()
    try:
        start = tracemalloc.get_traced_memory()[0]
        for n, record in enumerate(records, 1):
            apply(decode(record))
            if n in closes:
                sample()
                memory.append(tracemalloc.get_traced_memory()[0] - start)
    finally:
        tracemalloc.stop()
    return memory
