"""The dashboard's read model holds the workers and a window of ids, not history: fed more months of
a regency's outputs (the real matcher's, ``tests.unit.api.regency_workload``) than its window of
repeats, the ids it holds and its memory stop growing while the events it has folded keep growing.

Run with ``-s`` to see the figures (bytes per covered worker after each close).
"""

from __future__ import annotations

from typing import Any

from dashboard.read_model import CityView
from models.codec import decode, encode
from tests.unit.api.regency_workload import fold_traced, regency

WORKERS, MONTHS = 300, 12


def test_ids_and_memory_stay_flat_while_the_months_go_by(capsys: Any) -> None:
    closes: list[int] = []
    records = [encode(e) for e in regency(WORKERS, MONTHS, closes=closes)]
    view = CityView()
    ids: list[int] = []
    folded: list[int] = []

    def sample() -> None:
        ids.append(view.ids_held())
        folded.append(view.events)

    memory = fold_traced(records, view.apply, closes, sample)
    with capsys.disabled():
        print(f"\ndashboard read model, {WORKERS} covered workers: bytes per worker after each close",
              [m // WORKERS for m in memory], "ids held", ids, "events folded", folded[-1])
    snapshot = view.snapshot("74.71")
    assert snapshot.totals.ever_covered == WORKERS
    # every month folds the funding streams' new events; once the intake month left the window of the
    # streams that moved on, the ids held stay the same
    assert folded[10] > folded[1]
    assert ids[1:11] == [ids[1]] * 10 and ids[1] < ids[0]
    assert memory[10] < memory[1] * 1.25


def test_workers_share_their_district_and_occupation_strings() -> None:
    view = CityView()
    for record in [encode(e) for e in regency(50, 1)]:
        view.apply(decode(record))
    region = view._regions["74.71"]  # noqa: SLF001 - what is shared is the point
    workers = list(region.workers.values())
    assert len({id(w.district) for w in workers}) == len({w.district for w in workers})
    assert len({id(w.occupation) for w in workers}) == len({w.occupation for w in workers})
