"""Bytes the API's and the dashboard's read models hold per covered worker, close after close.

    PYTHONPATH=. .venv/bin/python -m tests.unit.api.measure_read_models WORKERS MONTHS [KEEP_MONTHS]

One regency (``regency_workload``: the real matcher, every seat confirmed, every bill paid), its outputs
encoded once, then decoded and folded record by record as the topic readers do, under ``tracemalloc``.
Prints the bytes held per covered worker after each close (the story's closes bill a line per worker
until the terms end at the 12th). Figures of the README's "Memory bounds".
"""

from __future__ import annotations

import gc
import sys
import tracemalloc
from collections.abc import Callable
from typing import Protocol

from api.city_report import CityReports
from api.payer_model import KEEP_MONTHS
from api.read_model import ReadModel
from dashboard.read_model import CityView
from models.codec import decode, encode
from models.events import Event
from tests.unit.api.regency_workload import regency


class _Fold(Protocol):
    def apply(self, event: Event) -> bool: ...


def measure(
    name: str, make: Callable[[], _Fold], records: list[bytes], closes: list[int], workers: int
) -> None:
    gc.collect()
    tracemalloc.start()
    start = tracemalloc.get_traced_memory()[0]
    model = make()
    after: list[int] = []
    for n, record in enumerate(records, 1):
        model.apply(decode(record))
        if n in closes:
            after.append((tracemalloc.get_traced_memory()[0] - start) // workers)
    tracemalloc.stop()
    print(f"{name}: bytes per covered worker after each close {after}")


def main(workers: int, months: int, keep: int = KEEP_MONTHS) -> None:
    """``keep``: closed months the API keeps a settled bill's lines (the story's pledge runs 12 months,
    so a shorter window shows the bound within it)."""
    closes: list[int] = []
    records = [encode(e) for e in regency(workers, months, closes=closes)]
    print(f"{workers} covered workers, {months} closes, {len(records)} output events; "
          f"the api keeps {keep} closed months of settled bills' lines")
    measure("api", lambda: ReadModel(keep_months=keep), records, closes, workers)
    measure("dashboard", CityView, records, closes, workers)
    measure("city report", CityReports, records, closes, workers)


if __name__ == "__main__":
    main(*(int(arg) for arg in sys.argv[1:4]))
