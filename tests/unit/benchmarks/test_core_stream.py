"""``benchmarks.core``'s stream: BPJS's confirmations start the seats they answer; silent, none are sent."""

from __future__ import annotations

from benchmarks.core import prefill, run_size
from models.events import CoverageCommitted


def test_a_confirmation_starts_the_seat_it_answers() -> None:
    matcher, workload = prefill(200, seed=3)
    outputs = matcher.handle(workload.pledge(mean_seats=20)).outputs
    seats = [o for o in outputs if isinstance(o, CoverageCommitted)]
    assert seats
    for seat in seats:
        started = matcher.handle(workload.confirmation(seat)).outputs
        assert [(o.type, getattr(o, "coverage_id", None)) for o in started] == [
            ("coverage.activated", seat.coverage_id)
        ]
    assert matcher.committed() == []


def test_the_default_stream_confirms_seats_and_the_worst_case_sends_none() -> None:
    answered = run_size(150, 800, 400, 0.1, seed=3, pipeline=False, confirm=True)
    silent = run_size(150, 800, 400, 0.1, seed=3, pipeline=False, confirm=False)
    assert answered.confirmations > 0
    assert answered.events == 800 + answered.confirmations  # counted as input events
    assert silent.confirmations == 0
    assert silent.events == 800
