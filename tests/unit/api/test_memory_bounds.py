"""The API's read model holds a window, not history: fed month after month of a regency's outputs
(the real matcher's, ``regency_workload``), what it holds stops growing once the window is full.

Run with ``-s`` to see the figures (bytes per covered worker after each close).
"""

from __future__ import annotations

from typing import Any

from api.read_model import ReadModel
from models.codec import decode, encode
from tests.unit.api.regency_workload import fold_traced, regency

WORKERS, MONTHS, KEEP = 400, 8, 2


def test_lines_ids_and_memory_stay_flat_from_one_close_to_the_next(capsys: Any) -> None:
    closes: list[int] = []
    records = [encode(e) for e in regency(WORKERS, MONTHS, closes=closes)]
    model = ReadModel(keep_months=KEEP)
    held: list[dict[str, int]] = []
    memory = fold_traced(records, model.apply, closes,
                         lambda: held.append({**model.payers.held(), "ids": model.ids_held()}))
    with capsys.disabled():
        print(f"\napi read model, {WORKERS} covered workers: bytes per worker after each close",
              [m // WORKERS for m in memory], "held", held[-1])
    # lines: this month's bill, and the KEEP closed months before it; nothing older (all paid)
    assert all(h["lines"] <= WORKERS * (KEEP + 2) for h in held)
    assert held[-1]["lines"] == held[KEEP + 1]["lines"]
    assert held[-1]["ids"] == held[KEEP + 1]["ids"]
    assert held[-1]["steps"] <= 2
    assert memory[-1] < memory[KEEP + 1] * 1.25  # flat, generously: the allocator's noise
    # the same story without a window holds every line of every month
    everything = ReadModel(keep_months=None)
    for record in records:
        everything.apply(decode(record))
    assert everything.payers.held()["lines"] == WORKERS * MONTHS
