"""What the worker counts of a step's outputs (``streams.metrics.EngineMetrics.observe_outputs``)."""

from __future__ import annotations

from collections import Counter

from prometheus_client import CollectorRegistry

from infra.settings import DEV_PSEUDONYM_KEY
from models.events import OutputEvent
from models.matcher import RegionMatcher
from models.topics import PLEDGE_STATUS
from streams.metrics import EngineMetrics
from tests.unit.dashboard.dashboard_recording import story


def test_every_event_on_the_pledge_status_topic_is_counted_by_its_status() -> None:
    registry = CollectorRegistry()
    metrics = EngineMetrics.create(registry)
    matcher = RegionMatcher("74.71", DEV_PSEUDONYM_KEY.encode())
    outputs: list[OutputEvent] = []
    for event in story():
        outputs.extend(matcher.handle(event).outputs)
    metrics.observe_outputs(outputs, latency_s=None)

    statuses = [e for e in outputs if isinstance(e, PLEDGE_STATUS.carries)]
    expected = Counter(e.type.removeprefix("pledge.") for e in statuses)
    assert set(expected) == {"accepted", "rejected", "exhausted", "reopened", "expired"}
    counted = {status: registry.get_sample_value("jaring_pledges_total", {"status": status})
               for status in expected}
    assert counted == {status: float(n) for status, n in expected.items()}
