"""The region state store: a step is never half-applied, whatever prefix of its writes landed.

A plain dict stands in for the Faust table's local data; the changelog is
the list of records the store returns, in order, and its "ordered prefix"
is modelled by replaying only the first n of them.
"""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from jaring.bpjs import Habits, Simulator, drive
from models.eligibility import KENDARI
from models.matcher import RegionMatcher
from streams.state import RegionStore
from tests.unit.factories import KEY, REGION, application, payment, pledge, settled, tick

Changelog = list[tuple[str, Any]]


def landed(changelog: Changelog, n: int | None = None) -> dict[str, Any]:
    """The table a restarted worker recovers when only the first ``n`` records reached the broker."""
    table: dict[str, Any] = {}
    for key, value in changelog[:n]:  # a tombstone (None) deletes, as Faust's recovery does
        if value is None:
            table.pop(key, None)
        else:
            table[key] = value
    return table


def run(events: list[Any], recovered: dict[str, Any] | None = None) -> tuple[Changelog, list[int]]:
    """Run ``events`` on a store restored from ``recovered``: its changelog, its length after each step."""
    store = RegionStore(dict(recovered or {}), KEY, KENDARI)
    changelog: Changelog = []
    marks = []
    for event in events:
        matcher = store.matcher(REGION)
        changelog.extend(store.write(REGION, store.changes(REGION, matcher, [matcher.handle(event)])))
        marks.append(len(changelog))
    return changelog, marks


def snapshots(events: list[Any]) -> list[Any]:
    """The matcher's state before the first event and after each one."""
    matcher = RegionMatcher(REGION, KEY)
    states = [matcher.snapshot()]
    for event in events:
        matcher.handle(event)
        states.append(matcher.snapshot())
    return states


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
    changelog, _ = run(WORKLOAD)
    expected = RegionMatcher(REGION, KEY)
    for event in WORKLOAD:
        expected.handle(event)

    expected_ids = [o.event_id for e in LATER for o in expected.handle(e).outputs]
    assert outputs_after(landed(changelog), LATER) == expected_ids


@pytest.mark.parametrize("step", range(len(WORKLOAD)))
def test_every_prefix_of_a_step_recovers_to_before_or_after_it_never_between(step: int) -> None:
    changelog, marks = run(WORKLOAD)
    start = marks[step - 1] if step else 0
    before = RegionMatcher(REGION, KEY)
    for event in WORKLOAD[:step]:
        before.handle(event)
    after = RegionMatcher(REGION, KEY)
    for event in WORKLOAD[: step + 1]:
        after.handle(event)
    whole = {"before": before.snapshot(), "after": after.snapshot()}

    for n in range(start, marks[step] + 1):
        recovered = RegionStore(landed(changelog, n), KEY, KENDARI).matcher(REGION).snapshot()
        assert recovered in whole.values(), f"step {step} half-applied with {n - start} of its writes"


def test_a_chunk_overwritten_by_a_later_step_proves_the_earlier_step_complete() -> None:
    changelog, marks = run(WORKLOAD)
    # Everything up to the last step, plus the first write of one more step (its journal chunk).
    extra, _ = run([*WORKLOAD, LATER[0]])
    recovered = landed(extra, marks[-1] + 1)

    matcher = RegionStore(recovered, KEY, KENDARI).matcher(REGION)

    assert matcher.snapshot() == RegionStore(landed(changelog), KEY, KENDARI).matcher(REGION).snapshot()


def test_a_journal_completed_on_restore_lands_ahead_of_the_next_step_whatever_prefix_lands() -> None:
    """A crash cut the last step's records after its head; the restarted store completes it in memory.

    It must send the completion before its next journal: once a chunk of the
    next step lands, recovery takes the earlier step as complete.
    """
    changelog, marks = run(WORKLOAD)
    last = changelog[marks[-2] : marks[-1]]
    head = marks[-2] + [key for key, _ in last].index(f"{REGION}|J")
    assert marks[-1] - head > 2, "the last step needs records after its head for this test to cut"
    states = snapshots([*WORKLOAD, *LATER])[len(WORKLOAD) :]

    for cut in range(head + 1, marks[-1]):
        prefix = changelog[:cut]
        more, _ = run(LATER, recovered=landed(prefix))
        continued = prefix + more
        for n in range(cut, len(continued) + 1):
            recovered = RegionStore(landed(continued, n), KEY, KENDARI).matcher(REGION).snapshot()
            assert recovered in states, f"cut at {cut - head} records after the head, {n - cut} later landed"


def test_a_journal_whose_chunk_is_older_than_its_head_is_refused() -> None:
    changelog, _ = run(WORKLOAD)
    broken = landed(changelog)
    head = orjson.loads(broken[f"{REGION}|J"])
    chunk = orjson.loads(broken[f"{REGION}|j|0"])
    broken[f"{REGION}|j|0"] = orjson.dumps({**chunk, "step": head["step"] - 1})

    with pytest.raises(RuntimeError, match="state_journal_broken"):
        RegionStore(broken, KEY, KENDARI).matcher(REGION)


def test_records_hold_no_nik_and_no_name() -> None:
    apps = [application() for _ in range(3)]
    changelog, _ = run([*apps, pledge(amount_idr=16_800 * 12)])
    dump = repr(changelog)

    for app in apps:
        assert app.nik not in dump
        assert app.name not in dump


def test_a_region_forgotten_between_its_step_and_its_write_keeps_its_dashboard_levels() -> None:
    """A rebalance may drop the cached region while a batch still holds its matcher."""
    changelog, _ = run(WORKLOAD)
    kept, forgot = RegionStore(landed(changelog), KEY, KENDARI), RegionStore(landed(changelog), KEY, KENDARI)
    event = LATER[1]  # a pledge: it moves the dashboard's pledged rupiah
    expected = kept.changes(REGION, (m := kept.matcher(REGION)), [m.handle(event)])

    matcher = forgot.matcher(REGION)
    step = matcher.handle(event)
    forgot.forget(REGION)

    assert forgot.changes(REGION, matcher, [step]) == expected
    assert any(key.startswith(f"{REGION}|l|") for key, _ in expected)


def money_workload() -> list[Any]:
    """Terms confirmed by BPJS, billed, paid three months late (ended terms owing lines, then
    settled), an overpayment and a refund settled: every record kind the matcher has."""
    base = [*[application() for _ in range(3)], pledge(amount_idr=3 * 16_800 * 3, months=3),
            *(tick(f"2025-{n:02d}") for n in range(1, 9))]
    matcher = RegionMatcher(REGION, KEY)
    log = drive(base, lambda e: matcher.handle(e).outputs, Simulator(Habits(late={"dealer-kendari": 3})))
    over = payment("bill:74.71:dealer-kendari:2025-01", 1_000, payment_id="TX-over")
    return [*log, over, settled("refund:74.71:dealer-kendari:TX-over", 400)]


def test_money_records_restore_to_the_matcher_that_wrote_them_after_every_step() -> None:
    events = money_workload()
    table: dict[str, Any] = {}
    store = RegionStore(table, KEY, KENDARI)
    pure = RegionMatcher(REGION, KEY)
    owing_seen = False
    for event in events:
        matcher = store.matcher(REGION)
        store.write(REGION, store.changes(REGION, matcher, [matcher.handle(event)]))
        pure.handle(event)
        restored = RegionStore(dict(table), KEY, KENDARI).matcher(REGION).snapshot()
        assert restored == pure.snapshot(), f"after {event.event_id}"
        owing_seen = owing_seen or bool(restored.terms)
    kinds = {key.split("|")[1] for key in table}
    assert {"b", "y", "f", "a"} <= kinds
    assert owing_seen  # an ended term owed lines at some point ...
    assert "t" not in kinds  # ... then none: its record is deleted, not kept as a null
    later = [tick("2025-09"), application()]
    assert outputs_after(dict(table), later) == [o.event_id for e in later for o in pure.handle(e).outputs]


def test_a_large_step_s_journal_is_dropped_by_the_next_and_every_prefix_still_recovers_whole() -> None:
    """A million-record step must not stay in the table twice: the next step's head tombstones its
    extra chunks. Cutting the changelog anywhere in that next step still recovers a whole state."""
    big = [*[application() for _ in range(450)], pledge(amount_idr=450 * 16_800 * 12)]
    events = [*big, application()]
    changelog, marks = run(events)
    chunks_of_big = [k for k, _ in changelog[marks[-3] : marks[-2]] if k.startswith(f"{REGION}|j|")]
    assert len(chunks_of_big) >= 3, "the pledge's step must span several journal chunks"
    table = landed(changelog)
    assert [k for k in table if k.startswith(f"{REGION}|j|")] == [f"{REGION}|j|0"]
    states = snapshots(events)
    for n in range(marks[-2], marks[-1] + 1):
        recovered = RegionStore(landed(changelog, n), KEY, KENDARI).matcher(REGION).snapshot()
        assert recovered in (states[-2], states[-1]), f"{n - marks[-2]} records of the last step landed"


def test_markers_past_the_replay_window_are_deleted_from_the_table() -> None:
    rejected = application(welfare_decile=9)
    window = KENDARI.replay_window_closes
    events = [rejected, *(tick(f"2025-{n:02d}") for n in range(1, window + 1))]  # handled at closes 0
    changelog, marks = run(events)
    assert f"{REGION}|s|{rejected.event_id}" in landed(changelog, marks[-2])
    assert f"{REGION}|s|{rejected.event_id}" not in landed(changelog)
    assert (f"{REGION}|s|{rejected.event_id}", None) in changelog  # a tombstone: compaction drops it
