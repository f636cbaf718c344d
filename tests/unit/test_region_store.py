"""The region state store: a step is never half-applied, whatever prefix of its writes landed.

A plain dict stands in for the Faust table; the changelog's "ordered prefix"
is modelled by recording every write and replaying only the first n.
"""

from __future__ import annotations

from typing import Any

import pytest
from factories import KEY, REGION, application, pledge, tick

from models.eligibility import KENDARI
from models.matcher import RegionMatcher
from streams.state import RegionStore


class RecordingTable(dict[str, Any]):
    """A dict that remembers the order of writes, as a changelog partition does."""

    def __init__(self) -> None:
        super().__init__()
        self.writes: list[tuple[str, Any]] = []

    def __setitem__(self, key: str, value: Any) -> None:
        self.writes.append((key, value))
        super().__setitem__(key, value)


def landed(table: RecordingTable, n: int) -> dict[str, Any]:
    """The table a restarted worker recovers when only the first ``n`` writes reached the broker."""
    recovered: dict[str, Any] = {}
    for key, value in table.writes[:n]:
        recovered[key] = value
    return recovered


def run(events: list[Any]) -> tuple[RecordingTable, list[int]]:
    """Process ``events`` through a store; return the table and the write count after each step."""
    table = RecordingTable()
    store = RegionStore(table, KEY, KENDARI)
    marks = []
    for event in events:
        matcher = store.matcher(REGION)
        store.write(REGION, store.changes(REGION, matcher, [matcher.handle(event)]))
        marks.append(len(table.writes))
    return table, marks


def outputs_after(table: dict[str, Any], events: list[Any]) -> list[str]:
    store = RegionStore(table, KEY, KENDARI)
    return [o.event_id for e in events for o in store.matcher(REGION).handle(e).outputs]


WORKLOAD = [
    *[application() for _ in range(5)],
    pledge(amount_idr=3 * 16_800 * 12),
    *[application() for _ in range(3)],
    tick("2025-01"),
    tick("2025-02"),
]
LATER = [application(), pledge(amount_idr=2 * 16_800 * 12), tick("2025-03")]


def test_a_restored_store_continues_exactly_as_the_one_that_wrote_it() -> None:
    table, _ = run(WORKLOAD)
    expected = RegionMatcher(REGION, KEY)
    for event in WORKLOAD:
        expected.handle(event)

    assert outputs_after(table, LATER) == [o.event_id for e in LATER for o in expected.handle(e).outputs]


@pytest.mark.parametrize("step", range(len(WORKLOAD)))
def test_every_prefix_of_a_step_recovers_to_before_or_after_it_never_between(step: int) -> None:
    table, marks = run(WORKLOAD)
    start = marks[step - 1] if step else 0
    before = RegionMatcher(REGION, KEY)
    for event in WORKLOAD[:step]:
        before.handle(event)
    after = RegionMatcher(REGION, KEY)
    for event in WORKLOAD[: step + 1]:
        after.handle(event)
    whole = {"before": before.snapshot(), "after": after.snapshot()}

    for n in range(start, marks[step] + 1):
        recovered = RegionStore(landed(table, n), KEY, KENDARI).matcher(REGION).snapshot()
        assert recovered in whole.values(), f"step {step} half-applied with {n - start} of its writes"


def test_a_chunk_overwritten_by_a_later_step_proves_the_earlier_step_complete() -> None:
    table, marks = run(WORKLOAD)
    # Everything up to the last step, plus the first write of one more step (its journal chunk).
    extra_table, _ = run([*WORKLOAD, LATER[0]])
    recovered = landed(extra_table, marks[-1] + 1)

    matcher = RegionStore(recovered, KEY, KENDARI).matcher(REGION)

    assert matcher.snapshot() == RegionStore(dict(table), KEY, KENDARI).matcher(REGION).snapshot()


def test_a_journal_whose_chunk_is_older_than_its_head_is_refused() -> None:
    table, _ = run(WORKLOAD)
    broken = dict(table)
    broken[f"{REGION}|j|0"] = {**broken[f"{REGION}|j|0"], "step": broken[f"{REGION}|J"]["step"] - 1}

    with pytest.raises(RuntimeError, match="state_journal_broken"):
        RegionStore(broken, KEY, KENDARI).matcher(REGION)


def test_records_hold_no_nik_and_no_name() -> None:
    apps = [application() for _ in range(3)]
    table, _ = run([*apps, pledge(amount_idr=16_800 * 12)])
    dump = repr(dict(table))

    for app in apps:
        assert app.nik not in dump
        assert app.name not in dump


def test_a_region_forgotten_between_its_step_and_its_write_keeps_its_dashboard_levels() -> None:
    """A rebalance may drop the cached region while a batch still holds its matcher."""
    table, _ = run(WORKLOAD)
    kept, forgot = RegionStore(dict(table), KEY, KENDARI), RegionStore(dict(table), KEY, KENDARI)
    event = LATER[1]  # a pledge: it moves the dashboard's pledged rupiah
    expected = kept.changes(REGION, (m := kept.matcher(REGION)), [m.handle(event)])

    matcher = forgot.matcher(REGION)
    step = matcher.handle(event)
    forgot.forget(REGION)

    assert forgot.changes(REGION, matcher, [step]) == expected
    assert any(key.startswith(f"{REGION}|l|") for key, _ in expected)
