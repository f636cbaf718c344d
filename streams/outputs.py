"""Where each output event goes, and sending a step's outputs durably."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, cast

import faust

from models.codec import dead_letter, encode
from models.errors import JaringError
from models.events import (
    ApplicationRejected,
    ApplicationWaiting,
    CoverageActivated,
    CoverageExpired,
    CoverageRenewed,
    DeadLetter,
    FundingMovement,
    OutputEvent,
)
from streams import catalogue
from streams.app import app, metrics
from streams.producer import DurableProducer

__all__ = ["destination", "publish", "reject", "rejection", "send"]


def destination(event: OutputEvent | DeadLetter) -> tuple[faust.TopicT, bytes | None]:
    """The topic and key of an output: by region, except pledge status (by pledge)."""
    if isinstance(event, DeadLetter):
        return catalogue.deadletter, None
    if isinstance(event, ApplicationWaiting | ApplicationRejected):
        return catalogue.application_status, event.region.encode()
    if isinstance(event, CoverageActivated | CoverageRenewed | CoverageExpired):
        return catalogue.coverage, event.region.encode()
    if isinstance(event, FundingMovement):
        return catalogue.funding, event.region.encode()
    return catalogue.pledge_status, event.pledge_id.encode()


def rejection(stage: str, message: Any, raw: bytes, error: JaringError) -> DeadLetter:
    """The dead letter of a consumed record: reason, position and original bytes, counted by stage.

    The dead letter's time is the record's own broker timestamp, never a clock
    read here, so a replay dead-letters identically.
    """
    metrics.dead_letters.labels(stage, error.code).inc()
    return dead_letter(
        source_topic=message.topic, partition=message.partition, offset=message.offset, raw=raw,
        error=error, event_time=datetime.fromtimestamp(message.timestamp, tz=UTC),
    )


async def reject(stage: str, message: Any, raw: bytes, error: JaringError) -> None:
    """Dead-letter a consumed record and wait until the broker has it."""
    await publish([rejection(stage, message, raw, error)])


async def send(events: Sequence[OutputEvent | DeadLetter]) -> list[asyncio.Future[Any]]:
    """Hand every event to the producer, one batch per partition; returns the deliveries to await.

    Straight to the producer: Faust's ``Topic.send`` adds a future, a pending
    message and sensor calls per record (about 6 % of a busy worker's time
    besides the sensor, in a ``py-spy record --gil`` of benchmark (c)).
    """
    records = []
    for event in events:
        topic, key = destination(event)
        records.append((topic.get_topic_name(), key, encode(event)))
    return await cast(DurableProducer, app.producer).send_batched(records)


async def publish(events: Sequence[OutputEvent | DeadLetter]) -> None:
    """Send every event and wait until the broker has each one (acks=all)."""
    deliveries = await send(events)
    if deliveries:
        await asyncio.gather(*deliveries)
