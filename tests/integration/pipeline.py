"""Driving the real pipeline from tests: feed inputs to their topics, read every output topic."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from jaring.audit import Audit, Reader
from jaring.settings import Settings
from jaring.topic_io import read_until, send_all
from models.codec import encode
from models.events import ApplicationSubmitted, MonthTick, PledgeSubmitted

OUTPUT_TOPICS = ("application-status.v1", "coverage.v1", "pledge-status.v1", "funding.v1", "deadletter.v1")


def topic_for(event: Input) -> str:
    if isinstance(event, ApplicationSubmitted):
        return "applications.v1"
    return "pledges.v1" if isinstance(event, PledgeSubmitted) else "clock.v1"


Input = ApplicationSubmitted | PledgeSubmitted | MonthTick


async def feed(settings: Settings, events: Sequence[Input]) -> None:
    by_topic: dict[str, list[tuple[bytes, bytes]]] = {}
    for event in events:
        region = event.regency if isinstance(event, ApplicationSubmitted) else event.region
        by_topic.setdefault(topic_for(event), []).append((region.encode(), encode(event)))
    for topic, records in by_topic.items():
        await send_all(settings.kafka_bootstrap, settings.topic(topic), records)


async def outputs_until(
    settings: Settings,
    done: Callable[[Reader], bool],
    timeout: float = 120.0,
    applications: int | None = None,
) -> Audit:
    """Read every output topic from the start until ``done(reader)`` holds; then audit it all."""
    reader = Reader()
    topics = [settings.topic(t) for t in OUTPUT_TOPICS]
    await read_until(settings.kafka_bootstrap, topics, lambda _: done(reader), timeout, reader.add)
    return reader.audit(applications)
