"""A small city run through the real engine (``RegionMatcher``, BPJS confirming): outputs as on the wire.

For the disclosure and fairness tests: ``count`` applications over Kendari's
districts, pledges seating ``seats`` of them, and ``months`` month closes.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import cache

from infra.settings import DEV_PSEUDONYM_KEY
from jaring.bpjs import Simulator, drive
from jaring.scenario import applications, month_ticks, pledges
from models.events import Input, InputEvent, OutputEvent
from models.matcher import RegionMatcher

__all__ = ["START", "city"]

START = datetime(2026, 1, 5, 1, 0, tzinfo=UTC)


@cache
def city(count: int, seats: tuple[int, ...], months: int = 2, seed: int = 7471) -> tuple[OutputEvent, ...]:
    """Every output of the story, in the region log's order (cached: the tests only read it)."""
    apps = applications(count, seed=seed, start=START)
    offers = pledges(list(seats), start=apps[-1].event_time + timedelta(hours=1), months=3)
    inputs: list[InputEvent] = [*apps, *offers, *month_ticks("2026-01", months)]
    matcher = RegionMatcher("74.71", DEV_PSEUDONYM_KEY.encode())
    out: list[OutputEvent] = []

    def handle(event: Input) -> list[OutputEvent]:
        outputs = matcher.handle(event).outputs
        out.extend(outputs)
        return outputs

    drive(inputs, handle, Simulator())
    return tuple(out)
