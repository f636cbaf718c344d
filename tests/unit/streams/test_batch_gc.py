"""A large step (a close, a pledge, in a region of ``spill_at`` workers or more) runs with Python's
cyclic garbage collector off, and collection resumes when it ends, however it ends
(``streams.batch``: the collections would walk the whole region's state for nothing)."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from jaring.scenario import applications, month_ticks, pledges
from models.events import CoverageCommitted, DeadLetter, OutputEvent
from models.matcher import RegionMatcher
from streams.batch import MatchBatch
from streams.state import RegionStore
from tests.unit.factories import confirmed
from tests.unit.streams.test_batch import KEY, POLICY, FakeFaust, RecordingTable, as_records, run


@dataclass
class Watching(FakeFaust):
    """Records, for each output sent, whether the collector was on."""

    collecting: list[tuple[str, bool]] = field(default_factory=list)

    async def send(self, outputs: Sequence[OutputEvent | DeadLetter]) -> list[asyncio.Future[Any]]:
        self.collecting.extend((output.type, gc.isenabled()) for output in outputs)
        return await super().send(outputs)


@pytest.fixture(autouse=True)
def collector_restored() -> Iterator[None]:
    was = gc.isenabled()
    yield
    if was:
        gc.enable()


def _covered_and_closed() -> list[Any]:
    """Applications and pledges, BPJS confirming every seat, then two closes billing the terms."""
    start = datetime(2026, 1, 5, 1, 0, tzinfo=UTC)
    events: list[Any] = [*applications(12, seed=3, start=start, spacing=timedelta(hours=6)),
                         *pledges([4, 4], start=start + timedelta(days=4), valid_days=120)]
    events.sort(key=lambda event: event.event_time)
    matcher = RegionMatcher("74.71", KEY, policy=POLICY)
    seats = [out for event in events for out in matcher.handle(event).outputs
             if isinstance(out, CoverageCommitted)]
    answered = start + timedelta(days=6)
    events += [confirmed(seat.coverage_id, payer_id=seat.payer_id, event_time=answered) for seat in seats]
    return events + month_ticks("2026-01", 2)


def _run(faust: FakeFaust, spill_at: int = 1) -> None:
    events = _covered_and_closed()
    batch = MatchBatch(RegionStore(RecordingTable(faust.timeline), KEY, POLICY), faust.shell(),
                       max_events=4, spill_at=spill_at)
    asyncio.run(run(batch, as_records(events), [0, 1]))


def test_a_close_runs_without_collections_and_they_resume_after_it() -> None:
    faust = Watching()
    _run(faust)
    lines = [on for kind, on in faust.collecting if kind == "bill.line"]
    assert lines and not any(lines)  # every line was made and delivered with the collector off
    assert any(on for kind, on in faust.collecting if kind == "application.waiting")  # small steps: on
    assert gc.isenabled()


def test_a_small_region_s_close_is_left_alone() -> None:
    faust = Watching()
    _run(faust, spill_at=10_000)
    lines = [on for kind, on in faust.collecting if kind == "bill.line"]
    assert lines and all(lines)


def test_a_collector_the_process_turned_off_stays_off() -> None:
    gc.disable()
    _run(Watching())
    assert not gc.isenabled()


def test_a_large_step_that_fails_turns_the_collector_back_on(monkeypatch: pytest.MonkeyPatch) -> None:
    real = RegionMatcher.handle

    def failing(self: RegionMatcher, event: Any, **spill: Any) -> Any:
        if spill.get("spill") is not None and event.type == "month.tick":
            raise RuntimeError("a bug mid-close")
        return real(self, event, **spill)

    monkeypatch.setattr(RegionMatcher, "handle", failing)
    faust = Watching()
    _run(faust)
    assert gc.isenabled()
    assert not [kind for kind, _ in faust.collecting if kind == "bill.line"]  # the closes did fail
